"""The training loop's validation runs the config's registered eval tasks (unless ``val: false``)."""

import torch
from omegaconf import OmegaConf

from flamkit.train.distenv import DistEnv
from flamkit.train.validation import Validator
from tests.eval import tone_model as tm


class RecordingTB:
    def __init__(self):
        self.scalar_calls, self.figures = [], []

    def scalars(self, values, step):
        self.scalar_calls.append((dict(values), step))

    def figure(self, tag, fig, step):
        self.figures.append((tag, step))

    def audio(self, *a, **k):
        pass


def _cfg(eval_section):
    return OmegaConf.create({
        "seed": 0,
        "data": {"val": {}, "val_clips": 4, "slots_per_clip": 5, "clip_seconds": 10.0},
        "train": {"val_every": 10, "num_figure_clips": 1},
        "eval": eval_section,
    })


def test_validation_runs_eval_tasks_and_logs_their_scalars():
    cfg = _cfg({
        "tones": {"name": "sed", "source": {"name": "test_tone_source"}, "open_vocabulary": True, "modes": ["unbiased"], "num_figure_clips": 1},
        "offline": {"name": "sed", "audio_dir": "/nowhere", "ground_truth": "/nowhere.tsv", "val": False},
    })
    model = tm.build_oracle().train()
    v = Validator(cfg, model, DistEnv(0, 1, 0, torch.device("cpu")))
    assert list(v.tasks) == ["tones"]
    tb = RecordingTB()
    metrics = v.run(20, tb)
    assert metrics["val/tones/unbiased/present_auroc"] == 1.0
    assert not any(k.startswith("val/offline") for k in metrics)
    assert tb.scalar_calls == [(metrics, 20)]
    assert ("val/tones/clip0", 20) in tb.figures and ("val/tones/f1_precision_recall", 20) in tb.figures
    assert model.training  # restored after validation


def test_without_an_eval_section_validation_is_unchanged():
    v = Validator(_cfg({}), tm.build_oracle(), DistEnv(0, 1, 0, torch.device("cpu")))
    assert v.tasks == {} and v.run(10, RecordingTB()) == {}
