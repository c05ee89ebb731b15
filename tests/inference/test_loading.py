import pytest
import torch
from omegaconf import OmegaConf

from flamkit.inference.loading import load_checkpoint_model, load_model, run_dir_of
from flamkit.train.checkpoint import BEST, write_checkpoint
from tests.eval import tone_model as tm


def _same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_loads_from_run_checkpoints_and_ckpt_folders(tmp_path):
    model = tm.build_oracle()
    run = tm.save_run(tmp_path / "runs" / "exp", "r-1", model, step=7)
    for path in (run, run / "checkpoints", run / "checkpoints" / "ckpt-00000007"):
        loaded = load_checkpoint_model(path)
        assert loaded.step == 7 and loaded.run_dir == run.resolve()
        assert not loaded.model.training
        assert _same_weights(loaded.model, model)
    assert _same_weights(load_model(run), model)


def test_run_folder_means_its_final_checkpoint_and_best_is_read_when_named(tmp_path):
    model = tm.build_oracle()
    run = tm.save_run(tmp_path, "r", model, step=3)
    other = tm.build_oracle(inverted=True)
    yaml = OmegaConf.to_yaml(OmegaConf.create(tm.model_config()))
    write_checkpoint(run / "checkpoints" / BEST, other.state_dict(), yaml, {"step": 2})
    loaded = load_checkpoint_model(run)
    assert loaded.checkpoint.name == "ckpt-00000003" and loaded.step == 3
    assert "final checkpoint" in loaded.choice.reason
    assert _same_weights(loaded.model, model)
    best = load_checkpoint_model(run / "checkpoints" / BEST)
    assert best.checkpoint.name == BEST and best.step == 2  # best's step is read from its state
    assert _same_weights(best.model, other)


def test_weights_that_do_not_match_the_model_yaml_are_an_error(tmp_path):
    model = tm.build_oracle()
    weights = dict(model.state_dict())
    weights.pop("clip_logit_scale")
    yaml = OmegaConf.to_yaml(OmegaConf.create(tm.model_config()))
    folder = write_checkpoint(tmp_path / "ckpt-00000001", weights, yaml, {"step": 1})
    with pytest.raises(ValueError, match="(?s)do not match.*clip_logit_scale"):
        load_model(folder)


def test_checkpoint_outside_a_run_has_no_run_dir(tmp_path):
    model = tm.build_oracle()
    yaml = OmegaConf.to_yaml(OmegaConf.create(tm.model_config()))
    folder = write_checkpoint(tmp_path / "ckpt-00000005", model.state_dict(), yaml, {"step": 5})
    assert run_dir_of(folder) is None
    assert load_checkpoint_model(folder).step == 5


def test_not_a_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load_model(tmp_path)


def test_query_expansion_reads_the_run_folders_descriptions_and_needs_a_run(tmp_path):
    from flamkit.data.trained_descriptions import write_descriptions
    from flamkit.inference.detector import load
    from flamkit.inference.loading import expand_queries
    from flamkit.models.query_expansion import QueryExpansion

    run = tm.save_run(tmp_path / "runs", "r", tm.build_oracle(), step=4)
    loaded = load_checkpoint_model(run)
    with pytest.raises(ValueError, match="lists no descriptions"):  # its config has no SED stream, and no file
        expand_queries(loaded, QueryExpansion())
    assert expand_queries(loaded, None) is None and loaded.model.query_expansion is None
    write_descriptions(run, ["beep", "buzz"])
    line = expand_queries(loaded, QueryExpansion(k=1))
    assert line.endswith("toward the 2 descriptions the model trained on") and loaded.model.query_expansion == QueryExpansion(k=1)
    # detection: "whistle" pulled all the way to its nearest trained description scores as that one does
    det = load(run, device="cpu", query_expansion=QueryExpansion(k=1, weight=1.0))
    plain = load(run, device="cpu")
    pulled, beep, buzz = det.embed_text(["whistle", "beep", "buzz"]).emb
    assert torch.allclose(beep, plain.embed_text(["beep"]).emb[0], atol=1e-6)
    assert any(torch.allclose(pulled, plain.embed_text([t]).emb[0], atol=1e-6) for t in ("beep", "buzz"))
    moved = tmp_path / "ckpt-00000004"
    (run / "checkpoints" / "ckpt-00000004").rename(moved)  # a checkpoint outside any run folder
    with pytest.raises(ValueError, match="not inside a run folder"):
        expand_queries(load_checkpoint_model(moved), QueryExpansion())
