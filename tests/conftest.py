import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True, scope="session")
def _core_components():
    """Register flamkit's core components once, as every flamkit entry point does."""
    import torch

    torch.set_num_threads(1)
    import flamkit.components  # noqa: F401
