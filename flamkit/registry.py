"""Name -> component registries.

Experiments name their components (``model/audio: htsat_tiny``, ``loss: sed``) and the framework
looks the names up here; nothing in flamkit dispatches on strings with if/elif chains. A component
is any callable (class or factory function); its keyword arguments are the config keys, checked
against its signature by :mod:`flamkit.config.validate` before anything is built.
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar

T = TypeVar("T", bound=Callable[..., Any])


class RegistryError(KeyError):
    """An unknown or duplicate name. ``str()`` gives the whole message (KeyError quotes it)."""

    def __str__(self) -> str:  # KeyError.__str__ would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Entry:
    """One registered component and where it came from ("core" or a plugin's name)."""

    name: str
    obj: Callable[..., Any]
    source: str
    module: str

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.obj) or ""
        return doc.splitlines()[0] if doc else ""


class Registry(Generic[T]):
    """A named table of components with decorator registration.

    >>> audio = Registry("audio_encoder")
    >>> @audio.register("tiny")
    ... def build_tiny(dim: int = 8): ...
    >>> audio.get("tiny") is build_tiny
    True
    """

    def __init__(self, kind: str, description: str = "") -> None:
        self.kind = kind
        self.description = description
        self._entries: dict[str, Entry] = {}

    def register(self, name: str | None = None, *, source: str | None = None) -> Callable[[T], T]:
        """Decorator: register ``obj`` under ``name`` (default: its ``__name__``)."""

        def deco(obj: T) -> T:
            key = name or obj.__name__
            # flamkit's own modules are "core" even when a plugin's import is what first loads them.
            core = _source_of(obj) == "core"
            origin = source or ("core" if core else (_LOADING_SOURCE[-1] if _LOADING_SOURCE else _source_of(obj)))
            existing = self._entries.get(key)
            if existing is not None and existing.obj is not obj:
                if (existing.module, getattr(existing.obj, "__qualname__", None)) == (
                    obj.__module__,
                    getattr(obj, "__qualname__", None),
                ):
                    # The same definition imported twice (module reload, test re-import): keep the newest.
                    pass
                else:
                    raise RegistryError(
                        f"{self.kind} {key!r} is already registered by {existing.module} "
                        f"({existing.source}); {obj.__module__} tried to register it again. "
                        "Pick another name for the new component."
                    )
            self._entries[key] = Entry(key, obj, origin, obj.__module__)
            return obj

        return deco

    def get(self, name: str) -> T:
        """The component registered as ``name``; unknown names list what exists and the closest match."""
        try:
            return self._entries[name].obj  # type: ignore[return-value]
        except KeyError:
            raise RegistryError(self._unknown_message(name)) from None

    def entry(self, name: str) -> Entry:
        self.get(name)
        return self._entries[name]

    def build(self, name: str, /, **kwargs: Any) -> Any:
        return self.get(name)(**kwargs)

    def _unknown_message(self, name: str) -> str:
        names = sorted(self._entries)
        close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(names) if names else "(none)"
        return (
            f"{self.kind} {name!r} is not registered.{hint} Registered {self.kind} names: {listed}. "
            "A plugin's components appear once it is installed (pip install -e plugins/NAME) "
            "or listed under `plugins:` in the config."
        )

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        return [self._entries[n] for n in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"


# Set by flamkit.plugins while a plugin's entry point loads, so its registrations carry its name.
_LOADING_SOURCE: list[str] = []


def _source_of(obj: Any) -> str:
    """'core' for flamkit's own modules; for a plugin, its top-level package name."""
    module = getattr(obj, "__module__", "") or ""
    top = module.split(".")[0]
    return "core" if top == "flamkit" else top


AUDIO_ENCODERS: Registry = Registry("audio_encoder", "audio feature extractors E^a emitting frame features")
TEXT_ENCODERS: Registry = Registry("text_encoder", "text feature extractors E^t")
HEADS: Registry = Registry("head", "per-text logit scale/bias and projection heads")
POOLINGS: Registry = Registry("pooling", "sequence -> one embedding: audio frames (and text tokens) to clip/text embeddings")
LOSSES: Registry = Registry("loss", "loss heads combined with weights into the training objective")
DATA_SOURCES: Registry = Registry("data_source", "datasets of training/evaluation examples")
AUGMENTERS: Registry = Registry("augmenter", "example -> example transforms (mixing, degradation, captions)")
EVAL_TASKS: Registry = Registry("eval_task", "evaluation tasks writing metrics")
OPTIMIZERS: Registry = Registry("optimizer", "optimizers built from the model's parameter groups")
SCHEDULES: Registry = Registry("schedule", "learning-rate schedules")

REGISTRIES: dict[str, Registry] = {
    r.kind: r for r in (
        AUDIO_ENCODERS, TEXT_ENCODERS, HEADS, POOLINGS, LOSSES, DATA_SOURCES, AUGMENTERS, EVAL_TASKS, OPTIMIZERS, SCHEDULES
    )
}
