"""A tiny, exactly understood FLAM model for evaluation tests (test-only registered components).

Sound event ``k`` is a sine tone at ``FREQS[k]`` Hz. The audio encoder ``test_tones`` splits a clip
into L frames and returns, per frame, the amplitude of each tone (a DFT bin each: the frame length is
a whole number of periods) plus a constant background feature. The text encoder ``test_tone_text``
maps a text naming tone ``k`` to the one-hot vector of that tone, minus the background feature. With identity projections
(:func:`make_oracle`) the frame-text cosine is the tone's share of the frame's amplitude: high
exactly where the tone plays. Negating the text projection (:func:`make_oracle(inverted=True)`)
turns the same model into a perfectly wrong one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from omegaconf import OmegaConf
from torch import Tensor, nn

from flamkit.data.example import Event, Example
from flamkit.models.flam import FlamModel, build_model
from flamkit.models.pooling import Pooling
from flamkit.registry import AUDIO_ENCODERS, DATA_SOURCES, POOLINGS, TEXT_ENCODERS
from flamkit.train.checkpoint import write_checkpoint

SR = 8000
FRAMES = 32
CLIP_SECONDS = 10.0
HOP = CLIP_SECONDS / FRAMES
NAMES = ("beep", "buzz", "whistle")
FREQS = (400.0, 1200.0, 2400.0)  # multiples of SR / (SR * HOP) = 3.2 Hz: exact DFT bins per frame
BACKGROUND = 0.05


@AUDIO_ENCODERS.register("test_tones")
class ToneEncoder(nn.Module):
    """Per-frame amplitude of each test tone plus a constant (test only)."""

    def __init__(self, frames: int = FRAMES, sample_rate: int = SR, clip_seconds: float = CLIP_SECONDS, freqs: list = list(FREQS)) -> None:
        super().__init__()
        self.frames, self.sample_rate, self.clip_seconds = frames, sample_rate, clip_seconds
        self.clip_samples = int(round(sample_rate * clip_seconds))
        n = self.clip_samples // frames
        t = np.arange(n) / sample_rate
        basis = np.concatenate([np.cos(2 * np.pi * np.outer(t, freqs)), np.sin(2 * np.pi * np.outer(t, freqs))], axis=1)
        self.register_buffer("basis", torch.tensor(basis, dtype=torch.float32), persistent=False)
        self.n, self.k = n, len(freqs)
        self.out_dim = self.k + 1

    def forward(self, audio: Tensor) -> Tensor:
        if audio.shape[-1] != self.clip_samples:
            raise ValueError(f"expected {self.clip_samples} samples, got {audio.shape[-1]}")
        x = audio.reshape(audio.shape[0], self.frames, self.n) @ self.basis  # [B, L, 2K]
        amp = 2.0 / self.n * torch.sqrt(x[..., : self.k] ** 2 + x[..., self.k :] ** 2)
        return torch.cat([amp, torch.full_like(amp[..., :1], BACKGROUND)], dim=-1)


@POOLINGS.register("test_max")
class MaxPooling(Pooling):
    """Per-dimension max over the frames: a clip embedding that is not the mean of the frames (test only)."""

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        return x.max(dim=1).values


@TEXT_ENCODERS.register("test_tone_text")
class ToneText(nn.Module):
    """One-hot of the first tone name in the text (none for other texts), -1 on the background feature (test only)."""

    def __init__(self, names: list = list(NAMES)) -> None:
        super().__init__()
        self.names = list(names)
        self.out_dim = len(self.names) + 1
        self.register_buffer("eye", torch.eye(self.out_dim), persistent=False)

    def forward(self, texts: list[str]) -> Tensor:
        # a text naming no tone gets only the background component: it scores like silence everywhere
        idx = [next((k for k, n in enumerate(self.names) if n in t), len(self.names)) for t in texts]
        onehot = self.eye[torch.tensor(idx, device=self.eye.device)].clone()
        onehot[:, -1] = -1.0  # against the background feature: silent frames score below 0.5
        return onehot


def model_config(names=NAMES, freqs=FREQS, audio: dict | None = None) -> dict:
    """The tone model's config; ``audio`` replaces its encoder (e.g. ``{"name": "small_cnn"}``)."""
    d = len(names) + 1
    return {
        "audio": audio or {"name": "test_tones", "sample_rate": SR, "freqs": list(freqs)},
        "text": {"name": "test_tone_text", "names": list(names)},
        "scale": {"name": "per_text_scale", "hidden": 4, "init": 3.0},  # alpha = e^3 ~ 20
        "bias": {"name": "per_text_bias", "hidden": 4},
        "projection": {"name": "mlp", "hidden": 2 * d},
        "frames": FRAMES,
        "embed_dim": d,
        "clip_scale_init": 2.0,
        "clip_scale_max": 100.0,
        "max_text_tokens": 77,
    }


