"""Log-mel front end, numerically the one LAION-CLAP's HTSAT uses (torchlibrosa's
``Spectrogram`` + ``LogmelFilterBank``), computed on the model's device.

Why our own and not torchlibrosa/torchaudio: torchlibrosa needs librosa at construction (a heavy
dependency for one filterbank) and stores the STFT as two 1024-tap conv kernels (1 M frozen
"parameters"); torchaudio is an optional extra of flamkit. ``torch.stft`` with a periodic Hann
window gives the same spectrogram as torchlibrosa's conv STFT, and the slaney mel filterbank is a
few lines of numpy, so the front end has no dependency beyond torch and numpy.

Pipeline (LAION-CLAP defaults for 48 kHz audio):

1. ``center=True`` reflect padding of ``n_fft // 2`` samples on both sides, so frame ``t`` is
   centred on sample ``t * hop_length`` and a 10 s clip gives ``1 + 480000 // 480 = 1001`` frames;
2. periodic Hann window of ``win_length`` samples (zero-padded to ``n_fft`` at the centre),
   ``|STFT|^power`` with ``power = 2``;
3. a librosa-compatible mel filterbank (``htk=False``, ``norm='slaney'``: triangles on the slaney
   mel scale, each scaled to unit area in Hz) of ``n_mels`` bins between ``fmin`` and ``fmax``;
4. ``10 * log10(max(x, amin)) - 10 * log10(max(amin, ref))`` (librosa's ``power_to_db`` with
   ``ref = 1`` and no ``top_db`` clipping, as LAION-CLAP configures it).

The front end always runs in float32 with autocast disabled: log-mel values span ~100 dB and the
STFT sums 1024 products, both of which bf16's 8-bit mantissa would visibly distort.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn

# Slaney's auditory-toolbox mel scale (librosa ``htk=False``): linear below 1 kHz at 200/3 Hz per mel,
# logarithmic above with 27 mels per factor 6.4 in frequency.
_SLANEY_HZ_PER_MEL = 200.0 / 3.0
_SLANEY_BREAK_HZ = 1000.0
_SLANEY_BREAK_MEL = _SLANEY_BREAK_HZ / _SLANEY_HZ_PER_MEL  # = 15
_SLANEY_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel_slaney(hz: np.ndarray | float) -> np.ndarray:
    """Frequency in Hz -> slaney mel (librosa ``hz_to_mel(..., htk=False)``)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _SLANEY_HZ_PER_MEL
    log = _SLANEY_BREAK_MEL + np.log(np.maximum(hz, _SLANEY_BREAK_HZ) / _SLANEY_BREAK_HZ) / _SLANEY_LOG_STEP
    return np.where(hz >= _SLANEY_BREAK_HZ, log, linear)


def mel_to_hz_slaney(mel: np.ndarray | float) -> np.ndarray:
    """Slaney mel -> frequency in Hz (librosa ``mel_to_hz(..., htk=False)``)."""
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _SLANEY_HZ_PER_MEL
    log = _SLANEY_BREAK_HZ * np.exp(_SLANEY_LOG_STEP * (np.maximum(mel, _SLANEY_BREAK_MEL) - _SLANEY_BREAK_MEL))
    return np.where(mel >= _SLANEY_BREAK_MEL, log, linear)


