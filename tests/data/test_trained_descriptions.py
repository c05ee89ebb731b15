"""The descriptions a run trained on: listed from its config (the SED stream's sources), and the
run folder's descriptions.json that carries them to inference (query expansion)."""

import json

import pytest
from omegaconf import OmegaConf

from flamkit.config.compose import compose
from flamkit.data.sources.embedded import EmbeddedSource
from flamkit.data.trained_descriptions import read_descriptions, trained_descriptions, write_descriptions
from flamkit.textids import normalize_text


def _source_descriptions(split: str) -> set[str]:
    src = EmbeddedSource(mode="sed", split=split, sample_rate=16000, clip_seconds=10.0)
    return {normalize_text(t) for t in src.descriptions()}


def test_lists_the_sed_sources_descriptions_and_no_held_out_one():
    cfg = compose("quickstart")
    texts = trained_descriptions(cfg, 16000, float(cfg.data.clip_seconds))
    assert texts == sorted(_source_descriptions("train"))
    assert not set(texts) & _source_descriptions("heldout")  # the quickstart's unseen descriptions stay unseen
    assert all(t == normalize_text(t) for t in texts)


def test_disabled_sources_and_configs_without_a_sed_stream_list_nothing():
    cfg = compose("quickstart", ["data.streams.sed.sources.mix.weight=0"])
    assert trained_descriptions(cfg, 16000, 10.0) == []
    assert trained_descriptions(OmegaConf.create({"model": {}}), 16000, 10.0) == []


def test_file_round_trip_and_bad_files_name_themselves(tmp_path):
    assert read_descriptions(tmp_path) is None
    path = write_descriptions(tmp_path, ["a dog barking", "rain"])
    assert read_descriptions(tmp_path) == ["a dog barking", "rain"]
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match=f"{path}: not a descriptions file"):
        read_descriptions(tmp_path)
    path.write_text(json.dumps({"descriptions": ["ok", 3]}))
    with pytest.raises(ValueError, match="must be a list of strings; delete it"):
        read_descriptions(tmp_path)
