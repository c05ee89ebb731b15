"""Registered augmenters; importing this package registers them all (:mod:`flamkit.data.build` does)."""

from flamkit.data.augment import caption, mixture, sr_degrade  # noqa: F401
