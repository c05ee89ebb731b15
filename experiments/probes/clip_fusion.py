"""``flamkit eval`` with each frame's cosine mixed with its clip's: ``(cos(f, t) + lam * cos(c, t)) / (1 + lam)``,
``c`` the clip embedding (the L2-normalised mean of the clip's frames). The frames are replaced by
``(f + lam * c) / (1 + lam)`` before scoring, which gives exactly that cosine; the per-text scale and bias
then act as usual. Tests whether the clip-level evidence of the global loss ranks frames across clips
better than the frames alone. Measured not to help (docs/results.md, "Issue 13, twelfth session").

    CF_LAM=0.5 python experiments/probes/clip_fusion.py eval checkpoint=RUN eval=debian_sfx_holdout --out DIR

Give ``--out``: without it the fused result would overwrite the run's plain ``eval/NAME``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace

import numpy as np

import flamkit.eval.tasks.base as base

LAM = float(os.environ.get("CF_LAM", "0.5"))
_embed_audio = base.embed_audio


def fused(*args, **kwargs):
    emb = _embed_audio(*args, **kwargs)
    clip = np.repeat(emb.clip_embeddings(), emb.n_frames(), axis=0)
    return replace(emb, values=((emb.values + LAM * clip) / (1.0 + LAM)).astype(np.float32))


if __name__ == "__main__":
    if "--out" not in sys.argv:
        sys.exit("clip_fusion: give --out DIR, or the fused result overwrites the run's plain eval folder")
    base.embed_audio = fused  # type: ignore[assignment]
    from flamkit.cli import main

    sys.exit(main(sys.argv[1:]))
