"""The FLAM model: encoders, projections and logit heads composed from config.

The audio side maps a batch of clips to L frame embeddings e^{a,loc} (eq. 3) and a global embedding,
the L2-normalised mean of the frames (§3). The text side maps descriptions to e^t plus the per-text
logit scale alpha(y) and bias beta(y) (eq. 5), computed from the text features E^t(y) before the
projection, as C.6 appends the MLPs to the text feature extractor.

How the global embeddings are pooled is a registered component (``model.pooling``,
:mod:`flamkit.models.pooling`); the default ``mean`` is the rule above, and plugins such as
MGA-CLAP's shared codebook replace it (for audio frames and, optionally, text tokens).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F
from omegaconf import DictConfig, OmegaConf
from torch import Tensor, nn

import flamkit.models.audio  # noqa: F401  (registers the core audio encoders this module builds)
import flamkit.models.heads  # noqa: F401  (registers the core heads)
import flamkit.models.text  # noqa: F401  (registers the core text encoders)
from flamkit.config.checks import AUDIO_INJECTED, HEAD_INJECTED, POOLING_INJECTED, TEXT_INJECTED, Slot, build_component
from flamkit.models.packaged import record_packaged
from flamkit.models.pooling import MeanPooling, TokenFeatures
from flamkit.models.query_expansion import QueryExpansion, expand_features
from flamkit.registry import AUDIO_ENCODERS, HEADS, POOLINGS, TEXT_ENCODERS


@dataclass
class AudioEmbeddings:
    frames: Tensor  # [B, L, d], each frame L2-normalised
    clip: Tensor  # [B, d], L2-normalised pooling of the frames (by default their mean)
    projected: Optional[Tensor] = None  # [B, L, d], the frames before normalisation (what poolings read)


@dataclass
class TextEmbeddings:
    emb: Tensor  # [K, d], L2-normalised
    scale: Tensor  # [K], alpha(y) > 0
    bias: Tensor  # [K], beta(y)


class FlamModel(nn.Module):
    """Audio and text towers with FLAM's heads. Build one with :func:`build_model`."""

    def __init__(
        self,
        audio_encoder: nn.Module,
        text_encoder: nn.Module,
        audio_projection: nn.Module,
        text_projection: nn.Module,
        scale_head: nn.Module,
        bias_head: nn.Module,
        clip_scale_init: float = math.log(1 / 0.07),
        clip_scale_max: float = 100.0,
        pooling: nn.Module | None = None,
    ) -> None:
        super().__init__()
        pooling = MeanPooling() if pooling is None else pooling
        if getattr(pooling, "text_tokens", False) and not callable(getattr(text_encoder, "encode_tokens", None)):
            raise ValueError(
                f"pooling {type(pooling).__name__} pools text tokens, but text encoder {type(text_encoder).__name__} "
                "has no encode_tokens(texts) -> TokenFeatures; use a text encoder that has one (e.g. `hf`, `minilm`)"
            )
        self.audio_encoder = audio_encoder
        self.text_encoder = text_encoder
        self.audio_projection = audio_projection
        self.text_projection = text_projection
        self.scale_head = scale_head
        self.bias_head = bias_head
        self.pooling = pooling
        self.clip_logit_scale = nn.Parameter(torch.tensor(float(clip_scale_init)))
        self.clip_scale_max = clip_scale_max
        self._frozen: set[str] = set()
        self._text_cache: dict[str, Tensor] = {}
        self.text_cache_size = 200_000
        self._expansion: tuple[QueryExpansion, tuple[str, ...]] | None = None
        self._expansion_bank: Tensor | None = None

    @property
    def sample_rate(self) -> int:
        return int(self.audio_encoder.sample_rate)

    @property
    def frames(self) -> int:
        return int(self.audio_encoder.frames)

    @property
    def clip_seconds(self) -> float:
        return float(getattr(self.audio_encoder, "clip_seconds", 10.0))

    def clip_scale(self) -> Tensor:
        """CLIP's global alpha = exp(alpha'), capped as in CLIP so the softmax cannot collapse."""
        return self.clip_logit_scale.clamp(max=math.log(self.clip_scale_max)).exp()

    def encode_audio(self, audio: Tensor) -> AudioEmbeddings:
        feats = self.audio_encoder(audio)  # [B, L, D_a]
        projected = self.audio_projection(feats)  # [B, L, d]
        frames = F.normalize(projected, dim=-1)
        clip = F.normalize(self.pooling(projected), dim=-1)
        return AudioEmbeddings(frames=frames, clip=clip, projected=projected)

    @property
    def pools_by_mean(self) -> bool:
        """True when the clip embedding is the normalised mean of the frames (then frames alone give it)."""
        return isinstance(self.pooling, MeanPooling)

    def pool_frames(self, projected: Tensor) -> Tensor:
        """``[d]`` clip embedding of one clip's projected frames ``[n, d]``, any n (evaluation of long clips)."""
        return F.normalize(self.pooling(projected.unsqueeze(0)), dim=-1)[0]

    def freeze(self, prefixes: Sequence[str]) -> None:
        """Stop training the submodules named by ``prefixes`` (e.g. ``text_encoder``); they stay in eval mode."""
        names = dict(self.named_modules())
        for prefix in prefixes:
            if prefix not in names:
                raise ValueError(f"model.freeze: no submodule {prefix!r}; top-level ones: {', '.join(n for n, _ in self.named_children())}")
            for p in names[prefix].parameters():
                p.requires_grad_(False)
            self._frozen.add(prefix)
        self.train(self.training)

    def train(self, mode: bool = True) -> "FlamModel":
        super().train(mode)
        modules = dict(self.named_modules())
        for prefix in getattr(self, "_frozen", ()):
            modules[prefix].eval()  # a frozen encoder also stops its dropout
        return self

    def _text_features(self, texts: list[str]) -> Tensor:
        """E_t(texts); a frozen text encoder runs without autograd and remembers texts it has seen."""
        if "text_encoder" not in self._frozen:
            return self.text_encoder(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._text_cache))
        if len(self._text_cache) + len(missing) > self.text_cache_size:
            self._text_cache.clear()
        with torch.no_grad():
            for t in missing:
                # One text per call: padding a batch changes features in the last bits, and a cached
                # value must not depend on its batch-mates, or a resumed run (empty cache) drifts.
                self._text_cache[t] = self.text_encoder([t])[0]
        return torch.stack([self._text_cache[t] for t in texts])

    def set_query_expansion(self, spec: QueryExpansion | None, descriptions: Sequence[str] = ()) -> None:
        """Expand queries in eval mode toward ``descriptions`` (those the model trained on); None: off.

        See :mod:`flamkit.models.query_expansion`. Training never expands: its texts are the bank.
        """
        self._expansion_bank = None
        if spec is None:
            self._expansion = None
            return
        bank = tuple(d for d in dict.fromkeys(str(t) for t in descriptions) if d.strip())
        if not bank:
            raise ValueError("query expansion needs the descriptions the model trained on; none were given")
        if getattr(self.pooling, "text_tokens", False):
            raise ValueError(
                f"query expansion blends pooled text features, but pooling {type(self.pooling).__name__} reads text "
                "tokens; evaluate this model without query expansion"
            )
        self._expansion = (spec, bank)

    @property
    def query_expansion(self) -> QueryExpansion | None:
        return self._expansion[0] if self._expansion else None

    def _expanded(self, feats: Tensor, texts: Sequence[str]) -> Tensor:
        assert self._expansion is not None
        spec, bank_texts = self._expansion
        if self._expansion_bank is None:
            with torch.no_grad():
                self._expansion_bank = self._text_features(list(bank_texts))
        out = expand_features(feats, self._expansion_bank.to(feats.dtype), spec)
        blank = torch.tensor([not t.strip() for t in texts], device=feats.device)
        return torch.where(blank[:, None], feats, out)  # padding slots stay as they were

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        self._text_cache.clear()  # cached features belong to the old weights
        self._expansion_bank = None
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def encode_text(self, texts: Sequence[str]) -> TextEmbeddings:
        if not len(texts):
            raise ValueError("encode_text needs at least one text")
        if getattr(self.pooling, "text_tokens", False):
            tok: TokenFeatures = self.text_encoder.encode_tokens(list(texts))
            feats = tok.pooled  # [K, D_t], for the scale and bias heads
            emb = F.normalize(self.pooling(self.text_projection(tok.tokens), tok.mask), dim=-1)
        else:
            feats = self._text_features(list(texts))  # [K, D_t]
            if self._expansion is not None and not self.training:
                feats = self._expanded(feats, texts)
            emb = F.normalize(self.text_projection(feats), dim=-1)
        return TextEmbeddings(emb=emb, scale=self.scale_head(feats), bias=self.bias_head(feats))

    def frame_cosine(self, audio: AudioEmbeddings, text: TextEmbeddings) -> Tensor:
        """[B, K, L] cosine between every frame and every text."""
        return torch.einsum("bld,kd->bkl", audio.frames.float(), text.emb.float())

    @torch.no_grad()
    def frame_probabilities(self, audio: Tensor, texts: Sequence[str], mode: str = "unbiased") -> Tensor:
        """[B, K, L] calibrated frame scores for every query (see :mod:`flamkit.scoring`)."""
        from flamkit.scoring import frame_scores

        a = self.encode_audio(audio)
        t = self.encode_text(texts)
        return frame_scores(self.frame_cosine(a, t), t.scale.float(), t.bias.float(), mode=mode)


