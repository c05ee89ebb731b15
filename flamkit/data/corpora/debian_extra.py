"""debian-extra: more labelled sound events from Debian 12 packages, for the TRAINING side of debian-sfx.

Why: transfer to descriptions never trained on grows with the number of distinct training
descriptions, and debian-sfx has 450. This adds clips from 31 other Debian ``main`` data packages
(812 events, 307 labels, 203 of them not in debian-sfx train; 32.5 min), labelled by hand-written
rules on their file paths (``debian_extra_rules.py``, ``_apps.py``, ``_games.py``), in the style and
format of debian-sfx (48 kHz mono 16-bit FLAC, same manifest columns), and never with a description
that is, or is close to, one of debian-sfx's ``dev`` labels (the leakage guard, see :class:`DevGuard`).

    python -m flamkit.data.corpora.debian_extra [--out DIR] [--base DIR] [--dry] [--workers N]

``--out`` defaults to ``$FLAMKIT_DEBIAN_EXTRA``, else ``~/.cache/flamkit-data/debian-extra``;
``--base`` (the debian-sfx corpus) to ``$FLAMKIT_DEBIAN_SFX``, else ``~/.cache/flamkit-data/debian-sfx``.
Writes, under OUT only:

* ``debs/`` (``apt-get download``; may be deleted after a run) and ``raw/<pkg>/`` (the audio files
  and the copyright file of each package, needed for re-runs);
* ``audio/<pkg>/<name>.flac``; ``licenses/<pkg>.copyright``;
* ``manifests/extra.jsonl`` (every new event, both batches);
* ``manifests/train_plus.jsonl``: BASE's ``train.jsonl`` followed by the first batch's events, the
  manifest the real-sound recipe trains on (``data=debian_sfx_plus``). The second batch was measured
  not to help on sounds from packages never heard (docs/results.md, ninth session), so it is not in
  it; ``manifests/train_plus_all.jsonl`` has both (``data=debian_sfx_plus_all``);
* ``manifests/new_labels.jsonl``: the first batch's events whose label no debian-sfx train clip has
  (``eval=debian_extra_new``, for models trained on debian-sfx alone);
* ``manifests/other_packages_new.jsonl``: the second batch's events whose label is in neither
  ``train_plus.jsonl``: sounds from 18 packages, and descriptions, that the recipe never trained on
  (``eval=debian_extra_other``);
* ``manifests/labels_extra.tsv`` (label, clips, minutes, sources, status: ``new`` or ``train``) and
  ``manifests/dropped_by_dev_guard.tsv``.

Every step is skipped when its output exists, so a re-run takes seconds. The last stdout line is a
one-line summary; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from flamkit.data.audio_io import load_audio
from flamkit.data.corpora import read_jsonl
from flamkit.data.corpora.debian_extra_rules import DEV_SOURCE_BLOCKLIST, FIRST_BATCH, GLOBAL_SKIP, PackageRules
from flamkit.data.corpora.debian_extra_rules_apps import APP_PACKAGES
from flamkit.data.corpora.debian_extra_rules_games import GAME_PACKAGES

SR = 48000
MAX_EVENT_S = 9.5  # events stay below 10 s, as in debian-sfx
MIN_EVENT_S = 0.08
TRIM_DB = -45.0  # silence threshold relative to the peak
PEAK = 0.89  # -1 dBFS; the SNR is set when mixing
AUDIO_EXT = (".wav", ".ogg", ".oga", ".flac")
# Every package the builder reads: the first batch, then the second (applications, games). Only the
# first goes into train_plus.jsonl; the second's new labels are a test of sounds from other packages.
PACKAGES: dict[str, PackageRules] = {**FIRST_BATCH, **APP_PACKAGES, **GAME_PACKAGES}
TRAINING_PACKAGES: tuple[str, ...] = tuple(FIRST_BATCH)
COLS = ("path", "label", "source_package", "license", "duration_s", "kind", "pool", "original_path", "sha1")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def default_dir(env: str, name: str) -> Path:
    return Path(os.environ.get(env) or Path.home() / ".cache" / "flamkit-data" / name).expanduser()


# ----------------------------------------------------------------------------- labels
STOPWORDS = frozenset({"a", "an", "the", "on", "in", "into", "of", "with", "and", "at", "out"})
SYNONYMS = {"dying": "death", "die": "death", "dies": "death"}


def label_key(label: str) -> str:
    """The key debian-sfx uses to keep near-identical labels on one side of its train/dev split.

    Lowercase words without stopwords, die/dying -> death, and on words longer than 4 letters a
    trailing "-ing" and then a plural "s" (not "ss") removed; joined without spaces.
    """
    words = [SYNONYMS.get(w, w) for w in re.split(r"[^a-z0-9]+", label.lower()) if w and w not in STOPWORDS]
    words = [re.sub(r"(?<!s)s$", "", re.sub(r"ing$", "", w)) if len(w) > 4 else w for w in words]
    return "".join(words)


def label_for(rules: PackageRules, rel: str) -> str | None:
    """The label of a file (its path relative to the package root), or None to drop it.

    GLOBAL_SKIP drops spoken descriptions and speech, voice and menu folders first; then the first package rule
    whose regex matches decides (None drops; "{1}" takes the first group). Unmatched files are dropped.
    """
    if re.search(GLOBAL_SKIP, rel, re.I):
        return None
    for rx, label in rules.rules:
        m = re.search(rx, rel, re.I)
        if m:
            if label is None:
                return None
            return label.replace("{1}", m.group(1).lower().replace("_", " ")) if "{1}" in label else label
    return None


class LeakageError(RuntimeError):
    """An extra label would leak a debian-sfx dev label into training."""


@dataclass
class DevGuard:
    """Keeps every debian-sfx dev description (and its close variants) out of the extra labels.

    Two rules drop a label: (1) its :func:`label_key` equals a dev label's key ("Snakes hissing" ==
    "snake hissing"); (2) it names the sound source of a dev label (``DEV_SOURCE_BLOCKLIST``: "pig
    oinking" is out because dev has "pig squealing"), so a dev source is never trained on under a
    paraphrase. :meth:`check` is the last line of defence on what is written.
    """

    dev_labels: set[str]
    blocklist: Sequence[tuple[str, str]] = DEV_SOURCE_BLOCKLIST
    dev_keys: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.dev_keys = {label_key(d): d for d in sorted(self.dev_labels)}

    def uncovered(self) -> list[str]:
        """Dev labels no blocklist entry matches: the blocklist was written for another dev split."""
        return sorted(d for d in self.dev_labels if not any(re.search(rx, d.lower()) for rx, _ in self.blocklist))

    def why_dropped(self, label: str) -> str | None:
        dev = self.dev_keys.get(label_key(label))
        if dev is not None:
            return f"same key as dev label {dev!r}"
        for rx, dev in self.blocklist:
            if re.search(rx, label.lower()):
                return f"source of dev label {dev!r}"
        return None

    def check(self, labels: Iterable[str]) -> None:
        bad = sorted({f"{lab!r} (dev: {self.dev_keys[label_key(lab)]!r})" for lab in labels if label_key(lab) in self.dev_keys})
        if bad:
            raise LeakageError("extra labels equal to debian-sfx dev labels after normalisation: " + ", ".join(bad))


def dev_labels_of(dev_rows: Iterable[dict], train_rows: Iterable[dict]) -> set[str]:
    """Held-out descriptions: dev event labels, plus dev background labels that train never uses
    (debian-sfx splits backgrounds by clip, so most of their labels are on both sides)."""
    dev_rows = list(dev_rows)
    train = {r["label"] for r in train_rows}
    return {r["label"] for r in dev_rows if r["kind"] == "event"} | (
        {r["label"] for r in dev_rows if r["kind"] != "event"} - train
    )


# ----------------------------------------------------------------------------- download, extract
def download(pkgs: Sequence[str], debs: Path) -> None:
    """``apt-get download`` (no install); ``apt-get update`` only when apt has no package lists."""
    need = [p for p in pkgs if not any(debs.glob(f"{p}_*.deb"))]
    if not need:
        return
    debs.mkdir(parents=True, exist_ok=True)
    log(f"apt-get download {' '.join(need)}")
    for attempt in (1, 2):
        res = subprocess.run(["apt-get", "download", *need], cwd=debs, capture_output=True, text=True)
        if res.returncode == 0:
            return
        lists_missing = re.search(r"Unable to locate package|has no installation candidate|404", res.stderr)
        if attempt == 2 or not lists_missing:
            raise RuntimeError(f"apt-get download failed:\n{res.stderr.strip()}")
        log("apt has no package lists for these packages: apt-get update (needs root)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)


def _safe_member(name: str) -> str | None:
    rel = os.path.normpath(name[2:] if name.startswith("./") else name)
    return None if rel.startswith("..") or os.path.isabs(rel) else rel


def extract(pkg: str, deb: Path, dest: Path, root: str) -> int:
    """Stream the .deb's data tar and write only the audio files under ``root`` and the copyright file.

    Symbolic links are skipped (in these packages they point at another extracted file). A ``.done``
    marker makes it idempotent (a half-finished extraction is redone).
    """
    if (dest / ".done").exists():
        return -1
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    copyright_path = f"usr/share/doc/{pkg}/copyright"
    n = 0
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for m in tar:
            rel = _safe_member(m.name)
            if rel is None or not m.isfile():
                continue
            wanted = rel == copyright_path or (rel.startswith(root.rstrip("/") + "/") and rel.lower().endswith(AUDIO_EXT))
            if not wanted:
                continue
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(m)
            assert src is not None
            with src, open(out, "wb") as f:
                shutil.copyfileobj(src, f)
            n += 1
    if proc.wait() != 0:
        raise RuntimeError(f"dpkg-deb --fsys-tarfile {deb} failed (rc {proc.returncode}); delete it and re-run")
    (dest / ".done").touch()
    return n


# ----------------------------------------------------------------------------- audio
def trim_silence(x: np.ndarray, rel_db: float = TRIM_DB, pad_s: float = 0.02) -> np.ndarray:
    """Cut leading and trailing audio quieter than ``rel_db`` below the peak, keeping a short pad."""
    a = np.abs(x)
    peak = float(a.max()) if a.size else 0.0
    if peak <= 1e-5:
        return x[:0]
    loud = np.flatnonzero(a > peak * 10 ** (rel_db / 20))
    pad = int(pad_s * SR)
    return x[max(0, loud[0] - pad) : min(len(x), loud[-1] + pad + 1)]


def process_clip(job: tuple[str, str]) -> tuple[float, str | None]:
    """Decode, mono, 48 kHz, trim, cap at MAX_EVENT_S (100 ms fade-out), peak -1 dBFS, 16-bit FLAC.

    Returns (duration in s, None), or (0, why) for a file that is dropped. An existing output is
    only measured, which makes re-runs cheap.
    """
    src, dst = job
    if os.path.exists(dst):
        return sf.info(dst).duration, None
    try:
        x = load_audio(src, SR)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is skipped and reported
        return 0.0, f"undecodable ({type(exc).__name__})"
    x = trim_silence(x)
    if len(x) > MAX_EVENT_S * SR:
        x = x[: int(MAX_EVENT_S * SR)].copy()
        fade = int(0.1 * SR)
        x[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    if len(x) < MIN_EVENT_S * SR:
        return 0.0, "silent or shorter than 0.08 s"
    y = (x / np.abs(x).max() * PEAK).astype(np.float32)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".tmp"
    sf.write(tmp, y, SR, subtype="PCM_16", format="FLAC")
    os.replace(tmp, dst)
    return len(y) / SR, None


def sha1_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha1").hexdigest()


# ----------------------------------------------------------------------------- plan and build
@dataclass
class Plan:
    jobs: list[tuple[str, str]] = field(default_factory=list)  # (source file, FLAC)
    meta: list[dict] = field(default_factory=list)  # manifest fields except path and duration
    dropped: dict[str, tuple[str, int]] = field(default_factory=dict)  # label -> (reason, clips)
    duplicates: int = 0  # files whose bytes are already planned or in debian-sfx (train or dev)


def plan(
    raw: Path,
    out: Path,
    guard: DevGuard,
    train_labels: set[str],
    known_sha1: set[str],
    packages: dict[str, PackageRules] = PACKAGES,
) -> Plan:
    """Label every extracted file, apply the dev guard and drop duplicates of each other and of debian-sfx."""
    train_by_key = {label_key(t): t for t in sorted(train_labels)}
    p, seen, claimed = Plan(), set(known_sha1), set()
    for pkg, rules in packages.items():
        root = raw / pkg / rules.root
        if not root.is_dir():
            log(f"WARN {pkg}: {root} is missing")
            continue
        files = sorted(q for q in root.rglob("*") if q.is_file() and q.name.lower().endswith(AUDIO_EXT))
        for src in files:
            rel = src.relative_to(root).as_posix()
            label = label_for(rules, rel)
            if label is None:
                continue
            label = train_by_key.get(label_key(label), label)  # same sound as a train label: its exact text
            why = guard.why_dropped(label)
            if why is not None:
                reason, n = p.dropped.get(label, (why, 0))
                p.dropped[label] = (reason, n + 1)
                continue
            digest = sha1_of(src)
            if digest in seen:  # the same bytes under another name, or already in debian-sfx
                p.duplicates += 1
                continue
            seen.add(digest)
            stem = re.sub(r"[^A-Za-z0-9]+", "_", os.path.splitext(rel)[0]).strip("_")
            dst = out / "audio" / pkg / f"{stem}.flac"
            if dst in claimed:  # x.ogg next to x.wav
                dst = dst.with_name(f"{stem}_{digest[:8]}.flac")
            claimed.add(dst)
            p.jobs.append((str(src), str(dst)))
            p.meta.append(
                dict(label=label, source_package=pkg, license=rules.license, kind="event", pool="train",
                     original_path=f"{pkg}:/{rules.root}/{rel}", sha1=digest)
            )
    return p


def write_jsonl(rows: Iterable[dict], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        for r in rows:
            f.write(json.dumps({k: r[k] for k in COLS}) + "\n")
    os.replace(tmp, path)


def write_labels_tsv(rows: Sequence[dict], train_labels: set[str], path: Path) -> None:
    agg: dict[str, list] = defaultdict(lambda: [0, 0.0, set()])
    for r in rows:
        a = agg[r["label"]]
        a[0] += 1
        a[1] += r["duration_s"] / 60
        a[2].add(r["source_package"])
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write("label\tclips\tminutes\tsources\tstatus\n")
        for lab, (n, mins, src) in sorted(agg.items()):
            status = "train" if lab in train_labels else "new"
            f.write(f"{lab}\t{n}\t{mins:.2f}\t{','.join(sorted(src))}\t{status}\n")
    os.replace(tmp, path)


def convert(jobs: Sequence[tuple[str, str]], workers: int) -> list[tuple[float, str | None]]:
    if workers <= 1:
        return [process_clip(j) for j in jobs]
    with ProcessPoolExecutor(workers) as ex:
        return list(ex.map(process_clip, jobs, chunksize=8))


def build(out: Path, base: Path, workers: int = 1, dry: bool = False,
          packages: dict[str, PackageRules] = PACKAGES, training: Sequence[str] = TRAINING_PACKAGES) -> str:
    """Run every step; returns the one-line summary.

    ``training``: the packages whose events go into ``train_plus.jsonl``; the others' events whose
    labels it lacks make ``other_packages_new.jsonl``.
    """
    t0 = time.time()
    out, base = out.expanduser().resolve(), base.expanduser().resolve()
    base_train, base_dev = read_jsonl(base / "manifests" / "train.jsonl"), read_jsonl(base / "manifests" / "dev.jsonl")
    guard = DevGuard(dev_labels_of(base_dev, base_train))
    missing = guard.uncovered()
    if missing:
        raise LeakageError(f"DEV_SOURCE_BLOCKLIST does not cover these dev labels of {base}: {missing}; extend it")
    train_labels = {r["label"] for r in base_train}

    download([p for p in packages if not (out / "raw" / p / ".done").exists()], out / "debs")
    for pkg, rules in packages.items():
        deb = next(iter(sorted((out / "debs").glob(f"{pkg}_*.deb"))), None)
        if not (out / "raw" / pkg / ".done").exists():
            if deb is None:
                raise RuntimeError(f"no .deb for {pkg} in {out / 'debs'}")
            log(f"extract {pkg}")
            n = extract(pkg, deb, out / "raw" / pkg, rules.root)
            log(f"  {n} files")
        lic = out / "raw" / pkg / "usr" / "share" / "doc" / pkg / "copyright"
        if lic.exists():
            (out / "licenses").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lic, out / "licenses" / f"{pkg}.copyright")
        else:
            log(f"WARN {pkg}: no copyright file in the .deb")

    known = {r["sha1"] for r in base_train + base_dev if r.get("sha1")}
    p = plan(out / "raw", out, guard, train_labels, known, packages)
    for lab, (why, n) in sorted(p.dropped.items()):
        log(f"dev guard dropped {lab!r} x{n}: {why}")
    log(f"{p.duplicates} duplicate files skipped (same sha1 as another extra file or a debian-sfx clip)")
    if dry:
        by_pkg: dict[str, Counter] = defaultdict(Counter)
        for m in p.meta:
            by_pkg[m["source_package"]][m["label"]] += 1
        for pkg, c in by_pkg.items():
            print(f"== {pkg}: {sum(c.values())} files, {len(c)} labels: " + "; ".join(f"{a} x{b}" for a, b in sorted(c.items())))
        return f"dry run: {len(p.jobs)} files, {len({m['label'] for m in p.meta})} labels"

    log(f"converting {len(p.jobs)} files with {workers} worker(s)")
    rows, skipped = [], Counter()
    for (src, dst), m, (dur, err) in zip(p.jobs, p.meta, convert(p.jobs, workers)):
        if err is not None:
            skipped[err] += 1
            continue
        rows.append(dict(m, path=dst, duration_s=round(dur, 3)))
    for err, n in skipped.items():
        log(f"skipped {n} files: {err}")
    guard.check(r["label"] for r in rows)

    mdir = out / "manifests"
    mdir.mkdir(parents=True, exist_ok=True)
    trained = [r for r in rows if r["source_package"] in training]
    plus_labels = train_labels | {r["label"] for r in trained}
    other_new = [r for r in rows if r["source_package"] not in training and r["label"] not in plus_labels]
    write_jsonl(rows, mdir / "extra.jsonl")
    write_jsonl(base_train + trained, mdir / "train_plus.jsonl")
    write_jsonl(base_train + rows, mdir / "train_plus_all.jsonl")
    write_jsonl([r for r in trained if r["label"] not in train_labels], mdir / "new_labels.jsonl")
    write_jsonl(other_new, mdir / "other_packages_new.jsonl")
    write_labels_tsv(rows, train_labels, mdir / "labels_extra.tsv")
    with open(mdir / "dropped_by_dev_guard.tsv", "w") as f:  # what the guard kept out, for review
        f.write("label\tclips\treason\n" + "".join(f"{lab}\t{n}\t{why}\n" for lab, (why, n) in sorted(p.dropped.items())))
    labels = {r["label"] for r in rows}
    new = labels - train_labels
    mins = sum(r["duration_s"] for r in rows) / 60
    return (
        f"debian-extra: {len(rows)} events, {len(labels)} labels ({len(new)} new), {mins:.1f} min from "
        f"{len({r['source_package'] for r in rows})} packages; dev guard dropped {len(p.dropped)} labels; "
        f"train_plus {len(base_train) + len(trained)} rows ({len({r['source_package'] for r in trained})} packages), "
        f"other_packages_new {len(other_new)} events, {len({r['label'] for r in other_new})} labels "
        f"in {mdir} | {time.time() - t0:.0f} s"
    )


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m flamkit.data.corpora.debian_extra", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=default_dir("FLAMKIT_DEBIAN_EXTRA", "debian-extra"))
    ap.add_argument("--base", type=Path, default=default_dir("FLAMKIT_DEBIAN_SFX", "debian-sfx"),
                    help="the debian-sfx corpus (its manifests/train.jsonl and dev.jsonl)")
    ap.add_argument("--workers", type=int, default=1, help="conversion processes (default 1)")
    ap.add_argument("--dry", action="store_true", help="print the label plan; convert nothing")
    args = ap.parse_args(argv)
    print(build(args.out, args.base, workers=args.workers, dry=args.dry))


if __name__ == "__main__":
    main()