def make_oracle(model: FlamModel, inverted: bool = False) -> FlamModel:
    """Identity projections (the text one negated when ``inverted``): cosine = the tone's amplitude share."""
    with torch.no_grad():
        for proj, sign in ((model.audio_projection, 1.0), (model.text_projection, -1.0 if inverted else 1.0)):
            d = proj.fc2.weight.shape[0]
            eye = torch.eye(d)
            proj.fc1.weight.copy_(torch.cat([eye, -eye]))  # hidden = [relu(x), relu(-x)]
            proj.fc1.bias.zero_()
            proj.fc2.weight.copy_(sign * torch.cat([eye, -eye], dim=1))  # relu(x) - relu(-x) = x
            proj.fc2.bias.zero_()
    return model.eval()


def build_oracle(inverted: bool = False) -> FlamModel:
    torch.manual_seed(0)
    return make_oracle(build_model(OmegaConf.create(model_config())), inverted)


def save_run(
    root: Path, name: str, model: FlamModel, step: int = 100, config_extra: dict | None = None, model_cfg: dict | None = None
) -> Path:
    """A run folder (config.yaml + one checkpoint) as the training loop writes it; returns the run folder."""
    run = root / name
    model_cfg = model_cfg or model_config()
    cfg = {"experiment": "test", "seed": 0, "model": model_cfg, "train": {"max_steps": step}, **(config_extra or {})}
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(cfg)))
    write_checkpoint(
        run / "checkpoints" / f"ckpt-{step:08d}", model.state_dict(), OmegaConf.to_yaml(OmegaConf.create(model_cfg)), {"step": step}
    )
    return run


def tone_audio(events: list[tuple[float, float, str]], duration: float, seed: int = 0, noise: float = 0.0) -> np.ndarray:
    """Mono float32 audio at SR with each (onset, offset, name) event as its tone, amplitude 0.3."""
    n = int(round(duration * SR))
    t = np.arange(n) / SR
    audio = np.zeros(n, dtype=np.float64)
    for onset, offset, name in events:
        f = FREQS[NAMES.index(name)]
        on = (t >= onset) & (t < offset)
        audio[on] += 0.3 * np.sin(2 * np.pi * f * t[on])
    if noise:
        audio += noise * np.random.default_rng(seed).normal(size=n)
    return audio.astype(np.float32)


def write_sed_set(folder: Path, clips: dict[str, tuple[float, list[tuple[float, float, str]]]]) -> Path:
    """Write ``{filename: (duration, events)}`` as WAV files plus a DCASE strong-label TSV; returns the TSV."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["filename\tonset\toffset\tevent_label"]
    for name, (duration, events) in clips.items():
        sf.write(folder / name, tone_audio(events, duration), SR)
        for onset, offset, label in events:
            rows.append(f"{name}\t{onset}\t{offset}\t{label}")
        if not events:
            rows.append(f"{name}\t\t\t")
    tsv = folder / "ground_truth.tsv"
    tsv.write_text("\n".join(rows) + "\n")
    return tsv


# A fixed set of clips with tone events: (file name, duration, events); short, exact and long clips.
SET = {
    "c0.wav": (10.0, [(1.25, 3.125, "beep"), (5.0, 7.5, "buzz")]),
    "c1.wav": (6.0, [(0.625, 2.5, "whistle")]),
    "c2.wav": (13.0, [(10.625, 12.5, "beep"), (2.5, 4.0, "whistle"), (3.75, 5.0, "whistle")]),
    "c3.wav": (10.0, [(6.25, 8.75, "whistle"), (0.0, 1.25, "buzz")]),
    "c4.wav": (10.0, []),
}


@DATA_SOURCES.register("test_tone_source")
class ToneSource:
    """:data:`SET` as in-memory examples (test only); ``sample_rate`` is the source's own."""

    name = "test_tone_source"

    def __init__(self, sample_rate: int = SR, clip_seconds: float = CLIP_SECONDS, rate: int = SR) -> None:
        self.rate = rate
        self.items = list(SET.items())

    def __len__(self) -> int:
        return len(self.items)

    def get(self, index: int, rng: np.random.Generator) -> Example:
        key, (duration, events) = self.items[index]
        audio = tone_audio(events, duration)
        if self.rate != SR:
            import soxr

            audio = soxr.resample(audio, SR, self.rate).astype(np.float32)
        by_text: dict[str, list] = {}
        for onset, offset, name in events:
            by_text.setdefault(name, []).append((onset, offset))
        return Example(audio, self.rate, key, events=[Event(t, segs) for t, segs in by_text.items()])

    def labels(self) -> None:
        return None
