"""What a source does with manifest rows whose audio file is missing: one policy, three choices.

``error``: construction fails listing the missing files (the default: a typo in a root folder
should not silently empty a corpus). ``skip``: the rows are dropped at construction and reported
once (``source.missing`` keeps them). ``defer``: the rows stay; ``get()`` raises
:class:`~flamkit.data.source.DataError` for them, so training skips, counts and reports each draw.
"""

from __future__ import annotations

import logging
import os
from typing import Literal, Sequence, TypeVar

MissingPolicy = Literal["error", "skip", "defer"]
MISSING_POLICIES = ("error", "skip", "defer")

log = logging.getLogger(__name__)
T = TypeVar("T")


class MissingFilesError(FileNotFoundError):
    """Construction-time failure listing audio files a manifest names but the disk lacks."""


def apply_missing_policy(
    items: Sequence[T], paths: Sequence[str], wheres: Sequence[str], policy: str, what: str, limit: int = 10
) -> tuple[list[T], list[str]]:
    """(kept items, 'where: path' of each missing file) under ``policy``; raises for ``error``.

    ``wheres`` name each item's manifest row ("file:line") for the message.
    """
    if policy not in MISSING_POLICIES:
        raise ValueError(f"{what}: missing={policy!r}; choose one of {', '.join(MISSING_POLICIES)}")
    missing_idx = [i for i, p in enumerate(paths) if not os.path.isfile(p)]
    missing = [f"{wheres[i]}: {paths[i]}" for i in missing_idx]
    if not missing or policy == "defer":
        if missing:
            log.warning("%s: %d of %d audio files are missing; get() will raise DataError for them", what, len(missing), len(paths))
        return list(items), missing
    listed = "\n  ".join(missing[:limit]) + (f"\n  ... and {len(missing) - limit} more" if len(missing) > limit else "")
    if policy == "error":
        raise MissingFilesError(
            f"{what}: {len(missing)} of {len(paths)} audio files are missing:\n  {listed}\n"
            "Fix the paths (or the root folder), or set missing: skip (drop them) or missing: defer "
            "(skip them when drawn)."
        )
    log.warning("%s: skipping %d of %d rows whose audio file is missing:\n  %s", what, len(missing), len(paths), listed)
    gone = set(missing_idx)
    return [it for i, it in enumerate(items) if i not in gone], missing
