"""The SED mixture synthesizer of §4.2 / C.4: loudness, relabelling, placement, rendering.

Pure numpy/scipy/soundfile/soxr (no torch), so it runs in data-loader workers and render jobs alike.
"""

from flamkit.data.synth.clips import ArrayClip, AudioCache, ClipError, FileClip
from flamkit.data.synth.loudness import AWeightedLoudness, a_weighting_db, active_loudness_db, solve_gain_db
from flamkit.data.synth.mixer import Mixture, MixtureSynthesizer, PlacedEvent, SynthConfig
from flamkit.data.synth.pools import PoolSplit, clips_from_rows, split_pool
from flamkit.data.synth.relabel import RelabelConfig, relabel, smooth_activity
from flamkit.data.synth.render import RenderError, render_dataset

__all__ = [
    "AWeightedLoudness",
    "ArrayClip",
    "AudioCache",
    "ClipError",
    "FileClip",
    "Mixture",
    "MixtureSynthesizer",
    "PlacedEvent",
    "PoolSplit",
    "RelabelConfig",
    "SynthConfig",
    "a_weighting_db",
    "active_loudness_db",
    "clips_from_rows",
    "RenderError",
    "relabel",
    "render_dataset",
    "smooth_activity",
    "solve_gain_db",
    "split_pool",
]
