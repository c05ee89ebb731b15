"""TensorBoard output of the main rank: scalars, figures, audio and hparams in the run's own writer.

``SummaryWriter.add_hparams`` writes into a new timestamped sub-run, which splits a run in two and
breaks the HPARAMS view of a sweep. We write the hparams summaries into the run's own event file
instead, always with the same flattened key set (:data:`HPARAM_KEYS`), so every run of a sweep lines
up as one row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

# The fixed hparams key set: config path -> value used when a run does not have the key.
HPARAM_KEYS: dict[str, Any] = {
    "experiment": "",
    "seed": 0,
    "model.audio.name": "",
    "model.text.name": "",
    "model.scale.name": "",
    "model.bias.name": "",
    "model.frames": 0,
    "model.embed_dim": 0,
    "loss.clip.weight": 0.0,
    "loss.siglip.weight": 0.0,
    "loss.sed.weight": 0.0,
    "loss.prior.weight": 0.0,
    "optim.name": "",
    "optim.lr": 0.0,
    "sched.warmup_steps": 0,
    "data.streams.global.batch_size": 0,
    "data.streams.sed.batch_size": 0,
    "train.max_steps": 0,
    "train.init_from": "",
}
HPARAM_METRICS = ("val/frame_auroc", "val/sed_loss", "train/loss")


def hparams_of(cfg: DictConfig) -> dict[str, Any]:
    out = {}
    for key, default in HPARAM_KEYS.items():
        value = OmegaConf.select(cfg, key, default=None)
        value = default if value is None else value
        out[key] = value if isinstance(value, (int, float, str, bool)) else str(value)
    return out


class TBLogger:
    """A thin wrapper that is a no-op on non-main ranks, so callers need no rank checks."""

    def __init__(self, log_dir: Path | None) -> None:
        self.writer = None
        if log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(log_dir))

    def scalars(self, values: Mapping[str, float], step: int) -> None:
        if self.writer is not None:
            for k, v in values.items():
                self.writer.add_scalar(k, float(v), step)

    def figure(self, tag: str, fig: Any, step: int) -> None:
        if self.writer is not None:
            self.writer.add_figure(tag, fig, step, close=True)

    def audio(self, tag: str, samples: Any, step: int, sample_rate: int) -> None:
        if self.writer is not None:
            self.writer.add_audio(tag, samples, step, sample_rate=sample_rate)

    def text(self, tag: str, text: str, step: int) -> None:
        if self.writer is not None:
            self.writer.add_text(tag, text, step)

    def hparams(self, cfg: DictConfig, metrics: Mapping[str, float] | None = None) -> None:
        if self.writer is None:
            return
        from torch.utils.tensorboard.summary import hparams

        metric_dict = {m: float("nan") for m in HPARAM_METRICS}
        metric_dict.update(metrics or {})
        exp, ssi, sei = hparams(hparams_of(cfg), metric_dict)
        fw = self.writer._get_file_writer()
        fw.add_summary(exp)
        fw.add_summary(ssi)
        fw.add_summary(sei)

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
