"""Caption paraphrases from WordNet (flamkit/data/corpora/paraphrases.py), on the fake database of conftest.py."""

from __future__ import annotations

import json

import pytest

from flamkit.data.corpora.paraphrases import (
    _inflect_verb,
    labels_of,
    main,
    paraphrase_table,
    paraphrases,
    plural,
    tag_manifest,
    word_alternatives,
)
from flamkit.data.corpora.wordnet import WordNet


def test_inflection() -> None:
    assert [plural(w) for w in ["step", "box", "church", "fly", "day", "crushed rock"]] == [
        "steps", "boxes", "churches", "flies", "days", "crushed rocks"]
    assert [_inflect_verb(v, "ing") for v in ["slip", "slide", "tie", "see", "talk", "cry out"]] == [
        "slipping", "sliding", "tying", "seeing", "talking", "crying out"]
    assert [_inflect_verb(v, "ed") for v in ["dampen", "mute", "drop", "cry"]] == ["dampened", "muted", "dropped", "cried"]


def test_word_alternatives_follow_the_first_sense_and_keep_inflection(wn: WordNet) -> None:
    # Synonyms of the most frequent sense, plural kept; proper names ("Bos taurus") never used.
    assert sorted(word_alternatives(wn, "cattle")) == ["bovine", "cows", "kine"]
    assert sorted(word_alternatives(wn, "footsteps")) == ["footfalls", "steps"]
    # Verbs keep -ing / -ed; "sliding"'s first sense is {slip, skid}, not "slide" itself.
    assert sorted(word_alternatives(wn, "mooing")) == ["lowing"]
    assert sorted(word_alternatives(wn, "sliding")) == ["skidding", "slipping"]
    assert word_alternatives(wn, "muted") == ["dampened"]
    assert word_alternatives(wn, "heavy") == ["weighty"]
    # Hypernyms only for things that sound (animals, artefacts, people): "gravel" gets its synonym
    # "crushed rock" but not "rock" (a substance's hypernym), "water" not "binary compound".
    assert word_alternatives(wn, "gravel") == ["crushed rock"]
    assert word_alternatives(wn, "water") == []  # "H2O" is not a plain word either
    assert sorted(word_alternatives(wn, "gong")) == ["percussion instrument", "percussive instrument", "tam-tam"]
    assert word_alternatives(wn, "on") == [] and word_alternatives(wn, "zebra") == []


def test_paraphrases_swap_one_word_and_respect_forbid(wn: WordNet) -> None:
    got = paraphrases(wn, "cow mooing", limit=100)
    assert sorted(got) == ["cattle mooing", "cow lowing", "cows mooing", "kine mooing"]  # hypernym {cattle, cows, kine}
    assert "cattle mooing" not in paraphrases(wn, "cow mooing", limit=100, forbid=frozenset({"cattle mooing"}))
    assert len(paraphrases(wn, "footsteps on gravel", limit=1)) == 1
    # A fixed order: the same call gives the same list.
    assert paraphrases(wn, "footsteps on gravel", limit=3) == paraphrases(wn, "footsteps on gravel", limit=3)


def test_table_drops_shared_paraphrases_and_other_labels(wn: WordNet) -> None:
    table = paraphrase_table(["gong", "tambourine", "footsteps on gravel", "steps on gravel"], wn,
                             forbid=frozenset({"footfalls on gravel"}))
    # "percussion instrument" would name both gong and tambourine: dropped from both.
    assert table["gong"] == ["tam-tam"]
    assert table["tambourine"] == []
    # "steps on gravel" is another label; "footfalls on gravel" is forbidden (an evaluation label).
    assert "steps on gravel" not in table["footsteps on gravel"]
    assert "footfalls on gravel" not in table["footsteps on gravel"]
    assert "footsteps on crushed rock" in table["footsteps on gravel"]


def test_tag_manifest_writes_tags_on_event_rows_only(wn: WordNet, tmp_path) -> None:
    src = tmp_path / "train.jsonl"
    rows = [
        {"path": "a.flac", "label": "cow mooing", "kind": "event", "tags": ["farm"]},
        {"path": "b.flac", "label": "cow mooing", "kind": "event"},
        {"path": "c.flac", "label": "gong", "kind": "background"},
        {"path": "d.flac", "label": "zebra", "kind": "event"},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps({"path": "x.flac", "label": "Cow Lowing"}) + "\n")
    out = tmp_path / "out" / "train.jsonl"
    counts = tag_manifest(src, out, wn, labels_of([dev]))
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert got[0]["tags"][0] == "farm"  # the existing tag kept, the paraphrases after it
    assert sorted(got[0]["tags"][1:]) == ["cattle mooing", "cows mooing", "kine mooing"]  # never the dev label
    assert got[1]["tags"] == got[0]["tags"][1:]
    assert "tags" not in got[2] and "tags" not in got[3]
    assert counts == {"rows": 4, "labels": 2, "labels_with_paraphrases": 1, "paraphrases": 3}
    assert {k: got[0][k] for k in ("path", "label", "kind")} == {k: rows[0][k] for k in ("path", "label", "kind")}


def test_bad_manifest_row_names_file_and_line(wn: WordNet, tmp_path) -> None:
    src = tmp_path / "train.jsonl"
    src.write_text(json.dumps({"path": "a", "label": "gong"}) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"train\.jsonl:2: not a JSON object"):
        tag_manifest(src, tmp_path / "o.jsonl", wn, frozenset())
    with pytest.raises(ValueError, match=r"train\.jsonl:2"):
        labels_of([src])


def test_cli(wn: WordNet, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FLAMKIT_WORDNET", str(wn.root))
    src = tmp_path / "train.jsonl"
    src.write_text(json.dumps({"path": "a.flac", "label": "gong"}) + "\n")
    main([str(src), str(tmp_path / "out.jsonl"), "--limit", "1"])
    assert json.loads(capsys.readouterr().out)["paraphrases"] == 1
    assert len(json.loads((tmp_path / "out.jsonl").read_text())["tags"]) == 1
