"""A small CPU-friendly frame encoder (about 2 M parameters) for tests and the embedded default.

HTSAT-tiny needs ~0.2 s per clip forward on one CPU core, too slow to train anything on a laptop or
in CI. This encoder keeps HTSAT's interface (waveform in, ``L`` frame features out) so every other
part of flamkit can be exercised end to end on 2 cores, while staying a sensible SED architecture:

1. log-mel front end at 16 kHz (512-point FFT, 10 ms hop, 64 mel bins, 50-8000 Hz): ``[B, 1001, 64]``,
   then BatchNorm over mel bins (as HTSAT's ``bn0``);
2. a 2-D CNN over (time, mel) with ``channels`` (default 16, 32, 64, 128): a strided stem conv, then
   3x3 conv + BN + ReLU + average pool blocks; the resolution shrinks fast in frequency (4, 2, 2, 1)
   and slowly in time (2, 2, 2, 1), because compute at full resolution dominates and frequency detail
   matters less for *when* an event happens than time does: ``[B, 128, 125, 4]``;
3. the remaining frequency rows are folded into channels (``128 x 4 = 512``) and a temporal stack
   runs over the 125 steps (80 ms each): one width-``hidden`` conv (kernel 3), then ``temporal_blocks``
   residual dilated convolutions (kernel 3, dilation 1, 2, 4, 8, ...), which give each step a
   receptive field of several seconds at a cost linear in time (a GRU would be sequential and slow on
   CPU), and a final LayerNorm;
4. :func:`~flamkit.models.audio.frames.resize_frames` to ``L``: adaptive average pooling for
   ``L < 125`` (L = 32: ~3.9 steps per frame), interpolation above.

Most parameters sit in the temporal stack, at 1/8 of the spectrogram's time resolution, which is what
keeps a forward + backward pass of 16 ten-second clips to a few tenths of a second on one core
(``benchmarks/audio_encoder_throughput.py --train``).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from flamkit.models.audio.frames import check_clip, check_frames, check_upsample, clip_samples, resize_frames
from flamkit.models.audio.frontend import LogMelFrontend
from flamkit.registry import AUDIO_ENCODERS

_TIME_POOLS = (2, 2, 2, 1)
_FREQ_POOLS = (4, 2, 2, 1)


class _ConvBlock2d(nn.Sequential):
    """3x3 conv + BN + ReLU, then average pooling by ``pool`` (time, freq)."""

    def __init__(self, cin: int, cout: int, pool: tuple[int, int]) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.AvgPool2d(pool) if pool != (1, 1) else nn.Identity(),
        )


class _Stem(nn.Sequential):
    """Strided (3, 7) conv + BN + ReLU: (time, freq) / (2, 4) in one step.

    A 3x3 conv followed by pooling at the spectrogram's full resolution costs more than the rest of
    the network together on a CPU (its activations are 16 x 1001 x 64 per clip and channel, and every
    elementwise op on them is memory-bound); striding the first conv avoids ever materialising them.
    """

    def __init__(self, cout: int, stride: tuple[int, int]) -> None:
        super().__init__(
            nn.Conv2d(1, cout, kernel_size=(3, 7), stride=stride, padding=(1, 3), bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class _TemporalBlock(nn.Module):
    """``x + ReLU(BN(conv_d(x)))`` with a dilated kernel-3 convolution over time."""

    def __init__(self, width: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(width, width, kernel_size=3, padding=dilation, dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(width)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.act(self.bn(self.conv(x)))


@AUDIO_ENCODERS.register("small_cnn")
class SmallCNN(nn.Module):
    """Small CNN + dilated temporal convolutions; ``out_dim = hidden``; 16 kHz by default."""

    def __init__(
        self,
        frames: int = 32,
        sample_rate: int = 16000,
        clip_seconds: float = 10.0,
        n_mels: int = 64,
        n_fft: int = 512,
        hop_length: int = 160,
        fmin: float = 50.0,
        fmax: float = 8000.0,
        channels: Sequence[int] = (16, 32, 64, 128),
        hidden: int = 384,
        temporal_blocks: int = 4,
        dropout: float = 0.1,
        upsample: str = "linear",
    ) -> None:
        super().__init__()
        channels = tuple(int(c) for c in channels)
        if len(channels) != len(_TIME_POOLS) or min(channels) < 1:
            raise ValueError(f"channels needs {len(_TIME_POOLS)} positive widths (one per conv block); got {channels}")
        if hidden < 1 or temporal_blocks < 0:
            raise ValueError(f"hidden must be >= 1 and temporal_blocks >= 0; got {hidden}, {temporal_blocks}")
        check_frames(frames)
        check_upsample(upsample)
        self.sample_rate = sample_rate
        self.clip_seconds = float(clip_seconds)
        self.frames = frames
        self.upsample = upsample
        self.clip_samples = clip_samples(sample_rate, clip_seconds)
        self.out_dim = hidden

        self.frontend = LogMelFrontend(
            sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=n_fft,
            n_mels=n_mels, fmin=fmin, fmax=fmax,
        )
        # The stem's padded strided conv rounds up ((n - 1) // s + 1), the pools round down.
        freq = (n_mels - 1) // _FREQ_POOLS[0] + 1
        steps = (self.frontend.num_frames(self.clip_samples) - 1) // _TIME_POOLS[0] + 1
        for fpool, tpool in zip(_FREQ_POOLS[1:], _TIME_POOLS[1:]):
            freq, steps = freq // fpool, steps // tpool
        if freq < 1 or steps < 1:
            raise ValueError(
                f"n_mels={n_mels} mel bins and a {clip_seconds:g} s clip are too small for the CNN's pooling "
                f"(frequency / {_FREQ_POOLS}, time / {_TIME_POOLS})"
            )
        self.native_frames = steps

        self.bn0 = nn.BatchNorm1d(n_mels)
        widths = (1, *channels)
        self.cnn = nn.Sequential(
            _Stem(channels[0], (_TIME_POOLS[0], _FREQ_POOLS[0])),
            *(
                _ConvBlock2d(widths[i], widths[i + 1], (_TIME_POOLS[i], _FREQ_POOLS[i]))
                for i in range(1, len(channels))
            ),
        )
        self.bridge = nn.Sequential(
            nn.Conv1d(channels[-1] * freq, hidden, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
        )
        self.temporal = nn.Sequential(*(_TemporalBlock(hidden, 2**i) for i in range(temporal_blocks)))
        self.norm = nn.LayerNorm(hidden)

    def forward(self, audio: Tensor) -> Tensor:
        check_clip(audio, self.clip_samples, self.sample_rate, "SmallCNN")
        logmel = self.frontend(audio)  # [B, T, n_mels], float32
        x = self.bn0(logmel.transpose(1, 2)).transpose(1, 2).unsqueeze(1)  # [B, 1, T, n_mels]
        x = self.cnn(x)  # [B, C, T', F']
        b, c, t, f = x.shape
        x = x.permute(0, 1, 3, 2).reshape(b, c * f, t)  # fold frequency rows into channels
        x = self.temporal(self.bridge(x))  # [B, hidden, T']
        x = self.norm(x.transpose(1, 2))  # [B, T', hidden]
        return resize_frames(x, self.frames, self.upsample)

    def extra_repr(self) -> str:
        return f"frames={self.frames}, out_dim={self.out_dim}, native_frames={self.native_frames}"
