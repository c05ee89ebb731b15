"""The optional fairseq2 loading backend; skipped, with the reason, where fairseq2 cannot be imported."""

import json

import numpy as np
import pytest

from flamkit.data.audio_io import load_audio, reason_of
from flamkit.data.collate import collate_audio_text
from flamkit.data.example import Example
from flamkit.data.source import DataError
from tests.data import audio_files as af

fb = pytest.importorskip("flamkit.data.fairseq2_backend")
_reason = fb.import_error()
if _reason:
    pytest.skip(_reason, allow_module_level=True)


class Indexed:
    """A source whose item i is a 4-sample clip of value i; items in ``bad`` raise DataError."""

    name = "indexed"

    def __init__(self, n, bad=()):
        self.n, self.bad = n, set(bad)

    def __len__(self):
        return self.n

    def labels(self):
        return None

    def get(self, index, rng):
        if index in self.bad:
            raise DataError(f"item{index}.wav: corrupt", f"item{index}.wav")
        return Example(np.full(4, index, np.float32) + np.float32(rng.random() * 1e-3), 4, key=f"item{index}", caption=f"c{index}")


def items_of(batch):
    return [int(k[4:]) for k in batch.data.keys]


def take(stream, n):
    it = iter(stream)
    return [next(it) for _ in range(n)]


def test_decoder_matches_soundfile_path(tmp_path):
    dec = fb.Fairseq2Decoder()
    cases = [
        af.write(tmp_path / "a.wav", af.tone(0.5, 8000, channels=2), 8000),
        af.write(tmp_path / "b.flac", af.tone(0.5, 96000, channels=6), 96000),
        af.write(tmp_path / "c.ogg", af.tone(0.5, 44100), 44100),
        af.write(tmp_path / "d.mp3", af.tone(0.5, 16000), 16000),
    ]
    for path in cases:
        np.testing.assert_allclose(dec(path, 16000), load_audio(path, 16000), atol=1e-6)
    bad = {
        af.text_as_wav(tmp_path / "t.wav"): "unsupported_format",
        af.nan_wav(tmp_path / "n.wav"): "non_finite",
        af.zero_length(tmp_path / "z.wav"): "zero_length",
        af.truncated(tmp_path / "cut.flac", cases[1]): "corrupt",
        str(tmp_path / "gone.wav"): "not_found",
    }
    for path, reason in bad.items():
        with pytest.raises(DataError, match="t.wav|n.wav|z.wav|cut.flac|gone.wav") as err:
            dec(path, 16000)
        assert reason_of(err.value) == reason, path


def test_audio_text_backend_option_gives_the_same_examples(tmp_path):
    from flamkit.data.sources.audio_text import AudioTextSource

    path = af.write(tmp_path / "x.flac", af.tone(3.0, 48000, channels=2), 48000)
    m = tmp_path / "m.jsonl"
    m.write_text(json.dumps({"path": path, "caption": "a tone"}) + "\n")
    a = AudioTextSource(str(m), sample_rate=16000, clip_seconds=1.0).get(0, np.random.default_rng(1))
    b = AudioTextSource(str(m), sample_rate=16000, clip_seconds=1.0, backend="fairseq2").get(0, np.random.default_rng(1))
    np.testing.assert_allclose(a.audio, b.audio, atol=1e-6)
    assert a.caption == b.caption


def test_stream_epochs_shards_and_indices():
    src = Indexed(10)
    r0 = fb.Fairseq2Stream("global", src, collate_audio_text, batch_size=5, seed=0, rank=0, world_size=2)
    r1 = fb.Fairseq2Stream("global", src, collate_audio_text, batch_size=5, seed=0, rank=1, world_size=2)
    b0, b1 = take(r0, 4), take(r1, 4)
    assert [b.index for b in b0] == [0, 1, 2, 3]
    assert all(b.data.audio.shape == (5, 4) for b in b0)
    # every epoch of rank 0 is a permutation of its shard, and the ranks never share an item
    assert sorted(items_of(b0[0])) == [0, 2, 4, 6, 8] and sorted(items_of(b0[1])) == [0, 2, 4, 6, 8]
    assert sorted(items_of(b1[0])) == [1, 3, 5, 7, 9]
    assert items_of(b0[0]) != items_of(b0[1]) or items_of(b0[1]) != items_of(b0[2])  # reshuffled per epoch


def test_resume_from_state_dict_and_from_batch_index_are_exact():
    src = Indexed(13)
    make = lambda **kw: fb.Fairseq2Stream("global", src, collate_audio_text, batch_size=3, seed=7, **kw)
    ref = [(b.index, items_of(b), b.data.audio.numpy().copy()) for b in take(make(), 8)]
    s = make()
    it = iter(s)
    for _ in range(3):
        next(it)
    state = s.state_dict()
    resumed = make()
    resumed.load_state_dict(state)
    got = [(b.index, items_of(b), b.data.audio.numpy()) for b in take(resumed, 5)]
    from_index = [(b.index, items_of(b), b.data.audio.numpy()) for b in take(make(start_batch=3), 5)]
    for want, a, b in zip(ref[3:], got, from_index):
        assert want[0] == a[0] == b[0] and want[1] == a[1] == b[1]
        np.testing.assert_array_equal(want[2], a[2])
        np.testing.assert_array_equal(want[2], b[2])


def test_parallel_loading_does_not_change_batches():
    src = Indexed(11)
    one = take(fb.Fairseq2Stream("g", src, collate_audio_text, 4, seed=1, num_parallel_calls=1), 5)
    two = take(fb.Fairseq2Stream("g", src, collate_audio_text, 4, seed=1, num_parallel_calls=3), 5)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a.data.audio.numpy(), b.data.audio.numpy())


def test_bad_items_are_replaced_and_reported():
    src = Indexed(10, bad={3, 4})
    batches = take(fb.Fairseq2Stream("g", src, collate_audio_text, 5, seed=0), 6)
    skipped = [s for b in batches for s in b.skipped]
    assert all(len(b.data.keys) == 5 for b in batches)
    assert not {3, 4} & {i for b in batches for i in items_of(b)}
    assert {s.key for s in skipped} == {"item3.wav", "item4.wav"} and all("corrupt" in s.reason for s in skipped)
    assert all(b.drawn == 5 + len(b.skipped) for b in batches)
    with pytest.raises(DataError, match="draws in a row were unusable"):
        take(fb.Fairseq2Stream("g", Indexed(2, bad={0, 1}), collate_audio_text, 2, seed=0), 1)


def test_loader_selection_rejects_what_fairseq2_cannot_do():
    from flamkit.data.build import STREAM_LOADERS

    args = dict(name="global", sources=[Indexed(6)], weights=[1.0], collate=collate_audio_text, batch_size=2,
                seed=0, rank=0, augmenters=[], balance_labels=False, start_batch=0)
    stream = STREAM_LOADERS["fairseq2"](args, 0)
    assert isinstance(stream, fb.Fairseq2Stream) and next(iter(stream)).index == 0
    with pytest.raises(ValueError, match="reads one source"):
        STREAM_LOADERS["fairseq2"]({**args, "sources": [Indexed(6), Indexed(6)], "weights": [1.0, 1.0]}, 0)
    with pytest.raises(ValueError, match="cannot balance labels"):
        STREAM_LOADERS["fairseq2"]({**args, "balance_labels": True}, 0)
