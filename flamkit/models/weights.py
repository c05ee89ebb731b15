"""Loading weights into a FLAM model: flamkit checkpoints and LAION-CLAP-layout state dicts.

Labs start FLAM from their own LAION-CLAP or FLAM-Global checkpoints. Those use LAION-CLAP's names
(``audio_branch.*``, ``text_branch.*``, ``audio_projection.{0,2}.*``, ``text_projection.{0,2}.*``,
``logit_scale_a``), often behind a DDP ``module.`` prefix and with RoBERTa's ``position_ids``
buffer. :func:`laion_clap_to_flamkit` renames them; every key that maps nowhere and every model key
left without a value is reported, never silently ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from flamkit.checkpoints import CheckpointChoice, choose_checkpoint, load_checkpoint
from flamkit.models.packaged import fill_packaged

log = logging.getLogger(__name__)

# LAION-CLAP keys with no counterpart in FLAM: its second logit scale and the MLP "transforms"
# LAION-CLAP applies after projection (FLAM's heads replace them).
LAION_UNUSED_PREFIXES = ("logit_scale_t", "audio_transform.", "text_transform.")


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # model keys the source did not provide
    unexpected: list[str] = field(default_factory=list)  # source keys that map to no model key
    known_unused: list[str] = field(default_factory=list)  # source keys FLAM has no use for, by design
    shape_mismatch: list[str] = field(default_factory=list)
    checkpoint: CheckpointChoice | None = None  # which checkpoint a run folder gave, and why

    def summary(self) -> str:
        parts = [f"{len(self.loaded)} tensors loaded"]
        for name in ("missing", "unexpected", "known_unused", "shape_mismatch"):
            keys = getattr(self, name)
            if keys:
                shown = ", ".join(keys[:8]) + (f", ... (+{len(keys) - 8})" if len(keys) > 8 else "")
                parts.append(f"{len(keys)} {name.replace('_', ' ')}: {shown}")
        return "; ".join(parts)


def _strip(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in sd.items():
        k = k[len("module."):] if k.startswith("module.") else k
        if k.endswith("position_ids"):
            continue  # a constant buffer that RoBERTa versions disagree on
        out[k] = v
    return out


def _projection(prefix_from: str, prefix_to: str, key: str) -> str | None:
    # LAION-CLAP projections are nn.Sequential(Linear, ReLU, Linear): indices 0 and 2.
    rest = key[len(prefix_from):]
    idx, _, param = rest.partition(".")
    return {"0": f"{prefix_to}fc1.{param}", "2": f"{prefix_to}fc2.{param}"}.get(idx)


def laion_clap_to_flamkit(
    sd: dict[str, torch.Tensor], audio_model: nn.Module | None = None
) -> tuple[dict[str, torch.Tensor], list[str], list[str]]:
    """Rename a LAION-CLAP state dict; returns (renamed, unmapped source keys, known-unused keys).

    The audio branch goes through :func:`flamkit.models.audio.laion_clap.laion_clap_audio_state_dict`
    (HTSAT's stage layout differs from timm's); its dropped derived buffers are known-unused and its
    unknown or mismatched keys are unmapped.
    """
    from flamkit.models.audio.laion_clap import laion_clap_audio_state_dict

    sd = _strip(sd)
    out: dict[str, torch.Tensor] = {}
    unmapped: list[str] = []
    unused: list[str] = []
    audio = {k[len("audio_branch."):]: v for k, v in sd.items() if k.startswith("audio_branch.")}
    if audio:
        conv = laion_clap_audio_state_dict(audio, audio_model)
        out.update({f"audio_encoder.{k}": v for k, v in conv.state_dict.items()})
        unmapped.extend(f"audio_branch.{k}" for k in conv.unknown)
        unmapped.extend(f"audio_branch.{k} ({why})" for k, why in conv.mismatched.items())
        unused.extend(f"audio_branch.{k}" for k in conv.dropped)
    for k, v in sd.items():
        if k.startswith("audio_branch."):
            continue
        if k.startswith("text_branch."):
            out[f"text_encoder.model.{k[len('text_branch.'):]}"] = v
        elif k.startswith(("audio_projection.", "text_projection.")):
            prefix = k.split(".")[0] + "."
            new = _projection(prefix, prefix, k)
            (out.__setitem__(new, v) if new else unmapped.append(k))
        elif k == "logit_scale_a":
            out["clip_logit_scale"] = v.reshape(())
        elif k.startswith(LAION_UNUSED_PREFIXES):
            unused.append(k)
        else:
            unmapped.append(k)
    return out, unmapped, unused


def load_state_into(model: nn.Module, sd: dict[str, torch.Tensor]) -> LoadReport:
    """Copy matching tensors into ``model`` and report everything that did not match."""
    own = model.state_dict()
    report = LoadReport()
    usable = {}
    for k, v in sd.items():
        if k not in own:
            report.unexpected.append(k)
        elif tuple(own[k].shape) != tuple(v.shape):
            report.shape_mismatch.append(f"{k} {tuple(v.shape)}->{tuple(own[k].shape)}")
        else:
            usable[k] = v
    report.missing = sorted(set(own) - set(usable))
    report.loaded = sorted(usable)
    model.load_state_dict(usable, strict=False)
    return report


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A raw state dict from .safetensors, or a torch file (plain, or under 'state_dict'/'model')."""
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    obj = torch.load(path, map_location="cpu", weights_only=False)
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a state dict, found {type(obj).__name__}")
    return obj


def load_initial_weights(model: nn.Module, source: str | Path) -> LoadReport:
    """Initialise ``model`` from a flamkit run/checkpoint or a LAION-CLAP-layout state dict file.

    A run folder gives its final checkpoint (:func:`flamkit.checkpoints.choose_checkpoint`, the rule
    of every command): the next stage starts where the previous one ended (FLAM from the trained
    FLAM-Global, C.5). The report names the checkpoint chosen and why.
    """
    path = Path(source).expanduser()
    if path.is_file():
        sd = read_state_dict(path)
        if any(k.removeprefix("module.").startswith(("audio_branch.", "text_branch.")) for k in sd):
            renamed, unmapped, unused = laion_clap_to_flamkit(sd, getattr(model, "audio_encoder", None))
            report = load_state_into(model, renamed)
            report.unexpected.extend(unmapped)
            report.known_unused.extend(unused)
        else:
            report = load_state_into(model, _strip(sd))
    else:
        choice = choose_checkpoint(path)
        loaded = load_checkpoint(choice.folder, with_state=False)
        weights = fill_packaged(model, loaded.weights, loaded.packaged, choice.folder, missing_ok=True)
        report = load_state_into(model, weights)
        modules = dict(model.named_modules())
        report.unexpected.extend(f"{p}.* (left out as packaged)" for p in loaded.packaged if p not in modules)
        report.checkpoint = choice
    if not report.loaded:
        raise ValueError(f"{source}: no tensor matched the model ({report.summary()}); is it the right checkpoint?")
    if report.missing or report.unexpected or report.shape_mismatch:
        log.warning("weights from %s: %s", source, report.summary())
    return report
