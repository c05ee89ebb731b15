"""Registered augmenters; importing this package registers them all (``flamkit.components`` does)."""

from flamkit.data.augment import caption, mixture, sr_degrade  # noqa: F401
