import numpy as np
import pytest

from flamkit.data.synth.clips import ArrayClip

SR = 16000


def make_event_pool(sr: int = SR, n: int = 40, seed: int = 0, max_s: float = 6.0) -> list[ArrayClip]:
    """Varied constructed events: decaying tones, bursts with silent gaps inside, noise; 0.2 s to max_s."""
    rng = np.random.default_rng(seed)
    clips = []
    for i in range(n):
        d = float(rng.uniform(0.2, max_s)) if i % 5 else float(rng.uniform(0.2, 1.0))
        m = int(d * sr)
        t = np.arange(m) / sr
        kind = i % 3
        if kind == 0:
            x = np.sin(2 * np.pi * rng.uniform(200, 3000) * t) * np.exp(-t * rng.uniform(0.5, 6))
        elif kind == 1:
            x = rng.standard_normal(m) * (np.sin(2 * np.pi * rng.uniform(0.5, 3) * t) > 0)  # bursts + silence
        else:
            x = rng.standard_normal(m) * np.hanning(m)
        clips.append(ArrayClip((0.5 * x / np.max(np.abs(x))).astype(np.float32), sr, (f"sound {i % 15}",),
                               pool="general" if i % 5 == 4 else "sfx", key=f"ev{i}"))
    return clips


def make_background_pool(sr: int = SR, seed: int = 1) -> list[ArrayClip]:
    rng = np.random.default_rng(seed)
    out = []
    for i, seconds in enumerate((12.0, 15.0, 6.0)):
        x = np.cumsum(rng.standard_normal(int(seconds * sr))) * 0.01
        x = np.diff(x, prepend=0) + 0.02 * x / np.max(np.abs(x))
        out.append(ArrayClip((x / np.max(np.abs(x)) * 0.5).astype(np.float32), sr, ("noise background",), key=f"bg{i}"))
    return out


@pytest.fixture(scope="session")
def event_pool():
    return make_event_pool()


@pytest.fixture(scope="session")
def background_pool():
    return make_background_pool()
