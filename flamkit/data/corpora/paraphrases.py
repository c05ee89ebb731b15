"""Caption augmentation for short event labels: WordNet paraphrases written as a manifest's ``tags``.

A corpus of a few hundred labels ("cow mooing", "footsteps on gravel") teaches the text projection
and the per-text heads a few hundred points of the text encoder's space; an unseen description must
land near them to be heard. Paraphrases put more points around each label along directions that
mean the same sound: one word swapped for a synonym or a direct hypernym of its most frequent
WordNet sense ("cattle mooing", "bovine mooing", "footfalls on gravel"). They ride on the existing
tag path: a row's ``tags`` are drawn instead of its label by the ``caption`` augmenter
(``p_event_tag``, ``p_caption_tag``), count as aliases of the label (never its negatives), and join
``data.negatives``' vocabulary (docs/data.md).

The rule is mechanical (no hand-written synonyms, so nothing is tuned to an evaluation set), and a
paraphrase equal to any label of the corpora's other splits or held-out sets is dropped (``forbid``):
an evaluation label's text is never trained on, whatever the audio under it.

    python -m flamkit.data.corpora.paraphrases IN.jsonl OUT.jsonl --forbid dev.jsonl other.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from flamkit.data.corpora import read_jsonl
from flamkit.data.corpora.wordnet import WordNet

STOPWORDS = frozenset(
    "a an the on in of with and at to from into onto by for over under off out up down through against "
    "is are being its his her their some".split()
)
_WORD = re.compile(r"^[a-z][a-z\-]*( [a-z][a-z\-]*)?$")  # at most two plain lower-case words
# A hypernym names a sound's source only for things that sound: "cattle" -> "bovine", "cello" ->
# "bowed stringed instrument"; for substances, acts or times it drifts ("water" -> "binary compound").
SOUNDING_NOUNS = frozenset({5, 6, 18})  # noun.animal, noun.artifact, noun.person


def plural(noun: str) -> str:
    head, _, last = noun.rpartition(" ")
    if re.search(r"(s|x|z|ch|sh)$", last):
        last += "es"
    elif re.search(r"[^aeiou]y$", last):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def _inflect_verb(verb: str, suffix: str) -> str:
    first, _, rest = verb.partition(" ")  # "cry out" -> "crying out"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", first):  # one syllable ending consonant-vowel-consonant
        first += first[-1]  # "slip" -> "slipping", "drop" -> "dropped"
    if suffix == "ing":
        if first.endswith("ie"):
            first = first[:-2] + "ying"
        elif first.endswith("e") and not first.endswith(("ee", "ye", "oe")):
            first = first[:-1] + "ing"
        else:
            first += "ing"
    else:  # "ed"
        if first.endswith("e"):
            first += "d"
        elif re.search(r"[^aeiou]y$", first):
            first = first[:-1] + "ied"
        else:
            first += "ed"
    return f"{first} {rest}" if rest else first


def _sense_words(wn: WordNet, lemma: str, pos: str, hypernyms: bool) -> list[str]:
    senses = wn.senses(lemma, pos)
    if not senses:
        return []
    first = wn.synset(senses[0], pos)
    words = list(first.words)
    if hypernyms and first.lexfile in SOUNDING_NOUNS:
        for offset in first.hypernyms:
            words.extend(wn.synset(offset, pos).words)
    return [w for w in words if w != lemma and w.lower() == w and _WORD.match(w)]


def word_alternatives(wn: WordNet, word: str) -> list[str]:
    """``word`` replaced by synonyms (and, for nouns, direct hypernyms) of its first sense, inflected as it was."""
    if word in STOPWORDS or len(word) < 3:
        return []
    for suffix in ("ing", "ed"):
        if word.endswith(suffix):
            verb = wn.lemma(word, "v")
            if verb is not None and verb != word:
                return [_inflect_verb(w, suffix) for w in _sense_words(wn, verb, "v", hypernyms=False)]
    noun = wn.lemma(word, "n")
    if noun is not None:
        alternatives = _sense_words(wn, noun, "n", hypernyms=True)
        return [plural(w) for w in alternatives] if noun != word else alternatives
    verb = wn.lemma(word, "v")
    if verb is not None:
        return _sense_words(wn, verb, "v", hypernyms=False) if verb == word else []
    adjective = wn.lemma(word, "a")
    return _sense_words(wn, adjective, "a", hypernyms=False) if adjective == word else []


def _order(label: str, text: str) -> str:
    return hashlib.sha1(f"{label}\x00{text}".encode()).hexdigest()


def paraphrases(wn: WordNet, label: str, limit: int = 6, forbid: frozenset[str] = frozenset()) -> list[str]:
    """Up to ``limit`` one-word substitutions of ``label``, in a fixed hash order, none in ``forbid``."""
    words = label.lower().split()
    found: set[str] = set()
    for i, word in enumerate(words):
        for alt in word_alternatives(wn, word):
            text = " ".join(words[:i] + [alt] + words[i + 1 :])
            if text != label.lower() and text not in forbid:
                found.add(text)
    return sorted(found, key=lambda t: _order(label, t))[:limit]


def labels_of(paths: Iterable[str | Path]) -> frozenset[str]:
    """Every ``label`` (lower-cased) of the given JSONL manifests."""
    labels = (row.get("label") for path in paths for row in read_jsonl(path))
    return frozenset(label.strip().lower() for label in labels if isinstance(label, str) and label.strip())


def paraphrase_table(labels: Iterable[str], wn: WordNet, forbid: frozenset[str] = frozenset(),
                     limit: int = 6) -> dict[str, list[str]]:
    """Each label's paraphrases. None equals a label (of ``labels`` or ``forbid``): a paraphrase that
    names another label's sound would alias the two, and one that names an evaluation label would
    train its text. One produced for two labels is dropped too ("percussion instrument" from "gong"
    and from "tambourine"): the batch would make the other label's clips its negatives."""
    labels = sorted({label.strip() for label in labels if label.strip()})
    taken = forbid | {label.lower() for label in labels}
    candidates = {label: paraphrases(wn, label, limit=10**6, forbid=taken) for label in labels}
    producers: dict[str, int] = {}
    for texts in candidates.values():
        for text in texts:
            producers[text] = producers.get(text, 0) + 1
    return {label: [t for t in texts if producers[t] == 1][:limit] for label, texts in candidates.items()}


