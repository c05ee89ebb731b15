import json

import numpy as np
import pytest
import soundfile as sf
import torch
from omegaconf import OmegaConf

from flamkit.eval.metrics.classification import zero_shot_accuracy
from flamkit.eval.metrics.retrieval import retrieval_metrics
from flamkit.eval.tasks.base import EvalContext, EvalInputError
from flamkit.eval.tasks.retrieval import RetrievalTask, ZeroShotTask
from flamkit.models.flam import build_model
from tests.eval import tone_model as tm

# one tone per clip, at different times and lengths; all 10 s so the model's own clip embedding applies
CLIPS = {
    "a.wav": [(1.0, 4.0, "beep")],
    "b.wav": [(2.0, 9.0, "buzz")],
    "c.wav": [(0.0, 2.0, "whistle")],
    "d.wav": [(5.0, 6.0, "beep")],
    "e.wav": [(3.0, 8.0, "whistle")],
}
CAPTIONS = {"a.wav": ["a beep", "short beep"], "b.wav": ["a long buzz"], "c.wav": ["whistle", "a whistle", "whistle at start"],
            "d.wav": ["beep in the middle"], "e.wav": ["whistle again"]}


def ctx(model):
    return EvalContext(model, batch_size=2, log=lambda m: None)


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ret")
    for name, events in CLIPS.items():
        sf.write(folder / name, tm.tone_audio(events, 10.0, noise=0.002), tm.SR)
    return folder


def random_model(seed=5):
    torch.manual_seed(seed)
    return build_model(OmegaConf.create(tm.model_config())).eval()


def _embeddings(model, folder, names):
    with torch.no_grad():
        return np.stack([model.encode_audio(torch.from_numpy(sf.read(folder / n, dtype="float32")[0])[None]).clip[0].numpy() for n in names])


def test_retrieval_equals_metrics_on_the_models_own_embeddings_and_reports_bad_rows(audio):
    manifest = audio / "captions.jsonl"
    rows = [{"path": n, "captions": CAPTIONS[n]} for n in CLIPS]
    rows.insert(2, {"path": "missing.wav", "caption": "nothing"})
    rows.append({"path": "a.wav", "caption": ""})  # a row without caption: a distractor
    manifest.write_text("\n".join(json.dumps(r) for r in rows))
    model = random_model()
    r = RetrievalTask(str(manifest)).run(ctx(model))
    names = [n for n in CLIPS] + ["a.wav"]
    caps = [c for n in CLIPS for c in CAPTIONS[n]]
    owner = np.array([i for i, n in enumerate(CLIPS) for _ in CAPTIONS[n]])
    with torch.no_grad():
        text = model.encode_text(caps).emb.numpy()
    ref = retrieval_metrics(text.astype(np.float64) @ _embeddings(model, audio, names).T.astype(np.float64), owner)
    assert r.scalars == pytest.approx({k: v for k, v in ref.items() if not k.startswith("n_")}, abs=1e-6)
    assert set(r.scalars) == {f"{d}_{m}" for d in ("t2a", "a2t") for m in ("R@1", "R@5", "R@10", "mAP@10")}
    assert r.details["n_missing_audio"] == 1 and r.details["n_uncaptioned"] == 1
    text_msgs = " ".join(r.messages)
    assert "missing.wav" in text_msgs and "no caption" in text_msgs


def test_oracle_retrieval_with_clotho_style_csv(tmp_path):
    # tones over the whole clip: the clip embedding (mean of frames) is then dominated by the tone
    for name in tm.NAMES:
        sf.write(tmp_path / f"{name}.wav", tm.tone_audio([(0.0, 10.0, name)], 10.0), tm.SR)
    manifest = tmp_path / "clotho.csv"
    lines = ["file_name,caption_1,caption_2"] + [f"{n}.wav,{n} sound,the {n}" for n in tm.NAMES]
    manifest.write_text("\n".join(lines) + "\n")
    r = RetrievalTask(str(manifest), path_column="file_name").run(ctx(tm.build_oracle()))
    assert r.scalars["t2a_R@1"] == 1.0 and r.scalars["a2t_R@1"] == 1.0 and r.scalars["a2t_mAP@10"] == 1.0
    assert r.details["n_captions"] == 6


@pytest.mark.parametrize("template", ["{}", "the sound of {}"])
def test_zero_shot_oracle_is_perfect_and_inverted_is_zero(audio, template):
    manifest = audio / "labels.csv"
    labels = {n: events[0][2] for n, events in CLIPS.items()}
    manifest.write_text("path,label\n" + "".join(f"{n},{lab}\n" for n, lab in labels.items()) + "gone.wav,beep\nb.wav,\nc.wav,siren\n")
    good = ZeroShotTask(str(manifest), classes=list(tm.NAMES), prompt_template=template).run(ctx(tm.build_oracle()))
    bad = ZeroShotTask(str(manifest), classes=list(tm.NAMES), prompt_template=template).run(ctx(tm.build_oracle(inverted=True)))
    assert good.scalars["top1"] == 1.0 and good.scalars["balanced_top1"] == 1.0
    assert bad.scalars["top1"] == 0.0
    assert good.details["prompts"]["beep"] == template.format("beep")
    assert good.details["n_missing_audio"] == 1 and good.details["n_unlabeled"] == 1 and good.details["n_unknown_label"] == 1
    assert good.details["n_clips"] == len(CLIPS)
    text = " ".join(good.messages)
    assert "gone.wav" in text and "'siren'" in text and "without a 'label'" in text


def test_zero_shot_equals_accuracy_on_the_models_embeddings(audio):
    manifest = audio / "labels.jsonl"
    manifest.write_text("\n".join(json.dumps({"path": n, "label": ev[0][2]}) for n, ev in CLIPS.items()))
    model = random_model(9)
    r = ZeroShotTask(str(manifest), prompt_template="the sound of {}").run(ctx(model))
    classes = sorted(tm.NAMES)
    with torch.no_grad():
        text = model.encode_text([f"the sound of {c}" for c in classes]).emb.numpy()
    sim = _embeddings(model, audio, list(CLIPS)).astype(np.float64) @ text.T.astype(np.float64)
    ref = zero_shot_accuracy(sim, np.array([classes.index(ev[0][2]) for ev in CLIPS.values()]), classes)
    assert r.scalars == pytest.approx({k: ref[k] for k in ("top1", "top5", "balanced_top1")}, abs=1e-9)


def test_manifest_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "m.jsonl").write_text('{"path": "a.wav", "caption": "x"}\n{broken\n')
    with pytest.raises(EvalInputError, match=r"m.jsonl:2: invalid JSON"):
        RetrievalTask(str(tmp_path / "m.jsonl")).run(ctx(random_model()))
    with pytest.raises(EvalInputError, match="prompt_template"):
        ZeroShotTask(str(tmp_path / "m.jsonl"), prompt_template="no placeholder")
