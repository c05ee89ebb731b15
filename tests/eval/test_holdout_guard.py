"""The held-out guard: an evaluation of held-out labels refuses a run that trained on them."""

from omegaconf import OmegaConf

from flamkit.config.compose import compose
from flamkit.eval.configs import load_eval_config
from flamkit.eval.holdout_guard import holdout_conflicts

MANIFEST = "/corpus/manifests/train.jsonl"


def _eval(seed=0, fraction=0.15, part="holdout", events=MANIFEST):
    return {"holdout": {"name": "sed", "source": {"name": "sed_synthetic", "events": events, "backgrounds": events,
                                                  "holdout": {"fraction": fraction, "seed": seed, "part": part}}}}


def _run(holdout=None, manifest=MANIFEST, weight=1.0):
    source = {"name": "sed_synthetic", "events": manifest, "weight": weight}
    if holdout is not None:
        source["holdout"] = {**holdout, "part": "train"}
    return {"data": {"streams": {"sed": {"sources": {"mix": source}}}}}


def test_the_same_split_passes_and_another_split_is_refused_with_the_fix():
    assert holdout_conflicts(_eval(seed=1), _run({"fraction": 0.15, "seed": 1}), "RUN") == []
    [msg] = holdout_conflicts(_eval(seed=0), _run({"fraction": 0.15, "seed": 1}), "RUN")
    assert "'holdout'" in msg and "seed: 0" in msg and "seed: 1" in msg and MANIFEST in msg
    assert "holdout.source.holdout.seed=1" in msg and "data.streams.sed.sources.mix" in msg
    assert holdout_conflicts(_eval(fraction=0.2), _run({"fraction": 0.15, "seed": 0}), "RUN")  # fraction too


def test_a_run_that_trained_on_every_label_is_refused():
    [msg] = holdout_conflicts(_eval(), _run(None), "RUN")
    assert "every label" in msg and "data.holdout" in msg


def test_unrelated_sources_and_tasks_are_not_checked():
    assert holdout_conflicts(_eval(), _run(None, manifest="/other/train.jsonl"), "RUN") == []  # another manifest
    assert holdout_conflicts(_eval(), _run(None, weight=0.0), "RUN") == []  # a source switched off
    assert holdout_conflicts(_eval(part="train"), _run(None), "RUN") == []  # not a held-out task
    dev = {"dev": {"name": "sed", "source": {"name": "sed_synthetic", "events": "/corpus/manifests/dev.jsonl"}}}
    assert holdout_conflicts(dev, _run(None), "RUN") == []
    assert holdout_conflicts(_eval(events="~/c/train.jsonl"), _run(None, manifest="~/c/./train.jsonl"), "RUN")  # same file


def test_the_shipped_holdout_eval_against_composed_runs():
    """eval=debian_sfx_holdout against data=debian_sfx runs: every task checks, overrides fix it."""
    eval_cfg, _ = load_eval_config("debian_sfx_holdout")
    plain = OmegaConf.to_container(eval_cfg, resolve=True)

    def run(*overrides):
        return OmegaConf.to_container(compose("flam", ["size=cpu_pretrained", "data=debian_sfx", *overrides]), resolve=True)

    tasks = [t for t in plain if not t.startswith("_")]
    assert len(tasks) == 4 and holdout_conflicts(plain, run(), "RUN") == []
    conflicts = holdout_conflicts(plain, run("data.holdout.seed=1"), "RUN")
    assert len(conflicts) == 4 and all("_holdout.seed=1" in c for c in conflicts)  # the one shared override
    for fix in (["_holdout.seed=1"], [f"{t}.source.holdout.seed=1" for t in tasks]):
        fixed, _ = load_eval_config("debian_sfx_holdout", fix)
        assert holdout_conflicts(OmegaConf.to_container(fixed, resolve=True), run("data.holdout.seed=1"), "RUN") == []


