"""The seeded label hold-out: a fixed partition of labels, the same for every source that has them."""

import hashlib

import numpy as np
import pytest

from flamkit.data.label_holdout import LabelHoldout, label_holdout


def _naive_held_out(label: str, fraction: float, seed: int) -> bool:
    text = (str(seed) + "\x00" + label.strip().casefold()).encode()
    value = 0
    for byte in hashlib.blake2b(text, digest_size=8).digest():
        value = value * 256 + byte
    return value / float(2**64) < fraction


def test_partition_matches_naive_reference_and_is_complementary():
    labels = [f"sound number {i}" for i in range(2000)]
    train = LabelHoldout(0.15, seed=3, part="train")
    held = LabelHoldout(0.15, seed=3, part="holdout")
    for lab in labels:
        assert held.held_out(lab) == _naive_held_out(lab, 0.15, 3)
        assert train.keeps(lab) != held.keeps(lab)
    share = np.mean([held.keeps(lab) for lab in labels])
    assert 0.12 < share < 0.18


def test_depends_on_label_text_and_seed_only():
    a, b = LabelHoldout(0.5, seed=0), LabelHoldout(0.5, seed=1)
    assert a.held_out("Dog barking ") == a.held_out("dog barking")
    assert any(a.held_out(f"x{i}") != b.held_out(f"x{i}") for i in range(50))


def test_bad_specs_name_the_source():
    assert label_holdout(None, "src") is None
    with pytest.raises(ValueError, match="src: holdout takes fraction"):
        label_holdout({"frac": 0.1}, "src")
    with pytest.raises(ValueError, match="src: holdout.fraction"):
        label_holdout({"fraction": 1.5}, "src")
    with pytest.raises(ValueError, match="src: holdout.part"):
        label_holdout({"fraction": 0.2, "part": "dev"}, "src")


def test_backgrounds_flag_is_parsed_and_checked():
    assert label_holdout({"fraction": 0.2}, "src").backgrounds is False
    assert label_holdout({"fraction": 0.2, "backgrounds": True}, "src").backgrounds is True
    with pytest.raises(ValueError, match="src: holdout.backgrounds must be true or false"):
        label_holdout({"fraction": 0.2, "backgrounds": "yes"}, "src")
