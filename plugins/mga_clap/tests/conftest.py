"""The plugin's tests run with flamkit's core and every installed plugin loaded, as flamkit itself does."""

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True, scope="session")
def _flamkit_with_plugins():
    import torch

    torch.set_num_threads(1)
    from flamkit import plugins

    plugins.discover()
