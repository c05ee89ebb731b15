"""flamkit.losses.functional against the naive loop reference (tests/losses/reference.py) and by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from flamkit.losses import functional as F
from flamkit.textids import text_id
from tests.losses import reference as ref

TOL = 1e-6


# ------------------------------------------------------------------------------------------ inputs
def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@dataclass
class SedCase:
    frames: np.ndarray  # [B, L, d]
    texts: np.ndarray  # [K, d]
    text_ids: np.ndarray  # [K]
    scale: np.ndarray  # [K]
    bias: np.ndarray  # [K]
    event_ids: np.ndarray  # [B, E]
    event_masks: np.ndarray  # [B, E, L]

    def torch(self, dtype=torch.float64, grad: bool = True) -> dict[str, torch.Tensor]:
        def leaf(a):
            return torch.tensor(a, dtype=dtype).requires_grad_(grad)

        return dict(
            frames=leaf(self.frames),
            texts=leaf(self.texts),
            text_ids=torch.tensor(self.text_ids, dtype=torch.int64),
            scale=leaf(self.scale),
            bias=leaf(self.bias),
            event_ids=torch.tensor(self.event_ids, dtype=torch.int64),
            event_masks=torch.tensor(self.event_masks, dtype=torch.bool),
        )

    def ref_args(self):
        return (self.frames, self.texts, self.text_ids, self.scale, self.bias, self.event_ids, self.event_masks)


IDS = [text_id(f"description {n}") for n in range(8)]
A, Bd, C, D, Ev, Fx = IDS[:6]  # Fx: an event id that no slot carries


def structured_case(rng: np.random.Generator, L: int, d: int = 6) -> SedCase:
    """Every edge case at once, with random embeddings, scales, biases and masks.

    slots: A twice and Bd twice (duplicates), three padding slots, Ev has no event anywhere
    (a text without positives). clip 0 lists A twice (two rows of one description), clip 2 has
    no events at all, clip 1 has an event (Fx) that is in no slot, A appears in clips 0 and 3.
    """
    text_ids = np.array([A, Bd, A, -1, C, D, Bd, -1, Ev, -1], dtype=np.int64)
    event_ids = np.array(
        [
            [A, Bd, A, -1],
            [C, Fx, -1, -1],
            [-1, -1, -1, -1],
            [A, D, Bd, -1],
        ],
        dtype=np.int64,
    )
    B, E = event_ids.shape
    K = len(text_ids)
    masks = rng.random((B, E, L)) < 0.3
    masks[2] = rng.random((E, L)) < 0.5  # padding events with active frames must still be ignored
    masks[1, 2:] = True
    return SedCase(
        frames=unit(rng.standard_normal((B, L, d))),
        texts=unit(rng.standard_normal((K, d))),
        text_ids=text_ids,
        scale=np.exp(rng.normal(1.5, 0.5, K)),
        bias=rng.normal(-2.0, 1.5, K),
        event_ids=event_ids,
        event_masks=masks,
    )


def random_case(rng: np.random.Generator, B: int, K: int, E: int, L: int, d: int = 5) -> SedCase:
    """Ids drawn with replacement from a small pool (so duplicates and unmatched events are common)."""
    pool = np.array(IDS[: max(3, K // 2)], dtype=np.int64)
    text_ids = rng.choice(pool, size=K)
    text_ids[rng.random(K) < 0.25] = -1
    event_ids = rng.choice(np.concatenate([pool, [IDS[-1]]]), size=(B, E))
    event_ids[rng.random((B, E)) < 0.3] = -1
    return SedCase(
        frames=unit(rng.standard_normal((B, L, d))),
        texts=unit(rng.standard_normal((K, d))),
        text_ids=text_ids,
        scale=np.exp(rng.normal(1.0, 0.7, K)),
        bias=rng.normal(-3.0, 2.0, K),
        event_ids=event_ids,
        event_masks=rng.random((B, E, L)) < rng.random((B, E, 1)),
    )


def pair_case(rng: np.random.Generator, B: int, d: int = 6):
    audio = unit(rng.standard_normal((B, d)))
    text = unit(rng.standard_normal((B, d)))
    return audio, text, float(np.exp(rng.normal(1.5, 0.5))), float(rng.normal(-2.0, 1.0))


def assert_close(actual: torch.Tensor | None, expected, what: str, tol: float = TOL) -> None:
    assert actual is not None, f"{what}: no gradient"
    np.testing.assert_allclose(actual.detach().double().numpy(), np.asarray(expected, dtype=np.float64), rtol=tol, atol=tol, err_msg=what)


def sed_cases():
    rng = np.random.default_rng(20250711)
    cases = []
    for L in (32, 128):
        cases.append((f"structured-L{L}", structured_case(rng, L)))
        cases.append((f"random-L{L}", random_case(rng, B=3, K=8, E=3, L=L)))
    return cases


SED_CASES = sed_cases()


# ------------------------------------------------------------------------------- labels and union
@pytest.mark.parametrize("name,case", SED_CASES, ids=[n for n, _ in SED_CASES])
def test_frame_targets_and_unique_slots_match_reference(name, case):
    t = case.torch(grad=False)
    got = F.frame_targets(t["text_ids"], t["event_ids"], t["event_masks"])
    np.testing.assert_array_equal(got.numpy(), ref.frame_targets(case.text_ids, case.event_ids, case.event_masks))
    first = ref.union_of_descriptions(case.text_ids)
    expected = np.zeros(len(case.text_ids), dtype=bool)
    expected[list(first.values())] = True
    np.testing.assert_array_equal(F.unique_slots(t["text_ids"]).numpy(), expected)


def test_structured_case_really_has_its_edge_cases():
    """Guards the fixture: if it lost an edge case the reference comparisons would silently weaken."""
    case = structured_case(np.random.default_rng(0), L=32)
    z = ref.frame_targets(case.text_ids, case.event_ids, case.event_masks)
    assert len(set(case.text_ids.tolist()) - {-1}) < (case.text_ids != -1).sum()  # duplicate slots
    assert (case.text_ids == -1).any() and (case.event_ids == -1).any()
    assert (case.event_ids[2] == -1).all() and not z[2].any()  # clip without events
    assert not z[:, list(case.text_ids).index(Ev)].any()  # text without positives
    assert z.any()


# ------------------------------------------------------------------------------------- eqs. 4-5
@pytest.mark.parametrize("name,case", SED_CASES, ids=[n for n, _ in SED_CASES])
def test_sed_loss_matches_reference_values_and_gradients(name, case):
    expected = ref.sed(*case.ref_args())
    t = case.torch()
    loss = F.sed_loss(**t)
    assert loss.dtype == torch.float64
    assert abs(loss.item() - expected.value) < TOL
    loss.backward()
    for name_ in ("frames", "texts", "scale"):
        assert_close(t[name_].grad, expected.grads[name_], f"d sed / d {name_}")
    assert t["bias"].grad is None or torch.count_nonzero(t["bias"].grad) == 0, "bias must get no gradient from L_SED (§3.2)"


@pytest.mark.parametrize("name,case", SED_CASES, ids=[n for n, _ in SED_CASES])
def test_sed_loss_without_stop_gradient_trains_bias(name, case):
    expected = ref.sed(*case.ref_args())
    t = case.torch()
    loss = F.sed_loss(**t, detach_bias=False)
    assert abs(loss.item() - expected.value) < TOL
    loss.backward()
    assert torch.count_nonzero(t["bias"].grad) > 0
    for name_ in ("frames", "texts", "scale", "bias"):
        assert_close(t[name_].grad, expected.grads[name_], f"d sed / d {name_} (detach_bias=False)")


def test_scalar_bias_ablation_through_expand():
    """C.9 "without per-text bias": one scalar, expanded to [K], trained by L_SED (detach_bias=False)."""
    case = SED_CASES[0][1]
    t = case.torch()
    scalar = torch.tensor(-2.5, dtype=torch.float64, requires_grad=True)
    K = len(case.text_ids)
    F.sed_loss(t["frames"], t["texts"], t["text_ids"], t["scale"], scalar.expand(K), t["event_ids"], t["event_masks"], detach_bias=False).backward()
    expected = ref.sed(case.frames, case.texts, case.text_ids, case.scale, np.full(K, scalar.item()), case.event_ids, case.event_masks)
    assert scalar.grad.item() == pytest.approx(expected.grads["bias"].sum(), abs=TOL)


def test_sed_plus_prior_gives_bias_only_the_prior_gradient():
    case = SED_CASES[0][1]
    t = case.torch()
    (F.sed_loss(**t) + F.prior_loss(t["bias"], t["text_ids"], t["event_ids"], t["event_masks"])).backward()
    assert_close(t["bias"].grad, ref.prior(case.bias, case.text_ids, case.event_ids, case.event_masks).grads["bias"], "bias")


def test_duplicate_and_padding_slots_do_not_change_the_loss():
    """The union rule seen from outside: appending a duplicate slot (any embedding) or a padding slot is a no-op."""
    rng = np.random.default_rng(3)
    case = random_case(rng, B=2, K=4, E=2, L=32)
    case.text_ids = np.array([A, Bd, C, D])
    case.event_ids = np.array([[A, C], [Bd, -1]])
    base = F.sed_loss(**case.torch(grad=False)).item()
    extra_texts = unit(rng.standard_normal((2, case.texts.shape[1])))
    grown = SedCase(
        case.frames,
        np.concatenate([case.texts, extra_texts]),
        np.concatenate([case.text_ids, [Bd, -1]]),
        np.concatenate([case.scale, [7.0, 3.0]]),
        np.concatenate([case.bias, [5.0, -1.0]]),
        case.event_ids,
        case.event_masks,
    )
    assert F.sed_loss(**grown.torch(grad=False)).item() == pytest.approx(base, abs=1e-12)
    assert F.prior_loss(*[grown.torch(grad=False)[k] for k in ("bias", "text_ids", "event_ids", "event_masks")]).item() == pytest.approx(
        F.prior_loss(*[case.torch(grad=False)[k] for k in ("bias", "text_ids", "event_ids", "event_masks")]).item(), abs=1e-12
    )


def test_all_padding_slots_give_zero_and_a_working_backward():
    rng = np.random.default_rng(4)
    case = random_case(rng, B=2, K=5, E=2, L=32)
    case.text_ids[:] = -1
    assert ref.sed(*case.ref_args()).value == 0.0
    t = case.torch()
    loss = F.sed_loss(**t, detach_bias=False)
    assert loss.item() == 0.0
    loss.backward()
    for name in ("frames", "texts", "scale"):
        assert t[name].grad is not None and torch.count_nonzero(t[name].grad) == 0
    assert t["bias"].grad is None or torch.count_nonzero(t["bias"].grad) == 0
    prior = F.prior_loss(t["bias"], t["text_ids"], t["event_ids"], t["event_masks"])
    assert prior.item() == 0.0
    prior.backward()


# ---------------------------------------------------------------------------------------- eq. 10
@pytest.mark.parametrize("name,case", SED_CASES, ids=[n for n, _ in SED_CASES])
def test_prior_loss_matches_reference(name, case):
    expected = ref.prior(case.bias, case.text_ids, case.event_ids, case.event_masks)
    t = case.torch()
    loss = F.prior_loss(t["bias"], t["text_ids"], t["event_ids"], t["event_masks"])
    assert abs(loss.item() - expected.value) < TOL
    loss.backward()
    assert_close(t["bias"].grad, expected.grads["bias"], "d prior / d bias")


# ---------------------------------------------------------------------------------------- eqs. 1, 2
@pytest.mark.parametrize("B", [1, 2, 7])
def test_clip_loss_matches_reference(B):
    audio, text, alpha, _ = pair_case(np.random.default_rng(B), B)
    expected = ref.clip(audio, text, alpha)
    a, t = torch.tensor(audio, requires_grad=True), torch.tensor(text, requires_grad=True)
    s = torch.tensor(alpha, dtype=torch.float64, requires_grad=True)
    loss = F.clip_loss(a, t, s)
    assert abs(loss.item() - expected.value) < TOL
    loss.backward()
    assert_close(a.grad, expected.grads["audio"], "audio")
    assert_close(t.grad, expected.grads["text"], "text")
    assert_close(s.grad, expected.grads["logit_scale"], "logit_scale")


@pytest.mark.parametrize("B", [1, 2, 7])
def test_siglip_loss_matches_reference(B):
    audio, text, alpha, beta = pair_case(np.random.default_rng(10 + B), B)
    expected = ref.siglip(audio, text, alpha, beta)
    a, t = torch.tensor(audio, requires_grad=True), torch.tensor(text, requires_grad=True)
    s = torch.tensor(alpha, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(beta, dtype=torch.float64, requires_grad=True)
    loss = F.siglip_loss(a, t, s, b)
    assert abs(loss.item() - expected.value) < TOL
    loss.backward()
    assert_close(a.grad, expected.grads["audio"], "audio")
    assert_close(t.grad, expected.grads["text"], "text")
    assert_close(s.grad, expected.grads["logit_scale"], "logit_scale")
    assert_close(b.grad, expected.grads["logit_bias"], "logit_bias")


# ------------------------------------------------------------------------------------ by hand
def test_clip_b2_known_logits():
    eye = torch.eye(2, dtype=torch.float64)
    # logits = I: every row and column is softmax([1, 0]) at the matching entry.
    assert F.clip_loss(eye, eye, 1.0).item() == pytest.approx(math.log(1 + math.exp(-1)), abs=1e-12)
    # text swapped: logits [[0, 1], [1, 0]], the matching entry is the small one.
    assert F.clip_loss(eye, eye.flip(0), 1.0).item() == pytest.approx(math.log(1 + math.e), abs=1e-12)
    # scale 3 multiplies the logits: -log(e^3 / (e^3 + 1)).
    assert F.clip_loss(eye, eye, torch.tensor(3.0, dtype=torch.float64)).item() == pytest.approx(math.log(1 + math.exp(-3)), abs=1e-12)


def test_siglip_b2_known_logits():
    eye = torch.eye(2, dtype=torch.float64)
    # two positives at logit 1, two negatives at logit 0, sum / B with B = 2.
    expected = (2 * math.log(1 + math.exp(-1)) + 2 * math.log(2)) / 2
    assert F.siglip_loss(eye, eye, 1.0, 0.0).item() == pytest.approx(expected, abs=1e-12)
    # bias -1: positives at 0, negatives at -1.
    expected = (2 * math.log(2) + 2 * math.log(1 + math.exp(-1))) / 2
    assert F.siglip_loss(eye, eye, 1.0, -1.0).item() == pytest.approx(expected, abs=1e-12)


def _one_frame(active: bool, slots: list[int], scale=2.0, bias=-1.0):
    """1 clip, 1 frame, cos = 1 for every slot, the clip's event is A."""
    K = len(slots)
    return dict(
        frames=torch.tensor([[[1.0, 0.0]]], dtype=torch.float64),
        texts=torch.tensor([[1.0, 0.0]] * K, dtype=torch.float64),
        text_ids=torch.tensor(slots, dtype=torch.int64),
        scale=torch.full((K,), scale, dtype=torch.float64),
        bias=torch.full((K,), bias, dtype=torch.float64),
        event_ids=torch.tensor([[A]], dtype=torch.int64),
        event_masks=torch.tensor([[[active]]]),
    )


