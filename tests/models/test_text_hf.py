"""The HF text encoder (flamkit/models/text/hf.py): its speed options and its prompt template.

The speed options leave its output unchanged (issue 14).

Padding to the batch's longest description (the default) instead of to ``max_tokens`` and SDPA
instead of eager attention change which kernels run, not what a real token attends to: pooled
features agree within 1e-5 (float32).
"""

import pytest
import torch

from flamkit.models.text.hf import HFTextEncoder, bundled_minilm_path

TEXTS = ["a dog barks twice", "rain", "an engine starts and idles for a long while near a road"]


def _encoder(**kw):
    torch.manual_seed(0)
    path = str(bundled_minilm_path())
    small = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}
    return HFTextEncoder(arch="bert", tokenizer_path=path, config=small, pooling="mean", **kw).eval()


def test_longest_padding_matches_max_length_padding():
    longest, full = _encoder(), _encoder(padding="max_length")
    assert longest.tokenize(TEXTS)["input_ids"].shape[1] < full.tokenize(TEXTS)["input_ids"].shape[1] == 77
    with torch.no_grad():
        torch.testing.assert_close(longest(TEXTS), full(TEXTS), rtol=1e-5, atol=1e-5)


def test_sdpa_attention_matches_eager_attention():
    sdpa, eager = _encoder(attn_implementation="sdpa"), _encoder(attn_implementation="eager")
    assert sdpa.model.config._attn_implementation == "sdpa" and eager.model.config._attn_implementation == "eager"
    with torch.no_grad():
        torch.testing.assert_close(sdpa(TEXTS), eager(TEXTS), rtol=1e-5, atol=1e-5)


def test_template_is_applied_before_tokenising():
    plain, templ = _encoder(), _encoder(template="the sound of {}")
    assert templ.render(["rain", "{odd} text"]) == ["the sound of rain", "the sound of {odd} text"]
    with torch.no_grad():
        torch.testing.assert_close(templ(["rain"]), plain(["the sound of rain"]))
        assert not torch.allclose(templ(["rain"]), plain(["rain"]))
    assert _encoder(template="{}").template is None


def test_template_without_one_placeholder_is_refused():
    for bad in ("the sound of", "{} and {}", "a {0} sound", "the {sound} of {}"):
        with pytest.raises(ValueError, match="exactly once"):
            _encoder(template=bad)
