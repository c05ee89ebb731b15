"""Scale benchmark of the SED metric layer (issue 6 item 4): 10,000 clips x 400 classes, L = 32.

Generates random ground truth (1-5 events per clip, random classes, onsets and lengths) and scores
that depend on it (sigmoid(noise + 3 * (label - 0.5)), float32), then times every metric and
measures its memory in a forked child: peak RSS of the process, and the increase over the RSS it
started with (the scores and ground truth already in memory).

Baseline in the same run: sed_scores_eval itself on the first ``--reference-clips`` clips (all 400
classes), against the native engines on exactly that subset, with the values compared.

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/eval_scale.py            # full size
    PYTHONPATH=. python benchmarks/eval_scale.py --clips 500 --classes 50      # quick look
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fork import measure_in_fork  # noqa: E402

from flamkit.eval.metrics.frame_metrics import EventFrames, closed_set_prf_curve, event_prf_curve, present_event_auroc, spearman_per_event  # noqa: E402
from flamkit.eval.metrics.frame_scores import FrameScores, frame_labels, median_filter_scores  # noqa: E402
from flamkit.eval.metrics.ground_truth import sanitize_ground_truth  # noqa: E402
from flamkit.eval.metrics.sed import mpauc, psds, segment_auroc  # noqa: E402

MB = 1 << 20


def make_set(n_clips: int, n_classes: int, n_frames: int, seed: int, clip_len: float = 10.0):
    rng = np.random.default_rng(seed)
    hop = clip_len / n_frames
    classes = [f"class {k:03d}" for k in range(n_classes)]
    files = [f"clip{i:05d}.wav" for i in range(n_clips)]
    n_ev = rng.integers(1, 6, n_clips)
    cls = rng.integers(0, n_classes, n_ev.sum())
    cls[: min(n_classes, len(cls))] = np.arange(min(n_classes, len(cls)))  # every class occurs
    onset = np.round(rng.uniform(0, clip_len - 0.5, n_ev.sum()), 3)
    offset = np.round(np.minimum(clip_len, onset + rng.uniform(0.3, 5.0, n_ev.sum())), 3)
    gt, e = {}, 0
    for i, f in enumerate(files):
        gt[f] = [(float(onset[j]), float(offset[j]), classes[cls[j]]) for j in range(e, e + n_ev[i])]
        e += n_ev[i]
    gt, report = sanitize_ground_truth(gt, classes=classes, durations={f: clip_len for f in files})
    fs = FrameScores(np.empty((n_clips * n_frames, n_classes), np.float32), np.arange(n_clips + 1) * n_frames, tuple(files), tuple(classes), hop)
    chunk = 500
    for s in range(0, n_clips, chunk):
        idx = np.arange(s, min(s + chunk, n_clips))
        lab = frame_labels(fs, gt, idx)
        noise = rng.standard_normal(lab.shape, dtype=np.float32)
        fs.values[s * n_frames : (idx[-1] + 1) * n_frames] = 1 / (1 + np.exp(-(noise + 3 * (lab - np.float32(0.5)))))
    return fs, gt, {f: clip_len for f in files}, report


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _hwm_meter():
    """Peak RSS of the measured call and its increase over the RSS at its start."""
    # Reset the peak-RSS mark (Linux >= 4.0) so VmHWM is this metric's peak, not the fork's.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        rss0 = _status_kb("VmRSS") * 1024
        peak_of = lambda: _status_kb("VmHWM") * 1024  # noqa: E731
    except OSError:  # no reset: fall back to the lifetime peak
        rss0 = psutil.Process().memory_info().rss
        peak_of = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # noqa: E731

    def stop():
        peak = peak_of()
        return peak, peak - rss0

    return stop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=10_000)
    ap.add_argument("--classes", type=int, default=400)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--reference-clips", type=int, default=200, help="clips for the sed_scores_eval baseline (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    fs, gt, durations, report = make_set(args.clips, args.classes, args.frames, args.seed)
    n_events = sum(len(v) for v in gt.values())
    print(f"data: {args.clips} clips x {args.classes} classes x {args.frames} frames (hop {fs.hop} s), "
          f"{n_events} events ({report.n_merged} merged), scores {fs.values.nbytes / MB:.0f} MB, "
          f"made in {time.perf_counter() - t0:.1f} s; process RSS {psutil.Process().memory_info().rss / MB:.0f} MB")
    print(f"cpu threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, cores {os.cpu_count()}")

    def events_then(fn):
        return lambda: fn(EventFrames.from_frame_scores(fs, gt))

    metrics = {
        "median filter (3)": lambda: float(median_filter_scores(fs).values[0, 0]),
        "median filter, in place": lambda: float(median_filter_scores(fs, inplace=True).values[0, 0]),
        "PSDS1 (native)": lambda: psds(fs, gt, durations, engine="native").psds,
        "AUROC 0.3125 s (native)": lambda: segment_auroc(fs, gt, durations, engine="native").mean,
        "MPAUC 1 s (native)": lambda: mpauc(fs, gt, durations, engine="native").mean,
        "present-event AUROC": events_then(lambda ev: present_event_auroc(ev).pooled),
        "Spearman per event": events_then(lambda ev: spearman_per_event(ev).mean),
        "F1 curve, all pairs": lambda: closed_set_prf_curve(fs, gt).best()["f1"],
        "F1 curve, present pairs": events_then(lambda ev: event_prf_curve(ev).best()["f1"]),
    }
    print(f"\n{'metric':28s} {'value':>8s} {'seconds':>8s} {'clips/s':>9s} {'peak RSS MB':>12s} {'+MB':>7s}")
    for name, fn in metrics.items():
        dt, value, peak, extra = measure_in_fork(fn, _hwm_meter)
        print(f"{name:28s} {value:8.4f} {dt:8.2f} {args.clips / dt:9.0f} {peak / MB:12.0f} {extra / MB:7.0f}")

    if args.reference_clips:
        n = min(args.reference_clips, args.clips)
        sub = fs.select_files(fs.files[:n])
        sub_gt = {f: gt[f] for f in sub.files}
        sub_d = {f: durations[f] for f in sub.files}
        print(f"\nbaseline: sed_scores_eval vs native on the first {n} clips x {args.classes} classes")
        print(f"{'metric':18s} {'engine':16s} {'value':>10s} {'seconds':>8s} {'clips/s':>8s} {'+MB':>7s} {'speed-up':>9s}")
        cases = {
            "PSDS1": lambda e: psds(sub, sub_gt, sub_d, engine=e).psds,
            "AUROC 0.3125 s": lambda e: segment_auroc(sub, sub_gt, sub_d, engine=e).mean,
            "MPAUC 1 s": lambda e: mpauc(sub, sub_gt, sub_d, engine=e).mean,
        }
        for name, fn in cases.items():
            rdt, rval, _, rextra = measure_in_fork(lambda: fn("sed_scores_eval"), _hwm_meter)
            ndt, nval, _, nextra = measure_in_fork(lambda: fn("native"), _hwm_meter)
            print(f"{name:18s} {'sed_scores_eval':16s} {rval:10.6f} {rdt:8.2f} {n / rdt:8.0f} {rextra / MB:7.0f}")
            print(f"{'':18s} {'native':16s} {nval:10.6f} {ndt:8.2f} {n / ndt:8.0f} {nextra / MB:7.0f} {rdt / ndt:8.1f}x"
                  f"  |diff| {abs(rval - nval):.1e}")


if __name__ == "__main__":
    main()
