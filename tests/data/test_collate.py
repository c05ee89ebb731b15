"""SED and audio-text collation (§3.1 union of descriptions, §3.3 K = 5 x B slots)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from flamkit.data.collate import AudioTextBatch, SedBatch, collate_audio_text, collate_sed
from flamkit.data.example import Event, Example
from flamkit.losses.functional import prior_loss, sed_loss
from flamkit.textids import normalize_text, text_id
from tests.losses import reference as ref

SR = 1000
T = 2000  # 2 s: with L = 8 every frame is 0.25 s


def clip(key: str, *events: Event, caption: str | None = None, n: int = T, sr: int = SR) -> Example:
    audio = np.linspace(-1, 1, n, dtype=np.float32) * (hash(key) % 7) / 7
    return Example(audio=audio, sample_rate=sr, key=key, caption=caption, events=list(events))


def ev(text: str, *segments: tuple[float, float]) -> Event:
    return Event(text=text, segments=list(segments))


def test_layout_of_a_small_batch():
    batch = collate_sed(
        [
            clip("a", ev("Dog barking", (0.0, 0.5)), ev("rain", (1.0, 2.0))),
            clip("b", ev("car horn", (0.6, 0.7))),
        ],
        num_frames=8,
    )
    assert isinstance(batch, SedBatch)
    assert batch.keys == ["a", "b"]
    assert batch.audio.shape == (2, T) and batch.audio.dtype == torch.float32
    assert batch.texts == ["dog barking", "rain", "car horn"] + [""] * 7  # K = 5 x B
    assert batch.text_ids.tolist() == [text_id("dog barking"), text_id("rain"), text_id("car horn")] + [-1] * 7
    assert batch.n_texts == 3
    assert batch.event_ids.tolist() == [[text_id("dog barking"), text_id("rain")], [text_id("car horn"), -1]]
    assert batch.event_masks.dtype == torch.bool and batch.event_masks.shape == (2, 2, 8)
    assert batch.event_masks[0, 0].tolist() == [True, True, False, False, False, False, False, False]
    assert batch.event_masks[0, 1].tolist() == [False] * 4 + [True] * 4
    assert batch.event_masks[1, 0].tolist() == [False, False, True, False, False, False, False, False]
    assert not batch.event_masks[1, 1].any()


def test_duplicates_within_a_clip_merge_into_one_row_with_the_union_mask():
    batch = collate_sed([clip("a", ev("Dog bark", (0.0, 0.25)), ev("rain", (0.5, 0.75)), ev("  dog   BARK ", (1.5, 1.75)))], num_frames=8)
    assert batch.texts[:2] == ["dog bark", "rain"] and batch.n_texts == 2
    assert batch.event_ids.tolist() == [[text_id("dog bark"), text_id("rain")]]
    assert batch.event_masks[0, 0].tolist() == [True, False, False, False, False, False, True, False]


def test_duplicates_across_clips_share_one_slot():
    batch = collate_sed([clip("a", ev("rain", (0.0, 1.0))), clip("b", ev("wind", (0, 2)), ev("Rain", (1.0, 2.0)))], num_frames=8)
    assert batch.texts[:2] == ["rain", "wind"] and batch.n_texts == 2
    assert batch.event_ids.tolist() == [[text_id("rain"), -1], [text_id("wind"), text_id("rain")]]


def test_clips_without_events():
    batch = collate_sed([clip("a"), clip("b", ev("rain", (0.0, 1.0))), clip("c")], num_frames=8)
    assert batch.event_ids.tolist() == [[-1], [text_id("rain")], [-1]]
    assert not batch.event_masks[0].any() and not batch.event_masks[2].any()
    empty = collate_sed([clip("a"), clip("b")], num_frames=8)
    assert empty.event_ids.shape == (2, 1) and (empty.event_ids == -1).all()
    assert empty.texts == [""] * 10 and (empty.text_ids == -1).all()


def test_an_event_inactive_at_every_frame_still_names_a_text():
    batch = collate_sed([clip("a", ev("rain"))], num_frames=8)  # no segments
    assert batch.texts[0] == "rain" and batch.event_ids.tolist() == [[text_id("rain")]]
    assert not batch.event_masks.any()


def test_activity_events_use_their_activity():
    activity = np.zeros(100, dtype=bool)  # 2 s at 50 Hz
    activity[60:70] = True  # 1.2-1.4 s -> frame 4 (1.0-1.25) and 5 (1.25-1.5)
    batch = collate_sed([clip("a", Event("rain", [(0.0, 2.0)], activity=activity))], num_frames=8)
    assert batch.event_masks[0, 0].tolist() == [False] * 4 + [True, True] + [False] * 2


def _many(n_texts: int, B: int) -> list[Example]:
    return [clip(f"clip{i}", *[ev(f"sound {j}", (0.0, 1.0)) for j in range(i, n_texts, B)]) for i in range(B)]


def test_overflow_grows_to_the_next_multiple_of_b():
    batch = collate_sed(_many(5, 2), num_frames=8, slots_per_clip=1)
    assert len(batch.texts) == 6 and batch.text_ids.shape == (6,) and batch.n_texts == 5
    assert sorted(batch.texts[:5]) == [f"sound {j}" for j in range(5)] and batch.texts[5] == ""
    exact = collate_sed(_many(4, 2), num_frames=8, slots_per_clip=2)
    assert len(exact.texts) == 4 and exact.n_texts == 4  # fits: no growth, no padding


def test_overflow_error_names_the_batch_and_the_counts():
    with pytest.raises(ValueError, match=r"5 unique event descriptions but only 2 text slots.*clip0.*clip1"):
        collate_sed(_many(5, 2), num_frames=8, slots_per_clip=1, on_overflow="error")
    assert collate_sed(_many(2, 2), num_frames=8, slots_per_clip=1, on_overflow="error").n_texts == 2


@pytest.mark.parametrize(
    "kwargs,message",
    [({"on_overflow": "drop"}, "on_overflow must be one of"), ({"num_frames": 0}, "num_frames"), ({"slots_per_clip": 0}, "slots_per_clip")],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        collate_sed([clip("a")], **kwargs)


def test_bad_examples_are_named():
    with pytest.raises(ValueError, match=r"'short' has 1999 samples but 'a' has 2000"):
        collate_sed([clip("a"), clip("short", n=T - 1)])
    with pytest.raises(ValueError, match=r"'fast' has sample rate 2000 Hz"):
        collate_sed([clip("a"), clip("fast", sr=2 * SR)])
    with pytest.raises(ValueError, match=r"'stereo': audio must be mono"):
        collate_sed([Example(np.zeros((2, T), np.float32), SR, "stereo")])
    with pytest.raises(ValueError, match=r"'blank': event 1 has an empty description"):
        collate_sed([clip("blank", ev("rain"), ev("   "))])
    with pytest.raises(ValueError, match="empty batch"):
        collate_sed([])


def test_collated_batch_gives_the_loss_of_the_raw_examples():
    """sed_loss on the collated tensors equals eq. 4 computed straight from the examples' events."""
    rng = np.random.default_rng(7)
    vocabulary = ["Dog bark", "dog  bark", "rain", "car horn", "siren", "Wind", "wind"]
    examples = []
    for i in range(4):
        events = []
        for _ in range(int(rng.integers(0, 4))):  # 0 events happen
            start = float(rng.uniform(0, 1.8))
            events.append(ev(str(rng.choice(vocabulary)), (start, start + float(rng.uniform(0.01, 0.6)))))
        examples.append(clip(f"c{i}", *events))
    examples.append(clip("c4", ev("rain", (0.0, 0.3)), ev("RAIN", (1.0, 1.3))))  # in-clip duplicate for sure
    d = 6
    params = {}
    for text in sorted({normalize_text(t) for t in vocabulary} | {""}):
        t = rng.standard_normal(d)
        params[text] = (t / np.linalg.norm(t), float(np.exp(rng.normal(1.5, 0.3))), float(rng.normal(-3, 1)))

    for L in (32, 128):
        batch = collate_sed(examples, num_frames=L, slots_per_clip=1)
        frames = rng.standard_normal((len(examples), L, d))
        frames /= np.linalg.norm(frames, axis=-1, keepdims=True)
        raw = [[(normalize_text(e.text), e.frame_mask(L, ex.duration)) for e in ex.events] for ex in examples]
        expected = ref.sed_from_clips(frames, raw, params)
        got = sed_loss(
            torch.tensor(frames),
            torch.tensor(np.stack([params[t][0] for t in batch.texts])),
            batch.text_ids,
            torch.tensor([params[t][1] for t in batch.texts], dtype=torch.float64),
            torch.tensor([params[t][2] for t in batch.texts], dtype=torch.float64),
            batch.event_ids,
            batch.event_masks,
        )
        assert got.item() == pytest.approx(expected, abs=1e-9)
        bias = np.array([params[t][2] for t in batch.texts])
        expected_prior = ref.prior(bias, batch.text_ids.numpy(), batch.event_ids.numpy(), batch.event_masks.numpy()).value
        assert prior_loss(torch.tensor(bias), batch.text_ids, batch.event_ids, batch.event_masks).item() == pytest.approx(expected_prior, abs=1e-9)


