"""Text search over a frame index: where in the collection does a described sound happen?

**Score.** Every indexed frame gets the calibrated probability the detector would give it,
:func:`flamkit.scoring.frame_scores` of the frame's cosine with the query under the query's own logit
scale alpha(y) and bias beta(y) (the text side runs at query time, so the per-text calibration is
available): ``unbiased`` by default, where 0.5 is every query's decision boundary, or ``approximate``.
Where windows overlapped, an indexed frame holds the mean of the windows' embeddings, so its cosine is
the mean cosine over those windows (detection instead averages the windows' probabilities; the two
agree where the windows agree, and rank frames the same way within a window).

**Hits.** Frames scoring above ``threshold`` that are adjacent in the same file are merged into one
segment, scored by its peak (``mean`` is its mean score). Segments are ranked by score. When fewer
than ``top`` segments pass the threshold, the list is filled with the best frames below it that are
local maxima in their file (each a one-frame hit): a hit with a score under the threshold is a best
guess, not a detection.

**Text cache.** Query embeddings are stored under ``INDEX/text_cache/`` keyed by the model identity
and the normalised query (:func:`flamkit.textids.normalize_text`), so a repeated query needs neither
the model nor the text encoder.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import torch

from flamkit.inference.index import FrameIndex
from flamkit.scoring import SCORE_MODES, frame_scores
from flamkit.textids import normalize_text

CACHE_DIR = "text_cache"


@dataclass(frozen=True)
class SearchHit:
    file: str  # path relative to the index root
    onset: float  # seconds
    offset: float  # seconds
    score: float  # peak frame probability in the segment
    mean: float  # mean frame probability in the segment


@dataclass(frozen=True)
class QueryEmbedding:
    query: str  # normalised
    emb: np.ndarray  # [d] float32, unit norm
    scale: float  # alpha(y)
    bias: float  # beta(y)


class TextCache:
    """One small JSON file per (model identity, normalised query) under ``INDEX/text_cache/``."""

    def __init__(self, folder: str | os.PathLike, identity: str) -> None:
        self.folder = Path(folder) / CACHE_DIR
        self.identity = identity

    def _path(self, query: str) -> Path:
        key = hashlib.sha256(f"{self.identity}\0{normalize_text(query)}".encode()).hexdigest()[:32]
        return self.folder / f"{key}.json"

    def get(self, query: str) -> QueryEmbedding | None:
        path = self._path(query)
        if not path.is_file():
            return None
        try:
            doc = json.loads(path.read_text())
        except (json.JSONDecodeError, OSError):
            return None  # a torn write: recompute
        if doc.get("model") != self.identity or doc.get("query") != normalize_text(query):
            return None
        return QueryEmbedding(doc["query"], np.asarray(doc["emb"], dtype=np.float32), float(doc["scale"]), float(doc["bias"]))

    def put(self, q: QueryEmbedding) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(q.query)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        doc = {"model": self.identity, "query": q.query, "emb": q.emb.tolist(), "scale": q.scale, "bias": q.bias}
        tmp.write_text(json.dumps(doc))
        os.replace(tmp, path)


def query_embedding(detector, query: str) -> QueryEmbedding:
    """The query's embedding, scale and bias from a :class:`~flamkit.inference.detector.Detector`."""
    t = detector.embed_text([query])
    return QueryEmbedding(normalize_text(query), t.emb[0].numpy().astype(np.float32), float(t.scale[0]), float(t.bias[0]))


@dataclass
class _Shard:
    emb: torch.Tensor  # [rows, d] float16 over the memory map
    owner: np.ndarray  # [rows] file number, -1 for dead rows
    live: np.ndarray  # [rows] bool
    first: np.ndarray  # [rows] bool: first row of its file
    last: np.ndarray  # [rows] bool: last row of its file
    starts: np.ndarray  # [files] first row of each file
    names: list[str]

    @cached_property
    def all_live(self) -> bool:
        return bool(self.live.all())


