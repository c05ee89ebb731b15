"""Audio given to the detector in memory: any layout, dtype, channel count and sample rate -> mono float32.

Files never come through here: they are streamed by :func:`flamkit.data.audio_io.iter_blocks`, which
applies the same down-mix (channel mean) and resampler (soxr HQ), so a file and the same samples
passed as an array give the same result.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import numpy as np

from flamkit.data.audio_io import downmix, resample

MAX_CHANNELS = 16  # a 2-D axis this short is channels; anything longer is time
AudioLike = Any  # numpy array, torch tensor or nested sequence of samples
Source = Union[str, os.PathLike, AudioLike]


def is_path(source: object) -> bool:
    return isinstance(source, (str, os.PathLike, Path))


def to_numpy(audio: AudioLike) -> np.ndarray:
    if hasattr(audio, "detach"):  # torch.Tensor without importing torch here
        audio = audio.detach().cpu().numpy()
    return np.asarray(audio)


def to_mono(audio: AudioLike, sample_rate: int | None, target_rate: int) -> np.ndarray:
    """``[T]``, ``[T, C]`` (soundfile's layout) or ``[C, T]`` (torchaudio's) -> float32 ``[T']`` at ``target_rate``.

    A 2-D array is read as ``[T, C]`` when its second axis has at most 16 entries, else as ``[C, T]``
    when its first axis does. Integer PCM is scaled to [-1, 1). NaN or infinite samples are an error
    (resampling would smear them over their neighbours).
    """
    if sample_rate is None:
        raise ValueError("audio given as an array needs its sample rate: pass sr=<Hz> (or pass a file path)")
    if int(sample_rate) <= 0:
        raise ValueError(f"sample rate must be a positive number of Hz; got {sample_rate}")
    x = to_numpy(audio)
    if x.dtype.kind in "iu":
        info = np.iinfo(x.dtype)
        x = (x.astype(np.float64) - (info.max + 1 + info.min) / 2) / ((info.max - info.min + 1) / 2)
    elif x.dtype.kind != "f":
        raise ValueError(f"audio must be floating-point or integer PCM samples; got dtype {x.dtype}")
    if x.ndim == 2:
        if x.shape[1] <= MAX_CHANNELS:
            pass
        elif x.shape[0] <= MAX_CHANNELS:
            x = x.T
        else:
            raise ValueError(
                f"cannot tell channels from time in audio of shape {x.shape}: pass [samples] or "
                f"[samples, channels] with at most {MAX_CHANNELS} channels"
            )
    elif x.ndim != 1:
        raise ValueError(f"audio must be [samples] or [samples, channels]; got shape {x.shape}")
    x = np.asarray(x, dtype=np.float32)
    finite = np.isfinite(x)
    if not finite.all():
        raise ValueError(
            f"audio has {int((~finite).sum())} NaN or infinite sample(s), the first at sample "
            f"{int(np.argwhere(~finite)[0][0])}; clean the signal before detection"
        )
    return resample(downmix(x), int(sample_rate), int(target_rate))
