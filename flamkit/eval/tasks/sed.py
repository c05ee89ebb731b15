"""The ``sed`` evaluation task: closed-set and open-vocabulary sound event detection (§5.2, C.7, C.11, Fig. 3).

Closed set (default): every clip is scored against every class prompt. Reported per scoring mode:
PSDS1, MPAUC (1 s segments, FPR <= 0.1), AUROC (segments of one model frame, clip_seconds / L),
the present-event AUROC, Spearman rho per (clip, class present) and the frame-wise F1, precision and
recall against the threshold over all (frame, class) pairs.

Open vocabulary (``open_vocabulary: true``): each clip's descriptions are its own (the labels of its
ground-truth rows); a clip is scored against its own descriptions only. Reported per mode: the
present-event AUROC (the §5.2 AUROC of open-vocabulary sets), Spearman rho per captioned event
(C.11) and the F1/precision/recall curves over the frames of those events. With
``absent_labels: N`` each clip is also scored against N descriptions drawn (seeded by the task's
``seed`` and the clip's position) from the set's other descriptions that are not in the clip: their
frames are all negative, so a detector that fires on whatever it is asked about pays in precision.
Then the F1 curves run over present and absent pairs, and ``auroc_with_absent`` is the pooled frame
AUROC over both; ``present_auroc`` and Spearman rho stay on the present events, as §5.2 defines them.

Scores are median-filtered over 3 frames first (C.7). Both scoring modes of
:mod:`flamkit.scoring` (``unbiased``: eq. 7 with the learned bias; ``approximate``: eq. 8) are
reported separately. Threshold-free per-class metrics are invariant to the mode's monotone
transform up to float32 saturation (ties at 0 or 1); the pooled present-event AUROC and the
F1 curves are not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from flamkit.config.checks import SOURCE_INJECTED, Slot, check_component
from flamkit.eval.inference import FrameEmbeddings, score_frames
from flamkit.eval.metrics.ground_truth import event_classes, read_strong_labels
from flamkit.eval.tasks.base import EvalContext, EvalInputError, TaskResult
from flamkit.eval.tasks.prompts import class_prompts
from flamkit.eval.tasks.sed_data import SedSet, sed_set_from_files, sed_set_from_source
from flamkit.registry import DATA_SOURCES, EVAL_TASKS
from flamkit.scoring import SCORE_MODES

if TYPE_CHECKING:
    from flamkit.eval.metrics.frame_metrics import EventFrames, PRFCurve

# The metric modules (scipy.stats, pandas, sed_scores_eval) are imported where they are used: this
# module registers the task and is imported by every flamkit command.

DEFAULT_MODES = ["unbiased", "approximate"]


@EVAL_TASKS.register("sed")
class SedTask:
    """Sound event detection: PSDS1, MPAUC, AUROC, present-event AUROC, Spearman rho, F1 curves."""

    def __init__(
        self,
        audio_dir: Optional[str] = None,
        ground_truth: Optional[str] = None,
        durations: Optional[str] = None,
        source: Optional[dict] = None,
        max_clips: Optional[int] = None,
        seed: int = 0,
        open_vocabulary: bool = False,
        classes: Optional[list] = None,
        prompts: Optional[str] = None,
        prompt_template: str = "{}",
        modes: list = DEFAULT_MODES,
        median_filter: int = 3,
        psds: bool = True,
        mpauc: bool = True,
        engine: str = "auto",
        thresholds: int = 101,
        num_figure_clips: int = 4,
        length_tolerance: float = 0.01,
        absent_labels: int = 0,
    ) -> None:
        """
        audio_dir, ground_truth, durations: a folder of audio files, its DCASE strong-label TSV
          (file names relative to the folder) and optionally its durations TSV;
        source: instead, a registered data source ``{name: ..., **kwargs}`` whose first ``max_clips``
          examples (drawn with ``seed``) are evaluated in memory;
        classes: the closed class list (default: the ground truth's labels); prompts: a class ->
          prompt mapping file (JSON or TSV); prompt_template: for classes without a mapped prompt;
        modes: scoring modes; median_filter: frames (odd, 1 = off); psds/mpauc: compute them (closed
          set); engine: sed_scores_eval | native | auto; thresholds: points of the F1 curves in [0, 1];
        num_figure_clips: example clips plotted; length_tolerance: seconds a clip may exceed the
          model's window and be trimmed instead of split; absent_labels: open vocabulary only, how many
          descriptions absent from each clip it is also scored against (module doc).
        """
        if source is not None and (audio_dir or ground_truth):
            raise EvalInputError("sed: give either audio_dir + ground_truth or source, not both")
        if source is None and not (audio_dir and ground_truth):
            raise EvalInputError("sed: set audio_dir and ground_truth (a DCASE strong-label TSV), or source (a registered data source)")
        bad = [m for m in modes if m not in SCORE_MODES]
        if bad or not modes:
            raise EvalInputError(f"sed.modes: {bad or modes} not valid; choose from {sorted(SCORE_MODES)}")
        if median_filter < 1 or median_filter % 2 == 0:
            raise EvalInputError(f"sed.median_filter must be a positive odd number of frames, got {median_filter}")
        if thresholds < 2:
            raise EvalInputError(f"sed.thresholds must be at least 2, got {thresholds}")
        if source is not None:
            problems = check_component(Slot("source", DATA_SOURCES, SOURCE_INJECTED), source)
            if problems:
                raise EvalInputError("; ".join(problems))
        if absent_labels < 0 or (absent_labels and not open_vocabulary):
            raise EvalInputError(f"sed.absent_labels={absent_labels}: a count >= 0, for open_vocabulary sets only")
        if open_vocabulary and (classes or prompts):
            raise EvalInputError("sed: open_vocabulary sets score each clip on its own descriptions; remove classes/prompts")
        self.audio_dir, self.ground_truth, self.durations = audio_dir, ground_truth, durations
        self.source, self.max_clips, self.seed = source, max_clips, seed
        self.open_vocabulary = open_vocabulary
        self.classes = list(classes) if classes else None
        self.prompts, self.prompt_template = prompts, prompt_template
        self.modes = list(modes)
        self.median_filter = int(median_filter)
        self.do_psds, self.do_mpauc, self.engine = psds, mpauc, engine
        self.thresholds = np.round(np.linspace(0.0, 1.0, int(thresholds)), 6)
        self.num_figure_clips = num_figure_clips
        self.length_tolerance = length_tolerance
        self.absent_labels = int(absent_labels)
        self._set: SedSet | None = None

    # --- data ---------------------------------------------------------------------------------
    def _closed_classes(self) -> list[str] | None:
        if self.open_vocabulary:
            return None
        if self.classes:
            return self.classes
        if self.source is None:
            return event_classes(read_strong_labels(self.ground_truth))
        return None  # from the examples, after drawing them

    def data(self, ctx: EvalContext) -> SedSet:
        """The set, loaded once (later runs, e.g. periodic validation, reuse it)."""
        if self._set is None:
            classes = self._closed_classes()
            if self.source is not None:
                node = dict(self.source)
                self._set = sed_set_from_source(
                    node, "sed.source", int(ctx.model.sample_rate), float(ctx.model.clip_seconds), self.max_clips, self.seed, classes
                )
                if not self.open_vocabulary and classes is None:
                    self.classes = event_classes(self._set.ground_truth)
            else:
                self._set = sed_set_from_files(self.audio_dir, self.ground_truth, self.durations, classes)
                if not self.open_vocabulary and self.classes is None:
                    self.classes = classes
        return self._set

    # --- run ----------------------------------------------------------------------------------
    def run(self, ctx: EvalContext) -> TaskResult:
        data = self.data(ctx)
        emb = ctx.embed(data.clips, tolerance_seconds=self.length_tolerance)
        result = TaskResult(messages=list(data.messages) + emb.lengths.lines())
        result.details.update(
            kind="open_vocabulary" if self.open_vocabulary else "closed_set",
            n_clips=len(data.clips),
            n_events=data.report.n_events_out,
            hop_seconds=emb.hop,
            median_filter=self.median_filter,
            ground_truth=data.report.to_dict(),
            lengths=emb.lengths.to_dict(),
            **data.extra,
        )
        evaluate = self._open_vocabulary if self.open_vocabulary else self._closed_set
        curves: dict[str, PRFCurve] = {}
        for mode in self.modes:
            scalars, details, curve, scores = evaluate(ctx, data, emb, mode, result)
            result.scalars.update({f"{mode}/{k}": v for k, v in scalars.items()})
            result.details.setdefault("modes", {})[mode] = details
            curves[mode] = curve
            if mode == self.modes[0]:  # figures now, so that only one mode's scores are ever in memory
                result.figures.update(self._example_figures(ctx, data, emb, scores, mode))
            del scores
        result.figures["f1_precision_recall"] = _curves_figure(curves)
        return result

    def _closed_set(self, ctx: EvalContext, data: SedSet, emb: FrameEmbeddings, mode: str, result: TaskResult):
        from flamkit.eval.metrics.frame_metrics import EventFrames, closed_set_prf_curve
        from flamkit.eval.metrics.frame_scores import FrameScores, median_filter_scores
        from flamkit.eval.metrics.sed import mpauc, psds, segment_auroc

        classes = list(self.classes or [])
        prompts, msgs = class_prompts(classes, self.prompt_template, self.prompts)
        for m in msgs:
            if m not in result.messages:
                result.messages.append(m)
        result.details["classes"] = dict(zip(classes, prompts))
        table = ctx.text(prompts)
        values = score_frames(emb.values, table, mode, device=ctx.device)
        scores = median_filter_scores(FrameScores(values, emb.offsets, emb.keys, tuple(classes), emb.hop), self.median_filter, inplace=True)
        gt, durs = data.ground_truth, data.durations
        scalars: dict[str, float] = {}
        details: dict[str, Any] = {}
        if self.do_psds:
            p = psds(scores, gt, durs, engine=self.engine)
            scalars["psds1"] = p.psds
            # PSDS1 subtracts alpha_ST = 1 times the spread of TPR over classes, so it is 0 whenever
            # classes differ a lot; the class mean (= PSDS with alpha_ST = 0) shows what is detected.
            scalars["psds1_class_mean"] = float(np.mean(list(p.per_class.values()))) if p.per_class else 0.0
            details["psds1"] = {"value": p.psds, "per_class": p.per_class, "excluded_classes": p.excluded_classes, "engine": p.engine}
        if self.do_mpauc:
            m = mpauc(scores, gt, durs, engine=self.engine)
            scalars["mpauc"] = m.mean
            details["mpauc"] = _auroc_details(m)
        a = segment_auroc(scores, gt, durs, engine=self.engine)
        scalars["auroc"] = a.mean
        details["auroc"] = {**_auroc_details(a), "segment_seconds": emb.hop}
        curve = closed_set_prf_curve(scores, gt, self.thresholds)
        _frame_metrics(EventFrames.from_frame_scores(scores, gt), curve, scalars, details)
        return scalars, details, curve, scores

    def _open_vocabulary(self, ctx: EvalContext, data: SedSet, emb: FrameEmbeddings, mode: str, result: TaskResult):
        from scipy.ndimage import median_filter

        from flamkit.eval.metrics.frame_metrics import EventFrames, event_prf_curve

        gt = data.ground_truth
        descriptions = sorted({label for events in gt.values() for _, _, label in events})
        if not descriptions:
            raise EvalInputError("sed (open vocabulary): the ground truth has no events to score")
        result.details["n_descriptions"] = len(descriptions)
        table = ctx.text(descriptions)
        index = {d: k for k, d in enumerate(descriptions)}
        clip_scores: dict[str, tuple[np.ndarray, list[str]]] = {}
        for i, key in enumerate(emb.keys):
            labels = sorted({label for _, _, label in gt[key]})
            if not labels:
                continue
            labels += absent_descriptions(descriptions, labels, self.absent_labels, self.seed, i)
            s = score_frames(emb.clip(i), table.subset([index[d] for d in labels]), mode, device=ctx.device)
            if self.median_filter > 1:
                s = median_filter(s, size=(self.median_filter, 1), mode="nearest")
            clip_scores[key] = (s, labels)
        events = EventFrames.from_clip_scores(clip_scores, gt, emb.hop)
        scalars: dict[str, float] = {}
        details: dict[str, Any] = {}
        if self.absent_labels:
            from flamkit.eval.metrics.roc import roc_auc

            both = EventFrames.from_clip_scores(clip_scores, gt, emb.hop, absent=True)
            curve = event_prf_curve(both, self.thresholds)
            valid = both.valid
            scalars["auroc_with_absent"] = float(roc_auc(both.scores[valid], both.targets[valid]))
            details["absent_labels"] = {"per_clip": self.absent_labels, "n_pairs": len(both.labels) - len(events.labels)}
        else:
            curve = event_prf_curve(events, self.thresholds)
        _frame_metrics(events, curve, scalars, details)
        return scalars, details, curve, clip_scores

    # --- figures ------------------------------------------------------------------------------
    def _example_figures(self, ctx: EvalContext, data: SedSet, emb: FrameEmbeddings, scores, mode: str) -> dict[str, Any]:
        """Fig. 2 style: the first clips with events, their descriptions' scores over the truth."""
        from flamkit.data.example import Example
        from flamkit.eval.metrics.frame_scores import FrameScores, segment_mask
        from flamkit.eval.plots import frame_probability_figure

        figures = {}
        sr = int(ctx.model.sample_rate)
        for i, clip in enumerate(data.clips):
            if len(figures) >= self.num_figure_clips:
                break
            events = data.ground_truth[clip.key]
            if not events:
                continue
            labels = sorted({label for _, _, label in events})
            if isinstance(scores, FrameScores):
                col = {c: k for k, c in enumerate(scores.classes)}
                s = scores.clip(i)[:, [col[c] for c in labels]]
            else:
                s, names = scores[clip.key]
                s = s[:, [names.index(c) for c in labels]]
            truth = np.stack([segment_mask([(a, b) for a, b, lab in events if lab == c], len(s), emb.hop) for c in labels])
            example = Example(audio=clip.load(sr), sample_rate=sr, key=f"{clip.key} ({mode} scores)")
            figures[f"clip{len(figures)}"] = frame_probability_figure(example, labels, s.T, truth, hop=emb.hop)
        return figures


def absent_descriptions(vocabulary: list[str], present: list[str], count: int, seed: int, position: int) -> list[str]:
    """``count`` descriptions of ``vocabulary`` not in ``present``, drawn without replacement, sorted.

    A function of (seed, the clip's position in the set) only, so every model is asked the same
    questions about the same clip; fewer when the vocabulary has fewer other descriptions.
    """
    if count <= 0:
        return []
    taken = set(present)
    others = [d for d in vocabulary if d not in taken]
    rng = np.random.default_rng([int(seed), int(position), 0xAB5E])
    pick = rng.choice(len(others), size=min(count, len(others)), replace=False) if others else []
    return sorted(others[int(j)] for j in pick)


def _auroc_details(a) -> dict[str, Any]:
    return {"mean": a.mean, "per_class": a.per_class, "excluded_classes": a.excluded_classes, "undefined_classes": a.undefined_classes, "engine": a.engine}


def _frame_metrics(events: EventFrames, curve: PRFCurve, scalars: dict[str, float], details: dict[str, Any]) -> None:
    """Present-event AUROC, Spearman rho and the F1 curve (shared by closed-set and open-vocabulary)."""
    from flamkit.eval.metrics.frame_metrics import present_event_auroc, spearman_per_event

    pe = present_event_auroc(events)
    scalars["present_auroc"] = pe.pooled
    # Per description, then averaged: pooled below label mean means the descriptions' scores do not
    # share one scale (each ranks its own frames better than the pool ranks all of them).
    scalars["present_auroc_label_mean"] = pe.label_mean
    details["present_auroc"] = {
        "pooled": pe.pooled, "label_mean": pe.label_mean, "n_pairs": pe.n_pairs, "n_labels": pe.n_labels,
        "n_labels_undefined": pe.n_labels_undefined,
    }
    rho = spearman_per_event(events)
    scalars["spearman"] = rho.mean
    details["spearman"] = {
        "mean": rho.mean, "median": rho.median, "count": rho.count,
        "n_constant_truth": rho.n_constant_truth, "n_constant_scores": rho.n_constant_scores,
    }
    best = curve.best()
    at_half = int(np.argmin(np.abs(curve.thresholds - 0.5)))
    scalars["best_f1"] = best["f1"]
    scalars["best_f1_threshold"] = best["threshold"]
    scalars["f1@0.5"] = float(curve.f1[at_half])
    scalars["precision@0.5"] = float(curve.precision[at_half])
    scalars["recall@0.5"] = float(curve.recall[at_half])
    details["f1_curve"] = {
        "thresholds": curve.thresholds.tolist(),
        "f1": curve.f1.tolist(),
        "precision": curve.precision.tolist(),
        "recall": curve.recall.tolist(),
        "best": best,
    }


def _curves_figure(curves: dict[str, PRFCurve]):
    from flamkit.eval.plots import threshold_curves_figure

    first = next(iter(curves.values()))
    return threshold_curves_figure(
        first.thresholds, {mode: {"f1": c.f1, "precision": c.precision, "recall": c.recall} for mode, c in curves.items()}
    )
