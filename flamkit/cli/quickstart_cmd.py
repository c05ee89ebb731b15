"""``flamkit quickstart``: the main job on the embedded default, end to end on a laptop.

1. Train ``experiment=quickstart`` (FLAM: CLIP + SED + prior on procedural events mixed into
   procedural backgrounds). Running it again resumes the same run folder, so a finished run is reused.
2. Evaluate on the held-out mixtures (event types and caption paraphrases never seen in training):
   ``flamkit eval checkpoint=RUN eval=embedded_heldout``.
3. Detect: a 30 s demo recording with two held-out events at known times is generated, and
   ``flamkit detect`` finds them from their (never seen) descriptions; the TSV, JSON and Fig.-2-style
   plot are written next to the recording, and the detected times are printed against the truth.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

DEMO_SECONDS = 30.0
# (event type, onset in seconds): two types held out of training, at times we know.
DEMO_EVENTS = (("siren_yelp", 4.0), ("hand_clap", 17.5))
DEMO_BACKGROUND = "rain"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for the quickstart experiment (e.g. train.max_steps=100)")
    parser.add_argument("--skip-train", action="store_true", help="use the existing run of this config as it is")


def make_demo_recording(folder: Path, sample_rate: int, seed: int = 0) -> tuple[Path, list[dict]]:
    """A WAV of a procedural background with the DEMO_EVENTS planted at known times, plus the truth."""
    import soundfile as sf

    from flamkit.data.embedded import EMBEDDED_EVENTS, make_background, make_event

    rng = np.random.default_rng(seed)
    audio = make_background(DEMO_BACKGROUND, rng, sample_rate, DEMO_SECONDS).astype(np.float64)
    audio *= 0.05 / max(1e-9, np.sqrt(np.mean(audio**2)))
    truth = []
    for name, onset in DEMO_EVENTS:
        event = make_event(name, rng, sample_rate).astype(np.float64)
        start = int(onset * sample_rate)
        event = event[: len(audio) - start]
        audio[start : start + len(event)] += 0.5 * event / max(1e-9, np.abs(event).max())
        caption = EMBEDDED_EVENTS[name].captions[0]
        truth.append({"label": caption, "onset": onset, "offset": onset + len(event) / sample_rate})
    audio /= max(1.0, np.abs(audio).max() / 0.95)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "recording.wav"
    sf.write(path, audio.astype(np.float32), sample_rate)
    (folder / "truth.json").write_text(json.dumps(truth, indent=2))
    return path, truth


def run(args: argparse.Namespace) -> int:
    from flamkit.cli import main as flamkit_main
    from flamkit.config.compose import compose
    from flamkit.train.loop import train

    cfg = compose("quickstart", args.overrides)
    if args.skip_train:
        from flamkit.train.rundir import run_folder

        run_dir = run_folder(cfg, compose("quickstart", []))
    else:
        print("== 1/3 train: experiment=quickstart (resumes if this config already has a run)")
        run_dir = train(cfg, compose("quickstart", [])).run_dir

    print(f"\n== 2/3 evaluate on held-out event types and captions: {run_dir}")
    code = flamkit_main(["eval", f"checkpoint={run_dir}", "eval=embedded_heldout"])
    if code != 0:
        return code

    print("\n== 3/3 detect held-out events in a 30 s demo recording")
    import flamkit

    detector = flamkit.load(run_dir)
    demo_dir = run_dir / "demo"
    wav, truth = make_demo_recording(demo_dir, detector.model.sample_rate, seed=int(cfg.seed))
    queries = [t["label"] for t in truth]
    cmd = ["detect", str(run_dir), str(wav), "--out", str(demo_dir / "events.tsv"), "--plot", str(demo_dir / "detection.png")]
    for q in queries:
        cmd += ["--query", q]
    code = flamkit_main(cmd)
    if code != 0:
        return code
    events = detector.detect(wav, queries)
    print(f"\n{'query':<32} {'truth (s)':>14}   detected (s)")
    for t in truth:
        found = [f"{e.onset:.1f}-{e.offset:.1f} (peak {e.peak:.2f})" for e in events if e.label == t["label"]]
        print(f"{t['label']:<32} {t['onset']:>6.1f}-{t['offset']:<6.1f}   {', '.join(found) or 'none'}")
    metrics = json.loads((run_dir / "eval" / "embedded_heldout" / "metrics.json").read_text())
    print(f"\nrun folder:   {run_dir}\nmetrics:      {run_dir / 'eval' / 'embedded_heldout' / 'metrics.md'}")
    print(f"demo:         {demo_dir} (recording.wav, events.tsv, detection.png)")
    print(f"tensorboard:  tensorboard --logdir {run_dir.parent}")
    headline = {k: v for k, v in _flatten(metrics.get("scalars", metrics)).items() if "auroc" in k.lower()}
    if headline:
        print("held-out AUROC: " + ", ".join(f"{k}={v:.3f}" for k, v in sorted(headline.items())[:4]))
    return 0


def _flatten(tree, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.update(_flatten(v, f"{prefix}{k}/"))
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        out[prefix[:-1]] = float(tree)
    return out
