"""What training the aisfx trunk would cost on this machine, against the frozen, memoised recipe.

The CPU recipe (``size=cpu_pretrained``) freezes the pretrained trunk and memoises its output per
clip, so a training step costs only the adapter. Training the trunk's last block (or all of it) is the
lever the real-sound curve points at (docs/results.md); this measures one training step
(forward + backward of a scalar loss over the encoder's frames, train mode) per setting, at the
recipe's 64 clips a step, and projects the study's schedule from it. The baseline, measured in the
same run, is the recipe's own step: trunk features from the memo, adapter trained.

Settings:

* ``memo``: the recipe. Trunk features precomputed (a memo hit), adapter trained.
* ``memo_miss``: the recipe on a clip the memo has not seen: the frozen trunk's forward, no grad.
* ``block4_memo``: block 4 trained from memoised block-3 outputs (the cheapest way to train it; the
  memo would hold 256 x 12 x T/8 floats a clip, about 0.7 MB for 10 s).
* ``block4``: block 4 trained, blocks 1-3 frozen and recomputed each step (``model.freeze`` on them).
* ``trunk``: the whole trunk trained.

    PYTHONPATH=. python benchmarks/aisfx_trunk_training.py --threads 2 --batch 64 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import Tensor

from flamkit.models.audio.aisfx import AisfxEncoder

# The debian_sfx study's schedule (experiments/studies/debian_sfx.yaml): FLAM-Global, then FLAM and
# the ablation, each a step of 64 clips.
STUDY_STEPS = {"FLAM-Global": 600, "FLAM": 150, "FLAM w/o per-text bias": 150}


def _median_seconds(fn: Callable[[], object], warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _head(enc: AisfxEncoder, features: Tensor) -> Tensor:
    """What follows the trunk in ``AisfxEncoder.forward``, reduced to a scalar loss."""
    x = enc.adapter(enc.input(features))
    return enc.norm(x.transpose(1, 2)).square().mean()


def _set_trainable(enc: AisfxEncoder, blocks: tuple[int, ...]) -> None:
    for number, block in enumerate(enc.trunk.blocks(), start=1):
        block.train(number in blocks)
        for p in block.parameters():
            p.requires_grad_(number in blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=64, help="clips a step (the study's FLAM stage: 32 + 32)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--settings", nargs="+", default=["memo", "memo_miss", "block4_memo", "block4", "trunk"])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    enc = AisfxEncoder(frames=50, pretrained=True).train()
    audio = 0.1 * torch.randn(args.batch, enc.clip_samples)
    with torch.no_grad():
        block3 = enc.trunk.prefix(enc.frontend(audio), 3)  # what the encoder's prefix memo holds
        features = enc.trunk.forward_from(block3, 3)  # what its trunk memo holds

    def memo() -> None:
        _set_trainable(enc, ())
        _head(enc, features).backward()

    def memo_miss() -> None:
        _set_trainable(enc, ())
        with torch.no_grad():
            f = enc.trunk(enc.frontend(audio))
        _head(enc, f).backward()

    def block4_memo() -> None:
        _set_trainable(enc, (4,))
        _head(enc, enc.trunk.forward_from(block3, 3)).backward()

    def block4() -> None:
        _set_trainable(enc, (4,))
        _head(enc, enc.trunk(enc.frontend(audio))).backward()

    def trunk() -> None:
        _set_trainable(enc, (1, 2, 3, 4))
        _head(enc, enc.trunk(enc.frontend(audio))).backward()

    runs = {"memo": memo, "memo_miss": memo_miss, "block4_memo": block4_memo, "block4": block4, "trunk": trunk}
    unknown = [s for s in args.settings if s not in runs]
    if unknown:
        parser.error(f"unknown settings {unknown}; choose from {list(runs)}")
    settings = list(dict.fromkeys(["memo", *args.settings]))  # the baseline first, in this run
    steps = sum(STUDY_STEPS.values())
    print(
        f"aisfx, batch {args.batch} x {enc.clip_seconds:g} s at {enc.sample_rate} Hz, threads={torch.get_num_threads()}, "
        f"torch={torch.__version__}; study schedule {STUDY_STEPS} = {steps} steps"
    )
    print(f"{'setting':<12} {'s/step':>8} {'x memo':>8} {'study training, min':>20}")
    base = None
    for name in settings:
        seconds = _median_seconds(lambda: (enc.zero_grad(set_to_none=True), runs[name]()), args.warmup, args.repeats)
        base = base or seconds
        print(f"{name:<12} {seconds:>8.3f} {seconds / base:>8.1f} {seconds * steps / 60:>20.1f}")


if __name__ == "__main__":
    main()
