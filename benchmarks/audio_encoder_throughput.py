"""Audio encoder throughput: clips/s of inference (no grad) on the current device, per batch size.

The baseline is HTSAT-tiny (the paper's encoder), measured in the same run; every row prints its
speed relative to the baseline at the same batch size. ``--train`` adds the time of one training step
(forward + backward of a scalar loss, train mode) per batch, the number that decides whether an
encoder can be trained on a CPU.

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/audio_encoder_throughput.py --threads 1 --train
    python benchmarks/audio_encoder_throughput.py --device cuda --batch-sizes 8 32 128 --bf16
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import flamkit.models.audio.htsat  # noqa: F401  (registers "htsat")
import flamkit.models.audio.small_cnn  # noqa: F401  (registers "small_cnn")
from flamkit.registry import AUDIO_ENCODERS

BASELINE = "htsat"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(fn: Callable[[], object], device: torch.device, warmup: int, repeats: int) -> float:
    """Median wall seconds of ``fn`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", nargs="+", default=["small_cnn", BASELINE], help="registered audio encoders")
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 8, 16])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bf16", action="store_true", help="run under torch.autocast(bfloat16)")
    parser.add_argument("--train", action="store_true", help="also time forward + backward per batch")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    names = list(dict.fromkeys([BASELINE, *args.encoders]))  # baseline first, measured in this run
    gen = torch.Generator().manual_seed(0)
    print(
        f"device={device} threads={torch.get_num_threads()} bf16={args.bf16} "
        f"warmup={args.warmup} repeats={args.repeats} torch={torch.__version__}"
    )
    header = f"{'encoder':<10} {'params':>8} {'batch':>5} {'fwd s/batch':>11} {'clips/s':>9} {'vs htsat':>8}"
    if args.train:
        header += f" {'train s/batch':>13}"
    print(header)
    baseline_rate: dict[int, float] = {}
    for name in names:
        torch.manual_seed(0)
        model = AUDIO_ENCODERS.build(name).to(device)
        params = sum(p.numel() for p in model.parameters())
        for batch in args.batch_sizes:
            audio = (0.1 * torch.randn(batch, round(model.clip_seconds * model.sample_rate), generator=gen)).to(device)
            autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16)

            def infer() -> None:
                with torch.no_grad(), autocast:
                    model(audio)

            def train_step() -> None:
                with autocast:
                    loss = model(audio).float().square().mean()
                loss.backward()
                model.zero_grad(set_to_none=True)

            model.eval()
            seconds = _time(infer, device, args.warmup, args.repeats)
            rate = batch / seconds
            if name == BASELINE:
                baseline_rate[batch] = rate
            ratio = rate / baseline_rate[batch]
            row = f"{name:<10} {params / 1e6:>7.2f}M {batch:>5} {seconds:>11.3f} {rate:>9.1f} {ratio:>7.2f}x"
            if args.train:
                model.train()
                row += f" {_time(train_step, device, args.warmup, args.repeats):>13.3f}"
            print(row, flush=True)
        del model


if __name__ == "__main__":
    main()