def slaney_mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Mel filterbank ``[n_mels, n_fft // 2 + 1]`` equal to ``librosa.filters.mel(htk=False, norm='slaney')``.

    Filter ``m`` is the triangle through the mel-spaced corner frequencies ``f[m], f[m+1], f[m+2]``
    (``n_mels + 2`` points evenly spaced in slaney mel between ``fmin`` and ``fmax``), evaluated at the
    FFT bin frequencies and scaled by ``2 / (f[m+2] - f[m])`` so that each triangle has unit area in Hz.
    Computed in float64 and returned as float32, as librosa does.
    """
    _check_band(sample_rate, n_fft, n_mels, fmin, fmax)
    fft_hz = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    corners = mel_to_hz_slaney(np.linspace(hz_to_mel_slaney(fmin), hz_to_mel_slaney(fmax), n_mels + 2))
    widths = np.diff(corners)  # [n_mels + 1]
    offsets = corners[:, None] - fft_hz[None, :]  # corner minus bin frequency, [n_mels + 2, n_freq]
    rising = -offsets[:-2] / widths[:-1, None]
    falling = offsets[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (corners[2:] - corners[:-2]))[:, None]
    return weights.astype(np.float32)


def _check_band(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> None:
    if sample_rate <= 0 or n_fft <= 0 or n_mels <= 0:
        raise ValueError(
            f"mel filterbank needs positive sample_rate, n_fft and n_mels; got {sample_rate}, {n_fft}, {n_mels}"
        )
    if not 0.0 <= fmin < fmax <= sample_rate / 2.0:
        raise ValueError(
            f"mel band must satisfy 0 <= fmin < fmax <= sample_rate / 2 = {sample_rate / 2:g} Hz; "
            f"got fmin={fmin:g}, fmax={fmax:g}. Lower fmax or raise sample_rate."
        )


class LogMelFrontend(nn.Module):
    """Waveform ``[B, T]`` -> log-mel ``[B, frames, n_mels]`` (float32), torchlibrosa-equivalent.

    ``frames = 1 + T // hop_length`` with ``center=True``. The Hann window and the filterbank are
    non-persistent buffers: they follow the module across devices but are derived from the config,
    so checkpoints neither carry nor can contradict them.
    """

    def __init__(
        self,
        sample_rate: int = 48000,
        n_fft: int = 1024,
        hop_length: int = 480,
        win_length: int = 1024,
        n_mels: int = 64,
        fmin: float = 50.0,
        fmax: float = 14000.0,
        center: bool = True,
        pad_mode: str = "reflect",
        power: float = 2.0,
        amin: float = 1e-10,
        ref: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0 < win_length <= n_fft:
            raise ValueError(f"win_length must be in (0, n_fft={n_fft}]; got {win_length}")
        if hop_length <= 0:
            raise ValueError(f"hop_length must be positive; got {hop_length}")
        if pad_mode not in ("reflect", "constant"):
            raise ValueError(f"pad_mode must be 'reflect' or 'constant' (torchlibrosa's choices); got {pad_mode!r}")
        if power <= 0 or amin <= 0 or ref <= 0:
            raise ValueError(f"power, amin and ref must be positive; got {power}, {amin}, {ref}")
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.center = center
        self.pad_mode = pad_mode
        self.power = power
        self.amin = amin
        self.ref = ref
        fb = slaney_mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax)
        self.register_buffer("mel_filterbank", torch.from_numpy(fb), persistent=False)  # [n_mels, n_freq]
        # Periodic Hann (scipy/librosa ``get_window('hann', N, fftbins=True)``), as torchlibrosa uses.
        window = torch.hann_window(win_length, periodic=True, dtype=torch.float32)
        self.register_buffer("window", window, persistent=False)

    def num_frames(self, num_samples: int) -> int:
        """Frames produced for a waveform of ``num_samples`` samples."""
        if self.center:
            return 1 + num_samples // self.hop_length
        return 1 + (num_samples - self.n_fft) // self.hop_length

    def forward(self, audio: Tensor) -> Tensor:
        if audio.ndim != 2:
            raise ValueError(f"LogMelFrontend expects a waveform batch [B, T]; got shape {tuple(audio.shape)}")
        with torch.autocast(device_type=audio.device.type, enabled=False):
            spec = torch.stft(
                audio.float(),
                n_fft=self.n_fft,
                hop_length=self.hop_length,
                win_length=self.win_length,
                window=self.window,
                center=self.center,
                pad_mode=self.pad_mode,
                return_complex=True,
            )  # [B, n_freq, frames]
            power = spec.real.square() + spec.imag.square()  # |X|^2 without abs()'s sqrt round trip
            if self.power != 2.0:
                power = power.pow(self.power / 2.0)
            mel = torch.matmul(self.mel_filterbank, power).transpose(1, 2)  # [B, frames, n_mels]
            db = 10.0 * torch.log10(mel.clamp_min(self.amin))
            return db - 10.0 * math.log10(max(self.amin, self.ref))

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate}, n_fft={self.n_fft}, hop_length={self.hop_length}, "
            f"win_length={self.win_length}, n_mels={self.n_mels}, fmin={self.fmin:g}, fmax={self.fmax:g}"
        )
