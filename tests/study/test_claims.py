"""Claims decided from the numbers, at and around their boundaries, quoting the numbers they used."""

import pytest

from flamkit.study.claims import calibration_gap, check_claims
from flamkit.study.spec import Claim

LABELS = {"g": "FLAM-Global", "f": "FLAM", "n": "no bias"}


def _scores(auroc, best, at_half, thr=0.5):
    return {"present_auroc": auroc, "best_f1": best, "f1@0.5": at_half, "best_f1_threshold": thr}


@pytest.mark.parametrize("f_auroc, holds", [(0.80, True), (0.70, True), (0.6999, False), (0.5, False)])
def test_above_uses_the_margin_inclusively(f_auroc, holds):
    scalars = {"g": _scores(0.60, 0.4, 0.4), "f": _scores(f_auroc, 0.5, 0.5)}
    (o,) = check_claims((Claim("above", {"model": "f", "baseline": "g", "metric": "present_auroc", "margin": 0.1}),), scalars, LABELS)
    assert o.holds is holds
    assert f"{f_auroc:.3f}" in o.statement and "0.600" in o.statement and f"{f_auroc - 0.6:+.3f}" in o.statement


def test_calibrated_and_worse_calibrated_follow_the_f1_gap():
    scalars = {"f": _scores(0.8, 0.60, 0.58, 0.55), "n": _scores(0.85, 0.55, 0.39, 0.99)}
    assert calibration_gap(scalars["f"]) == pytest.approx(0.02)
    claims = (
        Claim("calibrated", {"model": "f", "tolerance": 0.03}),
        Claim("calibrated", {"model": "n", "tolerance": 0.03}),
        Claim("worse_calibrated", {"model": "n", "than": "f"}),
        Claim("worse_calibrated", {"model": "f", "than": "n", "text": "reversed"}),
    )
    outcomes = check_claims(claims, scalars, LABELS)
    assert [o.holds for o in outcomes] == [True, False, True, False]
    assert "0.160 F1" in outcomes[2].statement and "best at 0.99" in outcomes[2].statement
    assert outcomes[3].statement.startswith("reversed: ")


def test_equal_gaps_do_not_make_a_model_worse_calibrated():
    s = _scores(0.8, 0.5, 0.45)
    (o,) = check_claims((Claim("worse_calibrated", {"model": "n", "than": "f"}),), {"n": s, "f": dict(s)}, LABELS)
    assert not o.holds
