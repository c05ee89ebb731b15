from omegaconf import OmegaConf

from flamkit.run_identity import followers, record_followers
from flamkit.train.rundir import config_delta, config_hash, readable, run_folder


def _cfg(**kw):
    base = {"experiment": "e", "seed": 0, "model": {"frames": 32}, "train": {"max_steps": 10, "log_every": 5},
            "run": {"root": "runs", "name": None}, "data": {"num_workers": 0}}
    cfg = OmegaConf.create(base)
    for k, v in kw.items():
        OmegaConf.update(cfg, k, v)
    return cfg


def test_hash_ignores_logging_paths_and_workers():
    a = _cfg()
    assert config_hash(a) == config_hash(_cfg(**{"train.log_every": 99, "run.root": "/elsewhere", "data.num_workers": 8}))
    assert config_hash(a) != config_hash(_cfg(**{"model.frames": 128}))
    assert config_hash(a) != config_hash(_cfg(seed=1))


def test_same_config_finds_its_folder_and_other_config_gets_another(tmp_path):
    ref = _cfg(**{"run.root": str(tmp_path)})
    cfg = _cfg(**{"run.root": str(tmp_path), "model.frames": 128})
    folder = run_folder(cfg, ref)
    assert folder.parent == tmp_path / "e" and folder.name == f"frames-128-{config_hash(cfg)}"
    folder.mkdir(parents=True)
    again = _cfg(**{"run.root": str(tmp_path), "model.frames": 128, "train.log_every": 1, "run.name": "renamed"})
    assert run_folder(again, ref) == folder  # same identity -> same folder, whatever the name
    other = run_folder(_cfg(**{"run.root": str(tmp_path), "model.frames": 64}), ref)
    assert other != folder


def test_delta_and_readable():
    ref, cfg = _cfg(), _cfg(**{"model.frames": 128, "seed": 3})
    assert config_delta(cfg, ref) == {"model.frames": 128, "seed": 3}
    assert readable(config_delta(cfg, ref)) == "frames-128+seed-3"
    assert readable({}) == "default"


def _composed(base: dict, **kw):
    """Like compose(): followers recorded on the unresolved config, then overrides, then resolution."""
    cfg = OmegaConf.create(base)
    for k, v in kw.items():
        OmegaConf.update(cfg, k, v)
    record_followers(cfg)
    OmegaConf.resolve(cfg)
    return cfg


def test_a_change_is_named_once_where_it_was_made():
    """Keys that follow a changed key by interpolation stay out of the name (they are still hashed)."""
    base = {"experiment": "e", "seed": 0, "run": {"root": "runs", "name": None},
            "data": {"holdout": {"seed": 0}, "train": {"holdout_seed": "${data.holdout.seed}"},
                     "val": {"holdout_seed": "${data.holdout.seed}", "fixed": "${seed}"}}}
    ref = _composed(base)
    cfg = _composed(base, **{"data.holdout.seed": 1})
    assert cfg.data.train.holdout_seed == 1 and followers(cfg)["data.train.holdout_seed"] == "data.holdout.seed"
    assert config_delta(cfg, ref) == {"data.holdout.seed": 1}
    assert readable(config_delta(cfg, ref)) == "seed-1"
    # a key set by hand instead of following is named; so is one whose source did not change
    rewired = _composed(base, **{"data.train.holdout_seed": 5})
    assert config_delta(rewired, ref) == {"data.train.holdout_seed": 5}
    both = _composed(base, **{"data.holdout.seed": 1, "seed": 1})
    assert config_delta(both, ref) == {"data.holdout.seed": 1, "seed": 1}  # data.val.fixed follows seed
    assert readable(config_delta(both, ref)) == "holdout.seed-1+seed-1"
    # without the recorded map (a copy, a config read back from disk) every changed key is named
    assert config_delta(cfg.copy(), ref) == {"data.holdout.seed": 1, "data.train.holdout_seed": 1,
                                             "data.val.holdout_seed": 1}
    assert config_hash(cfg) == config_hash(cfg.copy()) != config_hash(ref)


def test_composed_holdout_seed_is_named_once():
    from flamkit.config.compose import compose

    ref = compose("flam_global", ["size=cpu_pretrained", "data=debian_sfx"])
    cfg = compose("flam_global", ["size=cpu_pretrained", "data=debian_sfx", "data.holdout.seed=1", "seed=2"])
    assert config_delta(cfg, ref) == {"data.holdout.seed": 1, "seed": 2}  # not one part per stream


def test_readable_names_use_the_shortest_unambiguous_key_tail():
    assert readable({"data.holdout.seed": 1, "seed": 1}) == "holdout.seed-1+seed-1"
    assert readable({"a.x.lr": 1, "b.x.lr": 2, "model.frames": 64}) == "a.x.lr-1+b.x.lr-2+frames-64"
    assert readable({"model.frames": 64}) == "frames-64"


def test_default_pooling_keeps_the_hash_of_configs_from_before_poolings():
    """model.pooling joined the schema later; at its default (the mean) old runs keep their folders."""
    before = _cfg()
    assert config_hash(before) == config_hash(_cfg(**{"model.pooling": {"name": "mean"}}))
    assert config_hash(before) != config_hash(_cfg(**{"model.pooling": {"name": "codebook"}}))
    assert config_hash(before) != config_hash(_cfg(**{"model.pooling": {"name": "mean", "extra": 1}}))


def test_a_run_folder_passes_back_as_an_unquoted_override(tmp_path):
    """Users paste the printed folder into ``flam_global=...``: the name must survive Hydra's grammar."""
    from flamkit.config.compose import compose

    ref = compose("flam_global", [])
    cfg = compose("flam_global", ["size=cpu", "optim.lr=1e-4", "seed=3", f"run.root={tmp_path}"])
    folder = run_folder(cfg, ref)
    assert "=" not in folder.name and "," not in folder.name and folder.name.startswith("flam_batch-16+")
    flam = compose("flam", [f"flam_global={folder}", "size=cpu"])
    assert flam.train.init_from == str(folder)


def test_aisfx_trunk_options_at_the_package_defaults_keep_old_hashes():
    """model.audio.layers and mel_pool joined aisfx later; at [4] and mean, aisfx runs keep their folders."""
    before = _cfg(**{"model.audio": {"name": "aisfx"}})
    same = _cfg(**{"model.audio": {"name": "aisfx", "layers": [4], "mel_pool": "mean"}})
    assert config_hash(before) == config_hash(same)
    assert config_hash(before) != config_hash(_cfg(**{"model.audio": {"name": "aisfx", "layers": [3, 4], "mel_pool": "mean"}}))
    assert config_hash(before) != config_hash(_cfg(**{"model.audio": {"name": "aisfx", "layers": [4], "mel_pool": "mean_max"}}))
