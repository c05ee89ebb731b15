"""Registered data sources; importing this package registers them all (:mod:`flamkit.data.build` does)."""

from flamkit.data.sources import audio_text, embedded, sed_strong, synthetic  # noqa: F401
