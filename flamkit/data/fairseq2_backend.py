"""Optional loading on fairseq2's native data pipelines (``pip install flamkit[fairseq2]``).

The only module of flamkit that imports fairseq2. It offers two things:

* :class:`Fairseq2Decoder`: fairseq2's libsndfile decoder (``FileMapper`` + ``AudioDecoder``)
  behind the same checks, down-mix and soxr resampling as :func:`flamkit.data.audio_io.load_audio`
  (select it with ``backend: fairseq2`` on the ``audio_text`` source).
* :class:`Fairseq2Stream`: a batch stream for one source as a fairseq2 ``DataPipeline``: the
  source's item indices are read with ``read_sequence``, sharded by rank, shuffled per epoch with
  a seed, repeated, numbered (``count``), loaded by ``num_parallel_calls`` threads, bucketed into
  batches, collated and prefetched. Resuming works two ways: ``state_dict()`` /
  ``load_state_dict()`` (fairseq2's own, buffers included), and from a batch index alone
  (``start_batch``): the index stream skips ``start_batch * batch_size`` items *before* decoding,
  and a bad item is replaced inside its slot, so each batch consumes exactly ``batch_size`` slots
  and the batch sequence is a pure function of (seed, stream, rank, world size).

What fairseq2 0.8.1 does not do for us (measured, see ``docs/fairseq2.md``): resampling and
down-mixing (soxr in a Python map), weighted sampling *with replacement* and label balancing
(``DataPipeline.sample`` cycles pipelines to exhaustion), and error recovery (an exception in a
map breaks the pipeline for good, so errors are handled inside the map). The native
:class:`~flamkit.data.pipeline.BatchStream` stays the default.
"""

from __future__ import annotations

import atexit
import weakref

import os
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from flamkit.data.audio_io import decode_error, finish_decoded, info
from flamkit.data.example import Example
from flamkit.data.pipeline import Skipped, StreamBatch
from flamkit.data.sampling import stream_code
from flamkit.data.source import Augmenter, DataError, DataSource


def import_error() -> str | None:
    """None when fairseq2's data pipelines import; otherwise why not (for skips and error messages)."""
    try:
        from fairseq2.data.audio import AudioDecoder  # noqa: F401
        from fairseq2.data.data_pipeline import DataPipeline, FileMapper, read_sequence  # noqa: F401
    except Exception as exc:  # ImportError, or OSError when libsndfile/fairseq2n's native library is missing
        return f"fairseq2 is not usable here ({type(exc).__name__}: {exc}); install it with `pip install flamkit[fairseq2]`"
    return None


def _require() -> None:
    reason = import_error()
    if reason:
        raise ImportError(reason)


class Fairseq2Decoder:
    """``decoder(path, sample_rate) -> float32 mono [T]`` through fairseq2's native libsndfile decoder.

    The header is checked with :func:`~flamkit.data.audio_io.info` first, so a missing, empty,
    unsupported or truncated file gets the same :class:`DataError` (and reason) as with soundfile.
    """

    def __init__(self) -> None:
        _require()
        from fairseq2.data.audio import AudioDecoder
        from fairseq2.data.data_pipeline import FileMapper

        self._file_mapper = FileMapper()
        self._decoder = AudioDecoder(keepdim=True)

    def __call__(self, path: str, sample_rate: int, mono: bool = True) -> np.ndarray:
        path = os.fspath(path)
        meta = info(path)
        try:
            out = self._decoder(self._file_mapper(path)["data"])
        except Exception as exc:
            raise decode_error(path, exc) from exc
        data = out["waveform"].numpy()
        if data.ndim == 1:
            data = data[:, None]
        return finish_decoded(meta, data, int(out["sample_rate"]), sample_rate, mono)


