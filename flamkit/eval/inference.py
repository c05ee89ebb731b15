"""Batched inference for evaluation: frame embeddings of many clips, text embeddings cached per text.

The model takes fixed-length clips (``clip_seconds``, 10 s in the paper) and emits L frames per clip.
Evaluation sets are not that tidy, so every clip is planned before it is encoded:

* exactly the model's length: one window;
* shorter: zero-padded to one window; frames that cover only padding are not kept, so they are
  never scored (a frame that covers any audio is kept);
* longer: split into consecutive clip-length windows (the last one padded), their frames
  concatenated in time; frames past the end of the audio are dropped as for short clips;
* longer by at most ``tolerance_seconds`` (resampling rounding): trimmed to one window.

Each case is counted in a :class:`LengthReport` (with examples) that evaluation prints and writes
to metrics.json, so nothing is padded, split or trimmed silently.

Encoding runs in batches on the model's device (a GPU when the model is on one), with audio files
decoded by ``loader_threads`` threads ahead of the model. For CPU evaluation ``workers > 1`` runs a
pool of processes (forked from a forkserver that imported torch once), each with one torch thread
and its own copy of the model (sent once, when the worker starts), each encoding whole chunks of
clips.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from flamkit.scoring import frame_scores

MAX_EXAMPLES = 10


class AudioLoadError(RuntimeError):
    """An audio file that cannot be decoded; the message names it."""


# --- clips and their audio ----------------------------------------------------------------------
@dataclass(frozen=True)
class AudioClip:
    """One clip to encode: a file (``path``) or audio already in memory (``audio`` at ``sample_rate``)."""

    key: str
    path: str | None = None
    audio: np.ndarray | None = field(default=None, repr=False)
    sample_rate: int | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.audio is None):
            raise ValueError(f"clip {self.key!r}: give exactly one of path or audio")
        if self.audio is not None and not self.sample_rate:
            raise ValueError(f"clip {self.key!r}: in-memory audio needs its sample_rate")

    def load(self, sample_rate: int) -> np.ndarray:
        """Mono float32 samples at ``sample_rate``."""
        if self.path is not None:
            return load_audio(self.path, sample_rate)
        audio = np.asarray(self.audio, dtype=np.float32)
        if audio.ndim == 2:
            audio = audio.mean(axis=0 if audio.shape[0] < audio.shape[1] else 1)
        return _checked(_resample(audio, int(self.sample_rate), sample_rate), self.key)


def load_audio(path: str, sample_rate: int) -> np.ndarray:
    """Decode ``path`` to mono float32 at ``sample_rate`` (channels averaged, soxr resampling)."""
    import soundfile as sf

    try:
        audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise AudioLoadError(f"{path}: cannot decode audio ({exc}); fix or remove the file") from None
    return _checked(_resample(audio.mean(axis=1), int(sr), sample_rate), str(path))


def _resample(audio: np.ndarray, sr: int, target: int) -> np.ndarray:
    if sr == target:
        return np.ascontiguousarray(audio, dtype=np.float32)
    import soxr

    return soxr.resample(audio, sr, target).astype(np.float32, copy=False)


def _checked(audio: np.ndarray, where: str) -> np.ndarray:
    if audio.size == 0:
        raise AudioLoadError(f"{where}: audio has no samples")
    if not np.isfinite(audio).all():
        raise AudioLoadError(f"{where}: audio contains NaN or infinite samples")
    return audio


# --- planning windows ---------------------------------------------------------------------------
@dataclass
class LengthReport:
    """How many clips were encoded as they are, padded, split or trimmed (with examples)."""

    clip_seconds: float
    n_clips: int = 0
    n_exact: int = 0
    n_padded: int = 0
    n_split: int = 0
    n_trimmed: int = 0
    n_windows: int = 0
    padded_examples: list[str] = field(default_factory=list)
    split_examples: list[str] = field(default_factory=list)
    trimmed_examples: list[str] = field(default_factory=list)
    shortest_seconds: float = math.inf
    longest_seconds: float = 0.0

    def add(self, key: str, kind: str, seconds: float, windows: int) -> None:
        self.n_clips += 1
        self.n_windows += windows
        self.shortest_seconds = min(self.shortest_seconds, seconds)
        self.longest_seconds = max(self.longest_seconds, seconds)
        setattr(self, f"n_{kind}", getattr(self, f"n_{kind}") + 1)
        examples = getattr(self, f"{kind}_examples", None)
        if examples is not None and len(examples) < MAX_EXAMPLES:
            examples.append(f"{key} ({seconds:.3f} s)")

    def merge(self, other: LengthReport) -> None:
        for name in ("n_clips", "n_exact", "n_padded", "n_split", "n_trimmed", "n_windows"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("padded_examples", "split_examples", "trimmed_examples"):
            mine = getattr(self, name)
            mine.extend(getattr(other, name)[: MAX_EXAMPLES - len(mine)])
        self.shortest_seconds = min(self.shortest_seconds, other.shortest_seconds)
        self.longest_seconds = max(self.longest_seconds, other.longest_seconds)

    def lines(self) -> list[str]:
        """Messages for the console, one per kind of adjustment (empty when every clip fit exactly)."""
        s = f"{self.clip_seconds:g} s"
        out = []
        if self.n_padded:
            out.append(
                f"padded {self.n_padded} clip(s) shorter than the model's {s} window; frames covering only padding "
                f"are not scored. E.g. {', '.join(self.padded_examples[:3])}"
            )
        if self.n_split:
            out.append(
                f"split {self.n_split} clip(s) longer than {s} into {s} windows and concatenated their frames. "
                f"E.g. {', '.join(self.split_examples[:3])}"
            )
        if self.n_trimmed:
            out.append(f"trimmed {self.n_trimmed} clip(s) a few ms longer than {s} to {s}. E.g. {', '.join(self.trimmed_examples[:3])}")
        return out

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("clip_seconds", "n_clips", "n_exact", "n_padded", "n_split", "n_trimmed", "n_windows")}
        d.update(padded_examples=self.padded_examples, split_examples=self.split_examples, trimmed_examples=self.trimmed_examples)
        d["shortest_seconds"] = None if self.n_clips == 0 else self.shortest_seconds
        d["longest_seconds"] = None if self.n_clips == 0 else self.longest_seconds
        return d


def plan_windows(n_samples: int, clip_samples: int, frames: int, tolerance_samples: int = 0) -> tuple[str, int, int]:
    """``(kind, windows, kept frames)`` for a clip of ``n_samples``; kind is exact/padded/split/trimmed.

    A frame is kept when it covers at least one sample of audio: ceil(n_samples * L / clip_samples).
    """
    if n_samples <= 0:
        raise ValueError("a clip needs at least one sample")
    if n_samples == clip_samples:
        return "exact", 1, frames
    if n_samples < clip_samples:
        return "padded", 1, max(1, -(-n_samples * frames // clip_samples))
    if n_samples <= clip_samples + tolerance_samples:
        return "trimmed", 1, frames
    windows = -(-n_samples // clip_samples)
    return "split", windows, -(-n_samples * frames // clip_samples)


def _windows(audio: np.ndarray, windows: int, clip_samples: int) -> np.ndarray:
    """``(windows, clip_samples)`` float32: the audio zero-padded (or trimmed) to whole windows."""
    out = np.zeros(windows * clip_samples, dtype=np.float32)
    n = min(len(audio), len(out))
    out[:n] = audio[:n]
    return out.reshape(windows, clip_samples)


# --- frame embeddings ---------------------------------------------------------------------------
@dataclass
class FrameEmbeddings:
    """Kept frame embeddings of all clips, concatenated: clip ``i`` at rows ``offsets[i]:offsets[i+1]``.

    values: ``(total_frames, d)`` float32, each frame L2-normalised (the model's e^{a,loc}).
    durations: seconds of audio per clip (before padding). hop: frame length in seconds.
    pooled: ``(n_clips, d)`` clip embeddings from the model's own pooling of each clip's kept frames,
    for models whose clip embedding is not the mean of the frames (None for the mean).
    """

    values: np.ndarray
    offsets: np.ndarray
    keys: tuple[str, ...]
    durations: np.ndarray
    hop: float
    lengths: LengthReport
    pooled: np.ndarray | None = None

    @property
    def n_clips(self) -> int:
        return len(self.keys)

    def clip(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def n_frames(self) -> np.ndarray:
        return np.diff(self.offsets)

    def clip_embeddings(self) -> np.ndarray:
        """``(n_clips, d)``: the model's e^a of each clip's kept frames (padding does not enter it for
        shorter clips): the L2-normalised mean of the frames, or the model's pooling of them."""
        if self.pooled is not None:
            return self.pooled
        sums = np.add.reduceat(self.values.astype(np.float64), self.offsets[:-1], axis=0)
        means = sums / self.n_frames()[:, None]
        return (means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@dataclass
class _ModelShape:
    sample_rate: int
    frames: int
    clip_samples: int
    clip_seconds: float
    tolerance_samples: int

    @classmethod
    def of(cls, model, tolerance_seconds: float) -> _ModelShape:
        sr = int(model.sample_rate)
        clip_samples = int(getattr(model.audio_encoder, "clip_samples", round(model.clip_seconds * sr)))
        return cls(sr, int(model.frames), clip_samples, float(model.clip_seconds), int(round(tolerance_seconds * sr)))


def _pools_by_mean(model) -> bool:
    return bool(getattr(model, "pools_by_mean", True))


def _encode_chunk(model, shape: _ModelShape, audios: list[np.ndarray], batch_size: int, device: torch.device):
    """Frames of each clip in ``audios`` (kept frames only), each clip's (kind, windows), and each clip's
    embedding from the model's pooling of its kept frames (None when that is the mean of the frames)."""
    plans = [plan_windows(len(a), shape.clip_samples, shape.frames, shape.tolerance_samples) for a in audios]
    stacked = np.concatenate([_windows(a, w, shape.clip_samples) for a, (_, w, _) in zip(audios, plans)])
    by_mean = _pools_by_mean(model)
    outs, projected = [], []
    with torch.inference_mode():
        for start in range(0, len(stacked), batch_size):
            batch = torch.from_numpy(stacked[start : start + batch_size]).to(device)
            enc = model.encode_audio(batch)
            outs.append(enc.frames.float().cpu().numpy())
            if not by_mean:
                projected.append(enc.projected)
    frames = np.concatenate(outs)  # (windows, L, d)
    raw = torch.cat(projected) if projected else None
    result, pooled, w0 = [], [], 0
    for kind, windows, kept in plans:
        result.append(frames[w0 : w0 + windows].reshape(windows * shape.frames, -1)[:kept])
        if raw is not None:
            with torch.inference_mode():
                own = raw[w0 : w0 + windows].reshape(windows * shape.frames, -1)[:kept]
                pooled.append(model.pool_frames(own).float().cpu().numpy())
        w0 += windows
    return result, [(kind, windows) for kind, windows, _ in plans], (pooled if raw is not None else None)


def _prefetch(clips: Sequence[AudioClip], sample_rate: int, chunk: int, threads: int) -> Iterator[list[np.ndarray]]:
    """Decoded audio, ``chunk`` clips at a time, the next chunk decoding while the caller computes."""
    chunks = [clips[s : s + chunk] for s in range(0, len(clips), chunk)]
    if threads <= 0:
        for c in chunks:
            yield [clip.load(sample_rate) for clip in c]
        return
    with ThreadPoolExecutor(threads) as pool:
        pending = [pool.submit(lambda c=c: [clip.load(sample_rate) for clip in c]) for c in chunks[:2]]
        for i in range(len(chunks)):
            current = pending.pop(0)
            if i + 2 < len(chunks):
                pending.append(pool.submit(lambda c=chunks[i + 2]: [clip.load(sample_rate) for clip in c]))
            yield current.result()


# Worker-process state: the model, sent once per worker by the pool initializer.
_WORKER: dict = {}


def _worker_init(model_bytes: bytes, shape: _ModelShape, batch_size: int) -> None:
    torch.set_num_threads(1)
    # Unpickling imports the modules of the model's own classes; no registry is needed here.
    _WORKER["model"] = torch.load(io.BytesIO(model_bytes), map_location="cpu", weights_only=False).eval()
    _WORKER["shape"] = shape
    _WORKER["batch_size"] = batch_size


def _worker_chunk(clips: list[AudioClip]):
    shape = _WORKER["shape"]
    audios = [c.load(shape.sample_rate) for c in clips]
    frames, plans, pooled = _encode_chunk(_WORKER["model"], shape, audios, _WORKER["batch_size"], torch.device("cpu"))
    return frames, plans, [len(a) for a in audios], pooled


def _pool_context():
    """A forkserver that has imported torch once (workers fork from it: no per-worker import, and no
    fork of a process whose OpenMP/CUDA state is live); spawn where forkserver does not exist."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return torch.multiprocessing.get_context("spawn")
    ctx = torch.multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["torch", "flamkit.eval.inference"])
    return ctx


def embed_audio(
    model,
    clips: Sequence[AudioClip],
    *,
    batch_size: int = 16,
    workers: int = 0,
    loader_threads: int = 2,
    tolerance_seconds: float = 0.01,
    progress: Callable[[int], None] | None = None,
) -> FrameEmbeddings:
    """Frame embeddings of ``clips`` (in order), encoded in batches of ``batch_size`` windows.

    The model runs on the device its parameters are on. ``workers > 1`` (CPU models only) encodes
    in that many processes with one thread each. ``progress(n)`` is called with the number of clips
    finished after each chunk.
    """
    if not clips:
        raise ValueError("no clips to encode")
    keys = [c.key for c in clips]
    if len(set(keys)) != len(keys):
        from collections import Counter

        dup = sorted(k for k, n in Counter(keys).items() if n > 1)[:5]
        raise ValueError(f"clip keys must be unique; repeated: {dup}")
    shape = _ModelShape.of(model, tolerance_seconds)
    device = next(model.parameters()).device
    report = LengthReport(shape.clip_seconds)
    per_clip: list[np.ndarray] = []
    pooled: list[np.ndarray] = []
    n_samples: list[int] = []

    def collect(frames, plans, lengths, chunk_keys, chunk_pooled):
        pooled.extend(chunk_pooled or [])
        for key, f, (kind, windows), n in zip(chunk_keys, frames, plans, lengths):
            per_clip.append(f)
            n_samples.append(n)
            report.add(key, kind, n / shape.sample_rate, windows)
        if progress is not None:
            progress(len(per_clip))

    if workers > 1:
        if device.type != "cpu":
            raise ValueError(f"workers={workers} runs CPU processes; the model is on {device}. Use workers=0 on a GPU.")
        buf = io.BytesIO()
        torch.save(model, buf)
        chunks = [list(clips[s : s + batch_size]) for s in range(0, len(clips), batch_size)]
        ctx = _pool_context()
        with ctx.Pool(workers, initializer=_worker_init, initargs=(buf.getvalue(), shape, batch_size)) as pool:
            for chunk, (frames, plans, lengths, chunk_pooled) in zip(chunks, pool.imap(_worker_chunk, chunks)):
                collect(frames, plans, lengths, [c.key for c in chunk], chunk_pooled)
    else:
        was_training = model.training
        model.eval()
        try:
            start = 0
            for audios in _prefetch(clips, shape.sample_rate, batch_size, loader_threads):
                frames, plans, chunk_pooled = _encode_chunk(model, shape, audios, batch_size, device)
                collect(frames, plans, [len(a) for a in audios], keys[start : start + len(audios)], chunk_pooled)
                start += len(audios)
        finally:
            model.train(was_training)
    offsets = np.concatenate([[0], np.cumsum([len(f) for f in per_clip])]).astype(np.int64)
    values = np.concatenate(per_clip).astype(np.float32, copy=False)
    durations = np.asarray(n_samples, dtype=np.float64) / shape.sample_rate
    clips = np.stack(pooled).astype(np.float32, copy=False) if pooled else None
    return FrameEmbeddings(values, offsets, tuple(keys), durations, shape.clip_seconds / shape.frames, report, clips)


# --- text embeddings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TextTable:
    """Embeddings (``(K, d)``, L2-normalised), logit scales alpha and biases beta of ``texts``."""

    texts: tuple[str, ...]
    emb: np.ndarray
    scale: np.ndarray
    bias: np.ndarray

    def subset(self, index: Sequence[int]) -> TextTable:
        idx = np.asarray(index, dtype=np.int64)
        return TextTable(tuple(self.texts[i] for i in idx), self.emb[idx], self.scale[idx], self.bias[idx])


class TextEmbedder:
    """Text embeddings computed in batches and cached per exact text, so a description shared by many
    clips (or used again by another task with the same model) is encoded once."""

    def __init__(self, model, batch_size: int = 256) -> None:
        self.model = model
        self.batch_size = batch_size
        self._cache: dict[str, tuple[np.ndarray, float, float]] = {}
        self.n_encoded = 0

    def __call__(self, texts: Sequence[str]) -> TextTable:
        texts = tuple(texts)
        if not texts:
            raise ValueError("no texts to embed")
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            was_training = self.model.training
            self.model.eval()
            try:
                with torch.inference_mode():
                    for s in range(0, len(todo), self.batch_size):
                        part = todo[s : s + self.batch_size]
                        t = self.model.encode_text(part)
                        emb = t.emb.float().cpu().numpy()
                        scale = t.scale.float().cpu().numpy().reshape(-1)
                        bias = t.bias.float().cpu().numpy().reshape(-1)
                        for k, text in enumerate(part):
                            self._cache[text] = (emb[k], float(scale[k]), float(bias[k]))
            finally:
                self.model.train(was_training)
            self.n_encoded += len(todo)
        rows = [self._cache[t] for t in texts]
        return TextTable(
            texts,
            np.stack([r[0] for r in rows]).astype(np.float32),
            np.array([r[1] for r in rows], dtype=np.float32),
            np.array([r[2] for r in rows], dtype=np.float32),
        )


# --- frame scores -------------------------------------------------------------------------------
def score_frames(
    frames: np.ndarray, text: TextTable, mode: str = "unbiased", *, device: str | torch.device = "cpu", chunk_rows: int = 16384,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``(n_frames, K)`` float32 scores of every frame against every text (:func:`flamkit.scoring.frame_scores`).

    Computed ``chunk_rows`` frames at a time on ``device``; written into ``out`` when given.
    """
    n, k = len(frames), len(text.texts)
    out = np.empty((n, k), dtype=np.float32) if out is None else out
    if out.shape != (n, k):
        raise ValueError(f"out must be ({n}, {k}), got {out.shape}")
    dev = torch.device(device)
    emb = torch.from_numpy(text.emb).to(dev)
    scale = torch.from_numpy(text.scale).to(dev)
    bias = torch.from_numpy(text.bias).to(dev)
    with torch.inference_mode():
        for s in range(0, n, chunk_rows):
            f = torch.from_numpy(np.ascontiguousarray(frames[s : s + chunk_rows], dtype=np.float32)).to(dev)
            cos = (f @ emb.T).T  # [K, n_chunk]
            out[s : s + len(f)] = frame_scores(cos, scale, bias, mode=mode).T.cpu().numpy()
    return out
