"""MGA-CLAP (Li et al., 2024, "Advancing multi-grained alignment for contrastive language-audio
pre-training") as a flamkit plugin: the FLAM paper's strongest baseline (MGA-CLAP*, C.8).

Importing this package registers its components (the entry point in ``pyproject.toml`` names it):

* audio_encoder ``htsat_mga``: HTSAT with the locality-aware last block and SpecAugment;
* pooling ``mga_codebook``: the modality-shared codebook with sparsemax, for frames and words;
* head ``mga_projection``: the LN-Linear-GELU-LN-Linear frame/word projection;
* loss ``mga_hard_negative``: the hard-negative-weighted contrastive loss;
* schedule ``mga_warmup_cosine``: linear warmup then cosine decay.

Its ``conf/`` folder adds config options (``model/audio: htsat_mga``, ``loss: mga_clap``, ...), and
``experiments/mga_clap.yaml`` at the flamkit root trains MGA-CLAP*.
"""

from flamkit_mga_clap import codebook, htsat_mga, loss, projection, schedule  # noqa: F401  (registration)

__all__ = ["codebook", "htsat_mga", "loss", "projection", "schedule"]
