"""Write the embedded data to disk as audio files plus a manifest, for file-based tools.

``render_dataset`` and ``flamkit data check`` read manifests, and Scaper reads a
``foreground/<label>/<file>`` + ``background/<label>/<file>`` folder tree; this writes both views of
the same clips, so a benchmark can feed identical sources to flamkit and to Scaper.
"""

from __future__ import annotations

import json
import os
import re

import soundfile as sf

from flamkit.data.embedded.pools import embedded_pools


def _folder(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "unnamed"


def export_embedded(
    out_dir: str,
    split: str = "train",
    sample_rate: int = 48000,
    n_instances_per_type: int = 4,
    seed: int = 0,
    n_backgrounds_per_type: int = 2,
    background_seconds: float = 12.0,
) -> str:
    """Write ``out_dir/foreground/<type>/<i>.wav``, ``out_dir/background/<type>/<i>.wav`` and
    ``out_dir/manifest.jsonl`` (path, label, kind, duration_s, event_pool, tags); returns the manifest path.
    16-bit PCM WAV, which every reader (soundfile, sox, Scaper) accepts."""
    pools = embedded_pools(split, sample_rate, n_instances_per_type, seed, n_backgrounds_per_type, background_seconds)
    rows = []
    for kind, clips in (("event", pools.events), ("background", pools.backgrounds)):
        for clip in clips:
            type_name, index = clip.tags[0], clip.key.rsplit("/", 1)[-1]
            sub = "foreground" if kind == "event" else "background"
            rel = os.path.join(sub, _folder(type_name), f"{_folder(type_name)}-{index}.wav")
            path = os.path.join(out_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            sf.write(path, clip.audio, clip.sample_rate, subtype="PCM_16")
            rows.append({"path": rel, "label": clip.texts[0], "kind": kind, "duration_s": clip.duration_s,
                         "event_pool": clip.pool if kind == "event" else None, "tags": list(clip.tags)})
    manifest = os.path.join(out_dir, "manifest.jsonl")
    with open(manifest, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return manifest