def tag_manifest(src: Path, out: Path, wn: WordNet, forbid: frozenset[str], limit: int = 6,
                 kinds: Sequence[str] = ("event",)) -> dict[str, int]:
    """Copy ``src`` to ``out`` with each event row's paraphrases added to its ``tags``; counts for the report."""
    rows = read_jsonl(src)
    labels = [r["label"] for r in rows if r.get("kind", "event") in kinds and isinstance(r.get("label"), str)]
    table = paraphrase_table(labels, wn, forbid, limit)
    for row in rows:
        extra = table.get(str(row.get("label", "")).strip()) if row.get("kind", "event") in kinds else None
        if extra:
            row["tags"] = list(row.get("tags") or []) + extra
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return {"rows": len(rows), "labels": len(table), "labels_with_paraphrases": sum(1 for v in table.values() if v),
            "paraphrases": sum(len(v) for v in table.values())}


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m flamkit.data.corpora.paraphrases", description=__doc__.split("\n")[0])
    ap.add_argument("src", type=Path, help="training manifest (JSONL) to paraphrase")
    ap.add_argument("out", type=Path, help="where the manifest with tags goes")
    ap.add_argument("--forbid", nargs="*", default=[], help="manifests whose labels a paraphrase must never equal")
    ap.add_argument("--limit", type=int, default=6, help="paraphrases per label (default 6)")
    args = ap.parse_args(argv)
    counts = tag_manifest(args.src, args.out, WordNet(), labels_of(args.forbid), args.limit)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
