"""The WordNet reader on a fake database in WordNet 3.0's own file format (and on Debian's, where installed)."""

from __future__ import annotations

import pytest

from flamkit.data.corpora.paraphrases import paraphrases
from flamkit.data.corpora.wordnet import WordNet, wordnet_dir


def test_reader_offsets_words_and_hypernyms(wn: WordNet) -> None:
    (cow,) = wn.senses("cow", "n")
    synset = wn.synset(cow, "n")
    assert synset.words == ("cow",) and synset.lexfile == 5
    (cattle,) = synset.hypernyms
    assert wn.synset(cattle, "n").words == ("cattle", "cows", "kine", "Bos taurus")
    assert wn.synset(wn.senses("heavy", "a")[0], "a").words == ("heavy", "weighty")  # "(a)" marker stripped
    assert [wn.synset(o, "v").words for o in wn.senses("slide", "v")] == [("slip", "skid"), ("slide",)]


def test_morphy(wn: WordNet) -> None:
    assert wn.lemma("footsteps", "n") == "footstep"
    assert wn.lemma("mooing", "v") == "moo"
    assert wn.lemma("sliding", "v") == "slide"  # -ing -> -e
    assert wn.lemma("muted", "v") == "mute"
    assert wn.lemma("feet", "n") is None  # an exception whose base form is not in the index
    assert wn.lemma("zebra", "n") is None


def test_missing_database_names_the_folder_and_the_fix(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"apt-get install wordnet-base.*FLAMKIT_WORDNET"):
        WordNet(tmp_path)


@pytest.mark.skipif(not (wordnet_dir() / "data.noun").is_file(), reason="Debian's wordnet-base is not installed")
def test_real_wordnet_database() -> None:
    # The fake database above mirrors the format; this checks the reader on the real one, where present.
    real = WordNet()
    assert "domestic dog" in real.synset(real.senses("dog", "n")[0], "n").words
    assert real.lemma("footsteps", "n") == "footstep" and real.lemma("running", "v") == "run"
    assert "cattle mooing" in paraphrases(real, "cow mooing", limit=100)
    assert "footfalls on gravel" in paraphrases(real, "footsteps on gravel", limit=100)

