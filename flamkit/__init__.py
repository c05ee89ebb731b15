"""flamkit: a research framework for FLAM (frame-wise language-audio modeling, ICML 2025).

Import cost is kept low: heavy submodules (models, data, training) load on first use.
"""

__version__ = "0.1.0"

__all__ = ["load", "__version__"]


def __getattr__(name: str):
    """``flamkit.load`` imports the inference stack (torch, the models) only when first used."""
    if name == "load":
        from flamkit.inference.detector import load

        return load
    raise AttributeError(f"module 'flamkit' has no attribute {name!r}")
