"""Deliberately naive references for the audio encoders' tests: explicit loops, float64, written from
the formulas (librosa's slaney mel scale) and from LAION-CLAP's HTSAT architecture facts, never from
flamkit's modules."""

from __future__ import annotations

import math

import numpy as np
import torch

# ------------------------------------------------------------------------------------- slaney mel


def hz_to_mel(f: float) -> float:
    """Slaney: 3 mels per 200 Hz below 1 kHz; above, 27 mels per factor 6.4 starting at mel 15."""
    if f < 1000.0:
        return 3.0 * f / 200.0
    return 15.0 + 27.0 * math.log(f / 1000.0) / math.log(6.4)


def mel_to_hz(m: float) -> float:
    if m < 15.0:
        return 200.0 * m / 3.0
    return 1000.0 * 6.4 ** ((m - 15.0) / 27.0)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """[n_mels, n_fft // 2 + 1] triangles on the slaney scale, each scaled to unit area (norm='slaney')."""
    lo, hi = hz_to_mel(fmin), hz_to_mel(fmax)
    corners = [mel_to_hz(lo + (hi - lo) * i / (n_mels + 1)) for i in range(n_mels + 2)]
    n_freq = n_fft // 2 + 1
    fb = np.zeros((n_mels, n_freq), dtype=np.float64)
    for m in range(n_mels):
        a, b, c = corners[m], corners[m + 1], corners[m + 2]
        for k in range(n_freq):
            f = k * sr / n_fft
            if a < f <= b:
                w = (f - a) / (b - a)
            elif b < f < c:
                w = (c - f) / (c - b)
            else:
                w = 0.0
            fb[m, k] = w * 2.0 / (c - a)
    return fb


def mel_corners(sr: int, n_mels: int, fmin: float, fmax: float) -> list[float]:
    lo, hi = hz_to_mel(fmin), hz_to_mel(fmax)
    return [mel_to_hz(lo + (hi - lo) * i / (n_mels + 1)) for i in range(n_mels + 2)]


