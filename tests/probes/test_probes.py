"""The measurement scripts of experiments/probes: weight averaging, query expansion and clip fusion."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from flamkit.checkpoints import choose_checkpoint, is_valid, sha256
from flamkit.data.corpora.wordnet import WordNet
from tests.data.corpora.fake_wordnet import write_fake_wordnet

PROBES = Path(__file__).resolve().parents[2] / "experiments" / "probes"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PROBES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(root: Path, weights: dict[str, torch.Tensor]) -> Path:
    ckpt = root / "checkpoints" / "ckpt-00000150"
    ckpt.mkdir(parents=True)
    save_file(weights, str(ckpt / "model.safetensors"))
    (ckpt / "model.yaml").write_text("name: test\n")
    torch.save({"step": 150}, ckpt / "state.pt")
    (ckpt / "manifest.json").write_text(json.dumps({n: sha256(ckpt / n) for n in ("model.safetensors", "model.yaml", "state.pt")}))
    (root / "config.yaml").write_text("seed: 0\n")
    (root / "eval").mkdir()
    return root


def test_weight_average_is_the_mean_and_a_valid_run(tmp_path: Path) -> None:
    wa = _load("weight_average")
    a = _run(tmp_path / "a", {"w": torch.tensor([1.0, 2.0]), "n": torch.tensor([7])})
    b = _run(tmp_path / "b", {"w": torch.tensor([3.0, 6.0]), "n": torch.tensor([9])})
    target = wa.write_average(tmp_path / "soup", [a, b])
    assert is_valid(target)[0] and choose_checkpoint(tmp_path / "soup").folder == target
    got = load_file(str(target / "model.safetensors"))
    assert torch.equal(got["w"], torch.tensor([2.0, 4.0])) and torch.equal(got["n"], torch.tensor([7]))
    assert (tmp_path / "soup" / "config.yaml").is_file() and not (tmp_path / "soup" / "eval").exists()
    with pytest.raises(FileExistsError):
        wa.write_average(tmp_path / "soup", [a, b])
    c = _run(tmp_path / "c", {"w": torch.zeros(3), "n": torch.tensor([1])})
    with pytest.raises(ValueError, match="not one architecture"):
        wa.write_average(tmp_path / "soup2", [a, c])


def test_query_expansion_averages_each_query_with_its_paraphrases(tmp_path: Path) -> None:
    qx = _load("query_expansion")
    wn = WordNet(write_fake_wordnet(tmp_path / "wordnet"))
    seen: list[list[str]] = []

    def features(model: object, texts: list[str]) -> torch.Tensor:
        seen.append(texts)
        return torch.tensor([[float(len(t)), 1.0] for t in texts])

    out = qx.expanded(features, wn)(None, ["gong", "zebra"])
    assert seen[0][0] == "gong" and sorted(seen[0][1:]) == ["percussion instrument", "percussive instrument", "tam-tam"]
    assert seen[1] == ["zebra"]  # no paraphrase: the query alone
    assert torch.allclose(out, torch.tensor([[sum(map(len, seen[0])) / 4, 1.0], [5.0, 1.0]]))


def test_clip_fusion_gives_the_mixed_cosine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fused frames' cosine with a text equals (cos(frame) + lam cos(clip)) / (1 + lam), clip by clip (float64 loop)."""
    import numpy as np

    from flamkit.eval.inference import FrameEmbeddings, LengthReport

    cf = _load("clip_fusion")
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(7, 4))
    values = (raw / np.linalg.norm(raw, axis=1, keepdims=True)).astype(np.float32)
    offsets = np.array([0, 3, 7])
    emb = FrameEmbeddings(values, offsets, ("a", "b"), np.array([1.0, 1.0]), 0.2, LengthReport(10.0))
    monkeypatch.setattr(cf, "_embed_audio", lambda *a, **k: emb)
    monkeypatch.setattr(cf, "LAM", 0.5)
    fused = cf.fused()
    text = rng.normal(size=4)
    text /= np.linalg.norm(text)
    for i in range(2):
        frames = values[offsets[i] : offsets[i + 1]].astype(np.float64)
        mean = frames.mean(axis=0)
        clip = mean / np.linalg.norm(mean)
        for j, f in enumerate(frames):
            want = (f @ text + 0.5 * (clip @ text)) / 1.5
            assert abs(float(fused.clip(i)[j].astype(np.float64) @ text) - want) < 1e-6


def test_text_ridge_auroc_and_ridge_against_naive_references() -> None:
    probe = _load("text_ridge")
    rng = np.random.default_rng(0)
    labels = np.array(["a", "a", "b", "c", "c", "c", "b"])
    embed = {c: v / np.linalg.norm(v) for c, v in zip("abc", rng.standard_normal((3, 4)))}
    pred = rng.standard_normal((7, 4))
    pred[6] = pred[5]  # a tie, counted half
    expected = []
    for c in "abc":
        s = [float(p @ embed[c]) for p in pred]
        pairs = [(1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0)
                 for i in range(7) if labels[i] == c for j in range(7) if labels[j] != c]
        expected.append(sum(pairs) / len(pairs))
    assert probe.label_mean_auroc(pred, labels, embed) == pytest.approx(np.mean(expected), abs=1e-12)
    # Ridge: the closed form solves the penalised normal equations on standardised features.
    x, y, lam = rng.standard_normal((30, 5)), rng.standard_normal((30, 3)), 0.3
    z = rng.standard_normal((4, 5))
    xs = (x - x.mean(0)) / (x.std(0) + 1e-6)
    aug_x = np.vstack([xs, np.sqrt(lam * len(x)) * np.eye(5)])
    aug_y = np.vstack([y, np.zeros((5, 3))])
    w = np.linalg.lstsq(aug_x, aug_y, rcond=None)[0]
    np.testing.assert_allclose(probe.ridge_fit(x, y, lam)(z), ((z - x.mean(0)) / (x.std(0) + 1e-6)) @ w, atol=1e-10)
