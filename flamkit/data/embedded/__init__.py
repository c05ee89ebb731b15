"""The embedded default data: procedural sound events and backgrounds made in code (no download)."""

from flamkit.data.embedded.backgrounds import EMBEDDED_BACKGROUNDS, make_background
from flamkit.data.embedded.pools import SPLITS, EmbeddedPools, embedded_pools
from flamkit.data.embedded.vocabulary import EMBEDDED_EVENTS, EventType, make_event

__all__ = [
    "EMBEDDED_BACKGROUNDS",
    "EMBEDDED_EVENTS",
    "EmbeddedPools",
    "EventType",
    "SPLITS",
    "embedded_pools",
    "make_background",
    "make_event",
]