def build_model(model_cfg: DictConfig | dict[str, Any]) -> FlamModel:
    """Build a :class:`FlamModel` from the ``model`` section of a config (components by registered name)."""
    cfg = OmegaConf.create(model_cfg) if isinstance(model_cfg, dict) else model_cfg
    audio = build_component(AUDIO_ENCODERS, cfg.audio, Slot("model.audio", AUDIO_ENCODERS, AUDIO_INJECTED), frames=int(cfg.frames))
    text = build_component(
        TEXT_ENCODERS, cfg.text, Slot("model.text", TEXT_ENCODERS, TEXT_INJECTED), max_tokens=int(cfg.max_text_tokens)
    )
    head_slot = Slot("model.heads", HEADS, HEAD_INJECTED)
    d = int(cfg.embed_dim)
    audio_proj = build_component(HEADS, cfg.projection, head_slot, in_dim=int(audio.out_dim), out_dim=d)
    text_node = cfg.get("text_projection")  # empty or absent: the text side shares the audio side's choice
    text_slot = Slot("model.text_projection", HEADS, HEAD_INJECTED) if text_node else head_slot
    text_proj = build_component(HEADS, text_node or cfg.projection, text_slot, in_dim=int(text.out_dim), out_dim=d)
    scale = build_component(HEADS, cfg.scale, head_slot, in_dim=int(text.out_dim))
    bias = build_component(HEADS, cfg.bias, head_slot, in_dim=int(text.out_dim))
    # Configs saved before poolings existed have no model.pooling: they meant the mean.
    pooling_node = cfg.get("pooling") or {"name": "mean"}
    pooling = build_component(POOLINGS, pooling_node, Slot("model.pooling", POOLINGS, POOLING_INJECTED), dim=d)
    model = FlamModel(
        audio, text, audio_proj, text_proj, scale, bias, float(cfg.clip_scale_init), float(cfg.clip_scale_max), pooling
    )
    model.freeze(list(cfg.get("freeze") or []))
    record_packaged(model)  # what checkpoints may leave out while it stays unchanged (flamkit.models.packaged)
    return model
