"""Registered text encoders; importing this package registers them all.

The catalogue of core text encoders: a new one is a module in this folder, imported here.
:mod:`flamkit.models.flam` (which builds the configured encoder) imports this package.
"""

from flamkit.models.text import hf  # noqa: F401
