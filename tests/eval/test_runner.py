import json
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from flamkit.config.compose import ConfigError  # noqa: E402
from flamkit.eval.runner import build_tasks, json_safe, markdown, metrics_document, write_outputs  # noqa: E402
from flamkit.eval.tasks.base import TaskResult  # noqa: E402
from flamkit.eval.tasks.sed import SedTask  # noqa: E402
from flamkit.train.tb import TBLogger  # noqa: E402


def test_build_tasks_checks_every_node_and_reports_all_problems():
    cfg = OmegaConf.create({
        "a": {"name": "sed", "audio_dir": "x", "ground_truht": "y"},
        "b": {"name": "retrieval", "manifest": "???"},
        "c": {"name": "no_such_task"},
    })
    with pytest.raises(ConfigError) as e:
        build_tasks(cfg)
    msg = str(e.value)
    assert "3 problem(s)" in msg
    assert "eval.a.ground_truht: not an argument of eval_task 'sed'. Did you mean 'ground_truth'?" in msg
    assert "eval.b.manifest: required; set it on the command line: b.manifest=VALUE" in msg
    assert "eval.c.name: eval_task 'no_such_task' is not registered" in msg


def test_build_tasks_accepts_the_reserved_val_key():
    tasks = build_tasks({"s": {"name": "sed", "audio_dir": "x", "ground_truth": "y", "val": False}})
    assert isinstance(tasks["s"], SedTask)


def test_underscore_entries_are_shared_values_not_tasks():
    """``_name`` entries hold values tasks interpolate; one override changes every task reading it."""
    cfg = OmegaConf.create({"_shared": {"gt": "y"}, "s": {"name": "sed", "audio_dir": "x", "ground_truth": "${_shared.gt}"},
                            "t": {"name": "sed", "audio_dir": "x", "ground_truth": "${_shared.gt}"}})
    tasks = build_tasks(OmegaConf.merge(cfg, OmegaConf.from_dotlist(["_shared.gt=z"])))
    assert sorted(tasks) == ["s", "t"] and all(t.ground_truth == "z" for t in tasks.values())
    with pytest.raises(ConfigError, match="no evaluation tasks"):
        build_tasks({"_shared": {"gt": "y"}})


def test_json_safe_turns_nan_into_null_and_numpy_into_python():
    doc = json_safe({"a": float("nan"), "b": np.float32(0.5), "c": np.arange(3), "d": [np.int64(2), math.inf], 1: np.bool_(True)})
    assert doc == {"a": None, "b": 0.5, "c": [0, 1, 2], "d": [2, None], "1": True}
    json.dumps(doc, allow_nan=False)


def _results():
    fig = plt.figure()
    r = TaskResult(
        scalars={"unbiased/auroc": 0.9, "unbiased/psds1": float("nan"), "approximate/auroc": 0.8},
        details={"n": 3},
        messages=["merged 1 event"],
        figures={"curves": fig},
    )
    return {"sed": r, "zs": TaskResult(scalars={"top1": 0.5})}


def test_markdown_has_one_table_per_task_with_modes_as_rows():
    results = _results()
    doc = metrics_document(results, {"eval": "x", "checkpoint": "ck", "step": 3}, {"sed": {"name": "sed"}, "zs": {"name": "zero_shot"}})
    assert doc["scalars"] == {"sed/unbiased/auroc": 0.9, "sed/unbiased/psds1": None, "sed/approximate/auroc": 0.8, "zs/top1": 0.5}
    md = markdown(doc)
    assert "| | auroc | psds1 |" in md
    assert "| unbiased | 0.9000 | n/a |" in md and "| approximate | 0.8000 | n/a |" in md
    assert "## zs (`zero_shot`)" in md and "| zs | 0.5000 |" in md
    assert "- merged 1 event" in md
    plt.close("all")


def test_write_outputs_files_and_tensorboard_at_the_step(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    results = _results()
    doc = metrics_document(results, {"eval": "x"}, {})
    tb = TBLogger(tmp_path / "tb")
    written = write_outputs(results, doc, tmp_path / "out", tb, step=42, tb_prefix="eval/x")
    tb.close()
    assert {p.name for p in written} == {"metrics.json", "metrics.md", "sed_curves.png"}
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["scalars"]["sed/unbiased/psds1"] is None
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    scalars = acc.Tags()["scalars"]
    assert set(scalars) == {"eval/x/sed/unbiased/auroc", "eval/x/sed/approximate/auroc", "eval/x/zs/top1"}  # NaN not logged
    assert [(e.step, round(e.value, 6)) for e in acc.Scalars("eval/x/zs/top1")] == [(42, 0.5)]
    assert acc.Tags()["images"] == ["eval/x/sed/curves"]
