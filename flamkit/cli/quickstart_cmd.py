"""``flamkit quickstart``: the main job, end to end on a laptop CPU in minutes.

1. The ``quickstart`` study (experiments/studies/quickstart.yaml): train FLAM-Global, then FLAM from
   its final weights, then FLAM without per-text bias (C.9) from them too, all at ``size=cpu`` on the
   embedded procedural data; evaluate each final checkpoint on event types and caption paraphrases
   never seen in training (``eval=embedded_heldout``). Running it again finds the finished runs.
2. Detect: FLAM looks for the events of 64 held-out mixtures (neither validation nor evaluation
   clips) by their own, never seen, descriptions, exactly as ``flamkit detect`` does; the event-based
   F1 at 0.5 over all of them says how often that kind of query is found, and the clip with the
   median F1 (not a picked one) is written as a WAV and shown through ``flamkit detect``.
3. Report: ``runs/studies/quickstart/report.md`` with the metrics table of the three models, the
   paper's claims checked against those numbers, F1/precision/recall against the threshold, example
   detections of all three models over the ground truth, and the demo.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flamkit.eval.metrics.event_f1 import EventCounts

# The demo pool: mixtures of the held-out split drawn with their own seed (neither validation nor
# evaluation clips), each queried by its own descriptions, all unseen in training.
DEMO_SOURCE = {"name": "embedded", "mode": "sed", "split": "heldout", "size": 1000, "seed": 3}
DEMO_CLIPS = 64
DEMO_STAGE = "flam"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for every stage (e.g. seed=1, run.root=/tmp/runs)")
    parser.add_argument("--skip-train", action="store_true", help="evaluate and report the finished runs; train nothing")
    parser.add_argument("--eval", action="append", default=[], metavar="LABEL.KEY=VALUE",
                        help="override the evaluation config (repeatable), e.g. --eval heldout.max_clips=500")


@dataclass
class DemoSet:
    """Every demo clip's detections scored against its truth, and the median clip."""

    total: EventCounts
    per_clip: list[EventCounts]
    median_index: int
    truth: list[list[tuple[float, float, str]]]


