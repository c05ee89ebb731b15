"""LAION-CLAP audio-branch state dicts -> :class:`~flamkit.models.audio.htsat.HTSAT` keys.

FLAM-Global starts from LAION-CLAP's pretrained HTSAT (C.5) and FLAM from FLAM-Global (the C.10
ablation removes that initialisation), so labs hold checkpoints in LAION-CLAP's layout
(``audio_branch.*`` = LAION's ``HTSAT_Swin_Transformer``). The layouts differ in three ways:

- LAION's ``layers.{i}`` are our ``stages.{i}``, but LAION's patch merging sits at the *end* of stage
  ``i`` (``layers.{i}.downsample``) while timm's sits at the *start* of stage ``i + 1``
  (``stages.{i+1}.downsample``). The merge itself is identical (same 2x2 channel order
  ``[(0,0), (1,0), (0,1), (1,1)]`` (row, column) offsets, LayerNorm(4C), bias-free Linear(4C, 2C)).
- LAION stores derived tensors that we recompute from the config: relative position indices and
  shifted-window masks (timm keeps them as non-persistent buffers) and torchlibrosa's STFT kernels and
  mel filterbank. They are dropped after a check that they agree with ours (STFT kernels by shape;
  indices, masks and filterbank by value: a checkpoint made with another window layout or mel band
  would otherwise load cleanly and be silently mis-fed).
- LAION's AudioSet classifier (``tscam_conv``, ``head``) is not part of the frame features: dropped.

Nothing is ignored silently: :func:`laion_clap_audio_state_dict` returns the converted dict together
with every source key it did not recognise (``unknown``), every key of ours that got no value
(``missing``), every key it dropped and why (``dropped``) and every disagreement (``mismatched``).
:func:`load_laion_clap_audio` refuses an incomplete conversion unless told otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from flamkit.models.audio.htsat import HTSAT

_PREFIXES = ("module.", "audio_branch.")

# (pattern, target) pairs; target is a function of the match giving our key, or None to drop with a reason.
_Rename = Callable[[re.Match[str]], str]
_RENAMES: list[tuple[re.Pattern[str], _Rename]] = [
    (re.compile(r"bn0\.(weight|bias|running_mean|running_var|num_batches_tracked)"), lambda m: m.group(0)),
    (re.compile(r"patch_embed\.(proj|norm)\.(weight|bias)"), lambda m: m.group(0)),
    (re.compile(r"norm\.(weight|bias)"), lambda m: m.group(0)),
    (
        re.compile(
            r"layers\.(\d+)\.blocks\.(\d+)\.((?:norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.(?:weight|bias)"
            r"|attn\.relative_position_bias_table)"
        ),
        lambda m: f"stages.{m.group(1)}.blocks.{m.group(2)}.{m.group(3)}",
    ),
    (
        re.compile(r"layers\.(\d+)\.downsample\.(reduction\.weight|norm\.weight|norm\.bias)"),
        lambda m: f"stages.{int(m.group(1)) + 1}.downsample.{m.group(2)}",
    ),
]
_DROPS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"layers\.\d+\.blocks\.\d+\.attn\.relative_position_index"), "derived buffer, recomputed by timm"),
    (re.compile(r"layers\.\d+\.blocks\.\d+\.attn_mask"), "derived shifted-window mask, recomputed by timm"),
    (re.compile(r"spectrogram_extractor\.stft\.conv_(real|imag)\.weight"), "STFT kernel; we use torch.stft"),
    (re.compile(r"logmel_extractor\.melW"), "mel filterbank, recomputed from the config"),
    (re.compile(r"tscam_conv\.(weight|bias)"), "AudioSet classifier (token-semantic conv), not a frame feature"),
    (re.compile(r"head\.(weight|bias)"), "AudioSet classifier head, not a frame feature"),
]


@dataclass
class LaionAudioConversion:
    """The result of a conversion; ``state_dict`` holds only tensors whose shapes match the target."""

    state_dict: dict[str, Tensor]
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    mismatched: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unknown or self.mismatched)

    def problems(self) -> str:
        """Human-readable list of everything that keeps the conversion from being complete."""
        lines = []
        if self.missing:
            lines.append(f"{len(self.missing)} HTSAT keys got no value: {', '.join(self.missing)}")
        if self.unknown:
            lines.append(f"{len(self.unknown)} source keys are not LAION-CLAP HTSAT keys: {', '.join(self.unknown)}")
        for key, why in self.mismatched.items():
            lines.append(f"{key}: {why}")
        return "\n".join(lines)


def _strip(key: str) -> str:
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


def htsat_config_from_laion(state_dict: Mapping[str, Tensor]) -> dict[str, Any]:
    """HTSAT constructor arguments read off a LAION-CLAP audio-branch state dict's shapes.

    Recovers embed_dim, depths, num_heads, window_size, patch_size and n_mels (``patch_stride`` is
    assumed equal to ``patch_size``, as in every LAION-CLAP preset). Raises a ValueError naming the key
    it needed when the dict is not an HTSAT audio branch.
    """
    sd = {_strip(k): v for k, v in state_dict.items()}

    def need(key: str) -> Tensor:
        if key not in sd:
            raise ValueError(f"not a LAION-CLAP HTSAT audio-branch state dict: no {key!r} (nor audio_branch.{key})")
        return sd[key]

    proj = need("patch_embed.proj.weight")
    block_re = re.compile(r"layers\.(\d+)\.blocks\.(\d+)\.attn\.relative_position_bias_table")
    blocks: dict[int, set[int]] = {}
    for key in sd:
        if m := block_re.fullmatch(key):
            blocks.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    if not blocks or sorted(blocks) != list(range(len(blocks))):
        raise ValueError(f"LAION-CLAP state dict has no consecutive layers.N.blocks.M; found stages {sorted(blocks)}")
    depths = [len(blocks[i]) for i in range(len(blocks))]
    tables = [need(f"layers.{i}.blocks.0.attn.relative_position_bias_table") for i in range(len(depths))]
    side = round(tables[0].shape[0] ** 0.5)  # (2 * window - 1) ** 2 rows
    return {
        "embed_dim": int(proj.shape[0]),
        "depths": depths,
        "num_heads": [int(t.shape[1]) for t in tables],
        "window_size": (side + 1) // 2,
        "patch_size": int(proj.shape[-1]),
        "patch_stride": int(proj.shape[-1]),
        "n_mels": int(need("bn0.weight").shape[0]),
    }


def laion_clap_audio_state_dict(
    state_dict: Mapping[str, Tensor], model: HTSAT | None = None
) -> LaionAudioConversion:
    """Convert a LAION-CLAP audio-branch state dict to ``model``'s keys and report every gap.

    Keys may carry ``module.`` and/or ``audio_branch.`` prefixes (stripped). ``model`` is the HTSAT to
    load into; when omitted, its architecture is read off the state dict (:func:`htsat_config_from_laion`)
    and built on the meta device, which checks keys and shapes but assumes the default front end.
    """
    if model is None:
        with torch.device("meta"):
            model = HTSAT(**htsat_config_from_laion(state_dict))
    target = model.state_dict()
    out = LaionAudioConversion(state_dict={})
    sources: dict[str, str] = {}
    for raw_key, value in state_dict.items():
        key = _strip(raw_key)
        new_key = _rename(key)
        if new_key is not None:
            if new_key in sources:
                out.mismatched[raw_key] = f"maps to {new_key}, already filled from {sources[new_key]}"
            elif new_key not in target:
                out.unknown.append(raw_key)
            elif tuple(value.shape) != tuple(target[new_key].shape):
                out.mismatched[raw_key] = (
                    f"shape {tuple(value.shape)} but {new_key} is {tuple(target[new_key].shape)}; "
                    "the checkpoint is another HTSAT size (see htsat_config_from_laion)"
                )
            else:
                out.state_dict[new_key] = value
                sources[new_key] = raw_key
            continue
        reason = _drop_reason(key)
        if reason is None:
            out.unknown.append(raw_key)
            continue
        out.dropped[raw_key] = reason
        problem = _check_derived(key, value, model)
        if problem:
            out.mismatched[raw_key] = problem
    out.missing = sorted(k for k in target if k not in out.state_dict)
    return out


def load_laion_clap_audio(
    model: HTSAT, state_dict: Mapping[str, Tensor], strict: bool = True
) -> LaionAudioConversion:
    """Convert and load into ``model``. With ``strict`` an incomplete conversion raises and loads nothing."""
    conversion = laion_clap_audio_state_dict(state_dict, model)
    if strict and not conversion.complete:
        raise ValueError(
            "LAION-CLAP audio state dict does not fit this HTSAT "
            f"(variant={model.variant!r}, embed_dim={model.embed_dim}, depths={list(model.depths)}):\n"
            + conversion.problems()
            + "\nPass strict=False to load the matching part anyway."
        )
    model.load_state_dict(conversion.state_dict, strict=False)
    return conversion


def _rename(key: str) -> str | None:
    for pattern, rename in _RENAMES:
        if m := pattern.fullmatch(key):
            return rename(m)
    return None


def _drop_reason(key: str) -> str | None:
    for pattern, reason in _DROPS:
        if pattern.fullmatch(key):
            return reason
    return None


def _check_derived(key: str, value: Tensor, model: HTSAT) -> str | None:
    """Disagreement between a dropped derived tensor and what ``model`` computes, or None."""
    frontend = model.frontend
    if key.startswith("spectrogram_extractor."):
        expected: tuple[int, ...] = (frontend.n_fft // 2 + 1, 1, frontend.n_fft)
        if tuple(value.shape) != expected:
            return f"STFT kernel shape {tuple(value.shape)} implies another n_fft; ours expects {expected}"
        return None
    if key == "logmel_extractor.melW":
        return _compare(value, frontend.mel_filterbank.t(), "mel filterbank (n_fft // 2 + 1, n_mels)", rtol=1e-6)
    if m := re.fullmatch(r"layers\.(\d+)\.blocks\.(\d+)\.(attn\.relative_position_index|attn_mask)", key):
        ours = _buffer(model, f"stages.{m.group(1)}.blocks.{m.group(2)}.{m.group(3)}")
        if ours is None:
            return f"the checkpoint has a {m.group(3)} where our block has none (another window/shift layout)"
        return _compare(value, ours, m.group(3), rtol=0.0)
    return None


def _buffer(model: nn.Module, name: str) -> Tensor | None:
    try:
        return model.get_buffer(name)
    except AttributeError:
        return None


def _compare(value: Tensor, ours: Tensor, what: str, rtol: float) -> str | None:
    if tuple(value.shape) != tuple(ours.shape):
        return f"{what} has shape {tuple(value.shape)}, ours {tuple(ours.shape)}"
    if ours.device.type == "meta" or value.device.type == "meta":
        return None  # shapes are all a meta-device model can check
    err = (value.detach().double().cpu() - ours.detach().double().cpu()).abs().max().item()
    if err > rtol * max(ours.detach().abs().max().item(), 1e-12):
        return (
            f"{what} differs from ours by up to {err:.3g}: the checkpoint was made with another front end or "
            "window geometry; configure the model to match (sample_rate, fmin, fmax, n_mels, window_size)"
        )
    return None
