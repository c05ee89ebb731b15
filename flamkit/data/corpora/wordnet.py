"""A minimal reader of the Princeton WordNet 3.0 database files (Debian's ``wordnet-base``).

Only what caption paraphrases need: a word's base form (WordNet's "morphy": exception lists, then
suffix rules), its most frequent sense's synonyms, and that sense's direct hypernyms. Reading the
plain database files keeps the dependency to one Debian package (no nltk or ``wn`` download at run
time, which this project's machines cannot do): ``apt-get install wordnet-base`` puts them in
``/usr/share/wordnet``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path("/usr/share/wordnet")
POS_FILES = {"n": "noun", "v": "verb", "a": "adj"}
# morphy's detachment rules (WordNet's morph.c), per part of speech.
_SUFFIXES = {
    "n": (("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y"), ("s", "")),
    "v": (("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("s", "")),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
}


def wordnet_dir() -> Path:
    """``$FLAMKIT_WORDNET``, else Debian's ``/usr/share/wordnet``."""
    return Path(os.environ.get("FLAMKIT_WORDNET", str(DEFAULT_DIR))).expanduser()


@dataclass(frozen=True)
class Synset:
    """One sense: its words (lower-case, spaces for underscores) and its hypernyms' offsets."""

    offset: int
    pos: str
    lexfile: int  # the lexicographer file: 5 noun.animal, 6 noun.artifact, 18 noun.person, ...
    words: tuple[str, ...]
    hypernyms: tuple[int, ...]


class WordNet:
    """Index and data of nouns, verbs and adjectives, read once; look-ups by lemma and offset."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else wordnet_dir()
        missing = [f"{kind}.{name}" for name in POS_FILES.values() for kind in ("index", "data")
                   if not (self.root / f"{kind}.{name}").is_file()]
        if missing:
            raise FileNotFoundError(
                f"WordNet database not found in {self.root} (missing {', '.join(missing)}): "
                "run `apt-get install wordnet-base`, or set FLAMKIT_WORDNET to a folder holding "
                "WordNet 3.0's index.* and data.* files"
            )
        self._index: dict[str, dict[str, tuple[int, ...]]] = {}
        self._data: dict[str, bytes] = {}
        self._exceptions: dict[str, dict[str, str]] = {}
        for pos, name in POS_FILES.items():
            self._index[pos] = _read_index(self.root / f"index.{name}")
            self._data[pos] = (self.root / f"data.{name}").read_bytes()
            exc = self.root / f"{name}.exc"
            self._exceptions[pos] = _read_exceptions(exc) if exc.is_file() else {}

    def lemma(self, word: str, pos: str) -> str | None:
        """``word``'s base form in ``pos`` (``n``, ``v``, ``a``), or None when WordNet lacks it."""
        word = word.lower().replace(" ", "_")
        index = self._index[pos]
        if word in self._exceptions[pos] and self._exceptions[pos][word] in index:
            return self._exceptions[pos][word]
        if word in index:
            return word
        for suffix, ending in _SUFFIXES[pos]:
            if word.endswith(suffix) and len(word) > len(suffix) + 1:
                stem = word[: -len(suffix)] + ending
                if stem in index:
                    return stem
                # "running" -> "runn" -> "run": English doubles a final consonant before -ing/-ed.
                if ending == "" and len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in index:
                    return stem[:-1]
        return None

    def senses(self, lemma: str, pos: str) -> tuple[int, ...]:
        """The synset offsets of ``lemma`` in ``pos``, most frequent sense first (WordNet's order)."""
        return self._index[pos].get(lemma, ())

    def synset(self, offset: int, pos: str) -> Synset:
        data = self._data[pos]
        end = data.index(b"\n", offset)
        fields = data[offset:end].split(b" | ", 1)[0].decode("utf-8").split()
        count = int(fields[3], 16)
        words = tuple(_clean(w) for w in fields[4 : 4 + 2 * count : 2])
        at = 4 + 2 * count
        n_ptr = int(fields[at])
        hypernyms = []
        for k in range(n_ptr):
            symbol, target, target_pos = fields[at + 1 + 4 * k : at + 4 + 4 * k]
            if symbol == "@" and target_pos == pos:
                hypernyms.append(int(target))
        return Synset(int(fields[0]), pos, int(fields[1]), words, tuple(hypernyms))


def _clean(word: str) -> str:
    # Adjectives carry a syntactic marker, "(a)", "(p)" or "(ip)"; multiword lemmas use underscores.
    if word.endswith(")") and "(" in word:
        word = word[: word.index("(")]
    return word.replace("_", " ")


def _read_index(path: Path) -> dict[str, tuple[int, ...]]:
    index: dict[str, tuple[int, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith(" "):  # the licence header lines start with two spaces
            continue
        fields = line.split()
        synset_count, pointer_count = int(fields[2]), int(fields[3])
        offsets = fields[4 + pointer_count + 2 :]
        if len(offsets) != synset_count:
            raise ValueError(f"{path}: malformed index line for {fields[0]!r}")
        index[fields[0]] = tuple(int(o) for o in offsets)
    return index


def _read_exceptions(path: Path) -> dict[str, str]:
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 2:
            table.setdefault(fields[0], fields[1])
    return table
