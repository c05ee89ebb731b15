"""LAION-CLAP audio-branch key mapping on a synthetic state dict built from the architecture facts
(tests/models/audio/reference.py), and timm's Swin pieces against naive LAION-style references."""

from __future__ import annotations

import pytest
import torch
from timm.models.swin_transformer import PatchMerging, SwinTransformerBlock

from flamkit.models.audio.htsat import HTSAT
from flamkit.models.audio.laion_clap import (
    htsat_config_from_laion,
    laion_clap_audio_state_dict,
    load_laion_clap_audio,
)
from tests.models.audio import reference as ref

DROPPED_LEAVES = ("relative_position_index", "attn_mask", "conv_real.weight", "conv_imag.weight", "melW")


@pytest.fixture(scope="module")
def laion_sd() -> dict[str, torch.Tensor]:
    return ref.laion_htsat_state_dict()


@pytest.fixture(scope="module")
def tiny() -> HTSAT:
    torch.manual_seed(0)
    return HTSAT().eval()


def test_every_key_maps(laion_sd: dict, tiny: HTSAT) -> None:
    conv = laion_clap_audio_state_dict(laion_sd, tiny)
    assert conv.complete, conv.problems()
    assert (conv.missing, conv.unknown, conv.mismatched) == ([], [], {})
    target = tiny.state_dict()
    assert set(conv.state_dict) == set(target)
    for key, value in conv.state_dict.items():
        assert value.shape == target[key].shape, key
    expected_dropped = {
        k for k in laion_sd if k.endswith(DROPPED_LEAVES) or k.split(".")[1] in ("tscam_conv", "head")
    }
    assert set(conv.dropped) == expected_dropped
    assert len(conv.state_dict) + len(conv.dropped) == len(laion_sd)
    # LAION merges at the end of layer i, timm at the start of stage i + 1; blocks keep their indices
    for i in range(3):
        for leaf in ("reduction.weight", "norm.weight", "norm.bias"):
            source = laion_sd[f"audio_branch.layers.{i}.downsample.{leaf}"]
            assert conv.state_dict[f"stages.{i + 1}.downsample.{leaf}"] is source
    assert conv.state_dict["stages.2.blocks.5.mlp.fc2.bias"] is laion_sd["audio_branch.layers.2.blocks.5.mlp.fc2.bias"]
    assert conv.state_dict["bn0.running_var"] is laion_sd["audio_branch.bn0.running_var"]


def test_laion_audio_branch_parameter_count(laion_sd: dict, tiny: HTSAT) -> None:
    learnable = sum(v.numel() for k, v in laion_sd.items() if not k.endswith(ref.LAION_BUFFER_SUFFIXES))
    assert learnable == 31_325_143  # LAION-CLAP's "~31 M" HTSAT-tiny audio branch, classifier included
    not_ours = ("tscam_conv", "head", "spectrogram_extractor", "logmel_extractor")
    classifier_and_frontend = sum(v.numel() for k, v in laion_sd.items() if k.split(".")[1] in not_ours)
    assert learnable - classifier_and_frontend == sum(p.numel() for p in tiny.parameters())


def test_load_and_forward(laion_sd: dict) -> None:
    model = HTSAT().eval()
    report = load_laion_clap_audio(model, laion_sd)
    assert report.complete
    merge = laion_sd["audio_branch.layers.2.downsample.reduction.weight"]
    assert torch.equal(model.stages[3].downsample.reduction.weight, merge)
    assert model.bn0.num_batches_tracked.item() == 1000
    with torch.no_grad():
        out = model(0.1 * torch.randn(1, 480000, generator=torch.Generator().manual_seed(0)))
    assert out.shape == (1, 32, 768) and torch.isfinite(out).all()


def test_architecture_is_read_off_the_state_dict(laion_sd: dict) -> None:
    cfg = htsat_config_from_laion(laion_sd)
    assert cfg == {
        "embed_dim": 96, "depths": [2, 2, 6, 2], "num_heads": [4, 8, 16, 32],
        "window_size": 8, "patch_size": 4, "patch_stride": 4, "n_mels": 64,
    }
    assert laion_clap_audio_state_dict(laion_sd).complete  # meta-device target built from cfg
    base = ref.laion_htsat_state_dict(embed_dim=128, depths=(2, 2, 12, 2), prefix="module.audio_branch.")
    assert htsat_config_from_laion(base)["depths"] == [2, 2, 12, 2]
    assert laion_clap_audio_state_dict(base).complete
    with pytest.raises(ValueError, match="patch_embed.proj.weight"):
        htsat_config_from_laion({"text_branch.x": torch.zeros(1)})