def test_the_seen_label_eval_scores_the_training_part_and_is_not_refused():
    """eval=debian_sfx_seen measures the ceiling on trained labels on purpose: the guard lets it through."""
    eval_cfg, _ = load_eval_config("debian_sfx_seen")
    plain = OmegaConf.to_container(eval_cfg, resolve=True)
    tasks = {k: v for k, v in plain.items() if not k.startswith("_")}
    assert sorted(tasks) == ["seen", "seen_open"]
    assert all(t["source"]["holdout"] == {"fraction": 0.15, "seed": 0, "part": "train"} for t in tasks.values())
    run = OmegaConf.to_container(compose("flam", ["size=cpu_pretrained", "data=debian_sfx"]), resolve=True)
    assert holdout_conflicts(plain, run, "RUN") == []
    assert load_eval_config("debian_sfx_seen", ["_holdout.seed=1"])[0].seen.source.holdout.seed == 1


def _write(path, labels):
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"path": f"/a/{i}.flac", "label": lab, "kind": "event"}) + "\n"
                            for i, lab in enumerate(labels)))
    return str(path)


def _unseen_eval(events):
    task = {"name": "sed", "source": {"name": "sed_synthetic", "events": events, "backgrounds": events}}
    return {"_unseen": ["new"], "new": task, "other": task}


def test_unseen_tasks_refuse_a_run_that_trained_on_their_labels(tmp_path):
    from flamkit.eval.holdout_guard import eval_conflicts, unseen_conflicts

    new = _write(tmp_path / "extra" / "new.jsonl", ["Rooster crowing", "toilet flushing"])
    base = _write(tmp_path / "sfx" / "train.jsonl", ["cow mooing", "dog barking"])
    plus = _write(tmp_path / "extra" / "plus.jsonl", ["cow mooing", "rooster crowing "])
    assert unseen_conflicts(_unseen_eval(new), _run(None, manifest=base), "RUN") == []
    [msg] = unseen_conflicts(_unseen_eval(new), _run(None, manifest=plus), "RUN")  # case and spaces do not hide it
    assert "'new'" in msg and "1 of them" in msg and "'rooster crowing'" in msg and "data.streams.sed.sources.mix" in msg
    assert eval_conflicts(_unseen_eval(new), _run(None, manifest=plus), "RUN") == [msg]
    # the run's own hold-out counts: a label it held out was not trained on
    held = next(s for s in range(50) if _run_holds_out("rooster crowing", s))
    assert unseen_conflicts(_unseen_eval(new), _run({"fraction": 0.5, "seed": held}, manifest=plus), "RUN") == []
    # a task not listed under _unseen is not checked; a listed name that is no task is an error
    assert unseen_conflicts({"other": _unseen_eval(new)["new"]}, _run(None, manifest=plus), "RUN") == []
    [bad] = unseen_conflicts({"_unseen": ["nope"], "new": _unseen_eval(new)["new"]}, _run(None, manifest=plus), "RUN")
    assert "'nope'" in bad and "['new']" in bad


def _run_holds_out(label, seed):
    from flamkit.data.label_holdout import LabelHoldout

    return LabelHoldout(0.5, seed, "holdout").held_out(label)


def test_dev_and_extra_evals_declare_their_tasks_unseen():
    for name, tasks in (("debian_sfx_dev", ["dev", "dev_open"]), ("debian_extra_new", ["new", "new_open"]),
                        ("debian_extra_holdout", ["holdout", "holdout_open"])):
        cfg, _ = load_eval_config(name, [])
        assert list(cfg._unseen) == tasks


def test_held_out_task_refuses_a_run_whose_superset_manifest_held_out_another_split(tmp_path):
    """data=debian_sfx_plus trains on train_plus.jsonl (every train.jsonl row and more): the paths differ,
    so the split check cannot pair them, and the labels must."""
    from flamkit.eval.holdout_guard import eval_conflicts

    labels = [f"sound {i}" for i in range(40)]
    base = _write(tmp_path / "sfx" / "train.jsonl", labels)
    plus = _write(tmp_path / "extra" / "train_plus.jsonl", labels + ["rooster crowing"])
    held = _eval(seed=0, fraction=0.3, events=base)
    assert eval_conflicts(held, _run({"fraction": 0.3, "seed": 0}, manifest=plus), "RUN") == []  # the same split
    [msg] = eval_conflicts(held, _run({"fraction": 0.3, "seed": 1}, manifest=plus), "RUN")  # another split
    assert "'holdout'" in msg and "_holdout.seed=N" in msg
    # the same manifest on both sides still gets the split check's message, with its exact fix
    [same] = eval_conflicts(held, _run({"fraction": 0.3, "seed": 1}, manifest=base), "RUN")
    assert "holdout.source.holdout.seed=1" in same
