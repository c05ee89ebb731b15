"""Heads on top of the encoders: projections to the shared space, per-text logit scale and bias.

C.6: alpha(y) = exp(MLP_alpha(E_t(y))) with the last bias at log 10, beta(y) = MLP_beta(E_t(y))
with the last bias at -8. C.9's ablations replace either by one learned scalar. Every scale/bias
head maps text features [K, D] to a vector [K]; scalar heads broadcast their one value.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from flamkit.registry import HEADS


class MLP(nn.Module):
    """Linear -> ReLU -> Linear, as LAION-CLAP's projection layers; optional noise on the input in training.

    ``input_noise`` (sigma) adds Gaussian noise of sigma times each input's RMS to every input while
    training: a projection fitted on a few hundred training descriptions then has to map a whole
    neighbourhood of each to the same place, which is what an unseen description near it needs.
    """

    def __init__(self, in_dim: int, hidden: int, out_dim: int, input_noise: float = 0.0) -> None:
        super().__init__()
        if not float(input_noise) >= 0.0:
            raise ValueError(f"mlp: input_noise must be >= 0, got {input_noise}")
        self.fc1 = nn.Linear(in_dim, hidden)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden, out_dim)
        self.input_noise = float(input_noise)

    def forward(self, x: Tensor) -> Tensor:
        if self.training and self.input_noise > 0.0:
            rms = x.detach().pow(2).mean(dim=-1, keepdim=True).sqrt()
            x = x + self.input_noise * rms * torch.randn_like(x)
        return self.fc2(self.act(self.fc1(x)))


@HEADS.register("mlp")
def projection_mlp(in_dim: int, out_dim: int, hidden: int = 512, input_noise: float = 0.0) -> MLP:
    """Projection of encoder features into the shared embedding space (before L2 normalisation)."""
    return MLP(in_dim, hidden, out_dim, input_noise)


@HEADS.register("linear")
def projection_linear(in_dim: int, out_dim: int) -> nn.Linear:
    """A linear projection into the shared space (CLIP's choice): the least a small label set can overfit."""
    return nn.Linear(in_dim, out_dim)


@HEADS.register("identity")
def projection_identity(in_dim: int, out_dim: int) -> nn.Identity:
    """No projection: the encoder's own space is the shared space (a locked text side, as LiT locks a tower).

    With a frozen text encoder this keeps unseen descriptions where the pretrained encoder puts them,
    instead of where a projection fitted on the training labels maps them; the audio side learns to
    meet the text encoder's geometry. Needs ``model.embed_dim`` equal to the encoder's width.
    """
    if in_dim != out_dim:
        raise ValueError(
            f"identity projection: the encoder's width is {in_dim} but model.embed_dim is {out_dim}; "
            f"set model.embed_dim={in_dim} or use a projection that maps between them (mlp, linear)"
        )
    return nn.Identity()


class PerTextMLP(nn.Module):
    """A scalar per text from its features; the last layer starts at ``init`` with zero weights.

    Zero last-layer weights make every text start exactly at the paper's initial value, so the head
    learns only the text-dependent deviation. ``exponentiate`` turns a log-scale into a scale.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: int,
        init: float,
        exponentiate: bool,
        detach_input: bool,
        max_log: Optional[float],
        input_noise: float = 0.0,
    ) -> None:
        super().__init__()
        self.mlp = MLP(in_dim, hidden, 1, input_noise)
        nn.init.zeros_(self.mlp.fc2.weight)
        nn.init.constant_(self.mlp.fc2.bias, init)
        self.exponentiate = exponentiate
        self.detach_input = detach_input
        self.max_log = max_log

    def forward(self, features: Tensor) -> Tensor:
        x = features.detach() if self.detach_input else features
        out = self.mlp(x).squeeze(-1)
        if self.exponentiate:
            if self.max_log is not None:
                out = out.clamp(max=self.max_log)
            out = out.exp()
        return out


class Scalar(nn.Module):
    """One learned value shared by every text (the C.9 ablations)."""

    def __init__(self, init: float, exponentiate: bool, max_log: Optional[float]) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.tensor(float(init)))
        self.exponentiate = exponentiate
        self.max_log = max_log

    def forward(self, features: Tensor) -> Tensor:
        v = self.value
        if self.exponentiate:
            v = (v.clamp(max=self.max_log) if self.max_log is not None else v).exp()
        return v.expand(features.shape[0])


@HEADS.register("per_text_scale")
def per_text_scale(
    in_dim: int,
    hidden: int = 512,
    init: float = math.log(10.0),
    max_log: Optional[float] = math.log(100.0),
    input_noise: float = 0.0,
) -> PerTextMLP:
    """alpha(y) = exp(MLP_alpha(E_t(y))), trained by the SED loss (C.6); ``input_noise`` as the ``mlp`` projection's."""
    return PerTextMLP(in_dim, hidden, init, exponentiate=True, detach_input=False, max_log=max_log, input_noise=input_noise)


@HEADS.register("per_text_bias")
def per_text_bias(
    in_dim: int, hidden: int = 512, init: float = -8.0, detach_input: bool = True, input_noise: float = 0.0
) -> PerTextMLP:
    """beta(y) = MLP_beta(E_t(y)), fitted by the prior loss alone (§3.2, C.6).

    ``detach_input`` (default) keeps the prior loss from reshaping the text encoder: only the MLP
    learns the dataset's label marginals, as the paper's "auxiliary classifier" reading suggests.
    ``input_noise`` as the ``mlp`` projection's: the prior of an unseen description is an extrapolation.
    """
    return PerTextMLP(
        in_dim, hidden, init, exponentiate=False, detach_input=detach_input, max_log=None, input_noise=input_noise
    )


@HEADS.register("scalar_scale")
def scalar_scale(in_dim: int, init: float = math.log(10.0), max_log: Optional[float] = math.log(100.0)) -> Scalar:
    """One logit scale for every text, log-parameterised (C.9 'without per-text scale')."""
    del in_dim
    return Scalar(init, exponentiate=True, max_log=max_log)


@HEADS.register("scalar_bias")
def scalar_bias(in_dim: int, init: float = -10.0) -> Scalar:
    """One logit bias for every text (C.9 'without per-text bias'); the SED loss trains it."""
    del in_dim
    return Scalar(init, exponentiate=False, max_log=None)
