"""``flamkit eval`` end to end: a checkpoint of the tone model, a DCASE-format set on disk, the CLI function."""

import json

import pytest
import torch
from omegaconf import OmegaConf

from flamkit.cli import main
from flamkit.models.flam import build_model
from tests.eval import tone_model as tm


@pytest.fixture(scope="module")
def dcase(tmp_path_factory):
    root = tmp_path_factory.mktemp("dcase")
    tsv = tm.write_sed_set(root / "audio", tm.SET)
    return root, tsv


def _eval_yaml(path, audio_dir="???", tsv="???"):
    path.write_text(
        "sed:\n  name: sed\n"
        f"  audio_dir: {audio_dir}\n  ground_truth: {tsv}\n"
        "  num_figure_clips: 2\n"
        "zs:\n  name: zero_shot\n  manifest: ???\n  val: false\n"
    )
    return path


def test_eval_of_a_run_writes_metrics_plots_and_tensorboard(tmp_path, dcase, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    root, tsv = dcase
    run = tm.save_run(tmp_path / "runs" / "test", "oracle-1", tm.build_oracle(), step=300)
    labels = tmp_path / "labels.csv"
    dominant = {n: max(tm.NAMES, key=lambda k: sum(b - a for a, b, lab in ev if lab == k)) for n, (_, ev) in tm.SET.items() if ev}
    labels.write_text("path,label\n" + "".join(f"{n},{lab}\n" for n, lab in dominant.items()))
    cfg = _eval_yaml(tmp_path / "dcase.yaml")
    rc = main(["eval", f"checkpoint={run}", f"eval={cfg}", f"sed.audio_dir={root / 'audio'}", f"sed.ground_truth={tsv}",
               f"zs.manifest={labels}", f"zs.audio_dir={root / 'audio'}"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"checkpoint: {run / 'checkpoints' / 'ckpt-00000300'} (a run folder means its final checkpoint, step 300" in out
    folder = run / "eval" / "dcase"
    doc = json.loads((folder / "metrics.json").read_text())
    assert doc["step"] == 300 and doc["eval"] == "dcase" and doc["checkpoint"].endswith("ckpt-00000300")
    for mode in ("unbiased", "approximate"):
        for metric in ("psds1", "mpauc", "auroc", "spearman", "present_auroc", "best_f1"):
            assert f"sed/{mode}/{metric}" in doc["scalars"]
        assert doc["scalars"][f"sed/{mode}/auroc"] == 1.0
        curve = doc["tasks"]["sed"]["details"]["modes"][mode]["f1_curve"]
        assert len(curve["f1"]) == len(curve["precision"]) == len(curve["recall"]) == 101
    assert doc["scalars"]["zs/top1"] == 1.0
    sed = doc["tasks"]["sed"]
    assert sed["details"]["ground_truth"]["n_merged"] == 1 and sed["details"]["lengths"]["n_padded"] == 1
    assert any("merged 1" in m for m in sed["messages"]) and "merged 1" in out  # console and metrics.json
    assert {p.name for p in folder.glob("*.png")} == {"sed_f1_precision_recall.png", "sed_clip0.png", "sed_clip1.png"}
    assert "| unbiased |" in (folder / "metrics.md").read_text()
    acc = EventAccumulator(str(run / "tb"))
    acc.Reload()
    assert [e.step for e in acc.Scalars("eval/dcase/sed/unbiased/psds1")] == [300]
    assert "eval/dcase/sed/clip0" in acc.Tags()["images"]


def test_out_folder_for_a_checkpoint_outside_a_run(tmp_path, dcase, capsys):
    root, tsv = dcase
    run = tm.save_run(tmp_path, "r", tm.build_oracle(inverted=True), step=5)
    ckpt = run / "checkpoints" / "ckpt-00000005"
    (run / "config.yaml").unlink()  # no longer a run folder: results need --out
    cfg = tmp_path / "only_sed.yaml"
    cfg.write_text(f"sed:\n  name: sed\n  audio_dir: {root / 'audio'}\n  ground_truth: {tsv}\n  modes: [unbiased]\n  num_figure_clips: 0\n")
    assert main(["eval", f"checkpoint={ckpt}", f"eval={cfg}"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["eval", f"checkpoint={ckpt}", f"eval={cfg}", "--out", str(tmp_path / "res")]) == 0
    doc = json.loads((tmp_path / "res" / "metrics.json").read_text())
    assert doc["scalars"]["sed/unbiased/auroc"] == 0.0 and doc["run"] is None


def test_errors_name_the_problem(tmp_path, capsys):
    run = tm.save_run(tmp_path, "r", tm.build_oracle())
    assert main(["eval", "eval=x"]) == 2
    assert "checkpoint=RUN_DIR" in capsys.readouterr().err
    assert main(["eval", f"checkpoint={tmp_path / 'nothing'}", "eval=x"]) == 2
    assert "no valid flamkit checkpoint" in capsys.readouterr().err
    assert main(["eval", f"checkpoint={run}", "eval=no_such_eval"]) == 2
    assert "eval config 'no_such_eval' not found" in capsys.readouterr().err
    cfg = _eval_yaml(tmp_path / "e.yaml")
    assert main(["eval", f"checkpoint={run}", f"eval={cfg}"]) == 2
    err = capsys.readouterr().err
    assert "sed.audio_dir=VALUE" in err and "zs.manifest=VALUE" in err
    assert main(["eval", f"checkpoint={run}"]) == 2  # no eval= and the run config has no eval: section
    assert "eval=NAME" in capsys.readouterr().err


def test_eval_with_the_small_cnn_encoder_on_resampled_files(tmp_path, dcase):
    """The real CPU encoder (16 kHz; the files are 8 kHz): every metric present and in range."""
    root, tsv = dcase
    cfg_model = tm.model_config(audio={"name": "small_cnn", "channels": [8, 8, 16, 16], "hidden": 32, "temporal_blocks": 1})
    torch.manual_seed(0)
    run = tm.save_run(tmp_path, "cnn-1", build_model(OmegaConf.create(cfg_model)), step=1, model_cfg=cfg_model)
    cfg = tmp_path / "e.yaml"
    cfg.write_text(f"sed:\n  name: sed\n  audio_dir: {root / 'audio'}\n  ground_truth: {tsv}\n  num_figure_clips: 1\n")
    assert main(["eval", f"checkpoint={run}", f"eval={cfg}", "--no-tensorboard"]) == 0
    scalars = json.loads((run / "eval" / "e" / "metrics.json").read_text())["scalars"]
    for mode in ("unbiased", "approximate"):
        for metric in ("psds1", "mpauc", "auroc", "present_auroc", "best_f1"):
            v = scalars[f"sed/{mode}/{metric}"]
            assert v is not None and 0.0 <= v <= 1.0
        rho = scalars[f"sed/{mode}/spearman"]
        assert rho is None or -1.0 <= rho <= 1.0  # null when every event's output is constant


def test_held_out_labels_the_run_trained_on_are_refused_before_any_audio(tmp_path, capsys):
    """A run trained with another label split than the eval's held-out one: exit 2, the fix named."""
    run = tm.save_run(tmp_path, "r", tm.build_oracle())
    manifest = tmp_path / "train.jsonl"
    cfg = OmegaConf.load(run / "config.yaml")
    OmegaConf.update(cfg, "data.streams.sed.sources", {"mix": {"name": "sed_synthetic", "events": str(manifest),
                     "holdout": {"fraction": 0.15, "seed": 1, "part": "train"}}}, force_add=True)
    OmegaConf.save(cfg, run / "config.yaml")
    ev = tmp_path / "held.yaml"
    ev.write_text("held:\n  name: sed\n  source:\n    name: sed_synthetic\n"
                  f"    events: {manifest}\n    backgrounds: {manifest}\n"
                  "    holdout: {fraction: 0.15, seed: 0, part: holdout}\n")
    assert main(["eval", f"checkpoint={run}", f"eval={ev}"]) == 2
    err = capsys.readouterr().err
    assert "trained on" in err and "held.source.holdout.seed=1" in err


def test_query_expansion_is_applied_recorded_and_kept_beside_the_plain_eval(tmp_path, dcase, capsys):
    from flamkit.data.trained_descriptions import write_descriptions

    root, tsv = dcase
    run = tm.save_run(tmp_path, "r", tm.build_oracle(), step=5)
    cfg = tmp_path / "only_sed.yaml"
    cfg.write_text(f"sed:\n  name: sed\n  audio_dir: {root / 'audio'}\n  ground_truth: {tsv}\n  modes: [unbiased]\n  num_figure_clips: 0\n")
    # the run's config lists no training descriptions and it has no descriptions.json: refused, said why
    assert main(["eval", f"checkpoint={run}", f"eval={cfg}", "--query-expansion", "default"]) == 2
    assert "lists no descriptions" in capsys.readouterr().err
    assert main(["eval", f"checkpoint={run}", f"eval={cfg}", "--query-expansion", "k=1,temp=2"]) == 2
    assert "--query-expansion: unknown key(s) ['temp']" in capsys.readouterr().err
    assert main(["eval", f"checkpoint={run}", f"eval={cfg}"]) == 0
    plain = json.loads((run / "eval" / "only_sed" / "metrics.json").read_text())
    assert plain["scalars"]["sed/unbiased/auroc"] == 1.0 and plain["inference"]["query_expansion"] is None
    # trained on "beep" alone and pulled all the way to it, every query becomes "beep": the oracle breaks
    write_descriptions(run, ["beep"])
    assert main(["eval", f"checkpoint={run}", f"eval={cfg}", "--query-expansion", "k=1,weight=1"]) == 0
    assert "query expansion (k=1, tau=0.1, weight=1.0) toward the 1 descriptions" in capsys.readouterr().out
    doc = json.loads((run / "eval" / "only_sed+qx" / "metrics.json").read_text())
    assert doc["eval"] == "only_sed+qx" and doc["inference"]["query_expansion"] == {"k": 1, "tau": 0.1, "weight": 1.0}
    assert doc["scalars"]["sed/unbiased/auroc"] < plain["scalars"]["sed/unbiased/auroc"] - 0.05
    assert json.loads((run / "eval" / "only_sed" / "metrics.json").read_text()) == plain  # the plain eval is untouched
