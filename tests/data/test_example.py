"""Frame labels for any L, against a naive reference in exact arithmetic: any overlap makes a frame positive."""

from fractions import Fraction

import numpy as np
import pytest

from flamkit.data.example import (
    ACTIVITY_RATE,
    Event,
    activity_to_frames,
    activity_to_segments,
    segments_to_frames,
)


def naive(intervals: list[tuple[Fraction, Fraction]], num_frames: int, duration: Fraction) -> np.ndarray:
    """Frame l ([l, l+1) * duration / L) is positive iff some interval overlaps it by a positive length."""
    out = np.zeros(num_frames, dtype=bool)
    for l in range(num_frames):
        a, b = l * duration / num_frames, (l + 1) * duration / num_frames
        for on, off in intervals:
            if min(b, off, duration) > max(a, on, 0):
                out[l] = True
    return out


def activity_intervals(activity: np.ndarray) -> list[tuple[Fraction, Fraction]]:
    return [(Fraction(int(k), ACTIVITY_RATE), Fraction(int(k) + 1, ACTIVITY_RATE)) for k in np.flatnonzero(activity)]


@pytest.mark.parametrize("num_frames", [1, 7, 32, 100, 128, 499, 500, 501, 1000, 1024])
@pytest.mark.parametrize("duration", [10.0, 4.0])
def test_activity_frames_match_the_exact_reference(num_frames, duration):
    rng = np.random.default_rng(num_frames)
    n = int(duration * ACTIVITY_RATE)
    for density in (0.02, 0.3, 0.9):
        activity = rng.random(n) < density
        expect = naive(activity_intervals(activity), num_frames, Fraction(duration))
        np.testing.assert_array_equal(activity_to_frames(activity, num_frames, duration), expect)


@pytest.mark.parametrize("num_frames", [1, 32, 128, 1000])
def test_segment_frames_match_the_exact_reference(num_frames):
    rng = np.random.default_rng(num_frames)
    for _ in range(20):
        on = np.sort(rng.uniform(-1.0, 11.0, 6))
        segments = [(float(a), float(b)) for a, b in zip(on[::2], on[1::2])]
        expect = naive([(Fraction(a), Fraction(b)) for a, b in segments], num_frames, Fraction(10))
        np.testing.assert_array_equal(segments_to_frames(segments, num_frames, 10.0), expect)


def test_short_events_and_boundaries():
    # one active 20 ms frame straddling the L=32 boundary at 0.3125 s is positive in both frames
    activity = np.zeros(500, bool)
    activity[15] = True
    assert np.flatnonzero(activity_to_frames(activity, 32, 10.0)).tolist() == [0, 1]
    # ... and exactly on a boundary (2.5 s = frame 8 of 32) it touches only its own frames
    activity[:] = False
    activity[125] = True  # [2.50, 2.52) s
    assert np.flatnonzero(activity_to_frames(activity, 32, 10.0)).tolist() == [8]
    # finer than 50 Hz: every frame under an active 20 ms frame is positive (no gaps)
    activity[:] = False
    activity[100:200] = True
    fine = activity_to_frames(activity, 1000, 10.0)
    assert np.flatnonzero(fine).tolist() == list(range(200, 400))
    assert not activity_to_frames(np.zeros(500, bool), 32, 10.0).any()


def test_event_frame_mask_uses_activity_when_present():
    activity = np.zeros(500, bool)
    activity[50:60] = True
    e = Event("x", [(0.0, 10.0)], activity)  # the activity is the truth, not the (stale) segments
    assert np.flatnonzero(e.frame_mask(100, 10.0)).tolist() == [10, 11]
    assert activity_to_segments(activity) == [(1.0, 1.2)]
    assert Event("x", [(1.0, 1.2)]).frame_mask(100, 10.0).tolist() == e.frame_mask(100, 10.0).tolist()
