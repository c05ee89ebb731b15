"""``import flamkit`` stays cheap; ``flamkit.load`` is resolved on first use."""

import subprocess
import sys


def test_import_is_cheap_and_load_is_lazy():
    code = (
        "import sys, flamkit; assert 'torch' not in sys.modules, 'import flamkit pulled in torch'; "
        "load = flamkit.load; assert 'torch' in sys.modules and load.__module__ == 'flamkit.inference.detector'; "
        "import pytest\n"
        "with pytest.raises(AttributeError): flamkit.nothing"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
