"""Shared fixture: a WordNet database in the real file format, written once per module."""

from __future__ import annotations

import pytest

from flamkit.data.corpora.wordnet import WordNet
from tests.data.corpora.fake_wordnet import write_fake_wordnet


@pytest.fixture(scope="module")
def wn(tmp_path_factory: pytest.TempPathFactory) -> WordNet:
    return WordNet(write_fake_wordnet(tmp_path_factory.mktemp("wordnet")))