def log_mel(x: np.ndarray, sr: int, n_fft: int, hop: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """[T] waveform -> [frames, n_mels]: reflect pad n_fft/2, periodic Hann, explicit DFT, |X|^2, mel, dB."""
    x = np.asarray(x, dtype=np.float64)
    half = n_fft // 2
    padded = np.concatenate([x[1 : half + 1][::-1], x, x[-half - 1 : -1][::-1]])  # reflect, edge not repeated
    window = np.array([0.5 - 0.5 * math.cos(2 * math.pi * n / n_fft) for n in range(n_fft)])
    n_frames = 1 + len(x) // hop
    n = np.arange(n_fft)
    fb = mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    out = np.zeros((n_frames, n_mels))
    for t in range(n_frames):
        frame = padded[t * hop : t * hop + n_fft] * window
        power = np.zeros(n_fft // 2 + 1)
        for k in range(n_fft // 2 + 1):
            re = np.sum(frame * np.cos(2 * math.pi * k * n / n_fft))
            im = -np.sum(frame * np.sin(2 * math.pi * k * n / n_fft))
            power[k] = re * re + im * im
        out[t] = 10.0 * np.log10(np.maximum(fb @ power, 1e-10))
    return out


# ----------------------------------------------------------------------------- LAION-CLAP HTSAT


def laion_relative_position_index(win: int) -> torch.Tensor:
    """Swin's index into the (2w-1)^2 bias table for each (query, key) pair of a w x w window."""
    coords = [(i, j) for i in range(win) for j in range(win)]
    idx = torch.zeros(win * win, win * win, dtype=torch.long)
    for q, (qi, qj) in enumerate(coords):
        for k, (ki, kj) in enumerate(coords):
            idx[q, k] = (qi - ki + win - 1) * (2 * win - 1) + (qj - kj + win - 1)
    return idx


def laion_attn_mask(res: int, win: int, shift: int) -> torch.Tensor:
    """[num_windows, w*w, w*w] mask of the shifted-window attention: -100 between tokens that came from
    different regions of the unshifted map, 0 within a region."""
    region = torch.zeros(res, res)
    bounds = [(0, res - win), (res - win, res - shift), (res - shift, res)]
    label = 0
    for h0, h1 in bounds:
        for w0, w1 in bounds:
            region[h0:h1, w0:w1] = label
            label += 1
    n_side = res // win
    mask = torch.zeros(n_side * n_side, win * win, win * win)
    for wi in range(n_side):
        for wj in range(n_side):
            labels = region[wi * win : (wi + 1) * win, wj * win : (wj + 1) * win].reshape(-1)
            mask[wi * n_side + wj] = torch.where(labels[:, None] == labels[None, :], 0.0, -100.0)
    return mask


def laion_patch_merge(x: torch.Tensor, norm_w, norm_b, reduction_w) -> torch.Tensor:
    """[B, H, W, C] -> [B, H/2, W/2, 2C]: concat (even row, even col), (odd, even), (even, odd), (odd, odd)."""
    parts = [x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]]
    y = torch.cat(parts, dim=-1)
    y = torch.nn.functional.layer_norm(y, (y.shape[-1],), norm_w, norm_b)
    return y @ reduction_w.t()


def laion_swin_block(x: torch.Tensor, p: dict[str, torch.Tensor], heads: int, win: int, shift: int) -> torch.Tensor:
    """One LAION/Swin block on [B, H, W, C], window by window with explicit loops (float64 friendly)."""
    B, H, W, C = x.shape
    ln = torch.nn.functional.layer_norm
    h = ln(x, (C,), p["norm1.weight"], p["norm1.bias"])
    if shift:
        h = torch.roll(h, shifts=(-shift, -shift), dims=(1, 2))
    mask = laion_attn_mask(H, win, shift).to(x.dtype) if shift else None
    index = laion_relative_position_index(win)
    bias = p["attn.relative_position_bias_table"][index.reshape(-1)].reshape(win * win, win * win, heads)
    out = torch.zeros_like(h)
    d = C // heads
    for b in range(B):
        for wi in range(H // win):
            for wj in range(W // win):
                tokens = h[b, wi * win : (wi + 1) * win, wj * win : (wj + 1) * win].reshape(win * win, C)
                qkv = tokens @ p["attn.qkv.weight"].t() + p["attn.qkv.bias"]
                q, k, v = qkv[:, :C], qkv[:, C : 2 * C], qkv[:, 2 * C :]
                heads_out = []
                for hh in range(heads):
                    qh, kh, vh = (t[:, hh * d : (hh + 1) * d] for t in (q, k, v))
                    logits = (qh * d**-0.5) @ kh.t() + bias[:, :, hh]
                    if mask is not None:
                        logits = logits + mask[wi * (W // win) + wj]
                    heads_out.append(torch.softmax(logits, dim=-1) @ vh)
                att = torch.cat(heads_out, dim=-1) @ p["attn.proj.weight"].t() + p["attn.proj.bias"]
                out[b, wi * win : (wi + 1) * win, wj * win : (wj + 1) * win] = att.reshape(win, win, C)
    if shift:
        out = torch.roll(out, shifts=(shift, shift), dims=(1, 2))
    x = x + out
    m = ln(x, (C,), p["norm2.weight"], p["norm2.bias"])
    m = torch.nn.functional.gelu(m @ p["mlp.fc1.weight"].t() + p["mlp.fc1.bias"])
    return x + m @ p["mlp.fc2.weight"].t() + p["mlp.fc2.bias"]


def laion_htsat_state_dict(
    embed_dim: int = 96,
    depths: tuple[int, ...] = (2, 2, 6, 2),
    heads: tuple[int, ...] = (4, 8, 16, 32),
    window: int = 8,
    patch: int = 4,
    spec_size: int = 256,
    n_mels: int = 64,
    n_fft: int = 1024,
    sr: int = 48000,
    fmin: float = 50.0,
    fmax: float = 14000.0,
    classes: int = 527,
    prefix: str = "audio_branch.",
    seed: int = 0,
) -> dict[str, torch.Tensor]:
    """A LAION-CLAP ``audio_branch.*`` state dict with HTSAT_Swin_Transformer's names and shapes.

    Built from the architecture facts (torchlibrosa front end, bn0, patch_embed, BasicLayers with their
    PatchMerging at the end, final norm, tscam_conv + head); learnable tensors are random, the derived
    buffers (relative_position_index, attn_mask, melW) carry their true values.
    """
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g) * 0.02

    n_freq = n_fft // 2 + 1
    sd: dict[str, torch.Tensor] = {
        "spectrogram_extractor.stft.conv_real.weight": rnd(n_freq, 1, n_fft),
        "spectrogram_extractor.stft.conv_imag.weight": rnd(n_freq, 1, n_fft),
        "logmel_extractor.melW": torch.from_numpy(mel_filterbank(sr, n_fft, n_mels, fmin, fmax).T.astype(np.float32)),
        "bn0.weight": 1 + rnd(n_mels),
        "bn0.bias": rnd(n_mels),
        "bn0.running_mean": rnd(n_mels),
        "bn0.running_var": 1 + rnd(n_mels).abs(),
        "bn0.num_batches_tracked": torch.tensor(1000),
        "patch_embed.proj.weight": rnd(embed_dim, 1, patch, patch),
        "patch_embed.proj.bias": rnd(embed_dim),
        "patch_embed.norm.weight": 1 + rnd(embed_dim),
        "patch_embed.norm.bias": rnd(embed_dim),
    }
    res = spec_size // patch
    for i, (depth, h) in enumerate(zip(depths, heads)):
        dim = embed_dim * 2**i
        for j in range(depth):
            pre = f"layers.{i}.blocks.{j}."
            sd |= {
                pre + "norm1.weight": 1 + rnd(dim),
                pre + "norm1.bias": rnd(dim),
                pre + "attn.relative_position_bias_table": rnd((2 * window - 1) ** 2, h),
                pre + "attn.relative_position_index": laion_relative_position_index(window),
                pre + "attn.qkv.weight": rnd(3 * dim, dim),
                pre + "attn.qkv.bias": rnd(3 * dim),
                pre + "attn.proj.weight": rnd(dim, dim),
                pre + "attn.proj.bias": rnd(dim),
                pre + "norm2.weight": 1 + rnd(dim),
                pre + "norm2.bias": rnd(dim),
                pre + "mlp.fc1.weight": rnd(4 * dim, dim),
                pre + "mlp.fc1.bias": rnd(4 * dim),
                pre + "mlp.fc2.weight": rnd(dim, 4 * dim),
                pre + "mlp.fc2.bias": rnd(dim),
            }
            if j % 2 == 1 and res > window:  # shifted blocks; a window covering the whole map is never shifted
                sd[pre + "attn_mask"] = laion_attn_mask(res, window, window // 2)
        if i < len(depths) - 1:
            sd |= {
                f"layers.{i}.downsample.reduction.weight": rnd(2 * dim, 4 * dim),
                f"layers.{i}.downsample.norm.weight": 1 + rnd(4 * dim),
                f"layers.{i}.downsample.norm.bias": rnd(4 * dim),
            }
            res //= 2
    features = embed_dim * 2 ** (len(depths) - 1)
    freq_rows = spec_size // 2 ** (len(depths) - 1) // patch // (spec_size // n_mels)
    sd |= {
        "norm.weight": 1 + rnd(features),
        "norm.bias": rnd(features),
        "tscam_conv.weight": rnd(classes, features, freq_rows, 3),
        "tscam_conv.bias": rnd(classes),
        "head.weight": rnd(classes, classes),
        "head.bias": rnd(classes),
    }
    return {prefix + k: v for k, v in sd.items()}


LAION_BUFFER_SUFFIXES = ("relative_position_index", "attn_mask", "running_mean", "running_var", "num_batches_tracked")