class Fairseq2Stream:
    """An endless, resumable stream of collated batches of one source, on a fairseq2 DataPipeline.

    Yields :class:`~flamkit.data.pipeline.StreamBatch` like the native stream, so the training loop
    cannot tell them apart. Rank ``r`` of ``world_size`` reads only its shard of the item indices;
    each epoch over the shard is shuffled anew (window 0 = the whole shard).
    """

    def __init__(
        self,
        name: str,
        source: DataSource,
        collate: Callable[[list[Example]], Any],
        batch_size: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        augmenters: Sequence[Augmenter] = (),
        start_batch: int = 0,
        num_parallel_calls: int = 2,
        prefetch: int = 2,
        shuffle_window: int = 0,
        max_attempts: int = 20,
    ) -> None:
        _require()
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, {world_size})")
        if len(source) < world_size:
            raise ValueError(f"source {source.name!r} has {len(source)} items, fewer than {world_size} ranks")
        self.name = name
        self.source = source
        self.collate = collate
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.rank = int(rank)
        self.world_size = int(world_size)
        self.augmenters = list(augmenters)
        self.start_batch = int(start_batch)
        self.num_parallel_calls = int(num_parallel_calls)
        self.prefetch = int(prefetch)
        self.shuffle_window = int(shuffle_window)
        self.max_attempts = int(max_attempts)
        # This rank's items, as fairseq2's shard() picks them (every world_size-th from rank): the
        # pool replacements for bad items are drawn from, so ranks never share items.
        self.shard_items = np.arange(self.rank, len(source), self.world_size)
        self.pipeline = self._build()

    def _shuffle_seed(self) -> int:
        return int(np.random.default_rng([self.seed, stream_code(self.name), self.rank]).integers(2**31))

    def _build(self) -> Any:
        from fairseq2.data.data_pipeline import DataPipeline, read_sequence

        _stop_at_exit(self)
        items = (
            read_sequence(list(range(len(self.source))))
            .shard(self.rank, self.world_size, allow_uneven=True)
            .shuffle(self.shuffle_window, seed=self._shuffle_seed())
            .repeat()
            .and_return()
        )
        ordinals = DataPipeline.count().and_return()
        return (
            DataPipeline.zip([items, ordinals], names=["item", "ordinal"])
            .skip(self.start_batch * self.batch_size)  # index arithmetic only: nothing is decoded
            .map(self._load, num_parallel_calls=self.num_parallel_calls)
            .bucket(self.batch_size)
            .map(self._collate)
            .prefetch(self.prefetch)
            .and_return()
        )

    def _load(self, slot: Mapping[str, Any]) -> dict[str, Any]:
        """One usable example for a slot; a bad item is replaced by a draw from this rank's shard."""
        ordinal = int(slot["ordinal"])
        rng = np.random.default_rng([self.seed, stream_code(self.name), self.rank, ordinal])
        item = int(slot["item"])
        skipped: list[Skipped] = []
        for _ in range(self.max_attempts):
            item_rng = np.random.default_rng(rng.integers(0, 2**63 - 1))
            try:
                ex = self.source.get(item, item_rng)
                for aug in self.augmenters:
                    ex = aug(ex, item_rng)
                return {"example": ex, "skipped": skipped, "ordinal": ordinal}
            except DataError as exc:
                skipped.append(Skipped(self.source.name, exc.key or f"#{item}", str(exc)))
                item = int(self.shard_items[int(rng.integers(len(self.shard_items)))])
        raise DataError(
            f"stream {self.name!r}: {self.max_attempts} draws in a row were unusable; last: "
            f"{skipped[-1].key}: {skipped[-1].reason}. Run `flamkit data check` on the manifests."
        )

    def _collate(self, slots: list[dict[str, Any]]) -> StreamBatch:
        index = int(slots[0]["ordinal"]) // self.batch_size
        skipped = [s for slot in slots for s in slot["skipped"]]
        data = self.collate([slot["example"] for slot in slots])
        return StreamBatch(index, data, skipped, drawn=len(slots) + len(skipped))

    def __iter__(self) -> Iterator[StreamBatch]:
        return iter(self.pipeline)

    def state_dict(self) -> dict[str, Any]:
        """fairseq2's pipeline state (position and buffered batches); restore with load_state_dict."""
        return {"pipeline": self.pipeline.state_dict(), "start_batch": self.start_batch}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if int(state.get("start_batch", 0)) != self.start_batch:
            self.start_batch = int(state["start_batch"])
            self.pipeline = self._build()
        self.pipeline.load_state_dict(state["pipeline"])


_LIVE: "weakref.WeakSet[Fairseq2Stream]" = weakref.WeakSet()


def _stop_at_exit(stream: "Fairseq2Stream") -> None:
    """Stop fairseq2's loader threads before Python finalises.

    A pipeline with ``prefetch``/parallel ``map`` keeps native threads calling back into Python; if
    one is still alive while the interpreter tears down, the process dies with SIGSEGV after its
    work is done (seen at the end of test runs). Resetting every live pipeline at exit joins them.
    """
    if not _LIVE:
        atexit.register(_reset_all)
    _LIVE.add(stream)


def _reset_all() -> None:
    for stream in list(_LIVE):
        pipeline = getattr(stream, "pipeline", None)
        if pipeline is not None:
            pipeline.reset()
            stream.pipeline = None


def make_fairseq2_loader(stream_args: dict[str, Any], world_size: int = 1, num_parallel_calls: int = 2) -> Fairseq2Stream:
    """A :class:`Fairseq2Stream` from the arguments :func:`flamkit.data.build.build_streams` gives a stream.

    fairseq2 streams one source: weighted mixtures and label balancing stay with the native stream.
    """
    sources = stream_args["sources"]
    if len(sources) != 1:
        raise ValueError(
            f"stream {stream_args['name']!r}: loader fairseq2 reads one source, got {len(sources)}; use the "
            "torch loader for weighted mixtures"
        )
    if stream_args.get("balance_labels"):
        raise ValueError(f"stream {stream_args['name']!r}: loader fairseq2 cannot balance labels; use the torch loader")
    return Fairseq2Stream(
        stream_args["name"],
        sources[0],
        stream_args["collate"],
        batch_size=stream_args["batch_size"],
        seed=stream_args["seed"],
        rank=stream_args["rank"],
        world_size=world_size,
        augmenters=stream_args.get("augmenters", ()),
        start_batch=stream_args.get("start_batch", 0),
        num_parallel_calls=num_parallel_calls,
    )
