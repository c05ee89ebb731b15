"""Each speed option of issue 14 trains to the default's loss on CPU (docs/performance.md).

Tolerances: options that change only how batches arrive (pinned memory, prefetching workers) must give
the same loss bit for bit; options that change kernels (fused/foreach Adam, torch.compile with the
aot_eager backend: the AOT-autograd graph without a C++ toolchain, inductor being too slow for two
cores) must agree within 1e-4 relative after 4 steps.
"""

import pytest
import torch

from flamkit.config.compose import compose
from flamkit.train import loop
from flamkit.train.step import Objective
from tests.train.tiny import TINY_RUN

TINY = [
    *TINY_RUN,
    "train.max_steps=4",
    "train.log_every=4",
]


def _loss(tmp_path, *overrides):
    result = loop.train(compose("quickstart", [*TINY, f"run.root={tmp_path}", *overrides]))
    assert result.step == 4
    return result.metrics["train/loss"]


@pytest.fixture(scope="module")
def default_loss(tmp_path_factory):
    return _loss(tmp_path_factory.mktemp("default"))


def test_pinned_prefetching_workers_give_the_same_loss(tmp_path, default_loss):
    assert _loss(tmp_path, "data.num_workers=1", "data.pin_memory=true", "data.prefetch_factor=4") == default_loss


@pytest.mark.parametrize("option", ["optim.fused=true", "optim.foreach=true"])
def test_adam_kernels_train_to_the_same_loss(tmp_path, default_loss, option):
    assert _loss(tmp_path, option) == pytest.approx(default_loss, rel=1e-4)


def test_compiled_objective_trains_to_the_same_loss(tmp_path, default_loss):
    torch._dynamo.reset()
    assert _loss(tmp_path, "train.compile=true", "train.compile_backend=aot_eager") == pytest.approx(default_loss, rel=1e-4)


def test_find_unused_parameters_is_decided_from_the_active_heads():
    from flamkit.models.flam import build_model

    cfg = compose("quickstart", TINY)
    model = build_model(cfg.model)
    both = loop.build_objective(cfg, model)
    assert loop.find_unused_parameters("auto", both) is False  # FLAM: every trainable parameter gets a gradient
    glob = loop.build_objective(compose("quickstart", [*TINY, "loss=global"]), model)
    assert loop.find_unused_parameters("auto", glob) is True  # FLAM-Global: per-text scale and bias unused
    assert loop.find_unused_parameters("true", both) is True and loop.find_unused_parameters("false", glob) is False
    with pytest.raises(ValueError, match="true, false or auto"):
        loop.find_unused_parameters("maybe", both)
    assert isinstance(both, Objective)


def test_fused_request_falls_back_with_a_message_where_unsupported():
    from flamkit.train.optim import _kernel_options

    params = [torch.nn.Parameter(torch.zeros(2, dtype=torch.float32, device="meta"))]
    with pytest.warns(UserWarning, match="no fused Adam"):
        assert _kernel_options(params, True, None) == {"foreach": True}
    assert _kernel_options([torch.nn.Parameter(torch.zeros(2))], True, None) == {"fused": True}
    assert _kernel_options([], None, None) == {}