def test_unknown_and_missing_keys_are_reported(laion_sd: dict) -> None:
    sd = dict(laion_sd)
    sd["audio_branch.fusion_model.local_att.0.weight"] = torch.zeros(3)
    sd["audio_branch.layers.4.blocks.0.norm1.weight"] = torch.zeros(3)
    del sd["audio_branch.layers.2.blocks.3.mlp.fc1.weight"]
    model = HTSAT()
    conv = laion_clap_audio_state_dict(sd, model)
    assert not conv.complete
    assert conv.unknown == [
        "audio_branch.fusion_model.local_att.0.weight",
        "audio_branch.layers.4.blocks.0.norm1.weight",
    ]
    assert conv.missing == ["stages.2.blocks.3.mlp.fc1.weight"]
    before = model.patch_embed.proj.weight.clone()
    with pytest.raises(ValueError) as err:
        load_laion_clap_audio(model, sd)
    for needle in ("fusion_model.local_att.0.weight", "stages.2.blocks.3.mlp.fc1.weight", "strict=False"):
        assert needle in str(err.value)
    assert torch.equal(model.patch_embed.proj.weight, before)  # strict failure loads nothing
    load_laion_clap_audio(model, sd, strict=False)
    assert torch.equal(model.patch_embed.proj.weight, sd["audio_branch.patch_embed.proj.weight"])


def test_shape_and_derived_value_mismatches_are_reported(laion_sd: dict, tiny: HTSAT) -> None:
    sd = dict(laion_sd)
    sd["audio_branch.patch_embed.proj.weight"] = torch.zeros(128, 1, 4, 4)  # a base checkpoint's
    full_band = ref.mel_filterbank(48000, 1024, 64, 0.0, 24000.0)
    sd["audio_branch.logmel_extractor.melW"] = torch.from_numpy(full_band.T).float()
    sd["audio_branch.layers.0.blocks.1.attn_mask"] = torch.zeros(64, 64, 64)
    conv = laion_clap_audio_state_dict(sd, tiny)
    assert set(conv.mismatched) == {
        "audio_branch.patch_embed.proj.weight",
        "audio_branch.logmel_extractor.melW",
        "audio_branch.layers.0.blocks.1.attn_mask",
    }
    assert "(96, 1, 4, 4)" in conv.mismatched["audio_branch.patch_embed.proj.weight"]
    assert "patch_embed.proj.weight" in conv.missing
    sd = dict(laion_sd)
    sd["audio_branch.layers.3.blocks.1.attn_mask"] = torch.zeros(1, 64, 64)  # LAION never shifts an 8x8 map
    assert "has a attn_mask where our block has none" in str(laion_clap_audio_state_dict(sd, tiny).mismatched)


# ---------------------------------------------------------- timm's Swin pieces == LAION-CLAP's semantics


def test_timm_buffers_equal_laion_formulas(tiny: HTSAT) -> None:
    for i, stage in enumerate(tiny.stages):
        res = 64 // 2**i
        for j, block in enumerate(stage.blocks):
            assert torch.equal(block.attn.relative_position_index, ref.laion_relative_position_index(8))
            if j % 2 == 1 and res > 8:
                assert torch.equal(block.attn_mask, ref.laion_attn_mask(res, 8, 4))
            else:
                assert block.attn_mask is None


def test_timm_patch_merging_equals_laion_channel_order() -> None:
    torch.manual_seed(0)
    merge = PatchMerging(dim=6).double()
    for p in merge.parameters():
        torch.nn.init.normal_(p)
    x = torch.randn(2, 8, 8, 6, dtype=torch.float64)
    expected = ref.laion_patch_merge(x, merge.norm.weight, merge.norm.bias, merge.reduction.weight)
    torch.testing.assert_close(merge(x), expected)


@pytest.mark.parametrize("shift", [0, 4])
def test_timm_swin_block_equals_naive_laion_block(shift: int) -> None:
    torch.manual_seed(0)
    block = SwinTransformerBlock(dim=16, input_resolution=(16, 16), num_heads=2, window_size=8, shift_size=shift)
    block = block.double().eval()
    for name, p in block.named_parameters():
        torch.nn.init.normal_(p, std=0.3 if "bias_table" in name else 0.2)
    x = torch.randn(2, 16, 16, 16, dtype=torch.float64)
    params = dict(block.named_parameters())
    expected = ref.laion_swin_block(x, params, heads=2, win=8, shift=shift)
    with torch.no_grad():
        torch.testing.assert_close(block(x), expected)
