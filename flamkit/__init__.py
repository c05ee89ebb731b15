"""flamkit: a research framework for FLAM (frame-wise language-audio modeling, ICML 2025).

Import cost is kept low: heavy submodules (models, data, training) load on first use.
"""

__version__ = "0.1.0"
