import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from flamkit.data.manifest import ManifestError
from flamkit.data.synth import render as render_mod
from flamkit.data.synth.clips import FileClip
from flamkit.data.synth.mixer import MixtureSynthesizer, SynthConfig
from flamkit.data.synth.render import RenderError, mixture_paths, render_dataset

from .conftest import make_background_pool, make_event_pool

SR = 16000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A debian-sfx style corpus on disk: one JSONL manifest with kind=event|background rows."""
    root = tmp_path_factory.mktemp("corpus")
    rows = []
    for clip in make_event_pool(n=12, max_s=3.0):
        path = root / f"{clip.key}.flac"
        sf.write(path, clip.audio, SR)
        rows.append({"path": str(path), "label": clip.texts[0], "kind": "event", "duration_s": clip.duration_s,
                     "pool": "train", "event_pool": clip.pool})
    for clip in make_background_pool()[:2]:
        path = root / f"{clip.key}.flac"
        sf.write(path, clip.audio, SR)
        rows.append({"path": str(path), "label": "wind", "kind": "background", "duration_s": clip.duration_s})
    manifest = root / "train.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(manifest)


def run(corpus, out, n, **kw):
    kw.setdefault("seed", 5)
    kw.setdefault("sample_rate", SR)
    kw.setdefault("shard_size", 4)
    kw.setdefault("progress", False)
    return render_dataset(events=corpus, backgrounds=corpus, n=n, out=str(out), **kw)


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def snapshot(out):
    """Everything a consumer reads: label files and decoded audio."""
    audio = {}
    for root, _, files in os.walk(out):
        for name in files:
            if name.endswith(".flac"):
                audio[name] = sf.read(os.path.join(root, name), dtype="int16")[0]
    with open(os.path.join(out, "labels.tsv")) as f, open(os.path.join(out, "manifest.jsonl")) as g:
        return f.read(), g.read(), audio


def test_render_layout_labels_and_audio(corpus, tmp_path):
    out = tmp_path / "out"
    summary = run(corpus, out, 6)
    assert summary["complete"] == 6 and summary["rendered"] == 6 and not summary["failed"]
    assert summary["pool_sizes"] == {"events": 12, "general": 0, "backgrounds": 2}
    assert os.path.exists(out / "audio" / "shard-00001" / "mix-0000005.flac")
    rows = read_tsv(out / "labels.tsv")
    manifest = [json.loads(line) for line in open(out / "manifest.jsonl")]
    assert [m["path"] for m in manifest] == [mixture_paths(str(out), i, 4)[0] for i in range(6)]
    assert len(rows) == summary["label_rows"] == sum(len(e["segments"]) for m in manifest for e in m["events"])
    # every TSV row is an active segment of that mixture's manifest entry, and onsets lie inside the clip
    by_path = {m["path"]: m for m in manifest}
    for r in rows:
        events = {e["text"]: e["segments"] for e in by_path[r["filename"]]["events"]}
        assert [float(r["onset"]), float(r["offset"])] in [[round(a, 3), round(b, 3)] for a, b in events[r["event_label"]]]
        assert 0 <= float(r["onset"]) < float(r["offset"]) <= 10.0
    # the FLAC is the synthesizer's mixture (16-bit), i.e. the on-the-fly training path gives the same data
    clips = [FileClip(m["path"], (m["label"],), pool=m["event_pool"]) for m in map(json.loads, open(corpus))
             if m["kind"] == "event"]
    bgs = [FileClip(m["path"], (m["label"],), pool="background") for m in map(json.loads, open(corpus))
           if m["kind"] == "background"]
    synth = MixtureSynthesizer(clips, bgs, SynthConfig(sample_rate=SR), seed=5)
    for i in (0, 5):
        audio, sr = sf.read(out / mixture_paths(str(out), i, 4)[0], dtype="float32")
        assert sr == SR
        np.testing.assert_allclose(audio, synth.render(i).audio, atol=1.0 / 32768 + 1e-7)
        meta = json.load(open(mixture_paths(str(out), i, 4)[2]))
        assert meta["events"] == by_path[meta["path"]]["events"]


def test_resume_after_crash(corpus, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = render_mod._write_mixture
    calls = {"n": 0}

    def crash_after_three(*args, **kwargs):
        if calls["n"] == 3:
            raise KeyboardInterrupt  # not an Exception: escapes like a kill would
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(render_mod, "_write_mixture", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        run(corpus, out, 9)
    monkeypatch.setattr(render_mod, "_write_mixture", real)
    assert not (out / "labels.tsv").exists()
    done = [i for i in range(9) if os.path.exists(mixture_paths(str(out), i, 4)[2])]
    assert done == [0, 1, 2]
    # leftovers a hard kill can leave: a temp file, a FLAC without sidecar, a truncated sidecar
    _, flac3, side3 = mixture_paths(str(out), 3, 4)
    os.makedirs(os.path.dirname(flac3), exist_ok=True)
    open(flac3 + ".tmp-999", "wb").write(b"partial")
    open(flac3, "wb").write(b"half a flac")
    _, _, side1 = mixture_paths(str(out), 1, 4)
    with open(side1, "r+") as f:
        text = f.read()
        f.seek(0)
        f.write(text[: len(text) // 2])
        f.truncate()
    mtime0 = os.path.getmtime(mixture_paths(str(out), 0, 4)[1])
    time.sleep(0.01)
    summary = run(corpus, out, 9)
    assert summary["already_done"] == 2 and summary["rendered"] == 7 and summary["complete"] == 9
    assert os.path.getmtime(mixture_paths(str(out), 0, 4)[1]) == mtime0  # not re-rendered
    fresh = tmp_path / "fresh"
    run(corpus, fresh, 9)
    a, b = snapshot(out), snapshot(fresh)
    assert a[0] == b[0] and a[1] == b[1]
    assert set(a[2]) == set(b[2]) and all(np.array_equal(a[2][k], b[2][k]) for k in a[2])
    # growing n renders only the new mixtures
    summary = run(corpus, out, 11)
    assert summary["already_done"] == 9 and summary["rendered"] == 2


def test_refuses_other_settings_in_same_folder(corpus, tmp_path):
    run(corpus, tmp_path / "out", 1)
    with pytest.raises(RenderError, match="other settings"):
        run(corpus, tmp_path / "out", 1, seed=6)
    with pytest.raises(RenderError, match="unknown synth config keys"):
        run(corpus, tmp_path / "x", 1, config={"max_concurrentt": 2})


def test_bad_manifest_rows(corpus, tmp_path):
    bad = tmp_path / "bad.jsonl"
    rows = open(corpus).read().splitlines()
    rows.insert(2, json.dumps({"path": str(tmp_path / "nope.flac"), "label": "ghost", "kind": "event"}))
    bad.write_text("\n".join(rows) + "\n")
    with pytest.raises(ManifestError, match=r"bad.jsonl:3: audio file not found"):
        run(str(bad), tmp_path / "out", 2)
    summary = run(str(bad), tmp_path / "out2", 2, strict=False)
    assert summary["complete"] == 2 and "bad.jsonl:3" in summary["manifest_problems"][0]


def test_corrupt_audio_is_reported_by_name(corpus, tmp_path):
    rows = [json.loads(line) for line in open(corpus)]
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"garbage")
    rows = [dict(r, path=str(broken)) if r["kind"] == "event" and i % 2 else r for i, r in enumerate(rows)]
    m = tmp_path / "m.jsonl"
    m.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = run(str(m), tmp_path / "out", 4)
    assert summary["complete"] == 4 and summary["stats"]["bad_clips"] > 0
    assert any("broken.flac" in p for p in summary["clip_problems"])


@pytest.mark.slow
def test_kill_and_resume_with_workers(corpus, tmp_path):
    """SIGKILL a real multi-process render part-way, then resume it to the same result as a clean run."""
    out = tmp_path / "out"
    code = (f"from flamkit.data.synth.render import render_dataset\n"
            f"if __name__ == '__main__':\n"
            f"    render_dataset({corpus!r}, {corpus!r}, 400, {str(out)!r}, seed=5, sample_rate={SR}, "
            f"shard_size=4, workers=2, progress=False)\n")
    script = tmp_path / "job.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=os.getcwd(), OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        n_done = sum(f.endswith(".json") for _, _, fs in os.walk(out / "audio") for f in fs) if (out / "audio").exists() else 0
        if n_done >= 20:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "labels.tsv").exists()
    summary = run(corpus, out, 400, workers=2)
    assert summary["already_done"] >= 20 and summary["complete"] == 400
    fresh = tmp_path / "fresh"
    run(corpus, fresh, 400)
    a, b = snapshot(out), snapshot(fresh)
    assert a[0] == b[0] and a[1] == b[1]
    assert all(np.array_equal(a[2][k], b[2][k]) for k in b[2])
