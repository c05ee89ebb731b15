"""The installed plugin end to end: `flamkit list` shows it; experiments/mga_clap is the paper's MGA-CLAP*;
a small variant trains on the CPU and evaluates like any core experiment."""

import json
import math
import subprocess
import sys

import pytest

from flamkit.cli import main
from flamkit.config.compose import compose
from flamkit.config.validate import validate

DIST = "flamkit-mga-clap"
NAMES = {
    "audio_encoder": "htsat_mga",
    "pooling": "mga_codebook",
    "head": "mga_projection",
    "loss": "mga_hard_negative",
    "schedule": "mga_warmup_cosine",
}


def test_flamkit_list_shows_the_components_under_the_plugins_name():
    out = subprocess.run([sys.executable, "-m", "flamkit.cli", "list", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for kind, name in NAMES.items():
        entry = {e["name"]: e for e in data["registries"][kind]}.get(name)
        assert entry is not None, f"{kind} {name!r} missing: is the plugin installed? (pip install -e plugins/mga_clap)"
        assert entry["source"] == DIST and entry["module"].startswith("flamkit_mga_clap.")
    assert {"name": "mga_clap", "target": "flamkit_mga_clap", "distribution": DIST} in data["plugins"]


def test_experiment_is_the_papers_mga_clap_star():
    cfg = compose("mga_clap", [])
    validate(cfg)
    m = cfg.model
    assert (m.audio.name, m.audio.sample_rate, m.audio.hop_length, m.audio.locality_aware) == ("htsat_mga", 32000, 320, True)
    assert (m.text.name, m.text.arch) == ("hf", "bert") and m.max_text_tokens == 77  # C.8: 77 tokens, not 30
    assert (m.pooling.name, m.pooling.entries, m.embed_dim, m.projection.name) == ("mga_codebook", 4096, 1024, "mga_projection")
    assert cfg.train.max_steps == 50000 and cfg.data.streams["global"].batch_size == 128  # C.8: 50,000 steps
    assert (cfg.optim.lr, list(cfg.optim.betas)) == (5e-5, [0.9, 0.999]) and cfg.sched.name == "mga_warmup_cosine"
    assert set(cfg.loss) == {"hard_negative"} and cfg.loss.hard_negative.beta == 0.15
    small = compose("mga_clap", ["size=cpu"])
    validate(small)
    assert small.model.audio.name == "htsat_mga" and small.model.audio.embed_dim == 16 and small.train.max_steps == small.budget.global_steps < 1000


def test_small_run_trains_and_evaluates(tmp_path, capsys):
    from flamkit.inference.loading import load_model
    from flamkit.train import loop

    overrides = ["size=cpu", "train.max_steps=3", "data.streams.global.batch_size=4", "data.val_clips=4",
                 "train.val_every=3", "train.ckpt_every=100", "train.log_every=1", f"run.root={tmp_path}"]
    result = loop.train(compose("mga_clap", overrides))
    assert result.step == 3 and result.exit_code == 0
    assert all(math.isfinite(v) for v in result.metrics.values()) and "val/frame_auroc" in result.metrics
    rc = main(["eval", f"checkpoint={result.run_dir}", "eval=embedded_heldout", "heldout.max_clips=4"])
    assert rc == 0, capsys.readouterr().err
    doc = json.loads((result.run_dir / "eval" / "embedded_heldout" / "metrics.json").read_text())
    assert 0.0 <= doc["scalars"]["heldout/unbiased/present_auroc"] <= 1.0
    model = load_model(result.run_dir)
    assert type(model.pooling).__name__ == "SharedCodebook" and not model.pools_by_mean  # retrieval uses the codebook
