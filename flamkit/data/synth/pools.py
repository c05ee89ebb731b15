"""Dividing a corpus into sound events and backgrounds (§4.2 "Event and background audio filtering").

The paper's rule: *events* are shorter than 10 s and do not contain the keyword "ambiance";
*backgrounds* last at least 10 s and contain it. Rows that satisfy neither (a 30 s recording without
the keyword, a 3 s "ambiance" loop) are left out. A manifest's own ``kind`` column (event|background),
as the debian-sfx build writes it, overrides the rule when ``use_kind`` is set, because that corpus's
ambiences are labelled "wind" or "harbour crowd", not "ambiance".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from flamkit.data.synth.clips import AudioCache, ClipError, DEFAULT_CACHE, FileClip

TEXT_KEYS = ("caption", "captions", "text", "label", "tags")


@dataclass
class PoolSplit:
    events: list[dict[str, Any]] = field(default_factory=list)
    backgrounds: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # reason -> rows


def row_texts(row: dict[str, Any], text_keys: Sequence[str] = TEXT_KEYS) -> tuple[str, ...]:
    """The descriptions of a manifest row: the first non-empty of ``text_keys`` (a string or a list)."""
    for key in text_keys:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return (value.strip(),)
        if isinstance(value, (list, tuple)):
            texts = tuple(v.strip() for v in value if isinstance(v, str) and v.strip())
            if texts:
                return texts
    return ()


def row_duration(row: dict[str, Any]) -> float | None:
    for key in ("duration_s", "duration"):
        if row.get(key) not in (None, ""):
            return float(row[key])
    return None


def split_pool(
    rows: Iterable[dict[str, Any]],
    *,
    max_event_s: float = 10.0,
    min_background_s: float = 10.0,
    keywords: Sequence[str] = ("ambiance",),
    use_kind: bool = True,
    text_keys: Sequence[str] = TEXT_KEYS,
) -> PoolSplit:
    """Events (``duration < max_event_s`` and no keyword) and backgrounds (``duration >=
    min_background_s`` and a keyword in the text, case-insensitive). With ``use_kind``, a row's
    ``kind`` column decides instead when present. Rows without a description are skipped; so are rows
    the rule must judge but that have no duration. ``skipped`` counts rows left out, by reason."""
    out = PoolSplit()
    keywords = tuple(k.lower() for k in keywords)
    for row in rows:
        texts = row_texts(row, text_keys)
        if not texts:
            out.skipped["no text"] += 1
            continue
        kind = row.get("kind") if use_kind else None
        if kind == "event":
            out.events.append(row)
            continue
        if kind == "background":
            out.backgrounds.append(row)
            continue
        duration = row_duration(row)
        if duration is None:
            out.skipped["no duration"] += 1
            continue
        has_keyword = any(k in t.lower() for t in texts for k in keywords)
        if duration < max_event_s and not has_keyword:
            out.events.append(row)
        elif duration >= min_background_s and has_keyword:
            out.backgrounds.append(row)
        elif has_keyword:
            out.skipped[f"keyword but shorter than {min_background_s:g} s"] += 1
        else:
            out.skipped[f"no keyword but not shorter than {max_event_s:g} s"] += 1
    return out


def clips_from_rows(
    rows: Iterable[dict[str, Any]],
    *,
    pool: str | None = None,
    pool_column: str = "event_pool",
    default_pool: str = "sfx",
    text_keys: Sequence[str] = TEXT_KEYS,
    cache: AudioCache | None = DEFAULT_CACHE,
) -> list[FileClip]:
    """:class:`FileClip` providers for manifest rows. The event pool (``sfx`` or ``general``, §4.2's
    80/20 choice) is ``pool`` if given, else the row's ``pool_column``, else ``default_pool``. (Not the
    debian-sfx ``pool`` column: that one is the train/dev split.)"""
    clips = []
    for row in rows:
        where = row.get("_where", row.get("path", "?"))
        texts = row_texts(row, text_keys)
        if not texts:
            raise ClipError(f"{where}: no description in any of {', '.join(text_keys)}")
        clips.append(
            FileClip(
                path=row["path"],
                texts=texts,
                pool=pool or str(row.get(pool_column) or default_pool),
                duration_s=row_duration(row),
                key=str(where),
                cache=cache,
            )
        )
    return clips
