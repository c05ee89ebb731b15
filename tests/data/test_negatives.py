"""Negatives beyond the batch (flamkit/data/negatives.py): what fills the free slots, and what the losses make of it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from flamkit.data.collate import collate_sed
from flamkit.data.example import Event, Example
from flamkit.data.negatives import NegativePool, batch_rng
from flamkit.losses.functional import prior_loss, sed_loss
from flamkit.losses.heads import PriorHead, SedHead, SedOutputs
from flamkit.textids import PAD_ID, text_id

SR, T, L = 1000, 2000, 8


def clip(key: str, *events: Event) -> Example:
    return Example(audio=np.zeros(T, dtype=np.float32), sample_rate=SR, key=key, events=list(events))


def ev(text: str, *segments: tuple[float, float], tags: tuple[str, ...] = ()) -> Event:
    return Event(text=text, segments=list(segments), tags=list(tags))


FAMILIES = {
    "Dog bark": {"woof"},
    "dog bark": {"canine"},  # another spelling of one label: one entry, both tags
    "rain": set(),
    "car horn": {"honk"},
    "glass breaking": set(),
    "thunder": {"storm"},
    "siren": set(),
}


def test_pool_merges_spellings_and_keeps_every_alias():
    pool = NegativePool.from_families(FAMILIES)
    assert pool.texts == ("car horn", "dog bark", "glass breaking", "rain", "siren", "thunder")
    assert pool.aliases[1] == {text_id("dog bark"), text_id("woof"), text_id("canine")}


def test_draw_avoids_every_alias_of_a_taken_sound():
    pool = NegativePool.from_families(FAMILIES)
    rng = np.random.default_rng(0)
    for _ in range(50):
        got = pool.draw({text_id("woof"), text_id("storm")}, 10, rng)
        assert sorted(got) == ["car horn", "glass breaking", "rain", "siren"]  # all four free ones, no repeats
    assert len(pool.draw(set(), 3, rng)) == 3
    assert pool.draw(set(), 0, rng) == []


def test_draws_are_a_function_of_the_clip_keys_and_seed():
    pool = NegativePool.from_families({f"label {i}": set() for i in range(100)})
    a = pool.draw(set(), 5, batch_rng(["m1", "m2"], 0))
    assert a == pool.draw(set(), 5, batch_rng(["m1", "m2"], 0))
    assert a != pool.draw(set(), 5, batch_rng(["m1", "m3"], 0))
    assert a != pool.draw(set(), 5, batch_rng(["m1", "m2"], 1))


def _batch(negatives=None, seed=0, extra=0):
    return collate_sed(
        [
            clip("a", ev("woof", (0.0, 0.5), tags=("woof", "canine")), ev("rain", (1.0, 2.0))),
            clip("b", ev("thunder", (0.6, 1.2), tags=("storm",))),
        ],
        num_frames=L, slots_per_clip=2, negatives=negatives, extra_slots=extra, negative_seed=seed,
    )


def test_collate_fills_free_slots_with_absent_descriptions_only():
    plain = _batch()
    filled = _batch(NegativePool.from_families(FAMILIES))
    assert len(filled.texts) == len(plain.texts) == 4  # K = slots_per_clip x B, unchanged
    assert filled.texts[:3] == plain.texts[:3] == ["woof", "rain", "thunder"]
    # "dog bark" is shown as its tag "woof" and "thunder" is in the batch: neither may be a negative
    assert filled.texts[3] in {"car horn", "glass breaking", "siren"}
    assert filled.text_ids.tolist() == [text_id(t) for t in filled.texts]
    assert filled.real_slots() == [0, 1, 2, 3]
    assert filled.prior_text_ids.tolist() == plain.text_ids.tolist()  # the prior sees the batch's own texts
    assert torch.equal(filled.event_ids, plain.event_ids) and torch.equal(filled.event_masks, plain.event_masks)
    assert plain.prior_text_ids is None


def test_extra_slots_grow_k_and_are_filled_as_far_as_the_pool_allows():
    pool = NegativePool.from_families(FAMILIES)
    batch = _batch(pool, extra=5)
    assert len(batch.texts) == 9
    # free sounds: car horn, glass breaking, siren (dog bark, rain and thunder are in the batch)
    assert sorted(batch.texts[3:6]) == ["car horn", "glass breaking", "siren"]
    assert batch.texts[6:] == [""] * 3 and batch.text_ids[6:].tolist() == [PAD_ID] * 3
    assert batch.prior_text_ids[3:].tolist() == [PAD_ID] * 6
    with pytest.raises(ValueError, match="extra_slots"):
        _batch(pool, extra=-1)


def test_a_pool_with_nothing_free_leaves_the_padding():
    batch = _batch(NegativePool.from_families({"rain": set(), "thunder": set()}))
    assert batch.texts[3] == "" and batch.text_ids[3] == PAD_ID and batch.prior_text_ids is None


def _naive_sed(frames, texts, scale, bias, positives: dict[int, set[tuple[int, int]]], slots: list[int]) -> float:
    """Eq. 4 by loops in float64: every listed slot, every clip, every frame; z = +1 only at listed positives."""
    B, Lf, _ = frames.shape
    total = 0.0
    for k in slots:
        for i in range(B):
            for l in range(Lf):
                h = float(scale[k]) * float(np.dot(frames[i, l], texts[k])) + float(bias[k])
                z = 1.0 if (i, l) in positives.get(k, set()) else -1.0
                total += math.log1p(math.exp(-z * h))
    return total / (len(slots) * B * Lf)


def test_losses_on_a_filled_batch_against_loops():
    batch = _batch(NegativePool.from_families(FAMILIES))
    g = torch.Generator().manual_seed(0)
    K, d = len(batch.texts), 6
    frames = torch.nn.functional.normalize(torch.randn(2, L, d, generator=g, dtype=torch.float64), dim=-1)
    texts = torch.nn.functional.normalize(torch.randn(K, d, generator=g, dtype=torch.float64), dim=-1)
    scale = torch.rand(K, generator=g, dtype=torch.float64) * 10 + 1
    bias = -torch.rand(K, generator=g, dtype=torch.float64) * 5
    out = SedOutputs(frames, texts, batch.text_ids, scale, bias, batch.event_ids, batch.event_masks, batch.prior_text_ids)

    # frames 0-1 of clip a hold "woof" (slot 0), 4-7 "rain" (slot 1); frames 2-4 of clip b "thunder" (slot 2)
    positives = {0: {(0, 0), (0, 1)}, 1: {(0, l) for l in range(4, 8)}, 2: {(1, 2), (1, 3), (1, 4)}}
    want = _naive_sed(frames.numpy(), texts.numpy(), scale.numpy(), bias.numpy(), positives, [0, 1, 2, 3])
    assert SedHead()(out).item() == pytest.approx(want, rel=1e-12)
    assert sed_loss(*(frames, texts, batch.text_ids, scale, bias, batch.event_ids, batch.event_masks)).item() == pytest.approx(want, rel=1e-12)

    # The prior loss (eq. 10) is that of the batch's own three descriptions, the negative slot left out.
    zbar = [2 / 16, 4 / 16, 3 / 16]
    b = bias.numpy()
    want_prior = sum(-(z * math.log(1 / (1 + math.exp(-b[k]))) + (1 - z) * math.log(1 / (1 + math.exp(b[k]))))
                     for k, z in enumerate(zbar)) / 3
    assert PriorHead()(out).item() == pytest.approx(want_prior, rel=1e-12)
    assert prior_loss(bias, batch.prior_text_ids, batch.event_ids, batch.event_masks).item() == pytest.approx(want_prior, rel=1e-12)
    # without the override the drawn slot would enter the prior with zbar = 0, which is what it must not do
    assert prior_loss(bias, batch.text_ids, batch.event_ids, batch.event_masks).item() != pytest.approx(want_prior, rel=1e-6)


def test_sed_synthetic_lists_its_descriptions_with_their_tags(tmp_path):
    from flamkit.data.sources.synthetic import SedSyntheticSource
    from tests.data.audio_files import write

    rows = []
    for i, (label, tags) in enumerate([("dog bark", ["woof", "canine"]), ("rain", []), ("dog bark", ["pet"])]):
        path = tmp_path / f"e{i}.wav"
        write(path, np.random.default_rng(i).standard_normal(8000).astype(np.float32) * 0.1, 8000)
        rows.append({"path": str(path), "label": label, "tags": tags, "kind": "event"})
    bg = tmp_path / "bg.wav"
    write(bg, np.random.default_rng(9).standard_normal(32000).astype(np.float32) * 0.01, 8000)
    rows.append({"path": str(bg), "label": "wind", "kind": "background"})
    manifest = tmp_path / "m.jsonl"
    import json

    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    src = SedSyntheticSource(events=str(manifest), backgrounds=str(manifest), sample_rate=8000, clip_seconds=2.0, size=4)
    assert src.descriptions() == {"dog bark": {"woof", "canine", "pet"}, "rain": set()}


def test_build_refuses_sources_that_cannot_list_descriptions():
    from flamkit.data.build import negative_pool

    class Opaque:
        name = "opaque"

    with pytest.raises(ValueError, match=r"source\(s\) \['opaque'\] of data.streams.sed .*data.negatives=0"):
        negative_pool([Opaque()], "sed")


def test_off_is_hash_neutral():
    from flamkit.run_identity import config_hash

    base = OmegaConf.create({"data": {"slots_per_clip": 5}, "seed": 0})
    off = OmegaConf.create({"data": {"slots_per_clip": 5, "negatives": 0}, "seed": 0})
    on = OmegaConf.create({"data": {"slots_per_clip": 5, "negatives": 64}, "seed": 0})
    assert config_hash(base) == config_hash(off) != config_hash(on)


def test_embedded_lists_each_types_captions_as_aliases_of_each_other():
    from flamkit.data.sources.embedded import EmbeddedSource

    src = EmbeddedSource(sample_rate=16000, clip_seconds=2.0, size=4, n_instances_per_type=2)
    families = src.descriptions()
    by_type: dict[str, set[str]] = {}
    for c in src.pools.events:
        by_type.setdefault(c.tags[0], set()).update(c.texts)
    assert set(families) == set().union(*by_type.values())
    for captions in by_type.values():
        for text in captions:
            assert captions - {text} <= families[text]
    pool = NegativePool.from_families(families)
    some_type = next(iter(by_type.values()))
    shown = next(iter(some_type))
    drawn = pool.draw({text_id(shown)}, len(pool), np.random.default_rng(0))
    assert not set(drawn) & {t.lower() for t in some_type}  # no caption of the shown type comes back
