"""Parsing sacct/squeue output, including array ranges and requeued jobs."""

from __future__ import annotations

from flamkit.slurm.jobs import base_id, parse_sacct, parse_squeue


def test_parse_sacct_expands_pending_array_ranges():
    text = "13_0|RUNNING|0:0|00:00:02|localhost\n13_[1-3%1]|PENDING|0:0|00:00:00|None assigned\n13_0.batch|RUNNING|0:0||\n"
    info = parse_sacct(text)
    assert sorted(info) == ["13_0", "13_1", "13_2", "13_3"]
    assert info["13_0"].state == "RUNNING" and info["13_0"].active and info["13_0"].nodes == "localhost"
    assert info["13_2"].state == "PENDING"


def test_parse_sacct_state_words_and_last_row_wins():
    text = "7|REQUEUED|0:0|00:00:05|localhost\n7|CANCELLED by 0|0:15|00:00:09|localhost\n9_[0,2-3]|FAILED|1:0||\n"
    info = parse_sacct(text)
    assert info["7"].state == "CANCELLED" and not info["7"].active and info["7"].exit_code == "0:15"
    assert sorted(k for k in info if k.startswith("9_")) == ["9_0", "9_2", "9_3"]


def test_parse_squeue():
    info = parse_squeue("13_[1-2]|PENDING|0:00|\n13_0|RUNNING|0:07|localhost\n")
    assert {k: v.state for k, v in info.items()} == {"13_0": "RUNNING", "13_1": "PENDING", "13_2": "PENDING"}
    assert info["13_0"].source == "squeue"


def test_base_id():
    assert base_id("123_4") == "123" and base_id("123") == "123"
