"""The study report's tables: the main task and each of `also_tasks`, read from the stages' scalars."""

from pathlib import Path

from flamkit.study.report import table_rows
from flamkit.study.runner import StageResult, StudyResult
from flamkit.study.spec import Stage, StudySpec


def _stage(name: str, main: dict, also: dict) -> StageResult:
    return StageResult(Stage(name, "flam", name.upper()), Path("r"), Path("r/ckpt-00000010"), 10, Path("e"),
                       main, {}, "closed_set", 1.0, 1.0, also)


def test_also_tasks_get_their_own_table():
    base = {"present_auroc": 0.9, "best_f1": 0.6, "best_f1_threshold": 0.4, "f1@0.5": 0.55}
    opened = {"present_auroc": 0.8, "auroc_with_absent": 0.95, "best_f1": 0.7, "best_f1_threshold": 0.5, "f1@0.5": 0.7}
    spec = StudySpec("s", Path("s.yaml"), "", "ev", "dev", (), also_tasks=("dev_open",))
    result = StudyResult(spec, [_stage("a", base, {"dev_open": opened})], [], Path("runs"))
    header, rows = table_rows(result)
    assert "frame AUROC (+absent)" not in header and rows[0][header.index("frame AUROC")] == "0.900"
    header, rows = table_rows(result, "dev_open")
    assert rows[0][header.index("frame AUROC (+absent)")] == "0.950"
    assert rows[0][header.index("best F1 - F1@0.5")] == "0.000" and rows[0][0] == "A"


def test_also_tasks_load_from_the_study_file(tmp_path):
    from flamkit.study.spec import load_study

    path = tmp_path / "s.yaml"
    path.write_text("eval: embedded_heldout\ntask: heldout\nalso_tasks: [other]\nstages:\n  - {name: a, experiment: flam_global}\n")
    assert load_study(str(path)).also_tasks == ("other",)
