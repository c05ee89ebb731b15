"""``validate(cfg)``: check a composed config against every component, core and plugin, before building.

The checks themselves are :mod:`flamkit.config.checks` (re-exported here); this module adds the one
thing they cannot do from the base layer: register every core component first
(:mod:`flamkit.components`), so that a script, a plugin's test or a command can validate any config
with nothing else imported. It is an entry point in the layers (docs/architecture.md); flamkit's own
modules below the command line call :func:`~flamkit.config.checks.check_config` after importing what
they build.
"""

from __future__ import annotations

from omegaconf import DictConfig

import flamkit.components  # noqa: F401  (every core component, whatever the config names)
from flamkit.config.checks import *  # noqa: F401,F403  (the checks, under their old import path)
from flamkit.config.checks import check_config


def validate(cfg: DictConfig) -> None:
    """Raise :class:`~flamkit.config.compose.ConfigError` listing every problem in ``cfg``; None when sound."""
    check_config(cfg)
