"""A prompt template on the text encoder (``model.text.template``) wraps every description before tokenising."""

import pytest
import torch

from flamkit.models.text.hf import HFTextEncoder, bundled_minilm_path


def _encoder(**kw):
    torch.manual_seed(0)
    path = str(bundled_minilm_path())
    small = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}
    return HFTextEncoder(arch="bert", tokenizer_path=path, config=small, pooling="mean", **kw).eval()


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