def test_sed_one_clip_one_text_one_frame_by_hand():
    # h = 2 * 1 - 1 = 1
    assert F.sed_loss(**_one_frame(True, [A])).item() == pytest.approx(math.log(1 + math.exp(-1)), abs=1e-12)
    assert F.sed_loss(**_one_frame(False, [A])).item() == pytest.approx(math.log(1 + math.e), abs=1e-12)
    # a duplicate slot and a padding slot leave it alone (K_unique = 1, not 3)
    assert F.sed_loss(**_one_frame(True, [A, -1, A])).item() == pytest.approx(math.log(1 + math.exp(-1)), abs=1e-12)
    # a second description (Bd, negative here) joins the mean: (log(1+e^-1) + log(1+e)) / 2
    both = (math.log(1 + math.exp(-1)) + math.log(1 + math.e)) / 2
    assert F.sed_loss(**_one_frame(True, [A, Bd])).item() == pytest.approx(both, abs=1e-12)


def test_prior_by_hand():
    x = _one_frame(True, [A, Bd], bias=0.5)
    # zbar = 1 for A, 0 for Bd: (-log s(0.5) - log s(-0.5)) / 2
    expected = (math.log(1 + math.exp(-0.5)) + math.log(1 + math.exp(0.5))) / 2
    got = F.prior_loss(x["bias"], x["text_ids"], x["event_ids"], x["event_masks"])
    assert got.item() == pytest.approx(expected, abs=1e-12)
    # 2 frames, A active in 1: zbar = 0.5, bias 0 -> log 2
    masks = torch.tensor([[[True, False]]])
    got = F.prior_loss(torch.zeros(1, dtype=torch.float64), torch.tensor([A]), torch.tensor([[A]]), masks)
    assert got.item() == pytest.approx(math.log(2), abs=1e-12)