def score_demo_pool(detector, clips: int = DEMO_CLIPS, source: dict | None = None) -> tuple[DemoSet, Any]:
    """Run the detector on each demo clip with its own descriptions (``flamkit detect``'s defaults).

    Returns the scores and the SED set (its clips load the audio). The median clip is the one whose
    event F1 is the median of all clips' (the lower middle one, then the first such clip): a clip
    that represents the set, not one chosen because it works.
    """
    from flamkit.eval.metrics.event_f1 import clip_event_counts
    from flamkit.eval.tasks.sed_data import sed_set_from_source

    sedset = sed_set_from_source(dict(source or DEMO_SOURCE), "quickstart demo", detector.sample_rate, detector.clip_seconds, clips, 0)
    per_clip, truths = [], []
    for clip in sedset.clips:
        truth = sorted((float(a), float(b), lab) for a, b, lab in sedset.ground_truth[clip.key])
        queries = list(dict.fromkeys(lab for _, _, lab in truth))
        found = detector.run(clip.load(detector.sample_rate), queries, sr=detector.sample_rate).events if queries else []
        per_clip.append(clip_event_counts(truth, [(e.onset, e.offset, e.label) for e in found]))
        truths.append(truth)
    order = sorted(range(len(per_clip)), key=lambda i: (per_clip[i].f1, i))
    total = sum(per_clip, EventCounts(0, 0, 0))
    return DemoSet(total, per_clip, order[(len(order) - 1) // 2], truths), sedset


def write_demo_recording(folder: Path, sedset, index: int, sample_rate: int) -> tuple[Path, list[dict]]:
    """Write demo clip ``index`` as a WAV, plus its ground truth."""
    import soundfile as sf

    clip = sedset.clips[index]
    truth = [{"label": label, "onset": round(float(on), 3), "offset": round(float(off), 3)}
             for on, off, label in sorted(sedset.ground_truth[clip.key])]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "recording.wav"
    sf.write(path, clip.load(sample_rate), sample_rate)
    (folder / "truth.json").write_text(json.dumps(truth, indent=2))
    return path, truth


def run(args: argparse.Namespace) -> int:
    import sys

    from flamkit.cli import main as flamkit_main
    from flamkit.cli.study_cmd import print_summary
    from flamkit.config.compose import ConfigError
    from flamkit.study.report import report_dir, write_report
    from flamkit.study.runner import run_study
    from flamkit.study.spec import load_study

    try:
        spec = load_study("quickstart")
        result = run_study(spec, args.overrides, skip_train=args.skip_train, eval_overrides=args.eval)
    except (ConfigError, RuntimeError) as exc:
        print(f"flamkit quickstart: {exc}", file=sys.stderr)
        return 2

    flam = result.by_name()[DEMO_STAGE]
    print(f"\n== detect: {DEMO_CLIPS} held-out clips, each queried by its own (unseen) descriptions with {flam.stage.label}")
    import flamkit

    detector = flamkit.load(flam.checkpoint)
    demo, sedset = score_demo_pool(detector)
    clip_f1 = np.array([c.f1 for c in demo.per_clip])
    median = demo.median_index
    demo_dir = report_dir(result) / "demo"
    wav, truth = write_demo_recording(demo_dir, sedset, median, detector.sample_rate)
    queries = list(dict.fromkeys(t["label"] for t in truth))
    cmd = ["detect", str(flam.checkpoint), str(wav), "--out", str(demo_dir / "events.tsv"), "--plot", str(demo_dir / "detection.png")]
    for q in queries:
        cmd += ["--query", q]
    code = flamkit_main(cmd)
    if code != 0:
        return code
    found_by = detector.run(wav, queries)  # the same defaults as the `flamkit detect` call above
    probs = found_by.probabilities
    demo_rows = []
    for k, q in enumerate(queries):
        spans = ", ".join(f"{t['onset']:.1f}-{t['offset']:.1f}" for t in truth if t["label"] == q)
        found = ", ".join(f"{e.onset:.1f}-{e.offset:.1f} ({e.peak:.2f})" for e in found_by.events if e.label == q) or "none"
        top = int(np.argmax(probs.probs[k]))
        demo_rows.append((q, spans, found, f"{probs.probs[k, top]:.2f} at {probs.centers[top]:.1f} s"))
    t = demo.total
    summary = (f"event-based F1 at 0.5 over {len(demo.per_clip)} held-out clips: {t.f1:.3f} "
               f"(precision {t.precision:.3f}, recall {t.recall:.3f}; {t.tp} of {t.tp + t.fn} events found, "
               f"{t.fp} false alarms); per-clip F1 quartiles {np.percentile(clip_f1, 25):.2f} / "
               f"{np.median(clip_f1):.2f} / {np.percentile(clip_f1, 75):.2f}")
    section = [
        "## Demo: `flamkit detect` on held-out clips", "",
        f"{flam.stage.label} looks for the events of {len(demo.per_clip)} held-out mixtures (`{DEMO_SOURCE}`: neither "
        "validation nor evaluation clips), each queried by its own descriptions, with `flamkit detect`'s defaults "
        "(frames above 0.5 after a 3-frame median form an event). Scored by the DCASE collar rule (onset within 0.2 s, "
        f"offset within max(0.2 s, 20 % of the event)): {summary}.", "",
        f"The clip shown is the one with the median F1 ({demo.per_clip[median].f1:.2f}, clip {median} of the pool), "
        f"not a picked one: `flamkit detect {flam.checkpoint} {wav} --query ...`; peak probability in brackets.", "",
        "| query | truth (s) | detected (s) | highest probability |", "|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in demo_rows], "",
        "![detection](demo/detection.png)", "",
    ]
    result.extra["demo"] = {"clips": len(demo.per_clip), "event_f1": t.f1, "precision": t.precision, "recall": t.recall,
                            "tp": t.tp, "fp": t.fp, "fn": t.fn, "median_clip": median,
                            "median_clip_f1": demo.per_clip[median].f1}
    path = write_report(result, extra_sections=section)
    print_summary(result, path)
    print(f"\ndemo: {summary}")
    print(f"median clip ({median} of the pool, F1 {demo.per_clip[median].f1:.2f}):")
    print(f"{'demo query':<36} {'truth (s)':<22} detected (s, peak)")
    for q, t, d, _ in demo_rows:
        print(f"{q:<36} {t:<22} {d}")
    print("\nruns:         " + "\n              ".join(f"{r.stage.label}: {r.run_dir}" for r in result.stages))
    print(f"demo:         {demo_dir} (recording.wav, events.tsv, detection.png)")
    print(f"tensorboard:  tensorboard --logdir {result.run_root}")
    return 0


