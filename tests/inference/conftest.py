import pytest

from tests.inference import rigged


@pytest.fixture(scope="session")
def rigged_ckpt(tmp_path_factory):
    """A checkpoint folder of the rigged model (tests/inference/rigged.py)."""
    return rigged.save_rigged_checkpoint(tmp_path_factory.mktemp("rigged") / "ckpt-00000001")