# ------------------------------------------------------------------------------------- gradcheck
def test_gradcheck_all_losses():
    rng = np.random.default_rng(5)
    case = structured_case(rng, L=4, d=3)
    t = case.torch()
    ints = {k: t[k] for k in ("text_ids", "event_ids", "event_masks")}
    bias = t["bias"].detach()  # with the stop-gradient the numerical bias derivative differs on purpose
    assert torch.autograd.gradcheck(
        lambda f, x, s: F.sed_loss(f, x, ints["text_ids"], s, bias, ints["event_ids"], ints["event_masks"]),
        (t["frames"], t["texts"], t["scale"]),
    )
    assert torch.autograd.gradcheck(
        lambda f, x, s, b: F.sed_loss(f, x, ints["text_ids"], s, b, ints["event_ids"], ints["event_masks"], detach_bias=False),
        (t["frames"], t["texts"], t["scale"], t["bias"]),
    )
    assert torch.autograd.gradcheck(lambda b: F.prior_loss(b, **ints), (t["bias"],))
    audio, text, alpha, beta = pair_case(rng, 3, d=3)
    args = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (audio, text, alpha, beta)]
    assert torch.autograd.gradcheck(F.clip_loss, tuple(args[:3]))
    assert torch.autograd.gradcheck(F.siglip_loss, tuple(args))


