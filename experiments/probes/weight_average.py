"""A uniform average of the final weights of several runs of one config family, as a run folder.

    python experiments/probes/weight_average.py OUT RUN_1 RUN_2 [RUN_3 ...]
    flamkit eval checkpoint=OUT eval=debian_sfx_holdout

The runs must share an architecture (FLAM stages trained from one FLAM-Global with different seeds:
Wortsman et al.'s "model soup"). OUT is a copy of RUN_1 (config, run.json) whose final checkpoint
holds the mean of every floating-point tensor, with a fresh manifest, so every flamkit command
reads it as a run. Measured not to help (docs/results.md); kept so that the row can be re-run.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from flamkit.checkpoints import choose_checkpoint, sha256


def average(weights: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Mean (in float64) of each floating-point tensor; other tensors (counters) from the first."""
    keys = set(weights[0])
    for n, w in enumerate(weights[1:], 2):
        if set(w) != keys or any(w[k].shape != weights[0][k].shape for k in keys):
            raise ValueError(f"run {n} does not have run 1's tensors and shapes: not one architecture")
    return {
        k: (sum(w[k].double() for w in weights) / len(weights)).to(v.dtype) if v.is_floating_point() else v
        for k, v in weights[0].items()
    }


def write_average(out: Path, runs: list[Path]) -> Path:
    """OUT as a run folder whose final checkpoint holds the averaged weights; returns that checkpoint."""
    if len(runs) < 2:
        raise ValueError("give at least two runs to average")
    folders = [choose_checkpoint(r).folder for r in runs]
    averaged = average([load_file(str(f / "model.safetensors")) for f in folders])
    if out.exists():
        raise FileExistsError(f"{out} exists; choose a new folder")
    first = Path(runs[0])
    shutil.copytree(first, out, ignore=shutil.ignore_patterns("eval", "tb", "best", "ckpt-*"))
    target = out / "checkpoints" / folders[0].name
    shutil.copytree(folders[0], target)
    save_file(averaged, str(target / "model.safetensors"))
    names = json.loads((target / "manifest.json").read_text())
    (target / "manifest.json").write_text(json.dumps({n: sha256(target / n) for n in names}, indent=1))
    return target


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    print(write_average(Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]]))
