"""`flamkit status` reads the last metrics of each run from its TensorBoard event file.

Baseline: parse every event of the file (tensorboard's EventFileLoader, what TensorBoard does).
flamkit: hop over record lengths and parse only the newest records (flamkit.slurm.status._last_scalars).
Both are measured here on the same file, written like a long run's: STEPS logged steps x TAGS scalars.

    python benchmarks/status_tail.py [STEPS] [TAGS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 12000  # 120k steps logged every 10
    tags = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util
    from torch.utils.tensorboard import SummaryWriter

    from flamkit.slurm.status import _last_scalars

    with tempfile.TemporaryDirectory() as tmp:
        w = SummaryWriter(tmp)
        for s in range(steps):
            for t in range(tags):
                w.add_scalar(f"tag{t}", s * 0.5 + t, s)
        w.close()
        (f,) = Path(tmp).glob("events.out.tfevents.*")

        t0 = time.perf_counter()
        full: dict[str, float] = {}
        last_step = None
        for ev in EventFileLoader(str(f)).Load():
            for v in ev.summary.value:
                full[v.tag] = float(tensor_util.make_ndarray(v.tensor).item())
                last_step = ev.step
        t_full = time.perf_counter() - t0

        t0 = time.perf_counter()
        step, tail = _last_scalars(Path(tmp))
        t_tail = time.perf_counter() - t0

    assert step == last_step and tail == full, "the tail read disagrees with the full parse"
    print(f"event file: {steps} steps x {tags} scalars ({steps * tags} records)")
    print(f"full parse (baseline): {t_full:.3f} s")
    print(f"tail read (flamkit):   {t_tail:.3f} s")
    print(f"speed-up: {t_full / t_tail:.1f}x (same last step {step} and values)")


if __name__ == "__main__":
    main()
