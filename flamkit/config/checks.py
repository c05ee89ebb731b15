"""Check a composed config against the registered components, without building anything.

This module checks against what is registered and imports no component (it is in the base layer, so
every layer may use it). :func:`flamkit.config.validate.validate`, for callers outside flamkit's
layers, first registers every core component; :func:`flamkit.train.loop.train` imports every kind
it builds and calls :func:`check_config`.

Every component node ``{name: ..., **kwargs}`` is looked up in its registry and its keyword
arguments are bound to the component's signature: unknown keys (with the closest allowed key),
missing required arguments, arguments flamkit injects itself, and values of the wrong simple type
are all reported at once, each with its config key. A sweep is validated point by point before
anything is submitted, so a typo fails in a second on the login node, not after hours in a queue.

A component whose arguments hold structure of their own (a ``synth:`` dict of synthesizer settings)
may expose ``config_problems(kwargs) -> list[str]`` (a static method): its sentences, each starting
with the key, are reported under the component's path like the signature's.
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from omegaconf import DictConfig, ListConfig, OmegaConf

from flamkit import plugins
from flamkit import registry as R
from flamkit.config.compose import ConfigError
from flamkit.registry import Registry, RegistryError

RESERVED = {"name"}


@dataclass(frozen=True)
class Slot:
    """Where a component sits in the config, which registry names it, and what flamkit passes itself."""

    path: str
    registry: Registry
    injected: frozenset[str] = frozenset()
    reserved: frozenset[str] = frozenset()  # keys consumed by flamkit, not passed to the component


# Arguments flamkit supplies when it builds each kind of component.
AUDIO_INJECTED = frozenset({"frames"})
TEXT_INJECTED = frozenset({"max_tokens"})
HEAD_INJECTED = frozenset({"in_dim", "out_dim"})
POOLING_INJECTED = frozenset({"dim"})
SOURCE_INJECTED = frozenset({"sample_rate", "clip_seconds"})
AUGMENTER_INJECTED = frozenset({"sample_rate", "clip_seconds"})
OPTIM_INJECTED = frozenset({"params"})
SCHED_INJECTED = frozenset({"optimizer", "max_steps"})
WEIGHTED = frozenset({"weight"})
EVAL_RESERVED = frozenset({"val"})  # eval node key read by flamkit: `val: false` keeps a task out of training validation


def eval_task_items(section: Any) -> Iterator[tuple[str, Any]]:
    """The tasks of an evaluation config: every entry except the ``_shared`` values tasks interpolate.

    An entry whose label starts with ``_`` holds values several tasks share (``_holdout: {seed: 0}``
    read as ``${_holdout.seed}``), so one override (``_holdout.seed=1``) changes all of them.
    """
    for label, node in (section or {}).items():
        if not str(label).startswith("_"):
            yield str(label), node


def is_disabled(node: Any) -> bool:
    """A weighted node with weight 0 is switched off: not validated, not built (ablations drop sources so)."""
    return isinstance(node, (dict, DictConfig)) and "weight" in node and float(node.get("weight")) == 0.0


def component_slots(cfg: DictConfig) -> Iterator[tuple[Slot, Any]]:
    """Every component node of ``cfg`` with its slot; the single map from config layout to registries."""
    model = cfg.get("model") or {}
    yield Slot("model.audio", R.AUDIO_ENCODERS, AUDIO_INJECTED), model.get("audio")
    yield Slot("model.text", R.TEXT_ENCODERS, TEXT_INJECTED), model.get("text")
    for key in ("projection", "scale", "bias"):
        yield Slot(f"model.{key}", R.HEADS, HEAD_INJECTED), model.get(key)
    if model.get("text_projection"):
        yield Slot("model.text_projection", R.HEADS, HEAD_INJECTED), model.get("text_projection")
    if model.get("pooling") is not None:  # configs saved before poolings existed have none: the mean
        yield Slot("model.pooling", R.POOLINGS, POOLING_INJECTED), model.get("pooling")
    for label, node in (cfg.get("loss") or {}).items():
        yield Slot(f"loss.{label}", R.LOSSES, reserved=WEIGHTED), node
    data = cfg.get("data") or {}
    for stream, scfg in (data.get("streams") or {}).items():
        for label, node in (scfg.get("sources") or {}).items():
            if is_disabled(node):
                continue
            yield Slot(f"data.streams.{stream}.sources.{label}", R.DATA_SOURCES, SOURCE_INJECTED, WEIGHTED), node
        for i, node in enumerate(scfg.get("augment") or []):
            yield Slot(f"data.streams.{stream}.augment[{i}]", R.AUGMENTERS, AUGMENTER_INJECTED), node
    for label, node in (data.get("val") or {}).items():
        yield Slot(f"data.val.{label}", R.DATA_SOURCES, SOURCE_INJECTED), node
    if cfg.get("optim"):
        yield Slot("optim", R.OPTIMIZERS, OPTIM_INJECTED), cfg.optim
    if cfg.get("sched"):
        yield Slot("sched", R.SCHEDULES, SCHED_INJECTED), cfg.sched
    for label, node in eval_task_items(cfg.get("eval")):
        yield Slot(f"eval.{label}", R.EVAL_TASKS, reserved=EVAL_RESERVED), node


def component_kwargs(node: Any, slot: Slot) -> dict[str, Any]:
    """The keyword arguments a node passes to its component (name and reserved keys removed)."""
    plain = OmegaConf.to_container(node, resolve=True) if isinstance(node, (DictConfig, ListConfig)) else dict(node)
    return {k: v for k, v in plain.items() if k not in RESERVED and k not in slot.reserved}


def _signature_target(obj: Callable[..., Any]) -> Callable[..., Any]:
    return obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]


def _type_ok(value: Any, hint: Any) -> bool:
    """A deliberately small checker: simple scalars, containers, Optional, Literal, Union."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in (list, tuple, typing.Sequence) or hint in (list, tuple):
        return isinstance(value, (list, tuple))
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    return True  # richer annotations are the component's own business


