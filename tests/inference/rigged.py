"""A FLAM model rigged so that detection is exact, and audio with tone bursts at known times.

Training a real model in a unit test is slow, so the two towers are built by hand. The audio encoder
("test_band_energy") splits each 10 s clip into its L = 32 frames (5000 samples at 16 kHz) and
outputs, per frame, ``2 r_b - 1`` for each band ``b`` (``r_b``: the fraction of the frame's energy
within 100 Hz of the band's centre) plus a constant 0.5. The text encoder ("test_keywords") maps a
description that names a band ("1 kHz", "3 kHz") to that band's unit vector, anything else to the
last axis negated. With identity projections a frame holding a loud tone of band ``b`` has cosine
~0.67 with "b", a frame without ~-0.66, so with alpha = 10 and beta = -10 the unbiased score is
> 0.99 on the tone and < 0.01 elsewhere. The frames a tone burst touches are exactly the frames that
come out positive (a loud tone dominates the energy of any frame it enters).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from omegaconf import OmegaConf
from torch import Tensor, nn

from flamkit.models.flam import build_model
from flamkit.registry import AUDIO_ENCODERS, HEADS, TEXT_ENCODERS
from flamkit.train.checkpoint import write_checkpoint

SR = 16000
FRAME_SECONDS = 10.0 / 32
KEYWORDS = ("1 khz", "3 khz")
CENTRES = (1000.0, 3000.0)


class BandEnergy(nn.Module):
    def __init__(self, frames: int, centres: tuple[float, ...], sample_rate: int, clip_seconds: float) -> None:
        super().__init__()
        self.frames, self.centres = frames, tuple(centres)
        self.sample_rate, self.clip_seconds = sample_rate, clip_seconds
        self.out_dim = len(self.centres) + 1
        self.register_buffer("offset", torch.tensor(0.5))

    def forward(self, audio: Tensor) -> Tensor:
        b = audio.shape[0]
        x = audio.reshape(b, self.frames, -1).double()
        power = torch.fft.rfft(x, dim=-1).abs() ** 2
        freqs = torch.fft.rfftfreq(x.shape[-1], 1.0 / self.sample_rate)
        total = power.sum(-1) + 1e-12
        feats = [2 * power[..., (freqs - c).abs() <= 100].sum(-1) / total - 1 for c in self.centres]
        feats.append(self.offset.double().expand(b, self.frames))
        return torch.stack(feats, -1).float()


class Keywords(nn.Module):
    def __init__(self, keywords: tuple[str, ...], max_tokens: int) -> None:
        super().__init__()
        self.keywords, self.max_tokens = tuple(keywords), max_tokens
        self.out_dim = len(self.keywords) + 1
        self.register_buffer("dummy", torch.zeros(1))

    def forward(self, texts: list[str]) -> Tensor:
        out = torch.zeros(len(texts), self.out_dim)
        for i, t in enumerate(texts):
            hits = [k for k, word in enumerate(self.keywords) if word in t.lower()]
            if hits:
                out[i, hits[0]] = 1.0
            else:
                out[i, -1] = -1.0
        return out


if "test_band_energy" not in AUDIO_ENCODERS:

    @AUDIO_ENCODERS.register("test_band_energy")
    def band_energy(
        frames: int = 32, centres: tuple = CENTRES, sample_rate: int = SR, clip_seconds: float = 10.0
    ) -> BandEnergy:
        return BandEnergy(frames, tuple(float(c) for c in centres), sample_rate, clip_seconds)

    @TEXT_ENCODERS.register("test_keywords")
    def keywords(keywords: tuple = KEYWORDS, max_tokens: int = 77) -> Keywords:
        return Keywords(tuple(str(k) for k in keywords), max_tokens)

    @HEADS.register("test_identity")
    def identity_projection(in_dim: int, out_dim: int) -> nn.Linear:
        lin = nn.Linear(in_dim, out_dim)
        with torch.no_grad():
            lin.weight.copy_(torch.eye(out_dim, in_dim))
            lin.bias.zero_()
        return lin


def model_config(scale_init: float = math.log(10.0), bias_init: float = -10.0, frames: int = 32) -> dict:
    return {
        "audio": {"name": "test_band_energy"},
        "text": {"name": "test_keywords"},
        "projection": {"name": "test_identity"},
        "scale": {"name": "scalar_scale", "init": scale_init},
        "bias": {"name": "scalar_bias", "init": bias_init},
        "frames": frames,
        "embed_dim": len(KEYWORDS) + 1,
        "clip_scale_init": math.log(1 / 0.07),
        "clip_scale_max": 100.0,
        "max_text_tokens": 77,
    }


def rigged_model(**kw):
    return build_model(model_config(**kw)).eval()


def save_rigged_checkpoint(folder: Path, **kw) -> Path:
    """A real checkpoint folder (manifest, model.yaml, weights) of the rigged model."""
    model = rigged_model(**kw)
    yaml = OmegaConf.to_yaml(OmegaConf.create(model_config(**kw)))
    return write_checkpoint(Path(folder), model.state_dict(), yaml, {"step": 0})


def tone_audio(
    duration: float, bursts: list[tuple[float, float, float]], sr: int = SR, noise: float = 0.01, seed: int = 0,
    amplitude: float = 0.5,
) -> np.ndarray:
    """Float32 mono noise with sine bursts ``(onset s, offset s, frequency Hz)``."""
    rng = np.random.default_rng(seed)
    n = int(round(duration * sr))
    x = rng.standard_normal(n) * noise
    t = np.arange(n) / sr
    for onset, offset, freq in bursts:
        a, b = int(round(onset * sr)), int(round(offset * sr))
        x[a:b] += amplitude * np.sin(2 * np.pi * freq * t[a:b])
    return x.astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sr: int = SR, subtype: str = "PCM_16") -> Path:
    sf.write(str(path), audio, sr, subtype=subtype)
    return path


def frame_truth(onset: float, offset: float) -> tuple[float, float]:
    """The frame-grid span a burst touches: what an exact detector reports."""
    return math.floor(onset / FRAME_SECONDS + 1e-9) * FRAME_SECONDS, math.ceil(offset / FRAME_SECONDS - 1e-9) * FRAME_SECONDS


def small_cnn_model(seed: int = 0, bias_init: float = -1.0):
    """A narrow small_cnn with random projections and the keyword text side: non-trivial probabilities
    that depend on each window's context (unlike the rigged encoder's per-frame band energies)."""
    cfg = {
        "audio": {"name": "small_cnn", "channels": [4, 8, 8, 16], "hidden": 32, "temporal_blocks": 1},
        "text": {"name": "test_keywords"}, "projection": {"name": "mlp", "hidden": 16},
        "scale": {"name": "scalar_scale"}, "bias": {"name": "scalar_bias", "init": bias_init},
        "frames": 32, "embed_dim": 8, "clip_scale_init": 2.0, "clip_scale_max": 100.0, "max_text_tokens": 77,
    }
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build_model(cfg).eval(), cfg
