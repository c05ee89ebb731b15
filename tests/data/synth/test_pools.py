from flamkit.data.synth.clips import AudioCache
from flamkit.data.synth.pools import clips_from_rows, row_texts, split_pool


def test_paper_rule_without_kind():
    rows = [
        {"path": "/a", "caption": "dog barking", "duration_s": 3.0},
        {"path": "/b", "caption": "city ambiance at night", "duration_s": 30.0},
        {"path": "/c", "caption": "Forest AMBIANCE", "duration_s": 10.0},  # exactly 10 s, keyword: background
        {"path": "/d", "caption": "door slam", "duration_s": 10.0},  # 10 s is not < 10: neither
        {"path": "/e", "caption": "rain ambiance loop", "duration_s": 4.0},  # keyword but short: neither
        {"path": "/f", "caption": "", "duration_s": 1.0},
        {"path": "/g", "label": "a beep"},  # no duration: cannot judge
    ]
    split = split_pool(rows)
    assert [r["path"] for r in split.events] == ["/a"]
    assert [r["path"] for r in split.backgrounds] == ["/b", "/c"]
    assert sum(split.skipped.values()) == 4
    assert split.skipped["no text"] == 1 and split.skipped["no duration"] == 1


def test_kind_column_overrides_and_can_be_ignored():
    rows = [
        {"path": "/w", "label": "wind", "duration_s": 40.0, "kind": "background"},  # debian-sfx style
        {"path": "/x", "label": "long ambiance", "duration_s": 20.0, "kind": "event"},
    ]
    split = split_pool(rows)
    assert [r["path"] for r in split.backgrounds] == ["/w"] and [r["path"] for r in split.events] == ["/x"]
    split = split_pool(rows, use_kind=False)
    assert [r["path"] for r in split.backgrounds] == ["/x"] and not split.events


def test_thresholds_and_keywords_are_parameters():
    rows = [{"path": "/a", "caption": "crowd ambience", "duration_s": 6.0}]
    assert split_pool(rows, keywords=("ambience",), min_background_s=5.0).backgrounds


def test_texts_and_clips():
    assert row_texts({"caption": ["one", " ", "two"]}) == ("one", "two")
    assert row_texts({"caption": "", "label": "lab"}) == ("lab",)
    cache = AudioCache(1 << 20)
    clips = clips_from_rows([{"path": "/a.flac", "label": "x", "_where": "m.jsonl:3", "event_pool": "general"},
                             {"path": "/b.flac", "label": "y", "pool": "train"}], cache=cache)
    assert [c.pool for c in clips] == ["general", "sfx"]  # the debian-sfx 'pool' column is not the event pool
    assert clips[0].key == "m.jsonl:3" and clips[0].cache is cache
