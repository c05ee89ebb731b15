"""Typed schema of a flamkit config.

The sections with fixed meaning (training, run folders, data loading) are dataclasses, so Hydra
rejects a misspelt key or a wrong type at composition time. Component nodes (``model.audio``, a loss
head, a data source...) are open dicts ``{name: <registered name>, **kwargs}``: their keys are
checked against the registered component's signature by :mod:`flamkit.config.validate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore

Component = Dict[str, Any]


@dataclass
class ModelConfig:
    audio: Component = field(default_factory=dict)
    text: Component = field(default_factory=dict)
    scale: Component = field(default_factory=dict)  # per-text logit scale alpha(y) (or a scalar, C.9)
    bias: Component = field(default_factory=dict)  # per-text logit bias beta(y) (or a scalar, C.9)
    projection: Component = field(default_factory=lambda: {"name": "mlp", "hidden": 512})
    # The text side's projection where it differs from the audio side's (empty: the same as
    # ``projection``); {name: identity} with embed_dim = the text encoder's width locks the text space.
    text_projection: Component = field(default_factory=dict)
    pooling: Component = field(default_factory=lambda: {"name": "mean"})  # frames/tokens -> one embedding
    frames: int = 32  # L, frame embeddings per clip (C.12 ablates 128)
    embed_dim: int = 512  # shared audio-text space
    clip_scale_init: float = math.log(1 / 0.07)  # CLIP's global logit scale, log-parameterised
    clip_scale_max: float = 100.0
    max_text_tokens: int = 77
    freeze: List[str] = field(default_factory=list)  # submodules not trained, e.g. [text_encoder]


@dataclass
class StreamConfig:
    """One batch stream: weighted sources, augmenters, batch size per rank."""

    sources: Dict[str, Component] = field(default_factory=dict)  # label -> {name, weight, **kwargs}
    augment: List[Component] = field(default_factory=list)
    batch_size: int = 8
    balance_labels: bool = False
    loader: str = "torch"  # or "fairseq2" (one source; flamkit.data.fairseq2_backend)


@dataclass
class DataConfig:
    streams: Dict[str, StreamConfig] = field(default_factory=dict)  # "global" (CLIP) and "sed"
    val: Dict[str, Component] = field(default_factory=dict)  # label -> source used for validation
    clip_seconds: float = 10.0
    num_workers: int = 0
    pin_memory: bool = False  # page-locked batches: host-to-device copies overlap the step (GPU)
    prefetch_factor: int = 2  # batches each worker keeps ready (with num_workers > 0)
    slots_per_clip: int = 5  # K = 5 B text slots (§3.3)
    on_slot_overflow: str = "grow"  # or "error"; never drop positives
    # Negatives beyond the batch (flamkit/data/negatives.py): K grows by this many slots and every free
    # slot holds a training description absent from the batch. 0 is the paper's batch.
    negatives: int = 0
    max_skip_ratio: float = 0.01  # a run stops when more than this fraction of items is unreadable
    val_clips: int = 64
    # Shared by a data config's sources through interpolation (conf/data/debian_sfx.yaml): a seeded
    # label hold-out ({fraction, seed}) and the number of distinct synthetic training mixtures.
    holdout: Optional[Dict[str, Any]] = None
    mixtures: int = 100000


@dataclass
class TrainConfig:
    max_steps: int = 1000
    device: str = "auto"  # auto -> cuda if available else cpu
    precision: str = "auto"  # auto -> bf16 autocast on cuda, fp32 on cpu; or fp32 / bf16
    grad_clip: float = 1.0
    grad_accum: int = 1
    log_every: int = 10
    val_every: int = 200
    ckpt_every: int = 200
    keep_last: int = 3
    resume: str = "auto"  # auto | never | PATH
    init_from: Optional[str] = None  # RUN_DIR or checkpoint to start weights from (FLAM from FLAM-Global)
    max_nonfinite_in_row: int = 20
    max_requeues: int = 3
    figures_every: int = 0  # 0: with validation
    num_figure_clips: int = 4
    # Speed (issue 14, docs/performance.md); the defaults are the behaviour before these keys existed.
    compile: bool = False  # torch.compile the objective (encoders, heads, losses)
    compile_backend: str = "inductor"  # or aot_eager / eager (checks without a compiler toolchain)
    find_unused_parameters: str = "true"  # DDP: true | false | auto (decided from the model's active heads)
    static_graph: bool = False  # DDP static_graph: valid when every step uses the same parameters


@dataclass
class RunConfig:
    root: str = "runs"
    name: Optional[str] = None  # readable suffix of the run folder; the hash decides identity
    tensorboard: bool = True


@dataclass
class BudgetConfig:
    """Batch sizes and step budgets of the two training stages at one size (paper, cpu, ...).

    Experiments say *which* stage they are (``train.max_steps: ${budget.flam_steps}``); the ``size``
    group says how big that is, so every ablation runs at paper scale on SLURM or small on a laptop.
    """

    global_batch: int = 768  # FLAM-Global (C.5)
    flam_batch: int = 512  # FLAM (C.6)
    global_steps: int = 50000
    flam_steps: int = 120000
    warmup_steps: int = 3200


@dataclass
class FlamkitConfig:
    experiment: str = "default"
    seed: int = 0
    plugins: List[str] = field(default_factory=list)  # extra modules to import (in-repo plugins)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    flam_global: Optional[str] = None  # stage-1 run or checkpoint; FLAM experiments start from it
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: Dict[str, Component] = field(default_factory=dict)  # head label -> {name, weight, **kwargs}
    data: DataConfig = field(default_factory=DataConfig)
    optim: Component = field(default_factory=dict)
    sched: Component = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)
    run: RunConfig = field(default_factory=RunConfig)
    eval: Dict[str, Component] = field(default_factory=dict)  # label -> {name: eval task, **kwargs}


def register_schema() -> None:
    ConfigStore.instance().store(name="flamkit_schema", node=FlamkitConfig)
