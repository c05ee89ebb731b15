"""Loading LAION-CLAP-layout checkpoints and flamkit checkpoints into a FLAM model."""

import math

import pytest
import torch

from flamkit.models.flam import build_model
from flamkit.models.weights import laion_clap_to_flamkit, load_initial_weights
from flamkit.train.checkpoint import write_checkpoint
from tests.models.audio.reference import laion_htsat_state_dict
from tests.models.configs import flam_config

TINY_ROBERTA = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128}


def _model_cfg():
    audio = {"name": "htsat", "variant": "tiny", "sample_rate": 48000}
    text = {"name": "hf", "arch": "roberta", "pooling": "pooler", "config": TINY_ROBERTA}
    return flam_config(audio, text, hidden=512, embed_dim=512)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(_model_cfg())


def _laion_state_dict(model):
    g = torch.Generator().manual_seed(1)
    sd = dict(laion_htsat_state_dict(prefix="audio_branch."))
    for k, v in model.text_encoder.model.state_dict().items():
        sd[f"text_branch.{k}"] = torch.randn(v.shape, generator=g) if v.is_floating_point() else v
    sd["text_branch.embeddings.position_ids"] = torch.arange(514)[None]
    for side, in_dim in (("audio", 768), ("text", 64)):
        sd[f"{side}_projection.0.weight"] = torch.randn(512, in_dim, generator=g)
        sd[f"{side}_projection.0.bias"] = torch.randn(512, generator=g)
        sd[f"{side}_projection.2.weight"] = torch.randn(512, 512, generator=g)
        sd[f"{side}_projection.2.bias"] = torch.randn(512, generator=g)
        sd[f"{side}_transform.sequential.0.weight"] = torch.randn(512, 512, generator=g)
    sd["logit_scale_a"] = torch.tensor(math.log(20.0))
    sd["logit_scale_t"] = torch.tensor(math.log(20.0))
    return {f"module.{k}": v for k, v in sd.items()}  # saved from a DDP-wrapped model


def test_laion_clap_layout_loads_with_full_report(model, tmp_path):
    sd = _laion_state_dict(model)
    sd["module.some_extra.weight"] = torch.zeros(2)
    path = tmp_path / "laion.pt"
    torch.save({"state_dict": sd}, path)
    report = load_initial_weights(model, path)
    own = model.state_dict()
    assert torch.equal(own["audio_projection.fc1.weight"], sd["module.audio_projection.0.weight"])
    assert torch.equal(own["text_projection.fc2.bias"], sd["module.text_projection.2.bias"])
    assert torch.equal(own["text_encoder.model.encoder.layer.1.output.dense.weight"],
                       sd["module.text_branch.encoder.layer.1.output.dense.weight"])
    assert torch.equal(own["audio_encoder.patch_embed.proj.weight"], sd["module.audio_branch.patch_embed.proj.weight"])
    assert float(model.clip_logit_scale.detach()) == pytest.approx(math.log(20.0))
    # Reported, never silently ignored:
    assert "some_extra.weight" in report.unexpected
    assert {"logit_scale_t", "audio_transform.sequential.0.weight", "text_transform.sequential.0.weight"} <= set(report.known_unused)
    assert any(k.startswith("audio_branch.tscam_conv") for k in report.known_unused)
    # FLAM's own heads have no LAION counterpart: they stay at their initialisation and are listed.
    assert any(k.startswith("scale_head.") for k in report.missing)
    assert not any(k.startswith(("audio_encoder.", "text_encoder.", "audio_projection.", "text_projection.")) for k in report.missing)
    assert "position_ids" not in " ".join(report.unexpected)


def test_renaming_alone(model):
    renamed, unmapped, unused = laion_clap_to_flamkit({"text_projection.0.weight": torch.zeros(1), "text_projection.1.weight": torch.zeros(1)})
    assert "text_projection.fc1.weight" in renamed and unmapped == ["text_projection.1.weight"]


def test_flamkit_checkpoint_roundtrip_and_mismatch(model, tmp_path):
    weights = {k: v.clone() + 1 if v.is_floating_point() else v for k, v in model.state_dict().items()}
    folder = write_checkpoint(tmp_path / "ckpt-00000001", weights, "x: 1\n", {})
    fresh = build_model(_model_cfg())
    report = load_initial_weights(fresh, folder)
    assert report.missing == [] and report.unexpected == []
    assert torch.equal(fresh.state_dict()["bias_head.mlp.fc1.weight"], weights["bias_head.mlp.fc1.weight"])
    with pytest.raises(ValueError, match="no tensor matched"):
        bad = tmp_path / "bad.safetensors"
        from safetensors.torch import save_file

        save_file({"nothing.here": torch.zeros(1)}, str(bad))
        load_initial_weights(fresh, bad)


def test_run_folder_initialises_from_its_final_checkpoint_not_its_best(model, tmp_path):
    """FLAM starts from FLAM-Global's last weights; its `best` (by validation SED loss) is not the stage's result."""
    sd = model.state_dict()
    cdir = tmp_path / "run" / "checkpoints"
    write_checkpoint(cdir / "best", {k: v.clone() + 1 if v.is_floating_point() else v for k, v in sd.items()}, "x: 1\n", {})
    write_checkpoint(cdir / "ckpt-00000001", {k: v.clone() + 1 if v.is_floating_point() else v for k, v in sd.items()}, "x: 1\n", {})
    final = {k: v.clone() + 2 if v.is_floating_point() else v for k, v in sd.items()}
    write_checkpoint(cdir / "ckpt-00000002", final, "x: 1\n", {})
    fresh = build_model(_model_cfg())
    report = load_initial_weights(fresh, tmp_path / "run")
    assert torch.equal(fresh.state_dict()["bias_head.mlp.fc1.weight"], final["bias_head.mlp.fc1.weight"])
    assert report.checkpoint.folder == cdir / "ckpt-00000002"  # the one rule, and the reason it gives
    assert "a run folder means its final checkpoint, step 2" in report.checkpoint.describe()
