import math
from collections import Counter

import numpy as np
import pytest

from flamkit.data.example import ACTIVITY_RATE, Example
from flamkit.data.synth.clips import ArrayClip, ClipError, FileClip
from flamkit.data.synth.loudness import active_loudness_db
from flamkit.data.synth.mixer import MixtureSynthesizer, SynthConfig
from flamkit.data.synth.relabel import smooth_activity

from .conftest import SR, make_background_pool, make_event_pool


def synth(events, backgrounds, seed=7, **cfg):
    return MixtureSynthesizer(events, backgrounds, SynthConfig(sample_rate=SR, **cfg), seed=seed)


def placement_overlap(m) -> int:
    """Most placed event clips sounding at one sample (from the placement itself, not the labels)."""
    n = len(m.audio)
    d = np.zeros(n + 1, np.int64)
    for p in m.placed:
        for o, length in p.pieces:
            d[o] += 1
            d[o + length] -= 1
    return int(np.cumsum(d).max()) if m.placed else 0


def label_overlap(m) -> int:
    return int(np.sum([e.activity for e in m.events], axis=0).max()) if m.events else 0


def check_mixture(s, m, cfg):
    """Invariants every mixture must satisfy, measured on the rendered signals."""
    meter, thr = s.meter, cfg.threshold_db
    assert m.audio.dtype == np.float32 and len(m.audio) == s.n_samples
    assert np.max(np.abs(m.audio)) <= cfg.peak + 1e-6
    assert 1 <= m.n_requested <= 10 and len(m.placed) <= m.n_requested
    # the mixture is the sum of its stems
    total = m.background_stem + (np.sum(m.event_stems, axis=0) if m.event_stems else 0)
    np.testing.assert_allclose(m.audio, total, atol=2e-6)
    assert placement_overlap(m) <= cfg.max_concurrent
    assert label_overlap(m) <= cfg.max_concurrent
    # gains: loudness over active frames of each event's own rendered signal vs the background's
    bg_loud = active_loudness_db(meter.frame_power(m.background_stem), thr)
    ref = bg_loud if bg_loud is not None else cfg.silent_background_db + m.scale_db
    for p, stem in zip(m.placed, m.event_stems):
        loud = active_loudness_db(meter.frame_power(stem), thr)
        assert loud - ref == pytest.approx(p.achieved_offset_db, abs=0.02)
        if p.exact:
            assert p.achieved_offset_db == pytest.approx(p.offset_db, abs=1e-6)
            assert cfg.gain_db[0] - 1e-6 <= p.achieved_offset_db <= cfg.gain_db[1] + 1e-6
    # labels match the audio: recomputed from each placed clip's own rendered signal (gate, OR per
    # description, C.4 smoothing) they are exactly the labels; so every labelled segment carries energy
    raw: dict[str, np.ndarray] = {}
    levels: dict[str, np.ndarray] = {}
    for p, stem in zip(m.placed, m.event_stems):
        lv = meter.frame_db(stem, 0, s.n_frames)
        raw[p.text] = raw.get(p.text, np.zeros(s.n_frames, bool)) | (lv >= thr)
        levels[p.text] = np.maximum(levels.get(p.text, np.full(s.n_frames, -999.0)), lv)
    by_text = {e.text: e for e in m.events}
    for text, r in raw.items():
        expect = smooth_activity(r, cfg.min_gap_frames, cfg.min_segment_frames, cfg.min_total_frames)
        if not expect.any():
            assert text not in by_text
            continue
        e = by_text[text]
        mismatch = int(np.sum(expect != e.activity))
        assert mismatch == 0, f"{text}: {mismatch} frames differ from relabelling the rendered signal"
        for on, off in e.segments:
            a, b = int(round(on * ACTIVITY_RATE)), int(round(off * ACTIVITY_RATE))
            assert levels[text][a:b].max() >= thr
    assert set(by_text) <= set(raw)


def test_invariants_hold_on_many_mixtures(event_pool, background_pool):
    s = synth(event_pool, background_pool)
    stats = Counter()
    for i in range(40):
        m = s.render(i, stems=True)
        check_mixture(s, m, s.config)
        stats.update(m.stats)
    assert stats["placed"] > 100
    assert stats["gain_unconverged"] == 0


def test_invariants_under_clipping_pressure(event_pool, background_pool):
    # loud background target: the peak scale is active in most mixtures and the gains must be re-solved
    s = synth(event_pool, background_pool, background_db=-12.0)
    scaled = 0
    for i in range(15):
        m = s.render(i, stems=True)
        check_mixture(s, m, s.config)
        scaled += m.scale_db < 0
    assert scaled >= 10


