import numpy as np
import pytest

from flamkit.data.collate import collate_audio_text, collate_sed
from flamkit.data.embedded import EMBEDDED_EVENTS
from flamkit.data.source import DataSource
from flamkit.data.sources.embedded import EmbeddedSource
from flamkit.registry import DATA_SOURCES

SR = 8000
TRAIN_CAPTIONS = {c for k in EMBEDDED_EVENTS.values() for c in k.train_captions}
HELDOUT_CAPTIONS = {c for k in EMBEDDED_EVENTS.values() for c in k.heldout_captions}


def small(**kw):
    return DATA_SOURCES.build("embedded", sample_rate=SR, clip_seconds=4.0, n_instances_per_type=1, **kw)


def test_train_and_heldout_captions_are_disjoint():
    assert TRAIN_CAPTIONS and HELDOUT_CAPTIONS and not TRAIN_CAPTIONS & HELDOUT_CAPTIONS


def test_sed_mode_mixtures():
    src = small(mode="sed", size=20)
    assert isinstance(src, DataSource) and len(src) == 20 and src.labels() is None
    texts = set()
    for i in range(6):
        ex = src.get(i, np.random.default_rng(0))
        assert ex.audio.shape == (4 * SR,) and ex.source == "embedded" and ex.events
        for e in ex.events:
            texts.add(e.text)
            assert e.tags and all("_" not in t for t in e.tags)  # descriptions, not the type identifier
    assert texts <= TRAIN_CAPTIONS
    np.testing.assert_array_equal(src.get(3, np.random.default_rng(1)).audio, src.get(3, np.random.default_rng(2)).audio)
    batch = collate_sed([src.get(i, np.random.default_rng(0)) for i in range(4)], num_frames=32)
    assert batch.audio.shape == (4, 4 * SR) and batch.n_texts >= 1
    held = small(mode="sed", split="heldout", size=20)
    assert {e.text for i in range(6) for e in held.get(i, np.random.default_rng(0)).events} <= HELDOUT_CAPTIONS


def test_audio_text_mode_pairs():
    src = small(mode="audio_text")
    train_types = [k for k in EMBEDDED_EVENTS.values() if not k.heldout_type]
    assert len(src) == len(train_types) and sorted(set(src.labels())) == sorted(k.name for k in train_types)
    for i in range(0, len(src), 7):
        ex = src.get(i, np.random.default_rng(i))
        kind = EMBEDDED_EVENTS[src.labels()[i]]
        assert ex.caption in kind.train_captions and ex.tags == list(kind.tags)
        assert ex.audio.shape == (4 * SR,) and np.abs(ex.audio).max() <= 0.99 + 1e-6
    seen = {src.get(0, np.random.default_rng(s)).caption for s in range(40)}
    assert len(seen) > 1  # one of the type's captions per draw
    collate_audio_text([src.get(i, np.random.default_rng(0)) for i in range(3)])
    held = small(mode="audio_text", split="heldout")
    assert all(held.get(i, np.random.default_rng(0)).caption in HELDOUT_CAPTIONS for i in range(len(held)))


def test_audio_text_background_level_is_relative_to_the_event():
    loud, silent = small(mode="audio_text", background_db=-30.0), small(mode="audio_text", background_db=-300.0)
    for i in (2, 11):
        with_bg, event = loud.get(i, np.random.default_rng(5)).audio, silent.get(i, np.random.default_rng(5)).audio
        background = with_bg - event  # same draws: only the background gain differs
        span = np.flatnonzero(np.abs(event) > 1e-4)
        a, b = span[0], span[-1] + 1
        rms = lambda x: np.sqrt(np.mean(np.square(x[a:b], dtype=np.float64)))
        assert 20 * np.log10(rms(background) / rms(event)) == pytest.approx(-30.0, abs=1.0)
        assert np.abs(background[:a]).max(initial=0) > 0 or a == 0  # the background fills the whole clip


def test_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        EmbeddedSource(SR, mode="mixture")
