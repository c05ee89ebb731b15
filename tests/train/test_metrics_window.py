"""Device-side step statistics: what one read of a logging interval returns."""

import math

import torch

from flamkit.train.metrics_window import StepMetrics


def _t(x):
    return torch.tensor(x)


def test_terms_average_finite_steps_and_runs_of_skips_are_counted():
    m = StepMetrics(torch.device("cpu"))
    m.record_step({"clip": _t(1.0)}, _t(True))
    m.record_step({"clip": _t(float("nan"))}, _t(False))
    m.record_step({"clip": _t(float("nan"))}, _t(False))
    m.record_step({"clip": _t(3.0)}, _t(True))
    m.record_step({"clip": _t(float("inf"))}, _t(False))
    m.record_grad_norm(_t(7.0), _t(True))
    m.record_grad_norm(_t(float("nan")), _t(False))
    r = m.read()
    assert r.terms == {"clip": 2.0} and r.finite_steps == 2 and r.nonfinite == 3
    assert r.max_in_row == 2 and r.in_row == 1 and r.grad_norm == 7.0 and r.heads is None
    # the run of skips carries into the next interval; the rest starts afresh
    m.record_step({"clip": _t(float("nan"))}, _t(False))
    r = m.read()
    assert r.in_row == r.max_in_row == 2 and r.nonfinite == 1 and math.isnan(r.terms["clip"])


def test_state_dict_round_trip_keeps_an_unread_interval():
    a = StepMetrics(torch.device("cpu"))
    a.record_step({"sed": _t(0.5)}, _t(True))
    a.record_step({"sed": _t(0.0)}, _t(False))
    b = StepMetrics(torch.device("cpu"))
    b.load_state_dict(a.state_dict())
    ra, rb = a.read(), b.read()
    assert (ra.terms, ra.finite_steps, ra.nonfinite, ra.in_row) == (rb.terms, rb.finite_steps, rb.nonfinite, rb.in_row) == ({"sed": 0.5}, 1, 1, 1)