def test_deterministic_from_seed_and_index_regardless_of_order(event_pool, background_pool):
    a = synth(event_pool, background_pool, seed=3)
    b = synth(event_pool, background_pool, seed=3)
    forward = [a.render(i) for i in range(6)]
    backward = {i: b.render(i) for i in reversed(range(6))}
    for i, m in enumerate(forward):
        np.testing.assert_array_equal(m.audio, backward[i].audio)
        assert m.metadata() == backward[i].metadata()
    assert not np.array_equal(forward[0].audio, forward[1].audio)
    other_seed = synth(event_pool, background_pool, seed=4).render(0)
    assert not np.array_equal(other_seed.audio, forward[0].audio)


def test_example_output(event_pool, background_pool):
    s = synth(event_pool, background_pool)
    ex = s(5)
    assert isinstance(ex, Example) and ex.sample_rate == SR and ex.duration == pytest.approx(10.0)
    assert ex.key == "synth/7/5" and ex.events
    for e in ex.events:
        assert e.activity.shape == (500,) and e.activity.dtype == bool
        assert e.segments and all(0 <= a < b <= 10.0 for a, b in e.segments)
        assert e.frame_mask(32, 10.0).any()
    assert len({e.text for e in ex.events}) == len(ex.events)


def test_same_description_is_one_event_with_several_segments():
    sr = SR
    t = np.arange(int(0.3 * sr)) / sr
    beep = ArrayClip((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), sr, ("a beep",), key="beep")
    s = MixtureSynthesizer([beep], [], SynthConfig(sample_rate=sr, min_events=4, max_events=4), seed=0)
    m = s.render(0, stems=True)
    assert len(m.placed) == 4 and len(m.events) == 1
    assert len(m.events[0].segments) >= 2  # 4 placements, merged unless they touch
    check_mixture(s, m, s.config)


def test_split_and_repeat_pieces(event_pool, background_pool):
    s = synth(event_pool, background_pool, split_prob=0.5, repeat_prob=0.5)
    seen = Counter()
    for i in range(20):
        m = s.render(i)
        for p in m.placed:
            lengths = [n for _, n in p.pieces]
            spans = sorted((o, o + n) for o, n in p.pieces)
            assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:])), "pieces of one event overlap"
            seen[p.realized_mode] += 1
            if p.realized_mode == "split":
                assert 2 <= len(lengths) <= 3 and min(lengths) >= int(0.5 * SR)
                clip = next(c for c in event_pool if c.key == p.clip_key)
                assert sum(lengths) == min(len(clip.audio), s.n_samples)
            elif p.realized_mode == "repeat":
                assert 2 <= len(lengths) <= 3 and len(set(lengths)) == 1
            else:
                assert len(lengths) == 1
    assert seen["split"] > 5 and seen["repeat"] > 5


