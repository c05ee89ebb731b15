"""``flamkit eval`` with WordNet query expansion: each query's text features become the mean of the
features of the query and its paraphrases (flamkit/data/corpora/paraphrases.py), before the
projection and the per-text heads. Prompt ensembling, as CLIP does with templates, with paraphrases
instead. Measured not to help (docs/results.md); kept so that the row can be re-run.

    python experiments/probes/query_expansion.py eval checkpoint=RUN eval=debian_sfx_holdout

Needs WordNet (``apt-get install wordnet-base``). Only a frozen text encoder's features go through
``FlamModel._text_features``, which is what this wraps; the eval writes into RUN/eval as usual.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from torch import Tensor

from flamkit.data.corpora.paraphrases import paraphrases
from flamkit.data.corpora.wordnet import WordNet
from flamkit.models import flam


def expanded(features: Callable[[object, list[str]], Tensor], wn: WordNet, limit: int = 6) -> Callable[[object, list[str]], Tensor]:
    """``features`` with each text replaced by the mean over it and its paraphrases."""

    def wrapped(model: object, texts: list[str]) -> Tensor:
        rows = [features(model, [t] + (paraphrases(wn, t, limit=limit) if t.strip() else [])).mean(0) for t in texts]
        return torch.stack(rows)

    return wrapped


if __name__ == "__main__":
    flam.FlamModel._text_features = expanded(flam.FlamModel._text_features, WordNet())  # type: ignore[method-assign]
    from flamkit.cli import main

    sys.exit(main(sys.argv[1:]))
