"""Throughput and memory of evaluation inference (:func:`flamkit.eval.inference.embed_audio`).

Writes ``--clips`` WAV files (mostly 10 s; every 10th 6 s, every 10th 23 s, so padding and
splitting are exercised), then encodes them:

* baseline, in the same run: one file at a time, decoded, padded/split by hand, ``encode_audio`` on
  one clip per forward pass, no threads;
* ``embed_audio`` batched in-process (``--batch-size`` windows per pass), with and without decoder
  threads;
* ``embed_audio`` over ``--workers`` CPU processes (one torch thread each).

Each case runs in a forked child; it prints seconds, clips/s, the ratio to the baseline, and peak RSS
of the child and the summed peak RSS of its worker processes (sampled every 50 ms). The model is a
run's checkpoint (``--checkpoint``), the ``small_cnn`` CPU encoder with random weights (default),
or the tests' tone model whose encoder is one matrix product (``--model tone``: the numbers then
measure only the pipeline: decoding, windowing, batching, process pool).

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/eval_inference.py --clips 200
    PYTHONPATH=. python benchmarks/eval_inference.py --checkpoint runs/quickstart/XXX --workers 4
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fork import measure_in_fork  # noqa: E402

from flamkit.eval.inference import AudioClip, embed_audio, load_audio  # noqa: E402

MB = 1 << 20


def small_cnn_model():
    """The real CPU encoder (``small_cnn``, default size, 16 kHz) with the tests' tone text encoder."""
    from omegaconf import OmegaConf

    from flamkit.models.flam import build_model
    from tests.eval.tone_model import model_config

    torch.manual_seed(0)
    return build_model(OmegaConf.create(model_config(audio={"name": "small_cnn"}))).eval()


def make_files(folder: Path, n: int, sample_rate: int, seed: int) -> list[AudioClip]:
    rng = np.random.default_rng(seed)
    clips = []
    for i in range(n):
        seconds = 6.0 if i % 10 == 3 else 23.0 if i % 10 == 7 else 10.0
        audio = (0.1 * rng.standard_normal(int(seconds * sample_rate))).astype(np.float32)
        path = folder / f"clip{i:05d}.wav"
        sf.write(path, audio, sample_rate)
        clips.append(AudioClip(path.name, path=str(path)))
    return clips


def naive(model, clips) -> int:
    """One clip per forward pass, sequential decoding: the baseline."""
    clip_samples = int(getattr(model.audio_encoder, "clip_samples", round(model.clip_seconds * model.sample_rate)))
    frames = 0
    with torch.inference_mode():
        for c in clips:
            audio = load_audio(c.path, model.sample_rate)
            windows = -(-len(audio) // clip_samples)
            padded = np.zeros(windows * clip_samples, np.float32)
            padded[: len(audio)] = audio
            for w in padded.reshape(windows, clip_samples):
                frames += int(model.encode_audio(torch.from_numpy(w)[None]).frames.shape[1])
    return frames


def _rss_meter():
    """Own peak RSS and the peak summed RSS of all descendants (the workers are forkserver children)."""
    import threading

    import psutil

    peak = [0]
    done = threading.Event()

    def sample():
        me = psutil.Process()
        while not done.wait(0.05):
            total = 0
            for p in me.children(recursive=True):
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def stop():
        done.set()
        sampler.join()
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, peak[0]

    return stop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--checkpoint", default=None, help="a run or checkpoint (default: --model)")
    ap.add_argument("--model", choices=("small_cnn", "tone"), default="small_cnn",
                    help="small_cnn: the CPU encoder; tone: the tests' one-matmul encoder (pipeline overhead only)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)

    import flamkit.components  # noqa: F401
    if args.checkpoint:
        from flamkit.inference.loading import load_model

        model, what = load_model(args.checkpoint, "cpu"), args.checkpoint
    elif args.model == "small_cnn":
        model, what = small_cnn_model(), "small_cnn (random weights)"
    else:
        from tests.eval.tone_model import build_oracle

        model, what = build_oracle(), "tests' tone model (encoder = one matmul: pipeline overhead only)"
    with tempfile.TemporaryDirectory() as tmp:
        clips = make_files(Path(tmp), args.clips, model.sample_rate, args.seed)
        print(f"model: {what}; {args.clips} clips at {model.sample_rate} Hz (10% 6 s, 10% 23 s); "
              f"cores {os.cpu_count()}, torch threads 1")
        cases = {
            "baseline: 1 clip/pass, sequential": lambda: naive(model, clips),
            "embed_audio batch 1, no decoder threads": lambda: embed_audio(model, clips, batch_size=1, loader_threads=0),
            f"embed_audio batch {args.batch_size}, no decoder threads": lambda: embed_audio(model, clips, batch_size=args.batch_size, loader_threads=0),
            f"embed_audio batch {args.batch_size}, 2 decoder threads": lambda: embed_audio(model, clips, batch_size=args.batch_size, loader_threads=2),
            f"embed_audio batch {args.batch_size}, {args.workers} worker processes": lambda: embed_audio(
                model, clips, batch_size=args.batch_size, workers=args.workers
            ),
            f"  pool start-up alone ({args.workers} workers, {args.workers} clips)": lambda: embed_audio(
                model, clips[: args.workers], batch_size=1, workers=args.workers
            ),
        }
        print(f"\n{'case':48s} {'seconds':>8s} {'clips/s':>8s} {'vs base':>8s} {'peak MB':>8s} {'workers MB':>10s}")
        base = None
        for name, fn in cases.items():
            dt, _, own, children = measure_in_fork(fn, _rss_meter)
            base = base or dt
            print(f"{name:48s} {dt:8.2f} {args.clips / dt:8.1f} {base / dt:7.2f}x {own / MB:8.0f} {children / MB:10.0f}")


if __name__ == "__main__":
    main()
