"""Build the configured data streams and validation sources for a model.

The model fixes what the data must look like (sample rate, clip length, frame count L); the config
fixes where it comes from (registered sources with weights) and how it is transformed (registered
augmenters). Each stream has its collation: audio-text pairs for the global loss, clips with
de-duplicated event descriptions for the SED loss.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Mapping

import torch
from omegaconf import DictConfig

import flamkit.data.augment  # noqa: F401  (registers the core augmenters this module builds)
import flamkit.data.sources  # noqa: F401  (registers the core data sources)
from flamkit.config.checks import AUGMENTER_INJECTED, SOURCE_INJECTED, WEIGHTED, Slot, build_component, is_disabled
from flamkit.data.collate import collate_audio_text, collate_sed
from flamkit.data.negatives import NegativePool, merge_families
from flamkit.data.pipeline import BatchStream, make_loader
from flamkit.data.source import DataSource
from flamkit.registry import AUGMENTERS, DATA_SOURCES


def stream_collate(name: str, cfg: DictConfig, frames: int, negatives: NegativePool | None = None) -> Callable[[list], Any]:
    collates: dict[str, Callable[[list], Any]] = {
        "global": collate_audio_text,
        "sed": partial(
            collate_sed,
            num_frames=frames,
            slots_per_clip=int(cfg.data.slots_per_clip),
            on_overflow=str(cfg.data.on_slot_overflow),
            negatives=negatives,
            extra_slots=int(cfg.data.get("negatives", 0)),
            negative_seed=int(cfg.seed),
        ),
    }
    if name not in collates:
        raise ValueError(f"data.streams.{name}: unknown stream; streams are {sorted(collates)}")
    return collates[name]


def _torch_loader(stream_args: dict[str, Any], num_workers: int, pin_memory: bool = False, prefetch_factor: int = 2) -> Any:
    return make_loader(BatchStream(**stream_args), num_workers, pin_memory=pin_memory, prefetch_factor=prefetch_factor)


def _fairseq2_loader(stream_args: dict[str, Any], num_workers: int, pin_memory: bool = False, prefetch_factor: int = 2) -> Any:
    del pin_memory, prefetch_factor  # the pipeline prefetches itself (fairseq2_backend)
    from flamkit.data.fairseq2_backend import make_fairseq2_loader  # optional dependency

    world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
    return make_fairseq2_loader(stream_args, world_size=world, num_parallel_calls=max(1, num_workers))


# data.streams.<name>.loader -> how its batches are made: the native BatchStream on a torch
# DataLoader (weighted mixtures, label balancing), or a fairseq2 DataPipeline (one source).
STREAM_LOADERS: dict[str, Callable[..., Any]] = {"torch": _torch_loader, "fairseq2": _fairseq2_loader}


def build_source(node: Any, path: str, sample_rate: int, clip_seconds: float) -> DataSource:
    return build_component(
        DATA_SOURCES, node, Slot(path, DATA_SOURCES, SOURCE_INJECTED, WEIGHTED), sample_rate=sample_rate, clip_seconds=clip_seconds
    )


def stream_sources(scfg: DictConfig, name: str, sample_rate: int, clip_seconds: float) -> tuple[list[DataSource], list[float]]:
    """The enabled sources of ``data.streams.<name>`` (``scfg``), built, with their weights."""
    sources, weights = [], []
    for label, node in (scfg.get("sources") or {}).items():
        if is_disabled(node):
            continue
        sources.append(build_source(node, f"data.streams.{name}.sources.{label}", sample_rate, clip_seconds))
        weights.append(float(node.get("weight", 1.0)))
    return sources, weights


def negative_pool(sources: list[DataSource], stream: str) -> NegativePool:
    """``data.negatives``: the descriptions of the stream's sources (``descriptions()``), each with its tags."""
    offered = [getattr(s, "descriptions", None) for s in sources]
    missing = [getattr(s, "name", type(s).__name__) for s, f in zip(sources, offered) if f is None]
    if missing:
        raise ValueError(
            f"data.negatives > 0: source(s) {missing} of data.streams.{stream} do not list their event "
            "descriptions (a descriptions() method, as sed_synthetic and embedded have); set data.negatives=0"
        )
    pool = NegativePool.from_families(merge_families(f() for f in offered))
    if not len(pool):
        raise ValueError(f"data.negatives > 0: the sources of data.streams.{stream} have no event descriptions")
    return pool


def build_streams(
    cfg: DictConfig, model: Any, rank: int, positions: Mapping[str, int], names: list[str]
) -> dict[str, Any]:
    """One DataLoader per stream in ``names``, each starting at its recorded position."""
    loaders = {}
    sr, secs, frames = int(model.sample_rate), float(cfg.data.clip_seconds), int(model.frames)
    for name in names:
        scfg = cfg.data.streams.get(name)
        if scfg is None or not scfg.sources:
            raise ValueError(f"a loss head reads stream {name!r} but data.streams.{name} has no sources")
        sources, weights = stream_sources(scfg, name, sr, secs)
        augmenters = [
            build_component(AUGMENTERS, node, Slot(f"data.streams.{name}.augment[{i}]", AUGMENTERS, AUGMENTER_INJECTED),
                            sample_rate=sr, clip_seconds=secs)
            for i, node in enumerate(scfg.augment or [])
        ]
        negatives = negative_pool(sources, name) if name == "sed" and int(cfg.data.get("negatives", 0)) > 0 else None
        stream_args = dict(
            name=name,
            sources=sources,
            weights=weights,
            collate=stream_collate(name, cfg, frames, negatives),
            batch_size=int(scfg.batch_size),
            seed=int(cfg.seed),
            rank=rank,
            augmenters=augmenters,
            balance_labels=bool(scfg.balance_labels),
            start_batch=int(positions.get(name, 0)),
        )
        kind = str(scfg.get("loader", "torch"))
        if kind not in STREAM_LOADERS:
            raise ValueError(f"data.streams.{name}.loader: {kind!r} is not one of {', '.join(STREAM_LOADERS)}")
        loaders[name] = STREAM_LOADERS[kind](
            stream_args,
            int(cfg.data.num_workers),
            pin_memory=bool(cfg.data.get("pin_memory", False)),
            prefetch_factor=int(cfg.data.get("prefetch_factor", 2)),
        )
    return loaders


def build_val_sources(cfg: DictConfig, model: Any) -> dict[str, DataSource]:
    sr, secs = int(model.sample_rate), float(cfg.data.clip_seconds)
    return {label: build_source(node, f"data.val.{label}", sr, secs) for label, node in (cfg.data.val or {}).items()}
