"""Integration with the real debian-sfx corpus (../shared/data/debian-sfx/build.sh), when it is built.

Looked for at $FLAMKIT_DEBIAN_SFX, else ~/.cache/flamkit-data/debian-sfx. Skipped with the build
command when absent; with FLAMKIT_REQUIRE_CORPUS=1 a missing corpus fails instead (CI jobs that
built it must not pass by skipping).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from flamkit.data.augment.caption import CaptionAugment
from flamkit.data.augment.sr_degrade import SampleRateDegrade
from flamkit.data.check import check_manifest
from flamkit.data.collate import collate_audio_text
from flamkit.data.pipeline import BatchStream
import flamkit.data.sources  # noqa: F401  (registers the sources the config names)
from flamkit.data.sources.audio_text import AudioTextSource

pytestmark = pytest.mark.corpus



def corpus_dir() -> Path:
    root = Path(os.environ.get("FLAMKIT_DEBIAN_SFX") or Path.home() / ".cache" / "flamkit-data" / "debian-sfx").expanduser()
    needed = [root / "manifests" / f"{split}.jsonl" for split in ("train", "dev")]
    if all(p.is_file() for p in needed):
        return root
    message = (
        f"debian-sfx corpus not built at {root} (need {', '.join(str(p) for p in needed)}); build it with "
        "`bash ../shared/data/debian-sfx/build.sh` (about 5 min) or point FLAMKIT_DEBIAN_SFX at it"
    )
    if os.environ.get("FLAMKIT_REQUIRE_CORPUS") == "1":
        pytest.fail(message + " [FLAMKIT_REQUIRE_CORPUS=1]")
    pytest.skip(message)


@pytest.fixture(scope="module")
def corpus() -> Path:
    return corpus_dir()


def rows(corpus: Path, split: str) -> list[dict]:
    return [json.loads(line) for line in open(corpus / "manifests" / f"{split}.jsonl")]


def test_manifests_are_clean_and_label_disjoint(corpus):
    for split in ("train", "dev"):
        report = check_manifest(str(corpus / "manifests" / f"{split}.jsonl"), workers=2)
        assert report.ok, report.format()
        assert set(report.sample_rates) == {48000} and set(report.channels) == {1}
    train = {r["label"] for r in rows(corpus, "train") if r["kind"] == "event"}
    dev = {r["label"] for r in rows(corpus, "dev") if r["kind"] == "event"}
    assert train and dev and not train & dev  # dev measures generalisation to unseen descriptions


def test_audio_text_events_label_balanced_stream(corpus):
    manifest = str(corpus / "manifests" / "train.jsonl")
    src = AudioTextSource(manifest, sample_rate=48000, clip_seconds=10.0, kind="event")
    events = [r for r in rows(corpus, "train") if r["kind"] == "event"]
    assert len(src) == len(events)
    counts = Counter(src.labels())
    assert max(counts.values()) > 50 and min(counts.values()) == 1  # the imbalance balancing is for
    stream = BatchStream(
        "global", [src], [1.0], collate_audio_text, batch_size=8, seed=0, balance_labels=True,
        augmenters=[CaptionAugment(), SampleRateDegrade(p=0.3)],
    )
    batch = stream.make_batch(0)
    assert tuple(batch.data.audio.shape) == (8, 480000) and not batch.skipped
    assert all(c in counts or c.lower() in {k.lower() for k in counts} for c in batch.data.captions)
    # label-balanced: over many draws the most common label is drawn about as often as any other
    drawn = Counter(src.labels()[i] for i in (stream.mixture.draw(np.random.default_rng(s))[1] for s in range(3000)))
    assert drawn["a woman speaking"] < 3000 * 5 / len(counts)


def test_data_group_config_builds(corpus, monkeypatch):
    """The data group as an experiment composes it (its sources share data.holdout and data.mixtures).

    ``data=debian_sfx``, the debian-sfx-only group: the experiment's default, ``debian_sfx_plus``, also
    needs debian-extra built (tests/data/corpora/test_debian_extra.py).
    """
    from flamkit.config.compose import compose
    from flamkit.data.build import build_source

    monkeypatch.setenv("FLAMKIT_DEBIAN_SFX", str(corpus))
    cfg = compose("debian_sfx", ["data=debian_sfx"]).data
    assert cfg.mixtures == 3000 and cfg.holdout.fraction == 0.15
    built = {}
    for stream, scfg in cfg.streams.items():
        for label, node in scfg.sources.items():
            built[f"{stream}.{label}"] = build_source(node, f"data.streams.{stream}.sources.{label}", 16000, 10.0)
    for label, node in cfg.val.items():
        built[f"val.{label}"] = build_source(node, f"data.val.{label}", 16000, 10.0)
    assert set(built) == {"global.sfx", "sed.mix", "val.holdout"}
    for name, src in built.items():
        ex = src.get(0, np.random.default_rng(0))
        assert ex.audio.shape == (160000,) and ex.sample_rate == 16000, name
    # the training streams and the validation set share no event label
    train_labels = set(built["global.sfx"].labels())
    val_labels = {e.text for i in range(20) for e in built["val.holdout"].get(i, np.random.default_rng(0)).events}
    assert val_labels and not (val_labels & train_labels)


def test_synthetic_mixtures_keep_train_and_dev_apart(corpus):
    from flamkit.data.augment.caption import CaptionAugment
    from flamkit.data.collate import collate_sed
    from flamkit.data.sources.synthetic import SedSyntheticSource

    labels = {split: {r["label"] for r in rows(corpus, split) if r["kind"] == "event"} for split in ("train", "dev")}
    for split in ("train", "dev"):
        manifest = str(corpus / "manifests" / f"{split}.jsonl")
        src = SedSyntheticSource(events=manifest, backgrounds=manifest, sample_rate=16000, size=100, balance_labels=True)
        examples = [src.get(i, np.random.default_rng(0)) for i in range(4)]
        texts = {e.text for ex in examples for e in ex.events}
        assert texts and texts <= labels[split], split
        assert all(ex.audio.shape == (160000,) for ex in examples)
        batch = collate_sed([CaptionAugment()(ex, np.random.default_rng(0)) for ex in examples], num_frames=32)
        assert batch.event_masks.any()


def test_missing_corpus_skips_or_fails_as_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("FLAMKIT_DEBIAN_SFX", str(tmp_path))
    monkeypatch.delenv("FLAMKIT_REQUIRE_CORPUS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="build.sh"):
        corpus_dir()
    monkeypatch.setenv("FLAMKIT_REQUIRE_CORPUS", "1")
    with pytest.raises(pytest.fail.Exception, match="FLAMKIT_REQUIRE_CORPUS=1"):
        corpus_dir()
