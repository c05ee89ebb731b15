"""ring_sed_loss / ring_prior_loss on gloo worlds of 1-4 ranks against the losses on the union batch.

The contract: mean over ranks of the returned values == the single-process loss on the union batch;
gradients on each rank's local inputs == W x the single-process gradient for those rows. The
single-process functions are themselves checked here against naive loops over eqs. 4-5 and 10.
"""

from __future__ import annotations

import math

import pytest
import torch

from flamkit.distributed.ring_sed import first_occurrence, pack_block, positive_counts, unpack_block
from flamkit.distributed import ring_prior_loss, ring_sed_loss
from flamkit.losses.functional import frame_targets, prior_loss, sed_loss, unique_slots
from tests.distributed.shards import CASES, D, DENORM_ID, L, SNAN_ID, memory, mixed, run_losses, union, world_results

WORLDS = [1, 2, 3, 4]
# W = 5 is the first world where a block makes a second bidirectional hop, W = 6 the first with a
# one-way hop after two bidirectional ones.
BIG = [5, 6]
F64 = dict(rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- naive references (loops, float64)


def naive_keep(ids: list[int]) -> list[bool]:
    seen: set[int] = set()
    keep = []
    for x in ids:
        keep.append(x != -1 and x not in seen)
        seen.add(x)
    return keep


def naive_block_sum(clips: dict, texts, scale, bias, ids: list[int], keep: list[bool]) -> float:
    """sum_i sum_{k kept} sum_l -log sigmoid(z h) for the given clips and slots (eqs. 4-5, no normaliser)."""
    frames, ev, masks = clips["frames"].double().tolist(), clips["event_ids"].tolist(), clips["event_masks"].tolist()
    texts, scale, bias = texts.double().tolist(), scale.double().tolist(), bias.double().tolist()
    total = 0.0
    for i, clip in enumerate(frames):
        for k, t in enumerate(texts):
            if not keep[k]:
                continue
            for l, f in enumerate(clip):
                positive = any(ev[i][e] == ids[k] and masks[i][e][l] for e in range(len(ev[i])) if ev[i][e] != -1)
                h = scale[k] * sum(a * b for a, b in zip(f, t)) + bias[k]
                z = 1.0 if positive else -1.0
                total += math.log1p(math.exp(-z * h))
    return total


def naive_sed(u: dict) -> float:
    ids = u["ids"].tolist()
    keep = naive_keep(ids)
    s = naive_block_sum(u, u["texts"], u["scale"], u["bias"], ids, keep)
    return s / (u["frames"].shape[0] * sum(keep) * u["frames"].shape[1])


def naive_prior(u: dict) -> float:
    ids, keep = u["ids"].tolist(), naive_keep(u["ids"].tolist())
    ev, masks = u["event_ids"].tolist(), u["event_masks"].tolist()
    B, L_ = len(ev), len(masks[0][0])
    total = 0.0
    for k, x in enumerate(ids):
        if not keep[k]:
            continue
        pos = sum(any(ev[i][e] == x and masks[i][e][l] for e in range(len(ev[i]))) for i in range(B) for l in range(L_))
        zbar, b = pos / (B * L_), float(u["bias"][k])
        total += -(zbar * math.log(1 / (1 + math.exp(-b))) + (1 - zbar) * math.log(1 / (1 + math.exp(b))))
    return total / sum(keep)


# ---------------------------------------------------------------- single-process pieces


def test_first_occurrence_equals_unique_slots() -> None:
    g = torch.Generator().manual_seed(0)
    for n in (0, 1, 7, 200):
        ids = torch.randint(-3, 6, (n,), generator=g) * 1234567890123  # repeats, -1 is never hit by chance
        ids[torch.rand(n, generator=g) < 0.3] = -1
        assert torch.equal(first_occurrence(ids), unique_slots(ids))


def test_positive_counts_equal_frame_targets() -> None:
    for s in mixed(4) + memory(3):
        ids = torch.cat([s["ids"], s["event_ids"].flatten(), torch.tensor([-1, 42])])
        expect = frame_targets(ids, s["event_ids"], s["event_masks"]).sum(dim=(0, 2))
        assert torch.equal(positive_counts(ids, s["event_ids"], s["event_masks"]), expect)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pack_carries_int64_ids_bit_exactly(dtype: torch.dtype) -> None:
    ids = torch.tensor([SNAN_ID, DENORM_ID, -(2**63), 2**63 - 1, -2, 0])
    texts = torch.randn(6, 3, dtype=dtype)
    block = pack_block(texts, torch.rand(6, dtype=dtype), torch.randn(6, dtype=dtype), ids, rows=8, dtype=dtype)
    assert block.dtype == dtype and block.shape == (8, 3 + 2 + 8 // block.element_size())
    t, _, _, got = unpack_block(block.clone(), 3)
    assert got.tolist() == ids.tolist() + [-1, -1]
    assert torch.equal(t[:6], texts) and not t[6:].any()


def test_functional_losses_match_naive_loops() -> None:
    u = union(mixed(4))
    value = sed_loss(u["frames"], u["texts"], u["ids"], u["scale"], u["bias"], u["event_ids"], u["event_masks"])
    assert value.item() == pytest.approx(naive_sed(u), rel=1e-12)
    assert prior_loss(u["bias"], u["ids"], u["event_ids"], u["event_masks"]).item() == pytest.approx(naive_prior(u), rel=1e-12)


def test_without_process_group_the_functions_are_the_functional_ones() -> None:
    s = mixed(1)[0]
    args = (s["frames"], s["texts"], s["ids"], s["scale"], s["bias"], s["event_ids"], s["event_masks"])
    for detach in (True, False):
        assert torch.equal(ring_sed_loss(*args, detach_bias=detach), sed_loss(*args, detach_bias=detach))
    assert torch.equal(ring_prior_loss(s["bias"], s["ids"], s["event_ids"], s["event_masks"]),
                       prior_loss(s["bias"], s["ids"], s["event_ids"], s["event_masks"]))


# ---------------------------------------------------------------- gloo worlds


def _reference(case: str, world: int) -> tuple[list[dict], dict]:
    shards = CASES[case](world)
    return shards, run_losses(union(shards), sed=sed_loss, prior=prior_loss, clip=lambda *a: torch.zeros((), requires_grad=True))


def _rows(shards: list[dict], key: str) -> list[slice]:
    bounds, start = [], 0
    for s in shards:
        bounds.append(slice(start, start + s[key].shape[0]))
        start += s[key].shape[0]
    return bounds


def _check(results: list[dict], ref: dict, shards: list[dict], head: str, tol: dict) -> None:
    world = len(results)
    mean = sum(r[head]["value"] for r in results) / world
    torch.testing.assert_close(mean, ref[head]["value"].to(mean.dtype), **tol)
    for key, rows_of in (("frames", "frames"), ("texts", "ids"), ("scale", "ids"), ("bias", "ids")):
        if key not in ref[head]:
            continue
        expect = ref[head][key]
        for rank, rows in enumerate(_rows(shards, rows_of)):
            got = results[rank][head][key]
            if expect is None:  # the bias is detached: no gradient, as in sed_loss
                assert got is None, f"rank {rank} {head}: {key} got a gradient"
                continue
            assert got.dtype == shards[rank][key].dtype
            torch.testing.assert_close(
                got.double() / world, expect[rows].double(), **tol, msg=lambda m: f"rank {rank} {head} d/d{key}: {m}"
            )


@pytest.mark.distributed
@pytest.mark.parametrize("world", WORLDS + BIG)
@pytest.mark.parametrize("case", ["mixed", "pad_rank", "no_texts", "equal"])
def test_ring_matches_union_batch(world: int, case: str) -> None:
    results = [r[case] for r in world_results(world)]
    shards, ref = _reference(case, world)
    for head in ("sed_detachTrue", "sed_detachFalse", "prior"):
        _check(results, ref, shards, head, F64)
    if case == "mixed":
        u = union(shards)
        assert sum(r["sed_detachTrue"]["value"] for r in results).item() / world == pytest.approx(naive_sed(u), rel=1e-12)
        assert sum(r["prior"]["value"] for r in results).item() / world == pytest.approx(naive_prior(u), rel=1e-12)
    if case == "no_texts":
        assert all(r["sed_detachTrue"]["value"] == 0 for r in results)


@pytest.mark.distributed
@pytest.mark.parametrize("world", WORLDS)
def test_bf16_inputs_match_float32_reference(world: int) -> None:
    results = [r["bf16"] for r in world_results(world)]
    shards = CASES["bf16"](world)
    as_f32 = [{k: (v.float() if v.is_floating_point() else v) for k, v in s.items()} for s in shards]
    ref = run_losses(union(as_f32), sed=sed_loss, prior=prior_loss, clip=lambda *a: torch.zeros((), requires_grad=True))
    assert results[0]["sed_detachTrue"]["value"].dtype == torch.float32
    for head in ("sed_detachTrue", "sed_detachFalse", "prior"):
        mean = sum(r[head]["value"] for r in results) / world
        torch.testing.assert_close(mean, ref[head]["value"], rtol=1e-5, atol=1e-6)
    # Gradients come back to bf16 leaves: one bf16 rounding (relative 2^-8) of the float32 gradient.
    for head in ("sed_detachTrue", "sed_detachFalse"):
        for key, rows_of in (("frames", "frames"), ("texts", "ids"), ("scale", "ids"), ("bias", "ids")):
            expect = ref[head][key]
            for rank, rows in enumerate(_rows(shards, rows_of)):
                got = results[rank][head][key]
                if expect is None:
                    assert got is None
                    continue
                assert got.dtype == torch.bfloat16
                torch.testing.assert_close(got.float() / world, expect[rows], rtol=1e-2, atol=1e-2 * float(expect.abs().max()))


@pytest.mark.distributed
@pytest.mark.parametrize("world", WORLDS)
def test_clip_sed_and_prior_in_one_backward_add_up(world: int) -> None:
    for res in world_results(world):
        parts, got = res["mixed"], res["combined"]
        sed = parts["sed_detachTrue"]
        expect = {"frames": 200 * sed["frames"], "texts": 200 * sed["texts"], "scale": 200 * sed["scale"],
                  "bias": parts["prior"]["bias"], **{k: parts["clip"][k] for k in ("audio", "text", "logit_scale")}}
        for key, value in expect.items():
            torch.testing.assert_close(got[key], value, **F64)


@pytest.mark.distributed
def test_one_rank_world_is_exactly_the_functional_loss() -> None:
    res = world_results(1)[0]
    for head, ref in res["functional"].items():
        for key, value in ref.items():
            got = res["mixed"][head][key]
            assert (got is None and value is None) or torch.equal(got, value), f"{head} {key}"


@pytest.mark.distributed
@pytest.mark.parametrize("world", [2, 3, 4] + BIG)
def test_ring_brings_every_other_block_once_with_its_own_scale_and_ids(world: int) -> None:
    for rank, res in enumerate(world_results(world)):
        arrived = res["ring"]
        assert sorted(origin for origin, _, _ in arrived) == [r for r in range(world) if r != rank]
        for origin, ids, scale in arrived:
            assert ids == [1000 + origin, SNAN_ID] and scale == origin


@pytest.mark.distributed
@pytest.mark.parametrize("world", [2, 3, 4])
def test_ring_keeps_no_logits_for_backward(world: int) -> None:
    shards = memory(world)
    k_max = max(s["ids"].shape[0] for s in shards)
    for rank, res in enumerate(world_results(world)):
        one_block = shards[rank]["frames"].shape[0] * k_max * L
        assert res["memory"] < one_block
    # The check can fail: the single-process loss keeps the full B x K x L for backward.
    u = union(shards)
    sizes: list[int] = []
    f = u["frames"].clone().requires_grad_()
    with torch.autograd.graph.saved_tensors_hooks(lambda x: sizes.append(x.numel()) or x, lambda x: x):
        sed_loss(f, u["texts"], u["ids"], u["scale"], u["bias"], u["event_ids"], u["event_masks"])
    assert max(sizes) >= u["frames"].shape[0] * u["ids"].shape[0] * L


@pytest.mark.distributed
@pytest.mark.parametrize("world", [2, 3, 4])
def test_ranks_disagreeing_on_frame_count_get_a_clear_error(world: int) -> None:
    for res in world_results(world):
        assert res["error"] is not None and "frame count L" in res["error"] and f"{L - 1}" in res["error"]


# ---------------------------------------------------------------- the public release's ring bugs
# Each test shows the case tells the buggy result from the right one by far more than the
# tolerance, and that the ring gives the right one.


def _blocks(shards: list[dict], keep_rule) -> tuple[list[list[float]], int]:
    """S[r][s]: summed loss of rank r's clips against rank s's slots under ``keep_rule``; and K_unique."""
    keep = keep_rule([s["ids"].tolist() for s in shards])
    S = [[naive_block_sum(c, t["texts"], t["scale"], t["bias"], t["ids"].tolist(), keep[s]) for s, t in enumerate(shards)]
         for c in shards]
    return S, sum(sum(k) for k in keep)


def _global_keep(ids_per_rank: list[list[int]]) -> list[list[bool]]:
    flat = naive_keep([x for ids in ids_per_rank for x in ids])
    out, i = [], 0
    for ids in ids_per_rank:
        out.append(flat[i : i + len(ids)])
        i += len(ids)
    return out


def _ring_mean(world: int) -> float:
    return sum(r["mixed"]["sed_detachTrue"]["value"] for r in world_results(world)).item() / world


@pytest.mark.distributed
@pytest.mark.parametrize("world", [2, 3, 4])
def test_bug_a_remote_negatives_normalised_by_frames_not_embedding_size(world: int) -> None:
    shards = mixed(world)
    S, k_unique = _blocks(shards, _global_keep)
    B = sum(s["frames"].shape[0] for s in shards)
    right = sum(map(sum, S)) / (B * k_unique * L)
    wrong = sum(S[r][r] / (B * k_unique * L) + sum(S[r][s] for s in range(world) if s != r) / (B * k_unique * D) for r in range(world))
    assert abs(wrong - right) > 1e-2 * right
    assert _ring_mean(world) == pytest.approx(right, rel=1e-12)


@pytest.mark.distributed
def test_bug_b_scales_and_masks_stay_with_their_features_at_w4() -> None:
    world = 4
    shards = mixed(world)
    keep = _global_keep([s["ids"].tolist() for s in shards])
    k_max = max(s["ids"].shape[0] for s in shards)

    def padded(s: dict, key: str, fill: float) -> torch.Tensor:
        x = s[key]
        return torch.cat([x, x.new_full((k_max - x.shape[0], *x.shape[1:]), fill)])

    B = sum(s["frames"].shape[0] for s in shards)
    k_unique = sum(map(sum, keep))
    total_wrong = 0.0
    for r, c in enumerate(shards):
        for s in range(world):
            # The two blocks of the bidirectional hop swapped: embeddings of r-1 with the scales,
            # biases, ids (hence labels) and keep mask of r+1, and vice versa.
            p = {(r - 1) % world: (r + 1) % world, (r + 1) % world: (r - 1) % world}.get(s, s)
            total_wrong += naive_block_sum(c, padded(shards[s], "texts", 0.0), padded(shards[p], "scale", 0.0),
                                           padded(shards[p], "bias", 0.0), padded(shards[p], "ids", -1).tolist(),
                                           keep[p] + [False] * (k_max - len(keep[p])))
    S, _ = _blocks(shards, _global_keep)
    right = sum(map(sum, S)) / (B * k_unique * L)
    wrong = total_wrong / (B * k_unique * L)
    assert abs(wrong - right) > 1e-2 * right
    assert _ring_mean(world) == pytest.approx(right, rel=1e-12)


@pytest.mark.distributed
@pytest.mark.parametrize("world", [2, 3, 4])
def test_bug_c_duplicates_across_ranks_found_at_any_slot_index(world: int) -> None:
    def same_index_only(ids_per_rank: list[list[int]]) -> list[list[bool]]:
        out = []
        for r, ids in enumerate(ids_per_rank):
            local = naive_keep(ids)
            out.append([local[k] and not any(k < len(o) and o[k] == x for o in ids_per_rank[:r]) for k, x in enumerate(ids)])
        return out

    shards = mixed(world)
    B = sum(s["frames"].shape[0] for s in shards)
    S, k_unique = _blocks(shards, _global_keep)
    S_bug, k_bug = _blocks(shards, same_index_only)
    right, wrong = sum(map(sum, S)) / (B * k_unique * L), sum(map(sum, S_bug)) / (B * k_bug * L)
    assert k_bug > k_unique and abs(wrong - right) > 1e-3 * right
    assert _ring_mean(world) == pytest.approx(right, rel=1e-12)
