"""Registered data sources; importing this package registers them all (``flamkit.components`` does)."""

from flamkit.data.sources import audio_text, embedded, sed_strong, synthetic  # noqa: F401
