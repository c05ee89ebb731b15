"""Periodic validation during training: a fixed set of clips, scored the same way at every step.

The clips are drawn once (seeded) from the ``data.val`` sources, so curves across steps and across
runs of a sweep compare like with like. Reported: the SED objective on those clips, the
open-vocabulary frame AUROC (§5.2: each clip scored only against the events it contains), and
figures of frame probabilities over the ground truth (Fig. 2) with the clip's audio.

The registered evaluation tasks of the config's ``eval:`` section (``flamkit eval``'s tasks: SED with
PSDS/MPAUC/AUROC, retrieval, zero-shot) run at each validation too, unless a task sets
``val: false``; their scalars are logged as ``val/<label>/<metric>``. Without an ``eval:`` section
validation is exactly the above.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from omegaconf import DictConfig

from flamkit.data.build import build_val_sources
from flamkit.data.collate import collate_sed
from flamkit.data.example import Example
from flamkit.eval.metrics.frame_metrics import EventFrames, present_event_auroc, spearman_per_event
from flamkit.eval.plots import frame_probability_figure
from flamkit.eval.runner import build_tasks, run_tasks  # also registers the evaluation tasks
from flamkit.eval.tasks.base import EvalContext
from flamkit.losses import functional as LF
from flamkit.scoring import frame_scores
from flamkit.train.distenv import DistEnv

log = logging.getLogger("flamkit.val")


def fixed_examples(source, count: int, seed: int) -> list[Example]:
    n = min(count, len(source))
    return [source.get(i, np.random.default_rng([seed, 7919, i])) for i in range(n)]


class Validator:
    def __init__(self, cfg: DictConfig, model, env: DistEnv, batch_size: int = 16) -> None:
        self.cfg = cfg
        self.model = model
        self.env = env
        self.batch_size = batch_size
        self.sets = {
            label: [ex for ex in fixed_examples(src, int(cfg.data.val_clips), int(cfg.seed)) if ex.events]
            for label, src in build_val_sources(cfg, model).items()
        }
        self.tasks = _validation_tasks(cfg)

    @torch.no_grad()
    def run(self, step: int, tb) -> dict[str, float]:
        """Metrics on the main rank (others return {} after the same amount of work is skipped)."""
        if not self.env.is_main:
            return {}
        was_training = self.model.training
        self.model.eval()
        metrics: dict[str, float] = {}
        try:
            for label, examples in self.sets.items():
                if not examples:
                    continue
                m, figs = self._evaluate(examples)
                prefix = "val" if len(self.sets) == 1 else f"val_{label}"
                metrics.update({f"{prefix}/{k}": v for k, v in m.items()})
                for i, (fig, ex) in enumerate(figs):
                    tb.figure(f"{prefix}/clip{i}", fig, step)
                    if step == int(self.cfg.train.val_every):
                        tb.audio(f"{prefix}/clip{i}_audio", torch.from_numpy(ex.audio)[None], step, ex.sample_rate)
            if self.tasks:
                metrics.update(self._run_tasks(step, tb))
            tb.scalars(metrics, step)
        finally:
            self.model.train(was_training)
        return metrics

    def _run_tasks(self, step: int, tb) -> dict[str, float]:
        import matplotlib.pyplot as plt

        ctx = EvalContext(self.model, batch_size=self.batch_size, log=log.info)  # new text cache: the weights changed
        out = {}
        for label, result in run_tasks(self.tasks, ctx).items():
            out.update({f"val/{label}/{k}": v for k, v in result.scalars.items()})
            for name, fig in result.figures.items():
                tb.figure(f"val/{label}/{name}", fig, step)
                plt.close(fig)
        return out

    def _evaluate(self, examples: list[Example]):
        L = self.model.frames
        losses, weights = [], []
        score_rows, label_rows, files, texts_all = [], [], [], []
        figs = []
        device = self.env.device
        for start in range(0, len(examples), self.batch_size):
            chunk = examples[start : start + self.batch_size]
            batch = collate_sed(chunk, num_frames=L, slots_per_clip=int(self.cfg.data.slots_per_clip), on_overflow="grow").to(device)
            a = self.model.encode_audio(batch.audio)
            t = self.model.encode_text(batch.texts)
            loss = LF.sed_loss(a.frames, t.emb, batch.text_ids, t.scale, t.bias, batch.event_ids, batch.event_masks)
            losses.append(float(loss))
            weights.append(len(chunk))
            probs = frame_scores(self.model.frame_cosine(a, t), t.scale.float(), t.bias.float(), mode="unbiased")  # [B,K,L]
            targets = LF.frame_targets(batch.text_ids, batch.event_ids, batch.event_masks)  # [B,K,L]
            present = targets.any(dim=2)  # [B,K]: the events each clip contains
            for b in range(len(chunk)):
                ks = torch.nonzero(present[b]).flatten()
                score_rows.append(probs[b, ks].cpu().numpy())
                label_rows.append(targets[b, ks].cpu().numpy())
                files.extend([chunk[b].key] * len(ks))
                texts_all.extend(batch.texts[k] for k in ks.tolist())
                if len(figs) < int(self.cfg.train.num_figure_clips):
                    texts = [batch.texts[k] for k in ks.tolist()]
                    figs.append((frame_probability_figure(chunk[b], texts, score_rows[-1], label_rows[-1]), chunk[b]))
        metrics = {"sed_loss": float(np.average(losses, weights=weights))}
        scores = np.concatenate(score_rows).astype(np.float32)
        events = EventFrames(
            scores=scores,
            targets=np.concatenate(label_rows).astype(bool),
            lengths=np.full(len(scores), L),
            files=tuple(files),
            labels=tuple(texts_all),
        )
        auroc = present_event_auroc(events).pooled
        if np.isfinite(auroc):
            metrics["frame_auroc"] = auroc
        rho = spearman_per_event(events)
        if rho.count:
            metrics["spearman"] = rho.mean
        return metrics, figs


def _validation_tasks(cfg: DictConfig) -> dict:
    """The config's ``eval:`` tasks that take part in validation (all but those with ``val: false``)."""
    section = {label: node for label, node in (cfg.get("eval") or {}).items() if node.get("val", True)}
    if not section:
        return {}
    return build_tasks(section)
