"""``flamkit status`` / ``flamkit cancel``: launched runs' SLURM state, step and last metrics.

A target is a sweep record folder (``runs/sweeps/ablations-<hash>``), a sweep name (its newest
record under the run root), or a run folder (``runs/flam/<name>-<hash>``, found through its
``slurm.json``). State comes from sacct/squeue; the step from the newest checkpoint and from the
TensorBoard event files (which run ahead of checkpoints); metrics are the last logged values.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flamkit.slurm import jobs
from flamkit.slurm.record import SweepRecord, find_records
from flamkit.slurm.runlog import RunLog

SHOWN_METRICS = ("train/loss", "val/sed_loss", "val/frame_auroc")


class TargetError(ValueError):
    """A status/cancel target that names no sweep record or run folder."""


@dataclass
class Progress:
    step: int | None = None  # newest checkpoint
    logged_step: int | None = None  # newest TensorBoard scalar
    max_steps: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class RunStatus:
    label: str
    run_dir: str
    job_id: str | None
    state: str
    progress: Progress
    requeues: int = 0
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


TAIL_RECORDS = 4096  # the newest records of an event file that status parses


def _tail_records(path: Path, keep: int) -> list[bytes]:
    """The last ``keep`` records of a TFRecord file, skipping over the others without parsing them.

    A record is [u64 length][u32 crc][data][u32 crc]; hopping over lengths costs one small read per
    record, where parsing every event of a long run's file took seconds (benchmarks/status_tail.py).
    A record cut short by a writer still at work ends the scan.
    """
    import struct
    from collections import deque

    spans: deque[tuple[int, int]] = deque(maxlen=keep)
    size = path.stat().st_size
    with open(path, "rb") as f:
        pos = 0
        while pos + 12 <= size:
            f.seek(pos)
            (length,) = struct.unpack("<Q", f.read(8))
            end = pos + 12 + length + 4
            if end > size:
                break
            spans.append((pos + 12, length))
            pos = end
        out = []
        for start, length in spans:
            f.seek(start)
            out.append(f.read(length))
    return out


def _scalar(value) -> float | None:
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if value.metadata.plugin_data.plugin_name == "scalars" and value.HasField("tensor"):
        from tensorboard.util import tensor_util

        return float(tensor_util.make_ndarray(value.tensor).item())
    return None


def _last_scalars(tb_dir: Path) -> tuple[int | None, dict[str, float]]:
    """Newest step and last value of each scalar tag, from the newest event file that has scalars."""
    if not tb_dir.is_dir():
        return None, {}
    from tensorboard.compat.proto import event_pb2

    files = sorted(tb_dir.glob("events.out.tfevents.*"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    for f in files:
        step, values = None, {}
        for raw in _tail_records(f, TAIL_RECORDS):
            try:
                ev = event_pb2.Event.FromString(raw)
            except Exception:  # a damaged record: skip it, keep the rest
                continue
            for v in ev.summary.value:
                x = _scalar(v)
                if x is not None:
                    values[v.tag] = x
                    step = ev.step if step is None else max(step, ev.step)
        if values:
            return step, values
    return None, {}


def run_progress(run_dir: Path) -> Progress:
    from flamkit import checkpoints as ckpt

    run_dir = Path(run_dir)
    found = ckpt.list_checkpoints(run_dir / "checkpoints")
    step = ckpt.step_of(found[-1]) if found else None
    max_steps = None
    cfg_file = run_dir / "config.yaml"
    if cfg_file.is_file():
        try:
            max_steps = int(((yaml.safe_load(cfg_file.read_text()) or {}).get("train") or {}).get("max_steps"))
        except (TypeError, ValueError, yaml.YAMLError):
            max_steps = None
    logged_step, metrics = _last_scalars(run_dir / "tb")
    return Progress(step, logged_step, max_steps, metrics)


def _targets(target: str, run_root: Path) -> tuple[SweepRecord | None, list[tuple[str, str, str | None]]]:
    """(record or None, [(label, run_dir, job_id)]), index-aligned with the record's points."""
    p = Path(target).expanduser()
    if (p / "sweep.json").is_file():
        record = SweepRecord.load(p)
    elif (p / "slurm.json").is_file() or (p / "config.yaml").is_file():
        return None, [(p.name, str(p.resolve()), RunLog(p).latest_job_id())]
    else:
        found = find_records(run_root, target)
        if not found:
            raise TargetError(f"{target!r} is neither a sweep record folder, a run folder, nor a sweep name with a record "
                              f"under {run_root / 'sweeps'}; give the folder `flamkit launch` printed")
        record = SweepRecord.load(found[0])
    ids = record.latest_job_ids()
    rows = []
    for i, pt in enumerate(record.points):
        rows.append((pt.get("label", f"point {i}"), pt["run_dir"], ids[i] if i < len(ids) else None))
    return record, rows


