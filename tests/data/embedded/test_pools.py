from collections import Counter

import numpy as np
import pytest

from flamkit.data.embedded import EMBEDDED_EVENTS, embedded_pools
from flamkit.data.synth.mixer import MixtureSynthesizer, SynthConfig


def test_splits_hold_out_types_and_captions():
    train = embedded_pools("train", 8000, 4, 0, 1, 2.0)
    held = embedded_pools("heldout", 8000, 4, 0, 1, 2.0)
    types = embedded_pools("heldout_types", 8000, 4, 0, 1, 2.0)
    caps = embedded_pools("heldout_captions", 8000, 4, 0, 1, 2.0)
    train_types = {c.tags[0] for c in train.events}
    assert train_types == {k for k, v in EMBEDDED_EVENTS.items() if not v.heldout_type}
    assert {c.tags[0] for c in types.events}.isdisjoint(train_types)
    assert {c.tags[0] for c in caps.events} == train_types
    assert set(train.texts).isdisjoint(held.texts)  # no held-out description is ever trained on
    assert len(held.events) == len(types.events) + len(caps.events)
    assert Counter(c.pool for c in train.events)["general"] == len(train_types)  # instance 3 of 0..3
    # held-out mixtures use unseen background instances
    assert not np.array_equal(train.backgrounds[0].audio, held.backgrounds[0].audio)
    assert embedded_pools("train", 8000, 4, 0, 1, 2.0) is train  # cached
    with pytest.raises(ValueError, match="split"):
        embedded_pools("test")


def test_pools_plug_into_the_synthesizer():
    pools = embedded_pools("train", 16000, 2, 0, 1, 12.0)
    synth = MixtureSynthesizer(pools.events, pools.backgrounds, SynthConfig(sample_rate=16000), seed=0)
    texts = set(pools.texts)
    for i in range(5):
        ex = synth(i)
        assert ex.events and {e.text for e in ex.events} <= texts
