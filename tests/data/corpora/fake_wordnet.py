"""A tiny WordNet 3.0 database in the real file format (byte offsets, hex word counts, pointers), so
the reader and the paraphrase rules are tested without Debian's wordnet-base on the machine."""

from __future__ import annotations

from pathlib import Path

# (pos, key, lexfile, words, hypernym keys); a word's senses are listed in the order given here.
SYNSETS = [
    ("n", "cow", 5, ["cow"], ["cattle"]),
    ("n", "cattle", 5, ["cattle", "cows", "kine", "Bos_taurus"], ["bovine"]),
    ("n", "bovine", 5, ["bovine"], []),
    ("n", "footstep", 4, ["footstep", "footfall", "step"], []),
    ("n", "gravel", 27, ["gravel", "crushed_rock"], ["rock"]),
    ("n", "rock", 17, ["rock", "stone"], []),
    ("n", "gong", 6, ["gong", "tam-tam"], ["percussion_instrument"]),
    ("n", "tambourine", 6, ["tambourine"], ["percussion_instrument"]),
    ("n", "percussion_instrument", 6, ["percussion_instrument", "percussive_instrument"], []),
    ("n", "woman", 18, ["woman", "adult_female"], []),
    ("n", "water", 27, ["water", "H2O"], ["binary_compound"]),
    ("n", "binary_compound", 27, ["binary_compound"], []),
    ("v", "moo", 32, ["moo", "low"], []),
    ("v", "slide", 38, ["slide"], []),
    ("v", "slide2", 38, ["slip", "skid"], []),
    ("v", "speak", 32, ["talk", "speak"], []),
    ("v", "mute", 39, ["mute", "dampen"], []),
    ("a", "heavy", 0, ["heavy(a)", "weighty"], []),
]
# lemma -> its synset keys, most frequent first.
SENSES = {
    "n": {"cow": ["cow"], "cattle": ["cattle"], "bovine": ["bovine"], "footstep": ["footstep"], "footfall": ["footstep"],
          "step": ["footstep"], "gravel": ["gravel"], "rock": ["rock"], "stone": ["rock"], "gong": ["gong"],
          "tam-tam": ["gong"], "tambourine": ["tambourine"], "percussion_instrument": ["percussion_instrument"],
          "woman": ["woman"], "water": ["water"], "binary_compound": ["binary_compound"]},
    "v": {"moo": ["moo"], "low": ["moo"], "slide": ["slide2", "slide"], "slip": ["slide2"], "talk": ["speak"],
          "speak": ["speak"], "mute": ["mute"], "dampen": ["mute"]},
    "a": {"heavy": ["heavy"], "weighty": ["heavy"]},
}
NAMES = {"n": "noun", "v": "verb", "a": "adj"}
HEADER = "  1 This software and database is being provided to you, the LICENSEE, by\n"


def write_fake_wordnet(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    offsets: dict[str, int] = {}
    for pos in NAMES:  # offsets first: a pointer may name a synset written later
        at = len(HEADER.encode())
        for p, key, lexfile, words, hypernyms in SYNSETS:
            if p == pos:
                offsets[key] = at
                at += len(_data_line(at, p, lexfile, words, [0] * len(hypernyms)).encode())
    for pos, name in NAMES.items():
        lines = [HEADER]
        for p, key, lexfile, words, hypernyms in SYNSETS:
            if p == pos:
                lines.append(_data_line(offsets[key], p, lexfile, words, [offsets[h] for h in hypernyms]))
        (root / f"data.{name}").write_text("".join(lines), encoding="utf-8")
        index = [HEADER] + [f"{lemma} {pos} {len(keys)} 0 {len(keys)} 0 " + " ".join(f"{offsets[k]:08d}" for k in keys) + " \n"
                            for lemma, keys in sorted(SENSES[pos].items())]
        (root / f"index.{name}").write_text("".join(index), encoding="utf-8")
    (root / "noun.exc").write_text("feet foot\n", encoding="utf-8")
    (root / "verb.exc").write_text("", encoding="utf-8")
    return root


def _data_line(offset: int, pos: str, lexfile: int, words: list[str], hypernyms: list[int]) -> str:
    words_part = " ".join(f"{w} 0" for w in words)
    pointers = " ".join(f"@ {h:08d} {pos} 0000" for h in hypernyms)
    return f"{offset:08d} {lexfile:02d} {pos} {len(words):02x} {words_part} {len(hypernyms):03d} {pointers} | a gloss\n"