def check_component(slot: Slot, node: Any) -> list[str]:
    """Problems with one node, each a full sentence naming the key; empty when the node is sound."""
    if node is None or (isinstance(node, (dict, DictConfig)) and not node):
        return [f"{slot.path}: missing; set it to a {slot.registry.kind} config with a `name` key "
                f"(registered: {', '.join(slot.registry.names())})"]
    if not isinstance(node, (dict, DictConfig)):
        return [f"{slot.path}: expected a mapping with a `name` key, got {type(node).__name__} {node!r}"]
    name = node.get("name")
    if not name:
        return [f"{slot.path}: no `name` key; name a registered {slot.registry.kind} "
                f"({', '.join(slot.registry.names())})"]
    if not len(slot.registry):
        return [f"{slot.path}.name: no {slot.registry.kind} is registered yet; import the components before "
                "checking a config (`import flamkit.components` registers every core one)"]
    try:
        obj = slot.registry.get(name)
    except RegistryError as exc:
        return [f"{slot.path}.name: {exc}"]
    kwargs = component_kwargs(node, slot)
    sig = inspect.signature(_signature_target(obj))
    params = {n: p for n, p in sig.parameters.items() if n != "self"}
    has_var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    named = {n: p for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    allowed = sorted(n for n in named if n not in slot.injected)
    try:
        hints = typing.get_type_hints(_signature_target(obj))
    except Exception:
        hints = {}
    problems = []
    for key, value in kwargs.items():
        if key in slot.injected:
            problems.append(f"{slot.path}.{key}: set by flamkit when it builds {slot.registry.kind} {name!r}; remove it")
        elif key not in named and not has_var_kw:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(f"{slot.path}.{key}: not an argument of {slot.registry.kind} {name!r}.{hint} "
                            f"Allowed: {', '.join(allowed) or '(none)'}")
        elif key in hints and not _type_ok(value, hints[key]):
            problems.append(f"{slot.path}.{key}: {value!r} is not a valid {_hint_name(hints[key])} "
                            f"for {slot.registry.kind} {name!r}")
    for pname, p in named.items():
        if p.default is inspect.Parameter.empty and pname not in kwargs and pname not in slot.injected:
            problems.append(f"{slot.path}.{pname}: required by {slot.registry.kind} {name!r} but not set")
    own_check = getattr(obj, "config_problems", None)
    if callable(own_check):
        problems.extend(f"{slot.path}.{p}" for p in own_check(kwargs))
    return problems


def _hint_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def check_streams(cfg: DictConfig) -> list[str]:
    """Loss heads need the batch stream they consume; a stream with no sources cannot feed them."""
    problems = []
    streams = (cfg.get("data") or {}).get("streams") or {}
    for label, node in (cfg.get("loss") or {}).items():
        try:
            head = R.LOSSES.get(node.get("name"))
        except (RegistryError, AttributeError):
            continue  # reported by check_component
        stream = getattr(head, "stream", None)
        if stream and float(node.get("weight", 1.0)) != 0.0:
            sources = (streams.get(stream) or {}).get("sources") if stream in streams else None
            if not sources:
                problems.append(f"loss.{label}: consumes the {stream!r} batch stream, but data.streams.{stream} "
                                f"has no sources (streams configured: {', '.join(streams) or 'none'})")
        if "weight" in node and not isinstance(node.get("weight"), (int, float)):
            problems.append(f"loss.{label}.weight: must be a number, got {node.get('weight')!r}")
    return problems


def check_negatives(cfg: DictConfig) -> list[str]:
    """``data.negatives`` (flamkit/data/negatives.py) needs sources that list their event descriptions."""
    data = cfg.get("data") or {}
    n = data.get("negatives", 0)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        return [f"data.negatives: must be a whole number >= 0 (extra SED text slots), got {n!r}"]
    if n == 0:
        return []
    problems = []
    sources = (((data.get("streams") or {}).get("sed") or {}).get("sources")) or {}
    for label, node in sources.items():
        if is_disabled(node):
            continue
        try:
            cls = R.DATA_SOURCES.get(node.get("name"))
        except (RegistryError, AttributeError):
            continue  # reported by check_component
        if not callable(getattr(cls, "descriptions", None)):
            problems.append(f"data.streams.sed.sources.{label}: data.negatives={n} draws from the sources' event "
                            f"descriptions, but {node.get('name')!r} does not list them (no descriptions()); "
                            "set data.negatives=0 or use a source that does (sed_synthetic, embedded)")
    return problems


def check_config(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` listing every problem in ``cfg``; return None when it is sound.

    Loads the plugins the config lists; the core components are those already registered.
    """
    plugins.discover(list(cfg.get("plugins") or []))
    problems: list[str] = []
    for slot, node in component_slots(cfg):
        problems.extend(check_component(slot, node))
    problems.extend(check_streams(cfg))
    problems.extend(check_negatives(cfg))
    if problems:
        exp = cfg.get("experiment", "?")
        raise ConfigError(f"experiment {exp!r} has {len(problems)} config problem(s):\n  - " + "\n  - ".join(problems))


def build_component(slot_registry: Registry, node: Any, slot: Slot | None = None, **injected: Any) -> Any:
    """Build a node's component with its config kwargs plus those injected values its signature takes.

    Components declare only the injected arguments they need (a text-only source has no use for
    the sample rate), so injected values the signature lacks are not passed.
    """
    slot = slot or Slot("?", slot_registry)
    obj = slot_registry.get(node["name"])
    params = inspect.signature(_signature_target(obj)).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    passed = {k: v for k, v in injected.items() if takes_any or k in params}
    return obj(**component_kwargs(node, slot), **passed)
