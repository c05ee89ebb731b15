import numpy as np
import pytest
import scipy.signal as ss

from flamkit.data.embedded import EMBEDDED_BACKGROUNDS, EMBEDDED_EVENTS, make_event

SR = 16000


def test_vocabulary_size_captions_and_holdout():
    assert len(EMBEDDED_EVENTS) >= 40
    held = [k for k in EMBEDDED_EVENTS.values() if k.heldout_type]
    assert 0.15 <= len(held) / len(EMBEDDED_EVENTS) <= 0.25
    captions = [c for k in EMBEDDED_EVENTS.values() for c in k.captions]
    assert len(captions) == len(set(captions)), "a caption describes two types"
    for kind in EMBEDDED_EVENTS.values():
        assert len(kind.captions) >= 3 and kind.tags
        assert set(kind.train_captions).isdisjoint(kind.heldout_captions)
        assert bool(kind.train_captions) != kind.heldout_type
    assert len(EMBEDDED_BACKGROUNDS) >= 6


@pytest.mark.parametrize("sr", [8000, 16000, 48000])
def test_every_type_generates_valid_varied_audio(sr):
    for name in EMBEDDED_EVENTS:
        rng = np.random.default_rng(0)
        a, b = make_event(name, rng, sr), make_event(name, rng, sr)
        for x in (a, b):
            assert x.dtype == np.float32 and np.isfinite(x).all()
            assert 0.2 <= len(x) / sr <= 4.0, name
            assert np.max(np.abs(x)) == pytest.approx(0.9, abs=1e-5)
        assert len(a) != len(b) or not np.array_equal(a, b), f"{name}: instances do not vary"
        again = make_event(name, np.random.default_rng(0), sr)
        np.testing.assert_array_equal(again, a)
    with pytest.raises(KeyError, match="unknown embedded event type"):
        make_event("nope", np.random.default_rng(0), sr)


def _features(x):
    f, _, z = ss.stft(x, fs=SR, nperseg=512, noverlap=384)
    p = np.abs(z) ** 2
    edges = np.geomspace(40, 7900, 41)
    bands = np.log10(np.stack([p[(f >= a) & (f < b)].sum(0) for a, b in zip(edges[:-1], edges[1:])]) + 1e-7)
    bands = np.maximum(bands - bands.max(), -6)
    env = p.sum(0) / p.sum(0).max()
    mod = np.abs(np.fft.rfft(env - env.mean(), 256))[:48]
    d = np.diff(bands, axis=1)
    return np.concatenate([bands.mean(1), bands.std(1), bands.max(1), 10 * d.mean(1), d.std(1),
                           mod / (np.linalg.norm(mod) + 1e-9), [(env > 0.1).mean(), np.log(len(x) / SR)]])


def test_types_are_distinguishable():
    """Unseen instances are recognised by 1-nearest-neighbour on coarse spectro-temporal statistics:
    the types differ in structure, not only in their names (a small CNN has an easier job than this)."""
    names = list(EMBEDDED_EVENTS)
    rng = np.random.default_rng(1)
    train = np.array([[_features(make_event(n, rng, SR)) for _ in range(5)] for n in names])
    test = np.array([[_features(make_event(n, rng, SR)) for _ in range(3)] for n in names])
    flat = train.reshape(-1, train.shape[-1])
    mu, sd = flat.mean(0), flat.std(0) + 1e-6
    x, q = (flat - mu) / sd, ((test - mu) / sd).reshape(-1, flat.shape[-1])
    y, yq = np.repeat(np.arange(len(names)), 5), np.repeat(np.arange(len(names)), 3)
    pred = y[np.argmin(((q[:, None] - x[None]) ** 2).sum(-1), axis=1)]
    assert (pred == yq).mean() >= 0.85