def collect(target: str, run_root: str | Path = "runs") -> tuple[SweepRecord | None, list[RunStatus]]:
    record, rows = _targets(target, Path(run_root))
    try:
        states = jobs.job_states(j for _, _, j in rows if j)
        slurm_note = ""
    except jobs.SlurmCommandError as exc:
        states, slurm_note = {}, str(exc)
    out = []
    for label, run_dir, jid in rows:
        info = states.get(jid) if jid else None
        state = info.state if info else ("NOT SUBMITTED" if jid is None else "UNKNOWN")
        prog = run_progress(Path(run_dir))
        if prog.max_steps is None and record is not None:  # the job has not written config.yaml yet
            prog.max_steps = next((p.get("max_steps") for p in record.points if p.get("run_dir") == run_dir), None)
        log = RunLog(run_dir)
        stops = log.read()["stops"] if log.path.is_file() else []
        note = slurm_note
        if stops and stops[-1].get("action") in ("give_up", "requeue_failed"):
            note = stops[-1].get("reason", "")
        if state == "UNKNOWN" and prog.step is not None and prog.step == prog.max_steps:
            state = "COMPLETED"
            note = note or "job no longer known to SLURM; the run folder holds its final checkpoint"
        out.append(RunStatus(label, run_dir, jid, state, prog, log.requeue_count() if log.path.is_file() else 0, note))
    return record, out


def _fmt_metric(v: float) -> str:
    return "nan" if math.isnan(v) else f"{v:.4g}"


def format_table(rows: list[RunStatus]) -> str:
    header = ["run", "job", "state", "step", "requeues", "metrics", "folder"]
    lines = []
    for r in rows:
        p = r.progress
        shown = max((s for s in (p.step, p.logged_step) if s is not None), default=None)
        step = f"{'-' if shown is None else shown}/{p.max_steps if p.max_steps is not None else '?'}"
        metrics = " ".join(f"{k}={_fmt_metric(p.metrics[k])}" for k in SHOWN_METRICS if k in p.metrics)
        lines.append([r.label, r.job_id or "-", r.state, step, str(r.requeues), metrics or "-", r.run_dir])
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    text = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *lines]]
    notes = [f"  {r.label}: {r.note}" for r in rows if r.note]
    return "\n".join(text + (["notes:"] + notes if notes else []))


def cancel(target: str, run_root: str | Path = "runs") -> list[str]:
    """scancel the target's jobs that are still queued or running; returns the ids cancelled."""
    record, rows = _targets(target, Path(run_root))
    ids = [j for _, _, j in rows if j]
    states = jobs.job_states(ids)
    active = [j for j in ids if states[j].active]
    if record is not None and active and len({jobs.base_id(j) for j in ids}) == 1 and len(active) == len(ids):
        to_cancel = [jobs.base_id(ids[0])]  # the whole array at once
    else:
        to_cancel = active
    jobs.cancel(to_cancel)
    if record is not None and to_cancel:
        record.add_cancel(to_cancel)
        record.save()
    return to_cancel
