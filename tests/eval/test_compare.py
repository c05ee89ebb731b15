import json
import math

import pytest
from omegaconf import OmegaConf

from flamkit.eval.compare import CompareError, build_table, load_run, metric_direction, to_markdown, write_csv
from flamkit.train.tb import TBLogger


@pytest.mark.parametrize(
    "name,direction",
    [
        ("sed/unbiased/psds1", 1), ("sed/approximate/auroc", 1), ("h/unbiased/mpauc", 1), ("x/spearman", 1),
        ("a/present_auroc", 1), ("r/t2a_R@1", 1), ("r/a2t_mAP@10", 1), ("z/top1", 1), ("z/balanced_top1", 1),
        ("s/unbiased/f1@0.5", 1), ("s/unbiased/precision@0.5", 1), ("s/recall@0.5", 1), ("val/frame_auroc", 1),
        ("val/sed_loss", -1), ("train/loss", -1), ("r/median_rank", -1),
        ("s/unbiased/best_f1_threshold", 0), ("n_clips", 0), ("t/seconds", 0), ("x/something_else", 0),
    ],
)
def test_metric_direction(name, direction):
    assert metric_direction(name) == direction


def _run(root, name, cfg, scalars=None, evals="e"):
    run = root / "exp" / name
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(cfg)))
    if scalars is not None:
        (run / "eval" / evals).mkdir(parents=True)
        (run / "eval" / evals / "metrics.json").write_text(json.dumps({"scalars": scalars}))
    return run


BASE = {"experiment": "exp", "seed": 0, "model": {"frames": 32, "audio": {"name": "a"}}, "train": {"log_every": 10}}


def test_table_shows_only_differing_identity_keys_and_marks_best_with_ties(tmp_path):
    a = _run(tmp_path, "a", {**BASE, "train": {"log_every": 5}}, {"s/auroc": 0.9, "s/loss": 1.0, "s/best_f1_threshold": 0.3})
    b = _run(tmp_path, "b", {**BASE, "model": {"frames": 128, "audio": {"name": "a"}}}, {"s/auroc": 0.9, "s/loss": 0.5, "s/best_f1_threshold": 0.6})
    c = _run(tmp_path, "c", {**BASE, "seed": 1}, {"s/auroc": 0.7, "s/loss": None})
    table = build_table([load_run(p, "e") for p in (a, b, c)])
    assert table.keys == ["seed", "model.frames"]  # train.log_every is not an identity key
    assert table.metrics == ["s/auroc", "s/loss", "s/best_f1_threshold"]
    assert table.best == {"s/auroc": {0, 1}, "s/loss": {1}} and table.unranked == ["s/best_f1_threshold"]
    assert math.isnan(table.metric_value(2, "s/loss"))
    md = to_markdown(table)
    assert md.splitlines()[0] == "| run | seed | model.frames | s/auroc | s/loss | s/best_f1_threshold |"
    assert "| exp/a | 0 | 32 | **0.9000** | 1.0000 | 0.3000 |" in md
    assert "| exp/b | 0 | 128 | **0.9000** | **0.5000** | 0.6000 |" in md
    assert "| exp/c | 1 | 32 | 0.7000 | n/a | - |" in md
    write_csv(table, tmp_path / "t.csv")
    rows = (tmp_path / "t.csv").read_text().splitlines()
    assert rows[0] == "run,path,seed,model.frames,s/auroc,s/loss,s/best_f1_threshold,best_in"
    assert rows[2].endswith(",0.9,0.5,0.6,s/auroc;s/loss") and rows[3].endswith(",0.7,,,")


def test_metric_patterns_and_eval_prefix(tmp_path):
    a = _run(tmp_path, "a", BASE, {"sed/unbiased/auroc": 0.8, "sed/unbiased/psds1": 0.2, "zs/top1": 0.4})
    table = build_table([load_run(a)], ["*auroc", "zs/*"])
    assert table.metrics == ["e/sed/unbiased/auroc", "e/zs/top1"]


def test_runs_without_eval_fall_back_to_the_last_validation_scalars(tmp_path):
    a = _run(tmp_path, "a", BASE)
    tb = TBLogger(a / "tb")
    for step, v in ((10, 0.6), (20, 0.7)):
        tb.scalars({"val/frame_auroc": v, "train/loss": 1.0}, step)
    tb.close()
    entry = load_run(a)
    assert entry.metrics == pytest.approx({"val/frame_auroc": 0.7}) and "tensorboard" in entry.source


def test_a_folder_without_config_is_an_error(tmp_path):
    with pytest.raises(CompareError, match="not a run folder"):
        load_run(tmp_path)
