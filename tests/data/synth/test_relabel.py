import numpy as np
import pytest

from flamkit.data.synth.loudness import AWeightedLoudness
from flamkit.data.synth.relabel import RelabelConfig, fill_gaps, relabel, remove_blips, runs, smooth_activity


def naive_smooth(active, min_gap=10, min_seg=2, min_total=10):
    """C.4 by explicit loops over frames: walk each run, decide, write."""
    a = [bool(v) for v in active]
    n = len(a)
    # rule 1: a False run with a True frame somewhere before and after it, shorter than min_gap
    out = list(a)
    i = 0
    while i < n:
        if not a[i]:
            j = i
            while j < n and not a[j]:
                j += 1
            if i > 0 and j < n and (j - i) < min_gap:
                for k in range(i, j):
                    out[k] = True
            i = j
        else:
            i += 1
    # rule 2
    total = sum(out)
    if total > min_total:
        res = list(out)
        i = 0
        while i < n:
            if out[i]:
                j = i
                while j < n and out[j]:
                    j += 1
                if (j - i) < min_seg:
                    for k in range(i, j):
                        res[k] = False
                i = j
            else:
                i += 1
        out = res
    return np.array(out, dtype=bool)


def test_runs():
    s, l, v = runs(np.array([0, 0, 1, 1, 1, 0, 1], bool))
    assert s.tolist() == [0, 2, 5, 6] and l.tolist() == [2, 3, 1, 1] and v.tolist() == [False, True, False, True]
    assert [len(r) for r in runs(np.zeros(0, bool))] == [0, 0, 0]


def test_matches_naive_loops_on_random_activity():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        n = int(rng.integers(0, 80))
        p = rng.uniform(0.05, 0.95)
        # runs of random lengths so that gaps/blips around the thresholds are common
        a = np.repeat(rng.random(n) < p, rng.integers(1, 14, n))[: int(rng.integers(0, 120))]
        gap, seg, total = int(rng.integers(1, 12)), int(rng.integers(1, 4)), int(rng.integers(0, 20))
        np.testing.assert_array_equal(smooth_activity(a, gap, seg, total), naive_smooth(a, gap, seg, total))


def test_rules_on_hand_made_arrays():
    a = np.array([1] * 5 + [0] * 9 + [1] * 5, bool)  # gap of 9 < 10: filled
    assert smooth_activity(a).all()
    a = np.array([1] * 5 + [0] * 10 + [1] * 5, bool)  # gap of 10: kept
    np.testing.assert_array_equal(smooth_activity(a), a)
    lead = np.array([0] * 3 + [1] * 12 + [0] * 3, bool)  # leading/trailing silence is never filled
    np.testing.assert_array_equal(fill_gaps(lead, 10), lead)
    blip = np.array([1] * 11 + [0] * 12 + [1] + [0] * 12, bool)  # total 12 > 10: blip removed
    out = smooth_activity(blip)
    assert out[:11].all() and not out[11:].any()
    short = np.array([1] * 9 + [0] * 12 + [1] + [0] * 3, bool)  # total 10, not > 10: blip kept
    np.testing.assert_array_equal(smooth_activity(short), short)
    # rule 1 runs first: a blip within 10 frames of a segment is merged, not removed
    near = np.array([1] * 12 + [0] * 4 + [1] + [0] * 5, bool)
    assert smooth_activity(near)[:17].all()
    np.testing.assert_array_equal(remove_blips(near, 2, 10)[12:], np.zeros(10, bool))


SR = 48000
HOP = SR // 50


def tone(seconds, level_db, freq=1000.0):
    """A 1 kHz tone (A-weight 0 dB) whose full-frame A-weighted level is ``level_db``."""
    t = np.arange(int(round(seconds * SR))) / SR
    return (np.sqrt(2) * 10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def levels(x):
    return AWeightedLoudness(SR).frame_db(x)


@pytest.mark.parametrize("gap_s,filled", [(0.4, False), (0.15, True)])
def test_silent_gap_inside_event(gap_s, filled):
    sig = np.concatenate([tone(0.6, -20), np.zeros(int(gap_s * SR), np.float32), tone(0.6, -20)])
    raw = levels(sig) >= -70
    act = relabel(levels(sig))
    gap_frames = slice(int((0.6 + 0.06) * 50), int((0.6 + gap_s - 0.06) * 50))
    assert not raw[gap_frames].any()  # the gap is silent in the signal itself
    assert act[gap_frames].all() == filled
    assert act[5:25].all() and act[-25:-5].all()


def _blip(level_db):
    """A 2-hop tone burst aligned so exactly one window holds all of it: that frame alone reads ``level_db``."""
    return tone(2 * HOP / SR, level_db)


def test_short_blip_removed_in_long_event_but_kept_alone():
    meter = AWeightedLoudness(SR)
    x = np.zeros(3 * SR, np.float32)
    body = tone(1.0, -20)
    x[: len(body)] = body
    frame = 100  # blip at frame 100 (2.0 s), far from the body (ends at frame 50)
    start = meter.grid.start(frame) + 0  # window of frame 100 starts here, holds [start, start + 2.5 hops)
    blip = _blip(-69.0)
    x[start : start + len(blip)] = blip
    lv = meter.frame_db(x)
    raw = lv >= -70
    assert raw[frame] and raw[frame - 3 : frame].sum() + raw[frame + 1 : frame + 4].sum() == 0
    act = relabel(lv)
    assert not act[60:].any() and act[5:45].all()
    # alone (event total 1 frame, not > 10): the blip is the event and is kept
    alone = np.zeros(3 * SR, np.float32)
    alone[start : start + len(blip)] = blip
    act_alone = relabel(meter.frame_db(alone))
    assert act_alone.sum() == 1 and act_alone[frame]


def test_threshold_is_a_parameter():
    sig = tone(1.0, -60)
    assert relabel(levels(sig))[10:40].all()
    assert not relabel(levels(sig), RelabelConfig(threshold_db=-50)).any()