# --------------------------------------------------------------------------------------- precision
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.bfloat16, 3e-2)])
def test_low_precision_inputs_are_finite_and_close(dtype, tol):
    case = SED_CASES[0][1]
    exact = case.torch(grad=False)
    low = case.torch(dtype=dtype)
    loss = F.sed_loss(**low, detach_bias=False)
    assert torch.isfinite(loss) and loss.dtype == torch.float32
    assert loss.item() == pytest.approx(F.sed_loss(**exact).item(), rel=tol)
    loss.backward()
    assert all(torch.isfinite(low[k].grad).all() for k in ("frames", "texts", "scale", "bias"))
    prior = F.prior_loss(low["bias"], low["text_ids"], low["event_ids"], low["event_masks"])
    assert prior.item() == pytest.approx(F.prior_loss(exact["bias"], exact["text_ids"], exact["event_ids"], exact["event_masks"]).item(), rel=tol)
    audio, text, alpha, beta = pair_case(np.random.default_rng(6), 5)
    a64, t64 = torch.tensor(audio), torch.tensor(text)
    a, t = a64.to(dtype), t64.to(dtype)
    assert F.clip_loss(a, t, alpha).item() == pytest.approx(F.clip_loss(a64, t64, alpha).item(), rel=tol)
    assert F.siglip_loss(a, t, alpha, beta).item() == pytest.approx(F.siglip_loss(a64, t64, alpha, beta).item(), rel=tol)


