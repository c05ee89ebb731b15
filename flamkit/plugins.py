"""Plugin discovery: entry points of the group ``flamkit.plugins`` and config-listed modules.

A plugin is an installable package whose entry point names either a module (importing it runs its
``@REGISTRY.register`` decorators) or a callable taking no arguments (called once after import, for
plugins that register programmatically). In-repo plugins that are not installed can instead be listed
in the config under ``plugins: [module.path, ...]``.

This module loads plugins only. flamkit's own components register when the module that builds them
is imported (:mod:`flamkit.models.flam` imports the encoders, :mod:`flamkit.data.build` the sources,
...); :mod:`flamkit.components`, at the top of the layers, imports all of them at once for the
commands that list or check every kind. So this module, in the base layer, imports no component.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
from dataclasses import dataclass
from typing import Iterable

from flamkit import registry

ENTRY_POINT_GROUP = "flamkit.plugins"
_LOADED: dict[str, "PluginInfo"] = {}


class PluginError(RuntimeError):
    pass


@dataclass(frozen=True)
class PluginInfo:
    name: str  # entry-point name (or the module path for config-listed modules)
    target: str  # "module" or "module:callable"
    distribution: str  # installing distribution, "" for config-listed modules


def _load_target(name: str, target: str, source: str) -> None:
    registry._LOADING_SOURCE.append(source)
    try:
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        if attr:
            obj = module
            for part in attr.split("."):
                obj = getattr(obj, part)
            if callable(obj):
                obj()
    except Exception as exc:  # a broken plugin must be named, not swallowed
        raise PluginError(
            f"plugin {name!r} ({target}) failed to load: {type(exc).__name__}: {exc}. "
            f"Fix or uninstall it (pip uninstall {source}) and try again."
        ) from exc
    finally:
        registry._LOADING_SOURCE.pop()


def discover(modules: Iterable[str] = ()) -> list[PluginInfo]:
    """Load every installed ``flamkit.plugins`` entry point, then ``modules``; return what loaded."""
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _LOADED:
            continue
        dist = ep.dist.name if ep.dist is not None else ep.name
        _load_target(ep.name, ep.value, dist)
        _LOADED[ep.name] = PluginInfo(ep.name, ep.value, dist)
    for module in modules:
        if module in _LOADED:
            continue
        _load_target(module, module, module.split(".")[0])
        _LOADED[module] = PluginInfo(module, module, "")
    return list(_LOADED.values())


def loaded() -> list[PluginInfo]:
    return list(_LOADED.values())
