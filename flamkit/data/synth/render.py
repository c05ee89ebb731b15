"""Render synthetic SED mixtures to disk: sharded FLAC, DCASE TSV labels and a JSONL manifest.

Layout under ``out``::

    render.json                                  seed, config and source fingerprint of this render
    audio/shard-00000/mix-0000000.flac           16-bit FLAC, mono
    audio/shard-00000/mix-0000000.json           sidecar: labels, placement, gains (written last)
    labels.tsv                                   filename, onset, offset, event_label (one row per active segment)
    manifest.jsonl                               path, duration_s, caption, events (text + segments)
    summary.json                                 counts, synthesizer statistics, problems

Paths in ``labels.tsv`` and ``manifest.jsonl`` are relative to ``out``. Mixture ``i`` is
``MixtureSynthesizer(seed).render(i)``, the same code path as on-the-fly training, so a rendered
mixture and a generated one are identical (up to 16-bit quantisation).

**Resuming.** Each mixture's FLAC and sidecar are written to a temporary name and renamed into place,
FLAC first, so a mixture is complete exactly when its sidecar exists and names the FLAC's size. A
re-run (after a crash, a kill, or with a larger ``n``) renders only the missing mixtures; the TSV and
the manifest are always rebuilt from the sidecars, never appended to, so they cannot be half written.
A re-run with another seed, config or set of sources into the same folder is refused.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, fields, replace
from typing import Any, Iterable, Sequence

import soundfile as sf

from flamkit.data.manifest import Manifest, read_manifest
from flamkit.data.synth.clips import AudioCache
from flamkit.data.synth.mixer import MixtureSynthesizer, SynthConfig, config_dict
from flamkit.data.synth.pools import clips_from_rows, split_pool


class RenderError(RuntimeError):
    """The render cannot start or finish; the message says why and what to do."""


@dataclass
class _Spec:
    """What a worker needs to rebuild the synthesizer (plain rows: picklable, no shared cache)."""

    event_rows: list[dict]
    general_rows: list[dict]
    background_rows: list[dict]
    config: SynthConfig
    seed: int
    out: str
    shard_size: int
    cache_bytes: int


def mixture_paths(out: str, index: int, shard_size: int) -> tuple[str, str, str]:
    """(relative FLAC path, absolute FLAC path, absolute sidecar path) of mixture ``index``."""
    rel = os.path.join("audio", f"shard-{index // shard_size:05d}", f"mix-{index:07d}.flac")
    flac = os.path.join(out, rel)
    return rel, flac, flac[: -len(".flac")] + ".json"


def _as_list(paths: str | os.PathLike | Sequence[str] | None) -> list[str]:
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _read_all(paths: list[str], strict: bool) -> tuple[list[dict], list[str]]:
    rows, problems = [], []
    for path in paths:
        m: Manifest = read_manifest(path, strict=strict)
        rows += m.rows
        problems += [str(p) for p in m.problems]
    return rows, problems


def _build_synth(spec: _Spec) -> MixtureSynthesizer:
    cache = AudioCache(spec.cache_bytes)
    events = clips_from_rows(spec.event_rows, cache=cache) + clips_from_rows(spec.general_rows, pool="general", cache=cache)
    backgrounds = clips_from_rows(spec.background_rows, pool="background", cache=cache)
    return MixtureSynthesizer(events, backgrounds, spec.config, spec.seed)


def _write_atomic(path: str, write) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write_text(path: str, text: str) -> None:
    def write(p: str) -> None:
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)

    _write_atomic(path, write)


def _write_mixture(synth: MixtureSynthesizer, index: int, out: str, shard_size: int) -> dict:
    mixture = synth.render(index)
    rel, flac, sidecar = mixture_paths(out, index, shard_size)
    os.makedirs(os.path.dirname(flac), exist_ok=True)
    _write_atomic(flac, lambda p: sf.write(p, mixture.audio, mixture.sample_rate, format="FLAC", subtype="PCM_16"))
    meta = mixture.metadata()
    meta["path"] = rel
    meta["flac_bytes"] = os.path.getsize(flac)

    _write_text(sidecar, json.dumps(meta))
    return meta


def _complete(out: str, index: int, shard_size: int) -> dict | None:
    """The sidecar of a finished mixture, or None if it must be (re)rendered."""
    _, flac, sidecar = mixture_paths(out, index, shard_size)
    try:
        with open(sidecar, encoding="utf-8") as f:
            meta = json.load(f)
        if os.path.getsize(flac) == meta["flac_bytes"]:
            return meta
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


_WORKER: dict[str, Any] = {}


def _worker_init(spec: _Spec) -> None:
    _WORKER["synth"] = _build_synth(spec)
    _WORKER["spec"] = spec


def _worker_render(index: int) -> tuple[int, dict | None, str | None]:
    spec = _WORKER["spec"]
    try:
        return index, _write_mixture(_WORKER["synth"], index, spec.out, spec.shard_size), None
    except Exception as exc:  # reported per mixture; the run decides whether to stop
        return index, None, f"mixture {index}: {type(exc).__name__}: {exc}"


def _tsv_label(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def _assemble(out: str, metas: Iterable[dict]) -> tuple[int, int]:
    """Rewrite labels.tsv and manifest.jsonl from the sidecars (atomic). Returns (mixtures, label rows)."""
    metas = list(metas)
    rows = 0
    tsv_path, man_path = os.path.join(out, "labels.tsv"), os.path.join(out, "manifest.jsonl")

    def write_tsv(p: str) -> None:
        nonlocal rows
        with open(p, "w", encoding="utf-8") as f:
            f.write("filename\tonset\toffset\tevent_label\n")
            for m in metas:
                segs = sorted((a, b, e["text"]) for e in m["events"] for a, b in e["segments"])
                for a, b, text in segs:
                    f.write(f"{m['path']}\t{a:.3f}\t{b:.3f}\t{_tsv_label(text)}\n")
                    rows += 1

    def write_manifest(p: str) -> None:
        with open(p, "w", encoding="utf-8") as f:
            for m in metas:
                row = {"path": m["path"], "duration_s": m["duration_s"], "caption": m["caption"],
                       "events": m["events"], "kind": "mixture", "key": m["key"]}
                f.write(json.dumps(row) + "\n")

    _write_atomic(tsv_path, write_tsv)
    _write_atomic(man_path, write_manifest)
    return len(metas), rows


def _fingerprint(spec: _Spec) -> str:
    h = hashlib.sha256()
    key_rows = [[(r["path"], r.get("label"), r.get("caption"), r.get("text"), r.get("kind")) for r in rows]
                for rows in (spec.event_rows, spec.general_rows, spec.background_rows)]
    h.update(json.dumps({"seed": spec.seed, "config": config_dict(spec.config), "rows": key_rows,
                         "shard_size": spec.shard_size}, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def render_dataset(
    events: str | Sequence[str],
    backgrounds: str | Sequence[str] | None,
    n: int,
    out: str,
    *,
    seed: int = 0,
    sample_rate: int = 48000,
    duration: float = 10.0,
    shard_size: int = 1000,
    workers: int = 1,
    general_events: str | Sequence[str] | None = None,
    config: SynthConfig | dict | None = None,
    strict: bool = True,
    max_failed: float = 0.01,
    cache_mb: int = 512,
    progress: bool = True,
    mp_context: str = "spawn",
) -> dict:
    """Render mixtures ``0 .. n-1`` into ``out`` (see the module docstring); returns the summary.

    ``events`` / ``general_events`` / ``backgrounds``: manifests (JSONL or CSV, one or several). The
    event/background rule of §4.2 (:func:`split_pool`; a ``kind`` column overrides it) selects the
    events of the event manifests and the backgrounds of the background manifests, so one debian-sfx
    manifest can be passed as both. ``general_events`` rows form the 20 % general-audio pool.
    ``config`` overrides :class:`SynthConfig` fields (``sample_rate`` and ``duration`` win).
    ``strict``: a bad manifest row stops the run (False: it is skipped and listed in the summary).
    Mixtures that fail (e.g. every background undecodable) are listed; more than ``max_failed``
    (fraction of ``n``) raises :class:`RenderError` after the others are written.
    """
    t0 = time.time()
    if n < 0 or shard_size < 1:
        raise RenderError(f"need n >= 0 and shard_size >= 1 (got n={n}, shard_size={shard_size})")
    if isinstance(config, dict):
        known = {f.name for f in fields(SynthConfig)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise RenderError(f"unknown synth config keys {unknown}; known: {sorted(known)}")
        config = SynthConfig(**config)
    config = replace(config or SynthConfig(), sample_rate=int(sample_rate), duration_s=float(duration)).validate()

    ev_rows, problems = _read_all(_as_list(events), strict)
    gen_rows, p2 = _read_all(_as_list(general_events), strict)
    bg_rows, p3 = _read_all(_as_list(backgrounds), strict)
    problems += p2 + p3
    ev_split, gen_split, bg_split = split_pool(ev_rows), split_pool(gen_rows), split_pool(bg_rows)
    spec = _Spec(ev_split.events, gen_split.events, bg_split.backgrounds, config, int(seed),
                 os.path.abspath(out), int(shard_size), int(cache_mb) << 20)
    if not spec.event_rows and not spec.general_rows:
        raise RenderError(f"no event clips in {_as_list(events) + _as_list(general_events)} "
                          f"(rows skipped: {dict(ev_split.skipped + gen_split.skipped)})")
    if backgrounds is not None and not spec.background_rows:
        raise RenderError(f"no background clips in {_as_list(backgrounds)} (rows skipped: {dict(bg_split.skipped)}); "
                          "pass backgrounds=None to mix over silence")
    synth = _build_synth(spec)  # validates pools and config before anything is written

    out = spec.out
    os.makedirs(out, exist_ok=True)
    info = {"fingerprint": _fingerprint(spec), "seed": spec.seed, "config": config_dict(config),
            "shard_size": spec.shard_size, "events": _as_list(events), "general_events": _as_list(general_events),
            "backgrounds": _as_list(backgrounds),
            "pool_sizes": {"events": len(spec.event_rows), "general": len(spec.general_rows),
                           "backgrounds": len(spec.background_rows)}}
    info_path = os.path.join(out, "render.json")
    if os.path.exists(info_path):
        with open(info_path, encoding="utf-8") as f:
            old = json.load(f)
        if old.get("fingerprint") != info["fingerprint"]:
            raise RenderError(f"{out} holds a render with other settings (seed, config, shard size or sources "
                              f"differ: {old.get('fingerprint')} != {info['fingerprint']}); use a new --out folder "
                              "or delete the old one")
    else:
        _write_text(info_path, json.dumps(info, indent=1))

    metas: dict[int, dict] = {}
    todo = []
    for i in range(n):
        meta = _complete(out, i, spec.shard_size)
        if meta is None:
            todo.append(i)
        else:
            metas[i] = meta
    skipped_done = len(metas)
    failures: list[str] = []
    bar = _progress(n, skipped_done, progress)
    try:
        if workers <= 1 or len(todo) <= 1:
            for i in todo:
                try:
                    metas[i] = _write_mixture(synth, i, out, spec.shard_size)
                except Exception as exc:
                    failures.append(f"mixture {i}: {type(exc).__name__}: {exc}")
                bar.update(1)
        else:
            ctx = mp.get_context(mp_context)
            with ctx.Pool(int(workers), initializer=_worker_init, initargs=(spec,)) as pool:
                chunk = max(1, min(16, len(todo) // (8 * int(workers))))
                for i, meta, error in pool.imap_unordered(_worker_render, todo, chunksize=chunk):
                    if meta is not None:
                        metas[i] = meta
                    else:
                        failures.append(error)
                    bar.update(1)
    finally:
        bar.close()

    done = [metas[i] for i in sorted(metas)]
    n_mix, n_rows = _assemble(out, done)
    stats: Counter = Counter()
    clip_problems: Counter = Counter()
    for m in done:
        stats.update(m.get("stats", {}))
        clip_problems.update(m.get("problems", []))
    summary = {
        "out": out, "n": n, "rendered": len(todo) - len(failures), "already_done": skipped_done,
        "complete": n_mix, "label_rows": n_rows, "failed": failures, "seconds": round(time.time() - t0, 2),
        "stats": dict(stats), "manifest_problems": problems,
        "clip_problems": [f"{p} (x{c})" for p, c in clip_problems.most_common()],
        "pool_sizes": info["pool_sizes"],
    }
    _write_text(os.path.join(out, "summary.json"), json.dumps(summary, indent=1))
    if problems or clip_problems:
        print(f"render_dataset: {len(problems)} manifest row(s) skipped and {len(clip_problems)} clip(s) "
              f"unusable; see {os.path.join(out, 'summary.json')}", file=sys.stderr)
    if len(failures) > max_failed * max(n, 1):
        raise RenderError(f"{len(failures)} of {n} mixtures failed (limit {max_failed:.1%}); first: {failures[:3]}. "
                          "Fix the sources and re-run: finished mixtures are kept.")
    return summary


def _progress(total: int, initial: int, enabled: bool):
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is a dependency, but a progress bar is not worth failing for
        enabled = False
    if not enabled:
        class _Null:
            def update(self, k: int) -> None: ...
            def close(self) -> None: ...
        return _Null()
    return tqdm(total=total, initial=initial, unit="mix", desc="synth", dynamic_ncols=True)