class Searcher:
    """Scores every frame of an index against a query and returns the best segments.

        >>> s = Searcher(FrameIndex.open("my.index"))
        >>> s.search(query_embedding(detector, "glass breaking"), top=5)
        [SearchHit(file='kitchen/take3.wav', onset=12.5, offset=13.4375, score=0.97, mean=0.9), ...]
    """

    def __init__(self, index: FrameIndex) -> None:
        self.index = index
        self.frame_seconds = index.frame_seconds
        self.shards: list[_Shard] = []
        for name in index.meta["shards"]:
            rows = index.shard(name)
            if rows.shape[0] == 0:
                continue
            owner, starts, names = index.layout(name)
            prev = np.concatenate([[-2], owner[:-1]])
            nxt = np.concatenate([owner[1:], [-2]])
            tensor = torch.from_numpy(np.memmap(index.folder / name, dtype=rows.dtype, mode="c", shape=rows.shape))
            self.shards.append(_Shard(tensor, owner, owner >= 0, owner != prev, owner != nxt, starts, names))

    def _check(self, q: QueryEmbedding, mode: str) -> None:
        if mode not in SCORE_MODES:
            raise ValueError(f"mode must be one of {sorted(SCORE_MODES)}; got {mode!r}")
        if self.shards and q.emb.shape[0] != self.shards[0].emb.shape[1]:
            raise ValueError(f"query embedding has {q.emb.shape[0]} dims, the index {self.shards[0].emb.shape[1]}")

    def cosines(self, q: QueryEmbedding) -> list[np.ndarray]:
        """Per shard, ``[rows]`` float32 cosines with the query (dead rows: -inf)."""
        text = torch.from_numpy(np.ascontiguousarray(q.emb)).to(torch.float16)
        out = []
        for sh in self.shards:
            cos = torch.mv(sh.emb, text).numpy().astype(np.float32)  # float16 storage; torch accumulates in float32
            if not sh.all_live:
                cos[~sh.live] = -np.inf
            out.append(cos)
        return out

    def scores(self, q: QueryEmbedding, mode: str = "unbiased") -> list[np.ndarray]:
        """Per shard, ``[rows]`` float32 frame probabilities (dead rows: 0)."""
        self._check(q, mode)
        return [_to_scores(np.maximum(c, -1e4), q, mode) * (c > -np.inf) for c in self.cosines(q)]

    def search(self, q: QueryEmbedding, top: int = 20, threshold: float = 0.5, mode: str = "unbiased") -> list[SearchHit]:
        """The ``top`` best segments for the query across the collection (module docstring).

        The work is done on cosines, which order frames as their probabilities do (the score never
        falls as the cosine rises): the threshold is mapped to a cosine once, exactly
        (:func:`_cosine_threshold`), and probabilities are computed only for the frames of the hits,
        which keeps a query over a million frames to one matrix-vector product and a few linear passes.
        """
        if top < 1:
            raise ValueError(f"top must be >= 1; got {top}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold is a probability in [0, 1]; got {threshold}")
        self._check(q, mode)
        cos_threshold = _cosine_threshold(q, mode, threshold)
        cosines = self.cosines(q)
        hits: list[tuple[float, int, int, int]] = []  # (peak cosine, shard, first row, end row)
        for k, (sh, cos) in enumerate(zip(self.shards, cosines)):
            hits.extend((peak, k, a, b) for peak, a, b in _segments(sh, cos, cos_threshold, top))
        hits = sorted(hits, key=lambda h: -h[0])[:top]
        if not hits:
            return []
        # one scoring call for every hit's frames: many tiny torch calls cost more than the search
        runs = [cosines[k][a:b] for _, k, a, b in hits]
        scores = np.split(_to_scores(np.concatenate(runs), q, mode), np.cumsum([len(r) for r in runs])[:-1])
        out = []
        for (_, k, a, b), run in zip(hits, scores):
            sh = self.shards[k]
            f = int(sh.owner[a])
            name, first = sh.names[f], int(sh.starts[f])
            duration = self.index.files[name].duration
            onset, offset = (a - first) * self.frame_seconds, min((b - first) * self.frame_seconds, duration)
            out.append(SearchHit(name, onset, offset, float(run.max()), float(run.mean())))
        return out


