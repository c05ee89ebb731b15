"""debian-extra builder: label rules, the dev leakage guard and clip/manifest writing, offline.

Nothing here downloads: the end-to-end test builds from a fake package whose files are already
"extracted" (raw/<pkg>/.done exists), against a tiny fake debian-sfx base.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import soundfile as sf

from flamkit.data.corpora.debian_extra import (
    COLS,
    MAX_EVENT_S,
    PACKAGES,
    SR,
    TRAINING_PACKAGES,
    DevGuard,
    LeakageError,
    build,
    dev_labels_of,
    label_for,
    label_key,
    process_clip,
)
from flamkit.data.corpora.debian_extra_rules import DEV_SOURCE_BLOCKLIST, FIRST_BATCH, PackageRules
from flamkit.data.corpora.debian_extra_rules_apps import APP_PACKAGES
from flamkit.data.corpora.debian_extra_rules_games import GAME_PACKAGES

# The debian-sfx dev event labels the blocklist was written for (labels.tsv of the SYNTH=1 build).
DEV_LABELS = [
    "axe chop", "banjo", "blowtorch", "camel groan", "chiselling stone", "choir aahs", "closed hi-hat", "club hit",
    "crab pincers snapping", "crossbow shot", "dragon roar", "dropping potion", "electric organ", "fire burning",
    "flamethrower burst", "flute", "footstep on rock", "footsteps on stairs", "goblin dying", "hammering wood",
    "harmonica", "harpsichord", "hit on a wooden shield", "horse hooves galloping", "ice cracking", "kiss",
    "lava bubbling", "long guiro", "long whistle", "machine running", "man death scream", "man dying scream",
    "melodic tom", "metal breaking", "mill machinery", "mine cart rolling", "model airplane buzzing", "muted triangle",
    "new age synth pad", "open triangle", "orchestral harp", "piccolo", "pickaxe on metal ore", "pickaxe on stone",
    "picked electric bass", "pig squealing", "pike thrust", "punch", "rain synth effect", "ride cymbal", "rimshot",
    "river flowing", "road traffic", "running footsteps on wood", "rustling bushes", "shaker", "shakuhachi",
    "shotgun shot", "sliding on rock", "sling stone hitting metal", "snake hissing", "soprano saxophone",
    "soundtrack synth effect", "stag bellowing", "steam hiss", "steel string acoustic guitar", "stone gate opening",
    "stream flowing", "sword swing", "synth bass", "tail whip", "telephone ringback tone", "vibraphone",
    "walking footsteps on sand", "weapon swing", "window opening", "wolf growling", "wood breaking",
    "wooden cart rolling",
]


@pytest.fixture(scope="module")
def guard() -> DevGuard:
    return DevGuard(set(DEV_LABELS) | {"ship creaking on waves"})


@pytest.mark.parametrize(
    "pkg, rel, label",
    [
        ("tuxpaint-stamps-default", "animals/birds/rooster.ogg", "rooster crowing"),
        ("tuxpaint-stamps-default", "household/vacuum_cleaner.ogg", "vacuum cleaner running"),
        ("tuxpaint-stamps-default", "hobbies/music/string/cello.ogg", "cello"),  # "{1}" group
        ("scratch", "Animal/Rooster.wav", "rooster crowing"),
        ("minetest-data", "default/sounds/default_gravel_footstep.2.ogg", "footstep on gravel"),
        ("sonic-pi-samples", "tabla_ghe3.flac", "tabla"),
        ("bucklespring-data", "1e-0.wav", "mechanical keyboard keystroke"),
        # second batch
        ("qabcs-data", "noises/erhu.ogg", "erhu"),
        ("qabcs-data", "noises/guinea_fowl.ogg", "guinea fowl call"),
        ("qabcs-data", "noises/grand_piano.ogg", "piano"),
        ("qabcs-data", "sounds/cheering.ogg", "crowd cheering"),
        ("libreoffice-common", "glasses.wav", "glasses clinking"),
        ("xemacs21-basesupport", "snore.wav", "snoring"),
        ("hydrogen-data", "TR808EmulationKit/808_Clave.flac", "electronic clave"),
        ("berusky2-data", "Krysa2.wav", "rat squeaking"),
        ("berusky2-data", "dvereotevrit2.wav", "door opening"),
        ("simutrans-pak64", "crossing.wav", "level crossing bell ringing"),
        ("etw-data", "crowd/crowd07.wav", "stadium crowd"),
        ("7kaa-data", "THUNDER.WAV", "thunder"),
        ("plee-the-bear-data", "forest/gorilla/hit-chest-2.ogg", "gorilla beating its chest"),
        ("pekka-kana-2-data", "sprites/chick.wav", "chick peeping"),
    ],
)
def test_rules_label_paths(pkg, rel, label):
    assert label_for(PACKAGES[pkg], rel) == label


@pytest.mark.parametrize(
    "pkg, rel",
    [
        ("tuxpaint-stamps-default", "animals/birds/rooster_desc_fr.ogg"),  # spoken description
        ("tuxpaint-stamps-default", "symbols/alphabets/english/filled/lowercase/a_filled_en_GB.ogg"),  # letter
        ("tuxpaint-stamps-default", "symbols/math/7_en_GB.ogg"),  # digit
        ("sonic-pi-samples", "loop_amen.flac"),  # music loop
        ("megaglest-data", "techs/megapack/factions/romans/units/x/sounds/archer_ack3.wav"),  # voice bark
        ("supertux-data", "music/forest/forest.ogg"),
        ("bucklespring-data", "1e-1.wav"),  # key release: not kept
        ("scratch", "Electronic/Zoop.wav"),  # no rule: unmatched files are dropped
        ("qabcs-data", "noises/cheburashka.ogg"),  # a cartoon character
        ("qabcs-data", "noises/earth.ogg"),  # a silent object
        ("qabcs-data", "noises/pig_iron.ogg"),  # rules match whole stems only
        ("qabcs-data", "words/cow.ogg"),  # spoken word
        ("berusky2-data", "voc1.wav"),
        ("etw-data", "music/back3.wav"),
        ("tuxmath-data", "tuxi.ogg"),  # music
        ("heroes-sound-effects", "menu01.wav"),
    ],
)
def test_rules_drop_paths(pkg, rel):
    assert label_for(PACKAGES[pkg], rel) is None


def test_packages_merge_both_batches_without_overlap():
    assert set(PACKAGES) == set(FIRST_BATCH) | set(APP_PACKAGES) | set(GAME_PACKAGES)
    assert len(PACKAGES) == len(FIRST_BATCH) + len(APP_PACKAGES) + len(GAME_PACKAGES)
    assert TRAINING_PACKAGES == tuple(FIRST_BATCH)  # the second batch is a test of other sources, not training
    for pkg, rules in PACKAGES.items():
        assert rules.license and rules.root.startswith("usr/") and rules.rules, pkg
        for rx, _ in rules.rules:
            re.compile(rx)


@pytest.mark.parametrize(
    "pkg, rel, dev",
    [
        ("qabcs-data", "noises/python.ogg", "snake hissing"),
        ("qabcs-data", "noises/foal.ogg", "horse hooves galloping"),
        ("qabcs-data", "noises/western_concert_flute.ogg", "flute"),
        ("qabcs-data", "noises/quadrocopter.ogg", "model airplane buzzing"),
        ("hydrogen-data", "GMRockKit/SnareRimshot-Med.wav", "rimshot"),
        ("berusky2-data", "stepswood.wav", "running footsteps on wood"),
        ("simutrans-pak64", "boat-horn.wav", "ship creaking on waves"),
        ("etw-data", "snd/fischiolungo.wav", "long whistle"),
        ("7kaa-data", "FIRE.WAV", "fire burning"),
    ],
)
def test_second_batch_dev_sources_are_labelled_then_dropped_by_the_guard(guard, pkg, rel, dev):
    label = label_for(PACKAGES[pkg], rel)
    assert label is not None
    why = guard.why_dropped(label)
    assert why is not None and dev in why, (label, why)


def test_label_key_matches_debian_sfx_grouping():
    assert label_key("Snakes hissing") == label_key("snake hissing") == "snakehiss"
    assert label_key("man dying scream") == label_key("man death scream")
    assert label_key("The footsteps on a wooden bridge") == label_key("footstep wooden bridge")
    assert label_key("Horse dies") == label_key("horse death")
    assert label_key("rooster crowing") != label_key("snake hissing")


def test_guard_check_refuses_a_dev_label_after_normalisation(guard):
    guard.check(["rooster crowing", "toilet flushing"])  # fine
    with pytest.raises(LeakageError, match="Snakes hissing"):
        guard.check(["rooster crowing", "Snakes hissing"])


def test_guard_drops_blocklisted_sources_and_keeps_others(guard):
    assert "same key" in guard.why_dropped("pig squealing")
    for label, dev in [("pig oinking", "pig squealing"), ("wolf howling", "wolf growling"),
                       ("horse neighing", "horse hooves galloping"), ("fire crackling", "fire burning"),
                       ("washing machine running", "machine running"), ("footstep on stone", "footstep on rock")]:
        why = guard.why_dropped(label)
        assert why is not None and dev in why, (label, why)
    for label in ["rooster crowing", "fire engine siren", "fireworks", "woman screaming", "machine gun burst",
                  "footstep on gravel", "tanpura drone", "toilet flushing"]:
        assert guard.why_dropped(label) is None, label


def test_blocklist_covers_every_dev_label_and_names_real_ones(guard):
    assert guard.uncovered() == []
    for rx, devs in DEV_SOURCE_BLOCKLIST:
        for dev in devs.split("; "):
            assert dev in guard.dev_labels, dev
            assert re.search(rx, dev), (rx, dev)  # each entry blocks the very label it stands for
    assert DevGuard({"a brand new dev label"}).uncovered() == ["a brand new dev label"]


def test_dev_labels_are_dev_events_plus_backgrounds_train_lacks():
    dev = [dict(label="kiss", kind="event"), dict(label="rain", kind="background"),
           dict(label="ship creaking on waves", kind="background")]
    train = [dict(label="rain", kind="background"), dict(label="cow mooing", kind="event")]
    assert dev_labels_of(dev, train) == {"kiss", "ship creaking on waves"}


def tone(seconds: float, rate: int, channels: int = 1, pad_s: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = 0.5 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    pad = np.zeros(int(pad_s * rate), np.float32)
    x = np.concatenate([pad, x, pad])
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def test_process_clip_trims_resamples_and_caps(tmp_path):
    src, dst = tmp_path / "a.wav", tmp_path / "out" / "a.flac"
    sf.write(src, tone(0.5, 44100, channels=2, pad_s=0.4), 44100)
    dur, err = process_clip((str(src), str(dst)))
    assert err is None and 0.5 <= dur < 0.6  # silence trimmed, 20 ms pad kept
    info = sf.info(dst)
    assert (info.samplerate, info.channels, info.format, info.subtype) == (SR, 1, "FLAC", "PCM_16")
    assert process_clip((str(src), str(dst))) == (pytest.approx(dur, abs=1e-3), None)  # existing output: measured only
    long_src = tmp_path / "long.wav"
    sf.write(long_src, tone(12.0, 22050), 22050)
    dur, err = process_clip((str(long_src), str(tmp_path / "out" / "long.flac")))
    assert err is None and dur == pytest.approx(MAX_EVENT_S)
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, np.zeros(4800, np.float32), SR)
    assert process_clip((str(quiet), str(tmp_path / "out" / "quiet.flac")))[1] is not None


def test_build_writes_manifests_offline(tmp_path, guard):
    base, out = tmp_path / "base", tmp_path / "extra"
    (base / "manifests").mkdir(parents=True)
    base_train = [dict(path="/x/cow.flac", label="cow mooing", source_package="0ad-data", license="CC-BY-SA-3.0",
                       duration_s=1.0, kind="event", pool="train", original_path="0ad-data:/cow.ogg", sha1="0" * 40)]
    base_dev = [dict(base_train[0], label=d, pool="dev", sha1=str(i)) for i, d in enumerate(guard.dev_labels)]
    for name, rows in (("train", base_train), ("dev", base_dev)):
        (base / "manifests" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    root = out / "raw" / "fakepkg" / "snd"
    root.mkdir(parents=True)
    (out / "raw" / "fakepkg" / ".done").touch()  # "already extracted": no apt-get
    sf.write(root / "rooster.wav", tone(0.5, 44100, channels=2, pad_s=0.2), 44100)
    sf.write(root / "cattle.wav", tone(1.0, 16000), 16000)
    (root / "cattle_copy.wav").write_bytes((root / "cattle.wav").read_bytes())  # same bytes: deduplicated
    sf.write(root / "pig.wav", tone(0.3, 48000), 48000)  # dropped by the guard
    rules = PackageRules("CC0-1.0", "snd", ((r"rooster", "rooster crowing"), (r"cattle", "the cow mooing"), (r"pig", "pig oinking")))
    # a second package, not trained on: its clips whose labels train_plus lacks are the other-source test
    other_root = out / "raw" / "otherpkg" / "sfx"
    other_root.mkdir(parents=True)
    (out / "raw" / "otherpkg" / ".done").touch()
    sf.write(other_root / "gong.wav", tone(0.7, 48000), 48000)
    sf.write(other_root / "rooster2.wav", tone(0.6, 48000), 48000)  # a label the trained package has
    other = PackageRules("GPL-2", "sfx", ((r"gong", "gong"), (r"rooster", "rooster crowing")))
    packages = {"fakepkg": rules, "otherpkg": other}

    summary = build(out, base, packages=packages, training=("fakepkg",))
    assert summary.startswith("debian-extra: 4 events, 3 labels (2 new)")
    assert "train_plus 3 rows (1 packages), other_packages_new 1 events, 1 labels" in summary
    all_rows = [json.loads(line) for line in open(out / "manifests" / "extra.jsonl")]
    assert [r["source_package"] for r in all_rows] == ["fakepkg", "fakepkg", "otherpkg", "otherpkg"]
    plus_all = [json.loads(line) for line in open(out / "manifests" / "train_plus_all.jsonl")]
    assert plus_all == base_train + all_rows
    other_new = [json.loads(line) for line in open(out / "manifests" / "other_packages_new.jsonl")]
    assert [(r["source_package"], r["label"]) for r in other_new] == [("otherpkg", "gong")]

    summary = build(out, base, packages={"fakepkg": rules}, training=("fakepkg",))
    assert summary.startswith("debian-extra: 2 events, 2 labels (1 new)")
    extra = [json.loads(line) for line in open(out / "manifests" / "extra.jsonl")]
    assert [r["label"] for r in extra] == ["cow mooing", "rooster crowing"]  # "the cow mooing" -> the train text
    for r in extra:
        assert tuple(r) == COLS
        assert r["kind"] == "event" and r["pool"] == "train" and r["license"] == "CC0-1.0"
        assert r["original_path"].startswith("fakepkg:/snd/") and len(r["sha1"]) == 40
        info = sf.info(r["path"])
        assert r["path"].startswith(str(out.resolve())) and r["path"].endswith(".flac")
        assert (info.samplerate, info.channels, info.format) == (SR, 1, "FLAC")
        assert r["duration_s"] == pytest.approx(info.duration, abs=1e-3)
    plus = [json.loads(line) for line in open(out / "manifests" / "train_plus.jsonl")]
    assert plus == base_train + extra
    new = [json.loads(line) for line in open(out / "manifests" / "new_labels.jsonl")]
    assert new == [r for r in extra if r["label"] == "rooster crowing"]  # no debian-sfx train clip has it
    tsv = (out / "manifests" / "labels_extra.tsv").read_text().splitlines()
    assert tsv[0] == "label\tclips\tminutes\tsources\tstatus"
    assert {tuple(line.split("\t")[i] for i in (0, 1, 4)) for line in tsv[1:]} == {
        ("cow mooing", "1", "train"), ("rooster crowing", "1", "new")}
    assert build(out, base, packages={"fakepkg": rules}, training=("fakepkg",)).startswith("debian-extra: 2 events")  # re-run
