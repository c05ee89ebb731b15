"""The training loop: build from config, step, validate, checkpoint, log. One loop for every launcher.

Read top to bottom: :func:`train` sets up the process (rank, device, run folder), builds model,
objective, optimizer and data streams, resumes if a checkpoint exists, then runs :func:`_train_step`
until the step budget is spent or a stop signal arrives. Everything that varies between experiments
comes from the config through registries; nothing here branches on component names.
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from omegaconf import DictConfig, OmegaConf
from torch.nn.parallel import DistributedDataParallel as DDP

from flamkit.config.checks import OPTIM_INJECTED, SCHED_INJECTED, Slot, build_component, check_config
from flamkit.data.build import build_streams
from flamkit.data.trained_descriptions import DESCRIPTIONS_FILE, trained_descriptions, write_descriptions
from flamkit.models.flam import build_model
from flamkit.models.packaged import fill_packaged, split_packaged
from flamkit.models.weights import load_initial_weights
from flamkit.registry import LOSSES, OPTIMIZERS, SCHEDULES
import flamkit.train.optim  # noqa: F401  (registers the optimizers and schedules this module builds)
from flamkit.train import checkpoint as ckpt
from flamkit.train import distenv
from flamkit.train.metrics_window import StepMetrics, WindowReading
from flamkit.train.rundir import run_folder, write_run_info
from flamkit.train.signals import REQUEUE_EXIT, StopFlag
from flamkit.train.step import Objective, to_device
from flamkit.train.tb import TBLogger
from flamkit.train.validation import Validator

log = logging.getLogger("flamkit.train")


class TrainingStopped(RuntimeError):
    """The run stopped before its budget for a reason the message explains (checkpoint written)."""


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    exit_code: int = 0  # REQUEUE_EXIT when stopped by a signal after checkpointing
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Counters:
    """Things a run must report rather than hide: skipped inputs and non-finite steps."""

    drawn: int = 0
    skipped: int = 0
    nonfinite_steps: int = 0
    nonfinite_in_row: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)

    def state_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _precision_context(precision: str, device: torch.device):
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision == "fp32":
        return nullcontext(), None
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    if dtype is None:
        raise ValueError(f"train.precision must be auto, fp32, bf16 or fp16; got {precision!r}")
    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None
    return torch.autocast(device_type=device.type, dtype=dtype), scaler


def _rng_state(device: torch.device) -> dict[str, Any]:
    state = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def _gather_objects(obj: Any, env: distenv.DistEnv) -> list[Any]:
    if not env.distributed:
        return [obj]
    out: list[Any] = [None] * env.world_size
    dist.all_gather_object(out, obj)
    return out


def _broadcast_object(obj: Any, env: distenv.DistEnv) -> Any:
    if not env.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def build_objective(cfg: DictConfig, model: torch.nn.Module) -> Objective:
    heads, weights = {}, {}
    for label, node in cfg.loss.items():
        heads[label] = build_component(LOSSES, node, Slot(f"loss.{label}", LOSSES, reserved=frozenset({"weight"})))
        weights[label] = float(node.get("weight", 1.0))
    return Objective(model, heads, weights)


def train(cfg: DictConfig, reference: DictConfig | None = None) -> TrainResult:
    """Train ``cfg`` (a composed config) to ``train.max_steps``, resuming its run folder if it has one."""
    check_config(cfg)  # every kind it names is registered: this module imports what it builds
    tcfg = cfg.train
    env = distenv.setup(tcfg.device)
    logging.basicConfig(level=logging.INFO if env.is_main else logging.WARNING, format="%(asctime)s %(name)s: %(message)s")

    run_dir = Path(_broadcast_object(str(run_folder(cfg, reference)) if env.is_main else None, env))
    ckpt_dir = run_dir / "checkpoints"
    if env.is_main:
        write_run_info(run_dir, cfg, [("world_size", env.world_size), ("device", str(env.device))])

    # Model and objective: identical initial weights on every rank (seeded), then optional init_from.
    torch.manual_seed(int(cfg.seed))
    model = build_model(cfg.model)
    if tcfg.init_from:
        report = load_initial_weights(model, tcfg.init_from)
        if env.is_main:
            chosen = f"{report.checkpoint.describe()}; " if report.checkpoint else ""
            log.info("initialised from %s: %s%s", tcfg.init_from, chosen, report.summary())
    # train() explicitly: transformers' from_pretrained returns its model in eval mode (no dropout).
    objective = build_objective(cfg, model).to(env.device).train()
    optimizer = build_component(
        OPTIMIZERS, cfg.optim, Slot("optim", OPTIMIZERS, OPTIM_INJECTED), params=[p for p in objective.parameters() if p.requires_grad]
    )
    scheduler = build_component(
        SCHEDULES, cfg.sched, Slot("sched", SCHEDULES, SCHED_INJECTED), optimizer=optimizer, max_steps=int(tcfg.max_steps)
    )
    autocast, scaler = _precision_context(tcfg.precision, env.device)
    sync_free = _sync_free_guard(optimizer, scaler, scheduler)
    counters = Counters()
    positions = {s: 0 for s in objective.streams}
    step = 0
    best = math.inf

    # Resume: the newest valid checkpoint of this run folder (a corrupt newest one falls back).
    resume_from, restore_rng, window_state = None, None, None
    if tcfg.resume == "auto":
        resume_from = ckpt.newest_valid(ckpt_dir)
    elif tcfg.resume not in ("never", "", None):
        choice = ckpt.choose_checkpoint(tcfg.resume)
        resume_from = choice.folder
        if env.is_main:
            log.info("train.resume=%s: %s", tcfg.resume, choice.describe())
    if resume_from is not None:
        loaded = ckpt.load_checkpoint(resume_from)
        model.load_state_dict(fill_packaged(model, loaded.weights, loaded.packaged, resume_from), strict=True)
        st = loaded.state
        optimizer.load_state_dict(st["optimizer"])
        scheduler.load_state_dict(st["scheduler"])
        if scaler is not None and st.get("scaler"):
            scaler.load_state_dict(st["scaler"])
        for label, head_state in st.get("loss_heads", {}).items():
            objective.heads[label].load_state_dict(head_state)
        step, positions, best = int(st["step"]), dict(st["positions"]), float(st.get("best", math.inf))
        counters.load_state_dict(st["counters"])
        window_state = st.get("window")
        rng = st["rng"]
        restore_rng = rng[env.rank] if env.rank < len(rng) else rng[0]
        if env.is_main:
            log.info("resumed %s at step %d", resume_from, step)
    elif tcfg.resume not in ("auto", "never", "", None):
        raise FileNotFoundError(f"train.resume={tcfg.resume}: no checkpoint there")

    step_module: torch.nn.Module = objective
    if env.distributed:
        step_module = DDP(
            objective,
            device_ids=[env.device.index] if env.device.type == "cuda" else None,
            find_unused_parameters=find_unused_parameters(str(tcfg.get("find_unused_parameters", "true")), objective),
            static_graph=bool(tcfg.get("static_graph", False)),
        )
    if tcfg.get("compile", False):
        # The whole objective (encoders, heads, losses) in one compiled forward; DDP's hooks stay outside.
        step_module = torch.compile(step_module, backend=str(tcfg.get("compile_backend", "inductor")))

    streams = build_streams(cfg, model, rank=env.rank, positions=positions, names=objective.streams)
    if env.is_main and not (run_dir / DESCRIPTIONS_FILE).is_file():
        # What query expansion pulls unseen queries toward at inference (flamkit/models/query_expansion.py).
        write_descriptions(run_dir, trained_descriptions(cfg, int(model.sample_rate), float(cfg.data.clip_seconds)))
    iterators = {name: iter(loader) for name, loader in streams.items()}
    tb = TBLogger(run_dir / "tb" if env.is_main and cfg.run.tensorboard else None)
    if env.is_main and step == 0:
        tb.hparams(cfg)
    validator = Validator(cfg, model, env) if (cfg.data.get("val") or cfg.get("eval")) else None
    stop = StopFlag().install()
    progress = _progress(env, step, int(tcfg.max_steps))
    window = {"t0": time.perf_counter(), "samples": 0, "seconds_audio": 0.0}
    step_metrics = StepMetrics(env.device, counters.nonfinite_in_row)
    if window_state is not None:
        step_metrics.load_state_dict(window_state)
    log_every = int(tcfg.log_every)
    exit_code = 0
    last_metrics: dict[str, float] = {}

    def save(tag_best: bool = False) -> None:
        rngs = _gather_objects(_rng_state(env.device), env)
        if not env.is_main:
            return
        state = {
            "step": step,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
            "loss_heads": {k: h.state_dict() for k, h in objective.heads.items() if len(h.state_dict())},
            "positions": dict(positions),
            "rng": rngs,
            "counters": counters.state_dict(),
            "window": step_metrics.state_dict(),
            "best": best,
            "world_size": env.world_size,
        }
        model_yaml = OmegaConf.to_yaml(cfg.model, resolve=True)
        weights, packaged = split_packaged(model)
        folder = ckpt.write_checkpoint(ckpt_dir / f"{ckpt.PREFIX}{step:08d}", weights, model_yaml, state, packaged)
        ckpt.prune(ckpt_dir, int(tcfg.keep_last))
        if tag_best:
            ckpt.write_checkpoint(ckpt_dir / ckpt.BEST, weights, model_yaml, state, packaged)
        log.info("checkpoint %s", folder)

    if restore_rng is not None:
        # Last, because building the streams draws from the global RNG (DataLoader's base seed).
        _set_rng_state(restore_rng, env.device)
    try:
        while step < int(tcfg.max_steps):
            # Under torch.distributed the ranks agree on a stop with a collective; in sync-free mode that
            # waits on the device, so it is taken at logging steps only (single process: every step).
            check_stop = not (sync_free and env.distributed) or step % log_every == 0
            if check_stop and distenv.any_true(stop.raised, env):
                save()
                exit_code = REQUEUE_EXIT
                if env.is_main:
                    log.warning("stop signal received: checkpointed at step %d, exiting for requeue", step)
                break
            finite = _train_step(
                step_module, objective, iterators, positions, optimizer, scaler, autocast, env, tcfg, counters, window,
                step_metrics, sync_free,
            )
            if finite is not False:  # sync-free: every step; a skipped one is rewound when the window is read
                scheduler.step()
            step += 1
            _check_skips(counters, cfg, env)
            if finite is not None:  # host guard: today's per-step bookkeeping
                _count_nonfinite(counters, 0 if finite else 1, counters.nonfinite_in_row + 1 if not finite else 0)
                _stop_if_nonfinite_run(counters.nonfinite_in_row, step, tcfg, save, ckpt_dir)
            if env.is_main:
                progress.update(1)
            if step % log_every == 0 or step == int(tcfg.max_steps):
                reading = step_metrics.read()  # the one device-to-host transfer of the interval
                if finite is None:
                    _count_nonfinite(counters, reading.nonfinite, reading.in_row)
                    _rewind_schedule(scheduler, reading.nonfinite)
                    _stop_if_nonfinite_run(reading.max_in_row, step, tcfg, save, ckpt_dir)
                if env.is_main:
                    last_metrics = _log_train(tb, objective, optimizer, counters, window, reading, step, env, progress)
            if validator is not None and (step % int(tcfg.val_every) == 0 or step == int(tcfg.max_steps)):
                # Rank 0 validates; every rank needs the result to take the same checkpoint branch.
                metrics = _broadcast_object(validator.run(step, tb), env)
                last_metrics.update(metrics)
                score = metrics.get("val/sed_loss", math.inf)
                improved = score < best
                best = min(best, score)
                if step % int(tcfg.ckpt_every) == 0 or step == int(tcfg.max_steps) or improved:
                    save(tag_best=improved)
                    continue
            if step % int(tcfg.ckpt_every) == 0 or step == int(tcfg.max_steps):
                save()
    finally:
        stop.uninstall()
        progress.close()
        if env.is_main:
            tb.hparams(cfg, {k: v for k, v in last_metrics.items() if k in ("val/frame_auroc", "val/sed_loss", "train/loss")})
            tb.close()
    return TrainResult(run_dir, step, exit_code, last_metrics)


def _next_batches(iterators: dict[str, Any], positions: dict[str, int], counters: Counters) -> dict[str, Any]:
    out = {}
    for name, it in iterators.items():
        sb = next(it)
        if sb.index != positions[name]:
            raise RuntimeError(f"stream {name!r} produced batch {sb.index}, expected {positions[name]} (loader out of order)")
        positions[name] += 1
        counters.drawn += sb.drawn
        counters.skipped += len(sb.skipped)
        for s in sb.skipped:
            reason = s.reason.split(":")[0][:80]
            counters.skipped_by_reason[reason] = counters.skipped_by_reason.get(reason, 0) + 1
            log.warning("skipped %s item %s: %s", s.source, s.key, s.reason)
        out[name] = sb.data
    return out


# Which stream each FlamModel submodule serves: a stream no active head reads leaves these unused.
STREAM_ONLY_MODULES = {"global": ("clip_logit_scale",), "sed": ("scale_head", "bias_head")}


def find_unused_parameters(choice: str, objective: Objective) -> bool:
    """DDP's ``find_unused_parameters``: "true"/"false" as given, "auto" decided from the model.

    Searching the autograd graph for unused parameters costs a traversal every step, so "auto" asks
    for it only where some trainable parameter gets no gradient: a loss head with weight 0 that has
    parameters of its own, or a stream no active head reads (FLAM-Global trains no per-text scale and
    bias; a SED-only run no global logit scale). Frozen modules have no trainable parameters.
    """
    if choice in ("true", "false"):
        return choice == "true"
    if choice != "auto":
        raise ValueError(f"train.find_unused_parameters must be true, false or auto; got {choice!r}")
    for label, head in objective.heads.items():
        if objective.weights[label] == 0.0 and any(p.requires_grad for p in head.parameters()):
            return True
    active = set(objective.streams)
    for stream, names in STREAM_ONLY_MODULES.items():
        if stream in active:
            continue
        for name in names:
            part = getattr(objective.model, name, None)
            params = [part] if isinstance(part, torch.nn.Parameter) else list(part.parameters()) if part is not None else []
            if any(p.requires_grad for p in params):
                return True
    return False


def _sync_free_guard(optimizer: torch.optim.Optimizer, scaler: Any, scheduler: Any) -> bool:
    """Whether the non-finite guard can skip a step on the device, without the host reading the loss.

    It can when the optimizer skips its own update on a device flag (fused Adam/AdamW take
    ``found_inf``, as torch.amp uses it: parameters, moments and step count stay as they were) and the
    schedule is a closed form of its step count (``LambdaLR``), so that the loop can advance it every
    step and rewind it by the skipped steps when it reads the window. fp16's GradScaler keeps the host
    guard (it adjusts its scale from the same flag). Otherwise the guard reads one fused flag per step.
    """
    from torch.optim.lr_scheduler import LambdaLR

    return scaler is None and bool(getattr(optimizer, "_step_supports_amp_scaling", False)) and isinstance(scheduler, LambdaLR)


def _train_step(step_module, objective, iterators, positions, optimizer, scaler, autocast, env, tcfg, counters, window, metrics, sync_free):
    """One optimizer step over ``grad_accum`` micro-batches.

    Loss terms, finiteness, gradient norm and head statistics go to ``metrics`` on the device. Returns
    None in sync-free mode (the step is skipped on the device when non-finite on any rank), else
    whether the step was finite on all ranks: the host guard's one read per step.
    """
    optimizer.zero_grad(set_to_none=True)
    accum = int(tcfg.grad_accum)
    terms_sum: dict[str, torch.Tensor] = {}
    finite = torch.ones((), dtype=torch.bool, device=env.device)
    non_blocking = env.device.type == "cuda"  # async copies from pinned batches (data.pin_memory)
    for micro in range(accum):
        batches = {k: to_device(v, env.device, non_blocking) for k, v in _next_batches(iterators, positions, counters).items()}
        sync = nullcontext() if (micro == accum - 1 or not isinstance(step_module, DDP)) else step_module.no_sync()
        with sync:
            with autocast:
                total, terms, outputs = step_module(batches)
            metrics.record_heads(outputs)
            loss = total / accum
            finite = finite & torch.isfinite(loss.detach())
            (scaler.scale(loss) if scaler is not None else loss).backward()
        for k, v in terms.items():
            v = v.detach().float() / accum
            terms_sum[k] = terms_sum[k] + v if k in terms_sum else v
        for name, b in batches.items():
            window["samples"] += int(b.audio.shape[0])
            window["seconds_audio"] += float(b.audio.shape[0] * b.audio.shape[1]) / objective.model.sample_rate
    finite = distenv.all_true_tensor(finite, env)
    metrics.record_step(terms_sum, finite)
    if not sync_free and not bool(finite):  # the host guard's read
        optimizer.zero_grad(set_to_none=True)
        return False
    if scaler is not None:
        scaler.unscale_(optimizer)
    params = [p for p in objective.parameters() if p.grad is not None]
    grad_norm = torch.nn.utils.clip_grad_norm_(params, float(tcfg.grad_clip) if tcfg.grad_clip > 0 else float("inf"))
    metrics.record_grad_norm(grad_norm, finite)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
        return True
    if not sync_free:
        optimizer.step()
        return True
    optimizer.found_inf = (~finite).float()  # read by the fused kernel: a no-op update when set
    try:
        optimizer.step()
    finally:
        del optimizer.found_inf
    return None


def _count_nonfinite(counters: Counters, skipped: int, in_row: int) -> None:
    counters.nonfinite_steps += skipped
    counters.nonfinite_in_row = in_row


def _stop_if_nonfinite_run(in_row: int, step: int, tcfg: DictConfig, save: Any, ckpt_dir: Path) -> None:
    if in_row > int(tcfg.max_nonfinite_in_row):
        save()
        raise TrainingStopped(
            f"{in_row} non-finite losses in a row by step {step} "
            f"(train.max_nonfinite_in_row={tcfg.max_nonfinite_in_row}); checkpoint saved in {ckpt_dir}. "
            "Lower optim.lr, check the data, or try train.precision=fp32."
        )


def _rewind_schedule(scheduler: Any, skipped: int) -> None:
    """Take back the schedule steps of skipped optimizer steps (exact for a closed-form ``LambdaLR``)."""
    if skipped:
        scheduler.last_epoch -= skipped + 1
        scheduler.step()


def _check_skips(counters: Counters, cfg: DictConfig, env: distenv.DistEnv) -> None:
    limit = float(cfg.data.max_skip_ratio)
    if counters.drawn >= 50 and counters.skipped / max(1, counters.drawn) > limit:
        top = sorted(counters.skipped_by_reason.items(), key=lambda kv: -kv[1])[:5]
        raise TrainingStopped(
            f"rank {env.rank}: {counters.skipped} of {counters.drawn} drawn items were unusable "
            f"(> data.max_skip_ratio={limit}); most common: {top}. Run `flamkit data check` on the manifests."
        )


def _log_train(tb, objective, optimizer, counters, window, reading: WindowReading, step, env, progress) -> dict[str, float]:
    now = time.perf_counter()
    dt = max(1e-9, now - window["t0"])
    terms = reading.terms
    scalars = {f"loss/{k}": v for k, v in terms.items()}
    total = sum(objective.weights[k] * v for k, v in terms.items())
    scalars.update(
        {
            "train/loss": total,
            "train/lr": optimizer.param_groups[0]["lr"],
            "train/grad_norm": reading.grad_norm,
            "throughput/samples_per_s": window["samples"] / dt * env.world_size,
            "throughput/audio_hours_per_s": window["seconds_audio"] / 3600.0 / dt * env.world_size,
            "data/skipped": counters.skipped,
            "data/skipped_ratio": counters.skipped / max(1, counters.drawn),
            "train/nonfinite_steps": counters.nonfinite_steps,
            "model/clip_scale": float(objective.model.clip_scale().detach()),
        }
    )
    scalars.update(_memory())
    scalars.update(reading.heads or {})
    tb.scalars(scalars, step)
    progress.set_postfix(loss=f"{total:.4f}", lr=f"{scalars['train/lr']:.2e}")
    window.update({"t0": now, "samples": 0, "seconds_audio": 0.0})
    return {"train/loss": total}


def _memory() -> dict[str, float]:
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return {"memory/cuda_max_allocated_gb": torch.cuda.max_memory_allocated() / 2**30}
    import resource

    return {"memory/max_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


class _NoProgress:
    def update(self, n: int) -> None: ...
    def set_postfix(self, **kw: Any) -> None: ...
    def close(self) -> None: ...


def _progress(env: distenv.DistEnv, start: int, total: int):
    if not env.is_main:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, initial=start, desc="train", unit="step", dynamic_ncols=True)