def test_fades_on_every_piece():
    sr = SR
    rng = np.random.default_rng(0)
    clip = ArrayClip((0.5 * np.sign(rng.standard_normal(sr))).astype(np.float32), sr, ("clicks",), key="c")
    s = MixtureSynthesizer([clip], [], SynthConfig(sample_rate=sr, min_events=1, max_events=1, split_prob=1.0,
                                                    repeat_prob=0.0), seed=1)
    m = s.render(0, stems=True)
    nf = int(0.01 * sr)
    ramp = (np.arange(nf) + 0.5) / nf
    stem = m.event_stems[0]
    gain = 10 ** ((m.placed[0].gain_db + m.scale_db) / 20)
    assert len(m.placed[0].pieces) >= 2
    # pieces are consecutive slices of the clip: rebuild each piece's source start from the split order
    starts = np.cumsum([0] + [n for _, n in m.placed[0].pieces])[:-1]
    for (o, n), src in zip(m.placed[0].pieces, starts):
        src_piece = clip.audio[src : src + n] * gain
        np.testing.assert_allclose(stem[o : o + nf], src_piece[:nf] * ramp, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(stem[o + n - nf : o + n], src_piece[-nf:] * ramp[::-1], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(stem[o + nf : o + n - nf], src_piece[nf:-nf], rtol=1e-4, atol=1e-6)


def test_short_background_is_looped_and_long_is_cropped():
    sr = SR
    rng = np.random.default_rng(0)
    short = ArrayClip((0.1 * rng.standard_normal(3 * sr)).astype(np.float32), sr, ("hiss",), key="short")
    ev = make_event_pool(n=5)
    m = MixtureSynthesizer(ev, [short], SynthConfig(sample_rate=sr), seed=0).render(0, stems=True)
    assert m.stats["background_looped"] == 1 and (np.abs(m.background_stem[-sr:]) > 0).mean() > 0.99
    long = ArrayClip((0.1 * rng.standard_normal(30 * sr)).astype(np.float32), sr, ("hiss",), key="long")
    m = MixtureSynthesizer(ev, [long], SynthConfig(sample_rate=sr), seed=0).render(0)
    assert m.stats["background_looped"] == 0


def test_silent_and_missing_background(event_pool):
    sr = SR
    quiet = ArrayClip(np.full(12 * sr, 1e-6, np.float32) * np.sign(np.random.default_rng(0).standard_normal(12 * sr)),
                      sr, ("near silence",), key="quiet")
    for backgrounds in ([quiet], []):
        s = synth(event_pool, backgrounds, background_db=None)
        m = s.render(0, stems=True)
        assert m.stats["silent_background"] == 1 and m.reference_db == s.config.silent_background_db
        check_mixture(s, m, s.config)
    assert synth(event_pool, []).render(0).stats["no_background"] == 1


def test_pool_fallback_is_counted(background_pool):
    only_sfx = [c for c in make_event_pool() if c.pool == "sfx"]
    s = synth(only_sfx, background_pool)
    stats = Counter()
    for i in range(30):
        stats.update(s.render(i).stats)
    assert stats["pool_general"] == 0 and stats["pool_fallback"] > 0
    assert stats["pool_fallback"] + stats["pool_sfx"] >= stats["placed"]


def test_placement_impossible_drops_and_counts(background_pool):
    sr = SR
    long = [ArrayClip((0.3 * np.random.default_rng(i).standard_normal(9 * sr)).astype(np.float32), sr,
                      (f"long {i}",), key=f"l{i}") for i in range(4)]
    s = synth(long, background_pool, max_concurrent=1, min_events=5, max_events=5, split_prob=0, repeat_prob=0)
    m = s.render(0, stems=True)
    assert len(m.placed) == 1 and m.stats["dropped_no_room"] == 4
    check_mixture(s, m, s.config)


def test_bad_clips_are_skipped_and_named_or_raise(tmp_path, background_pool):
    good = make_event_pool(n=3)
    missing = FileClip(str(tmp_path / "gone.flac"), ("ghost",), pool="sfx")
    s = synth(good + [missing] * 30, background_pool)
    stats, problems = Counter(), set()
    for i in range(5):
        m = s.render(i)
        stats.update(m.stats)
        problems.update(m.problems)
    assert stats["bad_clips"] > 0 and any("gone.flac" in p for p in problems)
    strict = synth(good + [missing] * 30, background_pool, skip_bad_clips=False)
    with pytest.raises(ClipError, match="gone.flac"):
        for i in range(5):
            strict.render(i)


def test_config_and_pool_errors(event_pool):
    with pytest.raises(ValueError, match="split_prob"):
        synth(event_pool, [], split_prob=0.7, repeat_prob=0.5)
    with pytest.raises(ValueError, match="min_events"):
        synth(event_pool, [], min_events=0)
    with pytest.raises(ValueError, match="pool_weights"):
        synth([ArrayClip(np.ones(100, np.float32), SR, ("x",), pool="other", key="o")], [])
    with pytest.raises(ValueError, match="no event clips"):
        synth([c for c in event_pool if c.pool == "general"], [], pool_weights={"sfx": 1.0, "general": 0.0})


@pytest.mark.slow
def test_statistics_over_many_mixtures():
    """Rates of §4.2 over 1000 mixtures, with 4-sigma binomial tolerances."""
    events, backgrounds = make_event_pool(n=60, max_s=3.0), make_background_pool()
    s = synth(events, backgrounds, seed=11)
    stats, counts, offsets = Counter(), Counter(), []
    n_mix = 1000
    for i in range(n_mix):
        m = s.render(i, stems=(i % 10 == 0))
        if i % 10 == 0:
            check_mixture(s, m, s.config)
        stats.update(m.stats)
        counts[m.n_requested] += 1
        assert label_overlap(m) <= 3 and placement_overlap(m) <= 3
        offsets += [p.achieved_offset_db for p in m.placed]

    def near(k, n, p):
        return abs(k / n - p) <= 4 * math.sqrt(p * (1 - p) / n)

    drawn = stats["mode_single"] + stats["mode_split"] + stats["mode_repeat"]
    assert near(stats["mode_split"], drawn, 0.1) and near(stats["mode_repeat"], drawn, 0.1)
    pool_draws = stats["pool_sfx"] + stats["pool_general"]
    assert near(stats["pool_general"], pool_draws, 0.2)
    assert set(counts) == set(range(1, 11))
    assert all(near(c, n_mix, 0.1) for c in counts.values())
    offsets = np.array(offsets)
    assert offsets.min() >= 6 - 1e-6 and offsets.max() <= 30 + 1e-6
    # uniform on [6, 30]: each third holds about a third
    thirds = np.histogram(offsets, bins=[6, 14, 22, 30])[0] / len(offsets)
    assert np.all(np.abs(thirds - 1 / 3) < 0.05)
    assert stats["placed"] > 0.9 * sum(k * c for k, c in counts.items())  # few drops with <= 3 s events


def test_label_overlap_counts_gap_filling_of_the_same_description():
    """Two placements of one description < 200 ms apart are merged by C.4 rule 1; the label then also
    covers the gap, so a third sound placed in that gap must count as overlapping (max_concurrent=1)."""
    sr = SR
    t = np.arange(int(0.1 * sr)) / sr
    clips = [ArrayClip((0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32), sr, (text,), key=f"{text}{f}")
             for text in ("a", "b") for f in (500.0, 900.0, 1300.0)]
    s = synth(clips, [], duration_s=2.0, max_concurrent=1, min_events=10, max_events=10, split_prob=0, repeat_prob=0)
    for i in range(60):
        m = s.render(i, stems=True)
        check_mixture(s, m, s.config)
        assert label_overlap(m) <= 1


@pytest.mark.parametrize("sr", [16000, 48000])
def test_cached_background_crop_power_equals_direct(sr):
    bgs = make_background_pool(sr)
    s = MixtureSynthesizer(make_event_pool(sr, n=3), bgs, SynthConfig(sample_rate=sr), seed=0)
    rng = np.random.default_rng(0)
    hop = int(s.grid.hop)
    for clip in bgs[:2]:
        audio = clip.load(sr)
        for _ in range(5):
            first = int(rng.integers(0, (len(audio) - s.n_samples) // hop + 1))
            bg = np.array(audio[first * hop : first * hop + s.n_samples])
            np.testing.assert_allclose(s._crop_power(clip.key, audio, bg, first), s.meter.frame_power(bg),
                                       rtol=1e-4, atol=1e-12)


def test_balance_texts_draws_descriptions_uniformly(background_pool):
    sr = SR
    tone = (0.3 * np.sin(np.arange(sr) / sr * 2 * np.pi * 800)).astype(np.float32)
    clips = [ArrayClip(tone, sr, ("common",), key=f"c{i}") for i in range(9)] + [ArrayClip(tone, sr, ("rare",), key="r")]
    counts = {}
    for balance in (False, True):
        s = synth(clips, background_pool, balance_texts=balance, split_prob=0, repeat_prob=0, max_concurrent=10)
        c = Counter(p.text for i in range(60) for p in s.render(i).placed)
        counts[balance] = c["rare"] / sum(c.values())
    assert counts[False] < 0.2 and 0.35 < counts[True] < 0.65


def test_given_clips_are_placed_first_and_count_towards_n(event_pool, background_pool):
    """render(index, given=...): the given clips are events, drawn ones fill up to N, the rest is unchanged."""
    s = synth(event_pool, background_pool, min_events=3, max_events=3)
    mine = [ArrayClip(np.resize(np.float32([0.5, -0.5, 0.25]), int(0.8 * SR)), SR, ("my sound",), pool="given", key=f"g{i}")
            for i in range(4)]
    for i in range(6):
        m = s.render(i, stems=True, given=mine[:1])
        check_mixture(s, m, s.config)
        assert m.n_requested == 3 and m.placed[0].clip_key == "g0" and m.stats["given"] == 1
        assert sum(p.pool == "given" for p in m.placed) == 1 and "my sound" in {e.text for e in m.events}
        assert len(m.placed) + m.stats["dropped_no_room"] + m.stats["dropped_silent"] == 3
    more = s.render(0, given=mine)  # more given clips than N: all of them, nothing drawn
    assert more.n_requested == 4 and all(p.pool == "given" for p in more.placed)
    assert "given" not in s.render(0).stats  # without given clips, the stats (and mixture) are as before


def test_a_bad_given_clip_raises_even_when_bad_clips_are_skipped(event_pool, background_pool, tmp_path):
    s = synth(event_pool, background_pool)
    assert s.config.skip_bad_clips
    with pytest.raises(ClipError, match="gone.flac"):
        s.render(0, given=[FileClip(str(tmp_path / "gone.flac"), ("ghost",), pool="given")])
