"""How well frozen audio features transfer to unseen labels through the text space, without FLAM.

Every debian-sfx event clip is placed at the start of a 10 s clip of silence, and each frozen trunk's
features are averaged over the frames the event covers: aisfx's trunk (``A``), the Whisper-base
companion (``W``), both side by side (``A+W``). A ridge map from standardised features to MiniLM's
L2-normalised label embeddings is fitted on the train events; each event is then scored against
every label of its set by cosine, and the score is the mean over labels of the one-vs-rest AUROC
across events (ties count half). The ridge strength is chosen on three 15 % splits of the train
labels (held out of the fit); ``dev`` (79 labels never trained on) is scored once with it.

    python experiments/probes/text_ridge.py --out /tmp/text_ridge     # 10 min 42 s on 2 cores

It is a quick screen for an encoder, not a result: FLAM trains an adapter and projections on
mixtures, frame by frame (docs/results.md, fourteenth session, for what the screen predicted and
what FLAM then did).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import torch

LAMBDAS = (0.1, 1.0, 10.0)
CLIP_SECONDS = 10.0


def ridge_fit(x: np.ndarray, y: np.ndarray, lam: float):
    """Standardise ``x`` on the fit set, then ``argmin |Xs W - Y|^2 + lam * n * |W|^2`` in closed form."""
    mu, sd = x.mean(0), x.std(0) + 1e-6
    xs = (x - mu) / sd
    w = np.linalg.solve(xs.T @ xs + lam * len(x) * np.eye(x.shape[1]), xs.T @ y)
    return lambda z: ((z - mu) / sd) @ w


def label_mean_auroc(pred: np.ndarray, labels: np.ndarray, embed: dict[str, np.ndarray]) -> float:
    """Mean over the set's labels of the AUROC of ``cos(pred, label)`` for that label's events against the rest."""
    cand = sorted(set(labels))
    scores = pred @ np.stack([embed[c] for c in cand]).T
    out = []
    for j, c in enumerate(cand):
        pos, neg = scores[labels == c, j], scores[labels != c, j]
        if len(pos) and len(neg):
            out.append((pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean())
    return float(np.mean(out))


def select_and_score(x: np.ndarray, split: np.ndarray, labels: np.ndarray, embed: dict[str, np.ndarray]) -> tuple[float, float, float]:
    """``(lambda, held-out mean AUROC at it, dev AUROC at it)``."""
    y = np.stack([embed[l] for l in labels])
    train_labels = sorted(set(labels[split == "train"]))
    held = np.zeros(len(LAMBDAS))
    for seed in range(3):
        ho = np.random.default_rng(seed).choice(train_labels, int(0.15 * len(train_labels)), replace=False)
        fit = (split == "train") & ~np.isin(labels, ho)
        val = (split == "train") & np.isin(labels, ho)
        held += [label_mean_auroc(ridge_fit(x[fit], y[fit], lam)(x[val]), labels[val], embed) for lam in LAMBDAS]
    best = int(np.argmax(held))
    tr, dv = split == "train", split == "dev"
    dev = label_mean_auroc(ridge_fit(x[tr], y[tr], LAMBDAS[best])(x[dv]), labels[dv], embed)
    return LAMBDAS[best], float(held[best] / 3), dev


def features(root: Path) -> dict[str, np.ndarray]:
    from flamkit.data.audio_io import load_audio
    from flamkit.models.audio.aisfx import SAMPLE_RATE, AisfxEncoder

    enc = AisfxEncoder(frames=50, companion="whisper_base").eval()
    n = int(SAMPLE_RATE * CLIP_SECONDS)
    rows = [(s, r["label"], r["path"]) for s in ("train", "dev")
            for r in csv.DictReader(open(root / "manifests" / f"{s}.csv")) if r["kind"] == "event"]
    a, w = [], []
    for i, (_, _, path) in enumerate(rows):
        audio = load_audio(path, SAMPLE_RATE)[:n]
        covered = max(1, round(len(audio) / n * enc.native_frames))
        clip = torch.from_numpy(np.pad(audio, (0, n - len(audio))))[None]
        with torch.no_grad():
            a.append(enc.trunk_features(clip)[0, :, :covered].mean(1).numpy())
            w.append(enc.companion_features(clip)[0, :, :covered].mean(1).numpy())
        if i % 500 == 0:
            print(f"{i}/{len(rows)} clips", flush=True)
    return {"A": np.stack(a), "W": np.stack(w), "split": np.array([r[0] for r in rows]), "label": np.array([r[1] for r in rows])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from flamkit.data.corpora.debian_extra import default_dir

    ap.add_argument("--root", type=Path, default=default_dir("FLAMKIT_DEBIAN_SFX", "debian-sfx"), help="the debian-sfx corpus")
    ap.add_argument("--out", type=Path, required=True, help="folder for features.npz (reused when present)")
    args = ap.parse_args()
    torch.manual_seed(0)
    args.out.mkdir(parents=True, exist_ok=True)
    cached = args.out / "features.npz"
    f = dict(np.load(cached)) if cached.exists() else features(args.root)
    if not cached.exists():
        np.savez(cached, **f)
    from flamkit.models.text.hf import minilm_text_encoder

    names = sorted(set(f["label"]))
    with torch.no_grad():
        e = minilm_text_encoder().eval()(names).numpy().astype(np.float64)
    embed = dict(zip(names, e / np.linalg.norm(e, axis=1, keepdims=True)))
    for name, x in (("A", f["A"]), ("W", f["W"]), ("A+W", np.concatenate([f["A"], f["W"]], 1))):
        lam, held, dev = select_and_score(x.astype(np.float64), f["split"], f["label"], embed)
        print(f"{name:4s} lambda {lam:g}  held-out train labels {held:.3f}  dev {dev:.3f}")


if __name__ == "__main__":
    main()