def _to_scores(cos: np.ndarray, q: QueryEmbedding, mode: str) -> np.ndarray:
    c = torch.from_numpy(np.asarray(cos, dtype=np.float32))[None]
    return frame_scores(c, torch.tensor([q.scale]), torch.tensor([q.bias]), mode=mode)[0].numpy()


@lru_cache(maxsize=1)
def _float16_values() -> np.ndarray:
    """Every float16 value in [-1.0625, 1.0625], ascending, as float32: every cosine the index can produce
    (unit-norm rows and query; float16 rounding stays far inside the margin). ~31,000 values: under
    torch's parallel grain, so scoring them never pays for waking threads."""
    values = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    values = values[np.isfinite(values)].astype(np.float32)
    return np.unique(values[np.abs(values) <= 1.0625])


def _cosine_threshold(q: QueryEmbedding, mode: str, threshold: float) -> float:
    """The largest cosine whose probability is at most ``threshold`` (-inf: every cosine passes).

    Cosines come out of a float16 product, so there are only ~31,000 possible values: scoring all of
    them once (in float32, as the hits are scored) gives a cut with ``cos > cut`` exactly when
    ``score(cos) > threshold``, since scores never fall as the cosine rises.
    """
    values = _float16_values()
    passes = _to_scores(values, q, mode) > threshold
    if not passes.any():
        return np.inf
    i = int(np.argmax(passes))
    return -np.inf if i == 0 else float(values[i - 1])


def _segments(sh: _Shard, key: np.ndarray, threshold: float, top: int) -> list[tuple[float, int, int]]:
    """The ``top`` best (peak, first row, end row) of one shard: runs above threshold, then local maxima below.

    ``key`` is any per-row value that orders rows as their scores do (cosines in :meth:`Searcher.search`);
    dead rows are -inf.
    """
    above = key > threshold
    prev_above = np.concatenate([[False], above[:-1]])
    next_above = np.concatenate([above[1:], [False]])
    starts = np.flatnonzero(above & (~prev_above | sh.first))
    ends = np.flatnonzero(above & (~next_above | sh.last)) + 1
    found: list[tuple[float, int, int]] = []
    if len(starts):
        bounds = np.empty(2 * len(starts), dtype=np.int64)
        bounds[0::2], bounds[1::2] = starts, ends
        padded = np.concatenate([key, np.zeros(1, dtype=key.dtype)])  # reduceat needs every bound < len
        peaks = np.maximum.reduceat(padded, bounds)[0::2]
        found += [(float(peaks[i]), int(starts[i]), int(ends[i])) for i in _top_indices(peaks, top)]
    if len(found) < top:
        left = np.concatenate([[-np.inf], key[:-1]])
        right = np.concatenate([key[1:], [-np.inf]])
        peak = ~above & (key > -np.inf) & ((key > left) | sh.first) & ((key >= right) | sh.last)
        rows = np.flatnonzero(peak)
        found += [(float(key[r]), int(r), int(r) + 1) for r in rows[_top_indices(key[rows], top - len(found))]]
    return found


def _top_indices(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest values, largest first; ties broken by lower index (deterministic)."""
    if n >= len(values):
        return np.argsort(-values, kind="stable")
    kth = -np.partition(-values, n - 1)[n - 1]  # the n-th largest value
    greater = np.flatnonzero(values > kth)
    idx = np.concatenate([greater, np.flatnonzero(values == kth)[: n - len(greater)]])
    return idx[np.lexsort((idx, -values[idx]))]
