"""Registered audio encoders; importing this package registers them all.

The catalogue of core audio encoders: a new one is a module in this folder, imported here.
:mod:`flamkit.models.flam` (which builds the configured encoder) imports this package.
"""

from flamkit.models.audio import aisfx, htsat, small_cnn  # noqa: F401
