"""The aisfx sound-effects CNN as a frame encoder, with its pretrained weights loaded offline.

aisfx (Ma & Lerch, "Representation Learning for the Automatic Indexing of Sound Effects
Libraries", ISMIR 2022; PyPI ``aisfx`` 0.1.2, CC-BY-4.0) is a 6.2 M-parameter CNN (the DCASE
cross-task "Cnn_9layers" design: four blocks of two 3x3 conv + BN + ReLU, 64-128-256-512 channels)
trained on nine professional sound-effects libraries. Its wheel ships the weights
(``aisfx/models/checkpoint.pth``), so it is the one pretrained audio encoder a machine without a
model hub can start from. The package's own model ends with a mean over mel bins and a **max over
time** (one 512-d vector per 2 s block); FLAM needs frame embeddings, so this encoder stops before
the time pooling: ``[B, 512, T/8]`` after the three 2x2 poolings, 53 steps of 186 ms for a 10 s clip.

On top of the pretrained trunk sits an ``adapter``: ``adapter_blocks`` pre-norm residual dilated
temporal convolutions (dilation 1, 2, 4, ...), trained from scratch, which give each frame some
seconds of context and let a frozen trunk's features be reshaped for the text space. Then
:func:`~flamkit.models.audio.frames.resize_frames` maps the 53 steps to ``L``.

Front end (:class:`AisfxFrontend`), the package's ``librosa`` path in torch: peak normalisation of
the clip, periodic-Hann STFT (2048 points, hop 1024, centred, zero padding) at 44.1 kHz, power, a
96-band HTK mel filterbank 0-22050 Hz with each filter's weights summing to 1, ``log10(1 + 1e4 x)``,
divided by 9.4578 (the package's "original" min-max normalisation, min 0). The package's published
weights were trained on Essentia spectrograms of the same definition (its docs note the librosa path
"may yield lower results"); this is the path the package itself runs without Essentia.

``layers`` and ``mel_pool`` (:class:`AisfxTrunk`) widen the trunk's output with earlier blocks and the max
over mel bins; a trained 1x1 convolution (``input``) then brings it to the adapter's 512 channels.
``class_heads`` (:class:`AisfxClassHeads`) adds the package's nine pretrained library classifiers, read at
every frame (their hidden layer or their logits), beside the trunk's features: readouts trained on the
libraries' own categories, which flamkit's few thousand mixtures could not learn. ``companion: whisper_base``
adds OpenAI Whisper-base's audio encoder (:mod:`flamkit.models.audio.whisper`), frozen, its 20 ms steps
averaged onto this trunk's frames: a second view trained on other audio with another objective.

Freezing: ``model.freeze: [audio_encoder.trunk]`` (or one block, ``audio_encoder.trunk.conv_block1``)
keeps pretrained weights fixed and their BatchNorm in eval mode; nothing frozen fine-tunes it all.
A frozen trunk may run in bf16 (``frozen_precision``). With the whole trunk frozen, ``cache_gb > 0`` memoises its output per clip
(:mod:`flamkit.models.audio.feature_cache`), in memory and, with ``cache_dir``, on disk for other
processes: exact, so a warm cache never changes a number.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from flamkit.models.audio.feature_cache import shared_cache
from flamkit.models.audio.frames import check_clip, check_frames, check_upsample, clip_samples, resize_frames
from flamkit.models.audio.whisper import WhisperCompanion
from flamkit.models.fingerprint import ModuleFingerprint
from flamkit.models.packaged import mark_packaged
from flamkit.registry import AUDIO_ENCODERS

SAMPLE_RATE = 44100
N_FFT = 2048
HOP = 1024
N_MELS = 96
LOG_SCALE = 1.0e4
LOG_MAX = 9.457798957824707  # aisfx.preprocessing.spectrogram_normalize('original'): mn = 0, mx = this
WIDTH = 512
LICENSE = "CC-BY-4.0"
ATTRIBUTION = (
    "aisfx 0.1.2 by Alison B. Ma and Alexander Lerch (CC-BY-4.0): 'Representation Learning for the "
    "Automatic Indexing of Sound Effects Libraries', ISMIR 2022"
)


def hz_to_mel_htk(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz_htk(mel: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def htk_mel_filterbank_l1(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """``[n_mels, n_fft // 2 + 1]``: librosa's ``filters.mel(htk=True, norm=1)`` (triangles, rows sum to 1)."""
    fft_hz = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    corners = mel_to_hz_htk(np.linspace(hz_to_mel_htk(fmin), hz_to_mel_htk(fmax), n_mels + 2))
    widths = np.diff(corners)
    ramps = corners[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights / np.maximum(weights.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny)


class AisfxFrontend(nn.Module):
    """Waveform ``[B, T]`` at 44.1 kHz -> normalised log-mel ``[B, frames, 96]`` (module doc), float32."""

    def __init__(self, peak_normalize: bool = True) -> None:
        super().__init__()
        self.peak_normalize = peak_normalize
        fb = htk_mel_filterbank_l1(SAMPLE_RATE, N_FFT, N_MELS, 0.0, SAMPLE_RATE / 2.0)
        self.register_buffer("mel_fb", torch.tensor(fb, dtype=torch.float32), persistent=False)
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)

    def num_frames(self, num_samples: int) -> int:
        return 1 + num_samples // HOP

    def forward(self, audio: Tensor) -> Tensor:
        with torch.autocast(device_type=audio.device.type, enabled=False):
            x = audio.float()
            if self.peak_normalize:
                peak = x.abs().amax(dim=1, keepdim=True)
                x = x / torch.where(peak > 0, peak, torch.ones_like(peak))
            spec = torch.stft(x, N_FFT, HOP, N_FFT, self.window, center=True, pad_mode="constant", return_complex=True)
            power = spec.real.square() + spec.imag.square()  # [B, F, T]
            mel = torch.matmul(self.mel_fb, power)  # [B, n_mels, T]
            return (torch.log10(mel * LOG_SCALE + 1.0) / LOG_MAX).transpose(1, 2)


class ConvBlock(nn.Module):
    """Two 3x3 conv + BN + ReLU, then max pooling (the package's ``ConvBlock``, same parameter names)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x: Tensor, pool: tuple[int, int]) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return F.max_pool2d(x, pool) if pool != (1, 1) else x


MEL_POOLS = ("mean", "mean_max")


class AisfxTrunk(nn.Module):
    """The pretrained CNN up to the mean over mel bins: log-mel ``[B, T, 96]`` -> ``[B, 512, T // 8]``.

    ``layers`` and ``mel_pool`` widen what it hands on, for a frozen trunk whose last block may be
    too specific to the package's training labels: the outputs of several blocks (each brought to the
    last block's ``T // 8`` steps by average pooling over time) and the max over mel bins beside the
    mean, concatenated on the channel axis. The defaults, ``(4,)`` and ``mean``, are the package's.
    """

    POOLS = ((2, 2), (2, 2), (2, 2), (1, 1))
    CHANNELS = (64, 128, 256, WIDTH)

    def __init__(self, layers: tuple[int, ...] = (4,), mel_pool: str = "mean") -> None:
        super().__init__()
        layers = tuple(int(n) for n in layers)
        if not layers or sorted(set(layers)) != list(layers) or not all(1 <= n <= 4 for n in layers):
            raise ValueError(f"aisfx: layers must be increasing conv block numbers among 1-4, e.g. [3, 4]; got {list(layers)}")
        if mel_pool not in MEL_POOLS:
            raise ValueError(f"aisfx: mel_pool must be one of {MEL_POOLS}; got {mel_pool!r}")
        self.layers, self.mel_pool = layers, mel_pool
        self.out_dim = sum(self.CHANNELS[n - 1] for n in layers) * (2 if mel_pool == "mean_max" else 1)
        self.conv_block1 = ConvBlock(1, 64)
        self.conv_block2 = ConvBlock(64, 128)
        self.conv_block3 = ConvBlock(128, 256)
        self.conv_block4 = ConvBlock(256, WIDTH)

    def blocks(self) -> tuple[ConvBlock, ...]:
        return (self.conv_block1, self.conv_block2, self.conv_block3, self.conv_block4)

    def forward(self, logmel: Tensor) -> Tensor:
        return self.forward_from(logmel.unsqueeze(1), 0)

    def prefix(self, logmel: Tensor, blocks: int) -> Tensor:
        """The output of the first ``blocks`` conv blocks, ``[B, C, T / 2^k, 96 / 2^k]``, before any mel pooling."""
        x = logmel.unsqueeze(1)
        for block, pool in zip(self.blocks()[:blocks], self.POOLS):
            x = block(x, pool)
        return x

    def frozen_prefix(self) -> int:
        """How many leading conv blocks are fixed (no trainable weight, eval mode) and read by no layer.

        Their output is then a pure function of the clip, which the encoder can memoise while the
        blocks after them train.
        """
        count = 0
        for number, block in enumerate(self.blocks(), start=1):
            if number >= self.layers[0] or block.training or any(p.requires_grad for p in block.parameters()):
                break
            count = number
        return count

    def forward_from(self, x: Tensor, start: int) -> Tensor:
        """The trunk's output from ``x``, the output of its first ``start`` blocks (0: the log-mel, ``[B, 1, T, 96]``)."""
        outputs = []
        blocks = self.blocks()
        for number in range(start + 1, self.layers[-1] + 1):
            x = blocks[number - 1](x, self.POOLS[number - 1])
            if number in self.layers:
                outputs.append(self._pool_mel(x))
        steps = outputs[-1].shape[-1]
        outputs = [o if o.shape[-1] == steps else F.adaptive_avg_pool1d(o, steps) for o in outputs]
        return outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=1)

    def _pool_mel(self, x: Tensor) -> Tensor:  # [B, C, T, M] -> [B, C or 2C, T]
        mean = x.mean(dim=3)
        return mean if self.mel_pool == "mean" else torch.cat([mean, x.amax(dim=3)], dim=1)


def packaged_checkpoint() -> Path:
    """Path of the weights inside the installed ``aisfx`` wheel, found without importing the package."""
    spec = importlib.util.find_spec("aisfx")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the aisfx encoder's pretrained weights come from the PyPI package aisfx: install it with "
            "`pip install --no-deps aisfx==0.1.2` (its pinned numpy/librosa are not needed; `make install` does this), "
            "or set model.audio.pretrained=false for random initialisation"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "checkpoint.pth"
    if not path.is_file():
        raise FileNotFoundError(f"aisfx is installed but has no {path}; reinstall aisfx==0.1.2")
    return path


def load_packaged_trunk_state(path: str | os.PathLike[str] | None = None) -> dict[str, Tensor]:
    """The trunk's tensors from the package's checkpoint (the classifier heads, ``fc.*``, are dropped)."""
    state, _ = load_packaged_state(path)
    prefix = "embedding_net."
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def load_packaged_state(path: str | os.PathLike[str] | None = None) -> tuple[dict[str, Tensor], dict[str, tuple[int, int]]]:
    """The package's whole checkpoint, loaded with ``weights_only=True`` (no code runs).

    The file pickles ``(state_dict, {dataset: (numpy int64, classes)})``; only numpy's scalar
    reconstructor and dtypes are allowed beyond tensors. Returns the state and, per training library,
    ``(head index, number of classes)``.
    """
    path = Path(path) if path is not None else packaged_checkpoint()
    try:
        from numpy._core.multiarray import scalar  # numpy >= 2; pickled under its numpy 1 name below
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import scalar

    allowed = [(scalar, "numpy.core.multiarray.scalar"), np.dtype, type(np.dtype(np.int64))]
    with torch.serialization.safe_globals(allowed):
        state, datasets = torch.load(path, map_location="cpu", weights_only=True)
    return state, {str(name): (int(idx), int(n)) for name, (idx, n) in datasets.items()}


CLASS_HEAD_OUTPUTS = ("none", "hidden", "logits")
COMPANIONS = ("none", "whisper_base")


class AisfxClassHeads(nn.Module):
    """The package's nine classifiers (one per training library, ``fc.*``: 512 -> 256 -> 128 -> classes,
    ReLU between), pretrained and frozen, applied to every frame of the trunk's output.

    The package trained them on the max over time of these same features, one clip at a time; read
    at every 186 ms frame they give per-frame evidence for 378 library categories (``logits``) or the
    nine 128-d layers before them (``hidden``). Their category names are not in the package, so they
    are features here, never labels. They stay frozen whatever ``model.freeze`` says: they are
    readouts of the trunk, and fine-tuning belongs to the trunk itself.
    """

    def __init__(self, output: str, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        if output not in CLASS_HEAD_OUTPUTS[1:]:
            raise ValueError(f"aisfx: class_heads must be one of {CLASS_HEAD_OUTPUTS}; got {output!r}")
        state, datasets = load_packaged_state(path)
        self.output = output
        self.libraries = tuple(name for name, _ in sorted(datasets.items(), key=lambda kv: kv[1][0]))
        heads = []
        for name in self.libraries:
            idx, n = datasets[name]
            head = nn.Sequential(nn.Linear(WIDTH, WIDTH // 2), nn.ReLU(), nn.Linear(WIDTH // 2, WIDTH // 4), nn.ReLU(), nn.Linear(WIDTH // 4, n))
            head.load_state_dict({k[len(f"fc.{idx}."):]: v for k, v in state.items() if k.startswith(f"fc.{idx}.")}, strict=True)
            heads.append(head)
        self.heads = nn.ModuleList(heads)
        self.requires_grad_(False)
        mark_packaged(self, f"aisfx: {path or 'aisfx/models/checkpoint.pth'} (classifier heads)")
        self.out_dim = sum(h[-1].in_features if output == "hidden" else h[-1].out_features for h in heads)

    def forward(self, features: Tensor) -> Tensor:  # [B, 512, T] -> [B, out_dim, T]
        x = features.transpose(1, 2)
        outs = [head[:-1](x) if self.output == "hidden" else head(x) for head in self.heads]
        return torch.cat(outs, dim=-1).transpose(1, 2)


class _AdapterBlock(nn.Module):
    """``x + Dropout(GELU(conv_d(LayerNorm(x))))`` over time, kernel 3, dilation ``d``."""

    def __init__(self, width: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.conv = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T]
        y = self.norm(x.transpose(1, 2)).transpose(1, 2)
        return x + self.drop(F.gelu(self.conv(y)))


@AUDIO_ENCODERS.register("aisfx")
class AisfxEncoder(nn.Module):
    """aisfx CNN trunk (pretrained) + trainable temporal adapter -> ``[B, L, 512]`` frame features."""

    def __init__(
        self,
        frames: int = 32,
        sample_rate: int = SAMPLE_RATE,
        clip_seconds: float = 10.0,
        pretrained: bool = True,
        checkpoint: str | None = None,
        adapter_blocks: int = 2,
        dropout: float = 0.1,
        peak_normalize: bool = True,
        cache_gb: float = 0.0,
        cache_dir: str | None = None,
        frozen_precision: str = "fp32",
        upsample: str = "linear",
        layers: list[int] | tuple[int, ...] = (4,),
        mel_pool: str = "mean",
        class_heads: str = "none",
        companion: str = "none",
    ) -> None:
        super().__init__()
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"aisfx was trained at {SAMPLE_RATE} Hz; set model.audio.sample_rate={SAMPLE_RATE} (got {sample_rate})")
        if adapter_blocks < 0 or not 0.0 <= dropout < 1.0 or cache_gb < 0:
            raise ValueError(f"aisfx: adapter_blocks >= 0, 0 <= dropout < 1, cache_gb >= 0; got {adapter_blocks}, {dropout}, {cache_gb}")
        if frozen_precision not in ("fp32", "bf16"):
            raise ValueError(f"aisfx: frozen_precision must be fp32 or bf16; got {frozen_precision!r}")
        check_frames(frames)
        check_upsample(upsample)
        self.frozen_precision = frozen_precision
        self.sample_rate = sample_rate
        self.clip_seconds = float(clip_seconds)
        self.clip_samples = clip_samples(sample_rate, clip_seconds)
        self.frames = frames
        self.upsample = upsample
        self.out_dim = WIDTH
        self.frontend = AisfxFrontend(peak_normalize)
        self.native_frames = self.frontend.num_frames(self.clip_samples) // 8
        if self.native_frames < 1:
            raise ValueError(f"aisfx: a {clip_seconds:g} s clip is shorter than the CNN's pooling (8 spectrogram frames)")
        self.trunk = AisfxTrunk(tuple(layers), mel_pool)
        if pretrained or checkpoint:
            self.trunk.load_state_dict(load_packaged_trunk_state(checkpoint), strict=True)
            mark_packaged(self.trunk, f"aisfx: {checkpoint or 'aisfx/models/checkpoint.pth'}")
        if class_heads not in CLASS_HEAD_OUTPUTS:
            raise ValueError(f"aisfx: class_heads must be one of {CLASS_HEAD_OUTPUTS}; got {class_heads!r}")
        self.class_heads: AisfxClassHeads | None = None
        if class_heads != "none":
            if not (pretrained or checkpoint):
                raise ValueError("aisfx: class_heads reads the packaged classifiers, which only fit the pretrained trunk; set pretrained=true")
            if self.trunk.layers != (4,) or mel_pool != "mean":
                raise ValueError(
                    "aisfx: class_heads reads the package's own features (layers=[4], mel_pool=mean); "
                    f"got layers={list(self.trunk.layers)}, mel_pool={mel_pool!r}"
                )
            self.class_heads = AisfxClassHeads(class_heads, checkpoint)
        if companion not in COMPANIONS:
            raise ValueError(f"aisfx: companion must be one of {COMPANIONS}; got {companion!r}")
        self.companion: WhisperCompanion | None = None
        if companion == "whisper_base":
            self.companion = WhisperCompanion(sample_rate, self.native_frames, pretrained=pretrained or checkpoint is not None)
        width = self.trunk.out_dim + sum(m.out_dim for m in (self.class_heads, self.companion) if m is not None)
        # Wider features (layers, mel_pool, class_heads, companion) meet the adapter through a trained 1x1 convolution.
        self.input = nn.Conv1d(width, WIDTH, 1) if width != WIDTH else nn.Identity()
        self.adapter = nn.Sequential(*(_AdapterBlock(WIDTH, 2**i, dropout) for i in range(adapter_blocks)))
        self.norm = nn.LayerNorm(WIDTH)
        self.cache_gb = float(cache_gb)
        self.cache_dir = cache_dir
        self._fingerprint = ModuleFingerprint(self.trunk)
        self._prefix_fingerprints: dict[int, ModuleFingerprint] = {}
        self._companion_fingerprint = ModuleFingerprint(self.companion) if self.companion is not None else None

    def trunk_frozen(self) -> bool:
        """Whether the trunk's output is a pure function of the clip (no trained weight, BN in eval mode)."""
        return not self.trunk.training and not any(p.requires_grad for p in self.trunk.parameters())

    def trunk_features(self, audio: Tensor) -> Tensor:
        """``[B, trunk.out_dim, T']`` (512 by default): the pretrained CNN's frame features before any trained layer."""
        if not self.trunk_frozen():
            blocks = self.trunk.frozen_prefix() if self.cache_gb > 0 else 0
            if not blocks:
                return self.trunk(self.frontend(audio))
            # Later blocks train: memoise what the fixed leading blocks give, train the rest on it.
            cache = shared_cache(self.cache_gb, self.cache_dir)
            key = self._prefix_fingerprint(blocks) + f"-blocks1to{blocks}"
            with torch.no_grad():
                x = cache.features(key, audio, lambda a: self.trunk.prefix(self.frontend(a), blocks))
            return self.trunk.forward_from(x, blocks)
        with torch.no_grad():
            if self.cache_gb > 0:
                cache = shared_cache(self.cache_gb, self.cache_dir)
                key = self._fingerprint() + ("" if self.frozen_precision == "fp32" else f"-{self.frozen_precision}")
                if self.trunk.layers != (4,) or self.trunk.mel_pool != "mean":
                    key += f"-layers{''.join(map(str, self.trunk.layers))}-{self.trunk.mel_pool}"
                return cache.features(key, audio, self._frozen_trunk)
            return self._frozen_trunk(audio)

    def companion_features(self, audio: Tensor) -> Tensor:
        """``[B, 512, native_frames]``: the frozen companion's features, memoised like a frozen trunk's."""
        assert self.companion is not None and self._companion_fingerprint is not None
        if self.cache_gb > 0:
            cache = shared_cache(self.cache_gb, self.cache_dir)
            key = self._companion_fingerprint() + f"-whisper_base-{self.native_frames}"
            return cache.features(key, audio, self.companion)
        return self.companion(audio)

    def _prefix_fingerprint(self, blocks: int) -> str:
        if blocks not in self._prefix_fingerprints:
            self._prefix_fingerprints[blocks] = ModuleFingerprint(nn.ModuleList(self.trunk.blocks()[:blocks]))
        return self._prefix_fingerprints[blocks]()

    def _frozen_trunk(self, audio: Tensor) -> Tensor:
        """The frozen trunk, in bf16 when asked: about 2x faster on CPUs with AVX512-BF16, features
        within ~3 % (relative L2) of float32; what is trained on top sees the same features always."""
        logmel = self.frontend(audio)
        if self.frozen_precision == "bf16":
            with torch.autocast(device_type=audio.device.type, dtype=torch.bfloat16):
                return self.trunk(logmel).float()
        return self.trunk(logmel)

    def forward(self, audio: Tensor) -> Tensor:
        check_clip(audio, self.clip_samples, self.sample_rate, "AisfxEncoder")
        x = self.trunk_features(audio)  # [B, trunk.out_dim, T']
        if self.class_heads is not None:
            x = torch.cat([x, self.class_heads(x)], dim=1)
        if self.companion is not None:
            x = torch.cat([x, self.companion_features(audio).to(x.dtype)], dim=1)
        x = self.adapter(self.input(x))  # [B, 512, T']
        x = self.norm(x.transpose(1, 2))  # [B, T', 512]
        return resize_frames(x, self.frames, self.upsample)

    def extra_repr(self) -> str:
        heads = f", class_heads={self.class_heads.output}" if self.class_heads is not None else ""
        heads += ", companion=whisper_base" if self.companion is not None else ""
        return f"frames={self.frames}, out_dim={self.out_dim}, native_frames={self.native_frames}, cache_gb={self.cache_gb:g}{heads}"