def test_partial_in_a_data_loader_and_to_device():
    examples = [clip("a", ev("rain", (0, 1))), clip("b"), clip("c", ev("wind", (1, 2)))]
    loader = torch.utils.data.DataLoader(examples, batch_size=3, collate_fn=functools.partial(collate_sed, num_frames=16, slots_per_clip=2))
    (batch,) = list(loader)
    assert batch.event_masks.shape == (3, 1, 16) and len(batch.texts) == 6
    moved = batch.to("meta")
    assert isinstance(moved, SedBatch)
    assert all(t.device.type == "meta" for t in (moved.audio, moved.text_ids, moved.event_ids, moved.event_masks))
    assert moved.texts == batch.texts and moved.keys == batch.keys
    assert batch.audio.device.type == "cpu"  # the original is untouched


def test_audio_text_batch():
    batch = collate_audio_text([clip("a", caption="A Dog  barks"), clip("b", caption="rain")])
    assert isinstance(batch, AudioTextBatch)
    assert batch.captions == ["a dog barks", "rain"] and batch.keys == ["a", "b"]
    assert batch.caption_ids.dtype == torch.int64 and batch.caption_ids.tolist() == [text_id("a dog barks"), text_id("rain")]
    assert batch.audio.shape == (2, T)
    assert batch.to("meta").audio.device.type == "meta"
    with pytest.raises(ValueError, match="'b' has no caption"):
        collate_audio_text([clip("a", caption="x"), clip("b")])