def test_large_logits_stay_finite():
    """Scales near the clamp used in practice (100) with bias -8 must not overflow in float32."""
    x = _one_frame(False, [A], scale=100.0, bias=-8.0)
    x = {k: (v.float() if v.is_floating_point() else v) for k, v in x.items()}
    assert torch.isfinite(F.sed_loss(**x))
    eye = torch.eye(4)
    assert torch.isfinite(F.clip_loss(eye, eye, 1000.0)) and torch.isfinite(F.siglip_loss(eye, eye, 1000.0, -10.0))


# --------------------------------------------------------------------------------------- errors
def _sed_inputs(B=2, L=4, d=3, K=3, E=2):
    return dict(
        frames=torch.zeros(B, L, d),
        texts=torch.zeros(K, d),
        text_ids=torch.arange(K),
        scale=torch.ones(K),
        bias=torch.zeros(K),
        event_ids=torch.zeros(B, E, dtype=torch.int64),
        event_masks=torch.zeros(B, E, L, dtype=torch.bool),
    )


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("frames", torch.zeros(2, 4), "frames must be"),
        ("texts", torch.zeros(3, 5), "texts"),
        ("texts", torch.zeros(3), "texts"),
        ("text_ids", torch.arange(4), "text_ids"),
        ("scale", torch.ones(1), "scale"),
        ("bias", torch.zeros(3, 1), "bias"),
        ("event_ids", torch.zeros(2, 3, dtype=torch.int64), "event_ids"),
        ("event_ids", torch.zeros(3, 2, dtype=torch.int64), "event_ids"),
        ("event_masks", torch.zeros(2, 2, 5, dtype=torch.bool), "event_masks"),
        ("event_masks", torch.zeros(3, 2, 4, dtype=torch.bool), "event_masks"),
    ],
)
def test_sed_loss_shape_errors(field, value, message):
    x = _sed_inputs()
    x[field] = value
    with pytest.raises(ValueError, match=message):
        F.sed_loss(**x)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("bias", torch.zeros(1), "bias"),
        ("text_ids", torch.arange(2), "text_ids"),
        ("event_ids", torch.zeros(2, 3, dtype=torch.int64), "event_ids"),
        ("event_masks", torch.zeros(2, 4, dtype=torch.bool), "event_masks"),
    ],
)
def test_prior_loss_shape_errors(field, value, message):
    x = _sed_inputs()
    args = {k: x[k] for k in ("bias", "text_ids", "event_ids", "event_masks")}
    args[field] = value
    with pytest.raises(ValueError, match=message):
        F.prior_loss(**args)


@pytest.mark.parametrize("fn", [lambda a, t: F.clip_loss(a, t, 1.0), lambda a, t: F.siglip_loss(a, t, 1.0, 0.0)])
def test_pair_loss_shape_errors(fn):
    with pytest.raises(ValueError, match=r"\[B, d\]"):
        fn(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"\[B, d\]"):
        fn(torch.zeros(2, 3, 1), torch.zeros(2, 3, 1))
