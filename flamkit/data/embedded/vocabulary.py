"""The embedded sound-event vocabulary: 52 procedural event types, each with paraphrased captions.

Each type is a generator ``(rng, sample_rate) -> audio`` built from :mod:`.primitives`, with its own
spectral and temporal signature (tonal vs noisy, low vs high, steady vs swept vs pulsed, one strike vs
a pattern) and per-instance variation (pitch, duration 0.2-4 s, rate, envelope) drawn from ``rng``.

The split measures generalisation the way the paper's Held-out set does: the types marked
``heldout_type`` (10 of 52, ~20 %) never appear in training, and for every other type the *last*
caption is a paraphrase kept out of training, so ``heldout`` data has both unseen sounds and unseen
descriptions of seen sounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import soxr

from flamkit.data.embedded import primitives as P

Generator = Callable[[np.random.Generator, int], np.ndarray]
MIN_DESIGN_RATE = 16000


@dataclass(frozen=True)
class EventType:
    name: str
    generate: Generator
    captions: tuple[str, ...]  # the last one is held out from training (unless the whole type is)
    tags: tuple[str, ...]
    heldout_type: bool = False

    @property
    def train_captions(self) -> tuple[str, ...]:
        return () if self.heldout_type else self.captions[:-1]

    @property
    def heldout_captions(self) -> tuple[str, ...]:
        return self.captions if self.heldout_type else self.captions[-1:]


EMBEDDED_EVENTS: dict[str, EventType] = {}


def event(name: str, captions: tuple[str, ...], tags: tuple[str, ...], heldout_type: bool = False):
    def deco(fn: Generator) -> Generator:
        if name in EMBEDDED_EVENTS:
            raise ValueError(f"embedded event type {name!r} defined twice")
        if len(captions) < 3:
            raise ValueError(f"embedded event type {name!r} needs at least 3 captions")
        EMBEDDED_EVENTS[name] = EventType(name, fn, captions, tags, heldout_type)
        return fn

    return deco


def make_event(type_name: str, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """One random instance of an embedded event type: float32 mono, peak 0.9, 0.2-4 s."""
    try:
        kind = EMBEDDED_EVENTS[type_name]
    except KeyError:
        raise KeyError(f"unknown embedded event type {type_name!r}; known: {', '.join(sorted(EMBEDDED_EVENTS))}") from None
    # The generators are written for >= 16 kHz (their bands reach 7 kHz); lower rates are made at
    # 16 kHz and resampled, which removes what lies above the lower Nyquist.
    design_rate = max(int(sample_rate), MIN_DESIGN_RATE)
    x = kind.generate(rng, design_rate)[: P.n_samples(4.0, design_rate)]
    if design_rate != sample_rate:
        x = soxr.resample(x, design_rate, int(sample_rate), quality="HQ")
    return P.normalise(x)


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _beeps(rng, sr, f, count, on, off, amps=(1.0, 0.0, 0.15), start=0.02):
    spans = [(start + i * (on + off), on) for i in range(count)]
    n = P.n_samples(spans[-1][0] + on + 0.05, sr)
    ph = P.phase(f, n, sr)
    return P.harmonics(ph, amps, sr, f) * P.gate(n, sr, spans)


# ---- beeps and electronic tones -------------------------------------------------------------------

@event("beep_repeating_high", ("a high beep repeating", "repeated high-pitched beeps", "high electronic beeps in a row",
                               "several shrill beeps one after another"), ("beep", "electronic", "alarm"))
def _beep_repeating_high(rng, sr):
    return _beeps(rng, sr, _u(rng, 2000, 3200), int(rng.integers(3, 9)), _u(rng, 0.06, 0.12), _u(rng, 0.06, 0.15))


@event("beep_long", ("a single long beep", "one sustained electronic beep", "a steady beep tone", "a long flat beep"),
       ("beep", "electronic", "tone"))
def _beep_long(rng, sr):
    return _beeps(rng, sr, _u(rng, 700, 1300), 1, _u(rng, 0.5, 2.0), 0.0, amps=(1.0, 0.0, 0.3, 0.0, 0.1))


@event("beep_double", ("two quick beeps", "a double beep", "a pair of short beeps", "beep beep"), ("beep", "electronic"))
def _beep_double(rng, sr):
    return _beeps(rng, sr, _u(rng, 1000, 2000), 2, _u(rng, 0.08, 0.15), _u(rng, 0.08, 0.15), amps=(1.0, 0.2))


@event("morse_code", ("morse code beeps", "a telegraph beeping dots and dashes", "a morse code signal",
                      "dots and dashes tapped out in tones"), ("beep", "code", "radio"))
def _morse(rng, sr):
    dot = _u(rng, 0.05, 0.08)
    spans, t = [], 0.02
    for _ in range(int(rng.integers(6, 14))):
        d = dot if rng.random() < 0.55 else 3 * dot
        spans.append((t, d))
        t += d + (dot if rng.random() < 0.7 else 3 * dot)
    n = P.n_samples(t + 0.05, sr)
    f = _u(rng, 550, 800)
    return np.sin(P.phase(f, n, sr)) * P.gate(n, sr, spans)


@event("dtmf_dialing", ("telephone keypad tones", "someone dialing a phone number", "touch tone button beeps",
                        "dialing tones from a keypad"), ("telephone", "beep", "dialing"))
def _dtmf(rng, sr):
    rows, cols = (697, 770, 852, 941), (1209, 1336, 1477)
    on, off = _u(rng, 0.08, 0.13), _u(rng, 0.06, 0.14)
    count = int(rng.integers(4, 9))
    n = P.n_samples(0.02 + count * (on + off) + 0.05, sr)
    t = P.times(n, sr)
    out = np.zeros(n)
    for i in range(count):
        g = P.gate(n, sr, [(0.02 + i * (on + off), on)])
        out += g * (np.sin(P.TAU * rows[rng.integers(4)] * t) + np.sin(P.TAU * cols[rng.integers(3)] * t))
    return out


@event("dial_tone", ("a telephone dial tone", "a steady phone dial tone", "the hum of a dial tone",
                     "a landline tone before dialing"), ("telephone", "tone", "steady"))
def _dial_tone(rng, sr):
    n = P.n_samples(_u(rng, 1.5, 4.0), sr)
    t = P.times(n, sr)
    return (np.sin(P.TAU * 350 * t) + np.sin(P.TAU * 440 * t)) * P.ramp_env(n, sr, 0.01, 0.01)


@event("busy_signal", ("a telephone busy signal", "a phone engaged tone", "an intermittent busy tone",
                       "the beeping of a busy line"), ("telephone", "beep", "pattern"), heldout_type=True)
def _busy(rng, sr):
    cycle = _u(rng, 0.4, 0.6)
    count = int(rng.integers(2, 6))
    n = P.n_samples(count * cycle + 0.05, sr)
    t = P.times(n, sr)
    g = P.gate(n, sr, [(i * cycle + 0.02, cycle / 2) for i in range(count)])
    return g * (np.sin(P.TAU * 480 * t) + np.sin(P.TAU * 620 * t))


@event("low_tone", ("a low steady tone", "a deep sustained tone", "a low-pitched drone", "a deep humming note"),
       ("tone", "low", "drone"))
def _low_tone(rng, sr):
    n = P.n_samples(_u(rng, 1.0, 4.0), sr)
    f = _u(rng, 80, 180)
    return P.harmonics(P.phase(f, n, sr), (1.0, 0.5, 0.3, 0.15), sr, f) * P.ramp_env(n, sr, 0.08, 0.15)


@event("tremolo_tone", ("a pulsating tone", "a tone with fast tremolo", "a throbbing electronic tone",
                        "a wobbling sustained note"), ("tone", "modulated", "electronic"))
def _tremolo(rng, sr):
    n = P.n_samples(_u(rng, 1.0, 3.5), sr)
    f, rate = _u(rng, 300, 900), _u(rng, 6, 14)
    am = 0.5 * (1 + np.sin(P.TAU * rate * P.times(n, sr)))
    return P.harmonics(P.phase(f, n, sr), (1.0, 0.3), sr, f) * am * P.ramp_env(n, sr, 0.02, 0.05)


@event("buzzer", ("a harsh buzzer", "an electric buzzer sounding", "a loud buzzing alarm", "a game show buzzer"),
       ("buzzer", "alarm", "electronic"))
def _buzzer(rng, sr):
    n = P.n_samples(_u(rng, 0.5, 2.0), sr)
    f = _u(rng, 90, 200)
    saw = P.harmonics(P.phase(f, n, sr), [1.0 / h for h in range(1, 40)], sr, f)
    return saw * P.ramp_env(n, sr, 0.005, 0.02)


# ---- sweeps and sirens ------------------------------------------------------------------------------

@event("chirp_up", ("a rising tone sweep", "a tone sweeping upward", "a pitch rising quickly", "an upward chirp"),
       ("sweep", "tone", "rising"))
def _chirp_up(rng, sr):
    n = P.n_samples(_u(rng, 0.3, 1.5), sr)
    f = P.sweep(_u(rng, 200, 600), _u(rng, 2000, min(5000, 0.4 * sr)), n)
    return np.sin(P.phase(f, n, sr)) * P.ramp_env(n, sr, 0.01, 0.03)


@event("chirp_down", ("a falling tone sweep", "a tone sweeping downward", "a pitch dropping", "a downward chirp"),
       ("sweep", "tone", "falling"))
def _chirp_down(rng, sr):
    n = P.n_samples(_u(rng, 0.3, 1.5), sr)
    f = P.sweep(_u(rng, 2000, min(5000, 0.4 * sr)), _u(rng, 200, 600), n)
    return np.sin(P.phase(f, n, sr)) * P.ramp_env(n, sr, 0.01, 0.03)


@event("laser_zap", ("a laser zap", "a sci-fi laser shot", "a pew sound of a ray gun", "a futuristic blaster firing"),
       ("sci-fi", "sweep", "weapon"), heldout_type=True)
def _laser(rng, sr):
    one_n = P.n_samples(_u(rng, 0.1, 0.3), sr)
    f = P.sweep(_u(rng, 2500, min(4000, 0.4 * sr)), _u(rng, 150, 300), one_n)
    zap = P.harmonics(P.phase(f, one_n, sr), (1.0, 0.0, 0.33, 0.0, 0.2), sr, f) * P.decay_env(one_n, sr, 0.08)
    count = int(rng.integers(1, 4))
    gap = _u(rng, 0.15, 0.3)
    return P.place(P.n_samples(count * gap + 0.3, sr), sr, [0.01 + i * gap for i in range(count)], zap)


@event("siren_wail", ("a wailing siren", "a siren slowly rising and falling", "an emergency siren wail",
                      "a police siren going up and down"), ("siren", "emergency", "alarm"))
def _siren_wail(rng, sr):
    n = P.n_samples(_u(rng, 2.0, 4.0), sr)
    lo, hi, rate = _u(rng, 500, 700), _u(rng, 1200, 1600), _u(rng, 0.3, 0.6)
    f = lo + (hi - lo) * 0.5 * (1 - np.cos(P.TAU * rate * P.times(n, sr)))
    return P.harmonics(P.phase(f, n, sr), (1.0, 0.3, 0.1), sr, f) * P.ramp_env(n, sr, 0.1, 0.2)


@event("siren_yelp", ("a fast yelping siren", "a rapid warbling siren", "a quick oscillating siren",
                      "a siren warbling fast"), ("siren", "emergency", "alarm"), heldout_type=True)
def _siren_yelp(rng, sr):
    n = P.n_samples(_u(rng, 1.0, 3.0), sr)
    lo, hi, rate = _u(rng, 600, 800), _u(rng, 1300, 1700), _u(rng, 5, 8)
    f = lo + (hi - lo) * 0.5 * (1 - np.cos(P.TAU * rate * P.times(n, sr)))
    return P.harmonics(P.phase(f, n, sr), (1.0, 0.3, 0.1), sr, f) * P.ramp_env(n, sr, 0.03, 0.1)


@event("two_tone_siren", ("a two-tone siren", "a hi-lo siren alternating between two notes", "an ambulance two-tone horn",
                          "a siren switching between two pitches"), ("siren", "emergency", "alternating"))
def _two_tone(rng, sr):
    n = P.n_samples(_u(rng, 1.5, 4.0), sr)
    f1, rate = _u(rng, 400, 700), _u(rng, 0.6, 1.2)
    hi = (np.floor(2 * rate * P.times(n, sr)) % 2).astype(bool)
    f = np.where(hi, f1 * 1.26, f1)
    return P.harmonics(P.phase(f, n, sr), (1.0, 0.5, 0.3, 0.2, 0.1), sr, f) * P.ramp_env(n, sr, 0.02, 0.05)


@event("motor_whine", ("a motor spinning up", "an electric motor whirring up in pitch", "a rising mechanical whine",
                       "a drill motor accelerating"), ("motor", "machine", "rising"))
def _motor(rng, sr):
    n = P.n_samples(_u(rng, 1.0, 3.0), sr)
    f = P.sweep(_u(rng, 60, 120), _u(rng, 250, 450), n, exponential=False)
    tone = P.harmonics(P.phase(f, n, sr), [0.6 / h for h in range(1, 12)], sr, f)
    hiss = P.butter(P.white(rng, n), sr, 2000, 6000) * 0.1
    return (tone + hiss) * P.ramp_env(n, sr, 0.15, 0.1)


# ---- struck, plucked and blown ----------------------------------------------------------------------

@event("bell_strike", ("a bell ringing once", "a church bell struck", "a single bell toll", "the clang of a large bell"),
       ("bell", "metal", "ringing"))
def _bell(rng, sr):
    n = P.n_samples(_u(rng, 2.0, 4.0), sr)
    f = _u(rng, 200, 450)
    ratios = (0.5, 1.0, 1.183, 1.506, 2.0, 2.514, 2.662, 3.011)
    tau = _u(rng, 0.8, 2.0)
    return P.modal(n, sr, [f * r for r in ratios], (0.6, 1.0, 0.7, 0.5, 0.6, 0.3, 0.3, 0.2),
                   [tau * d for d in (1.6, 1.0, 0.8, 0.6, 0.5, 0.35, 0.3, 0.25)], rng)


@event("small_bell", ("a small bell tinkling", "a tiny high-pitched bell", "a little ting of a bell",
                      "a delicate bell chime"), ("bell", "high", "ringing"))
def _small_bell(rng, sr):
    f = _u(rng, 1500, 2800)
    one = P.modal(P.n_samples(0.8, sr), sr, [f, f * 2.76, f * 5.4], (1.0, 0.4, 0.2), (_u(rng, 0.3, 0.6), 0.15, 0.07), rng)
    count = int(rng.integers(1, 4))
    gap = _u(rng, 0.15, 0.35)
    return P.place(P.n_samples(count * gap + 0.8, sr), sr, [0.01 + i * gap for i in range(count)], one)


@event("wind_chimes", ("wind chimes tinkling", "chimes ringing in the breeze", "a cascade of metal chimes",
                       "hanging chimes clinking together"), ("bell", "chimes", "metal"))
def _chimes(rng, sr):
    n = P.n_samples(_u(rng, 2.0, 4.0), sr)
    out = np.zeros(n)
    for t0 in np.sort(rng.uniform(0, n / sr - 0.5, int(rng.integers(6, 14)))):
        f = rng.choice((880.0, 1046.5, 1174.7, 1318.5, 1568.0, 1760.0)) * (2 if sr > 12000 else 1)
        one = P.modal(P.n_samples(1.0, sr), sr, [f, f * 2.32, f * 4.25], (1.0, 0.4, 0.15), (0.5, 0.25, 0.1), rng)
        out += P.place(n, sr, [t0], one, [_u(rng, 0.3, 1.0)])
    return out


@event("gong", ("a gong being struck", "a deep resonant gong", "a gong crash", "a large gong ringing"),
       ("gong", "metal", "percussion"), heldout_type=True)
def _gong(rng, sr):
    n = P.n_samples(_u(rng, 2.5, 4.0), sr)
    f = _u(rng, 70, 130)
    ratios = np.sort(rng.uniform(1.0, 9.0, 14))
    tone = P.modal(n, sr, f * ratios, rng.uniform(0.3, 1.0, 14), rng.uniform(0.8, 2.5, 14), rng)
    crash = P.butter(P.white(rng, n), sr, 300, 3000) * P.decay_env(n, sr, 0.25) * 0.4
    return tone + crash


@event("glass_clink", ("glasses clinking", "a glass clink", "a light ting of glass", "two glasses touching in a toast"),
       ("glass", "clink", "high"))
def _glass(rng, sr):
    f = _u(rng, 2200, min(4000, 0.3 * sr))
    one = P.modal(P.n_samples(0.6, sr), sr, [f, f * 1.52, f * 2.35], (1.0, 0.6, 0.3), (_u(rng, 0.15, 0.35), 0.12, 0.06), rng)
    count = int(rng.integers(1, 3))
    return P.place(P.n_samples(0.7 + 0.15 * count, sr), sr, [0.01 + 0.12 * i for i in range(count)], one)


@event("marimba", ("a marimba note", "a wooden mallet percussion note", "a xylophone hit", "a short woody mallet tone"),
       ("marimba", "mallet", "percussion"), heldout_type=True)
def _marimba(rng, sr):
    count = int(rng.integers(1, 4))
    gap = _u(rng, 0.2, 0.35)
    n = P.n_samples(count * gap + 0.6, sr)
    out = np.zeros(n)
    for i in range(count):
        f = _u(rng, 250, 900)
        one = P.modal(P.n_samples(0.6, sr), sr, [f, 3.93 * f, 9.2 * f], (1.0, 0.3, 0.1), (_u(rng, 0.15, 0.35), 0.05, 0.02), rng)
        out += P.place(n, sr, [0.01 + i * gap], one)
    return out


@event("plucked_string", ("a plucked string", "a guitar string plucked", "a single plucked note", "a twang of a string"),
       ("string", "guitar", "pluck"))
def _pluck(rng, sr):
    return P.pluck(rng, _u(rng, 110, 440), P.n_samples(_u(rng, 1.0, 3.0), sr), sr, _u(rng, 0.990, 0.997))


@event("piano_note", ("a piano note", "a single piano key struck", "a soft piano tone", "one note played on a piano"),
       ("piano", "keyboard", "note"))
def _piano(rng, sr):
    n = P.n_samples(_u(rng, 1.0, 3.0), sr)
    f = 220.0 * 2 ** (int(rng.integers(-12, 13)) / 12)
    hs = np.arange(1, 11)
    return P.modal(n, sr, f * hs * np.sqrt(1 + 0.0004 * hs**2), 1.0 / hs**1.2, 1.2 / hs**0.8, rng)


@event("organ_chord", ("an organ chord", "a sustained organ chord", "a church organ playing a chord",
                       "a held chord on an organ"), ("organ", "chord", "music"))
def _organ(rng, sr):
    n = P.n_samples(_u(rng, 1.5, 4.0), sr)
    root = 130.8 * 2 ** (int(rng.integers(0, 12)) / 12)
    out = np.zeros(n)
    for ratio in (1.0, 1.26, 1.498):
        f = root * ratio
        out += P.harmonics(P.phase(f, n, sr), (1.0, 0.7, 0.0, 0.5, 0.0, 0.3, 0.0, 0.2), sr, f)
    return out * P.ramp_env(n, sr, 0.12, 0.25)


@event("flute_note", ("a flute playing a note", "a breathy flute tone", "a soft whistle-like flute",
                      "a gentle wind instrument note"), ("flute", "wind instrument", "music"))
def _flute(rng, sr):
    n = P.n_samples(_u(rng, 0.8, 3.0), sr)
    f0 = _u(rng, 500, 1000)
    f = f0 * (1 + 0.006 * np.sin(P.TAU * 5.0 * P.times(n, sr)))
    tone = P.harmonics(P.phase(f, n, sr), (1.0, 0.15, 0.05), sr, f)
    breath = P.butter(P.white(rng, n), sr, f0 * 0.8, f0 * 1.3) * 0.3
    return (tone + breath) * P.ramp_env(n, sr, 0.08, 0.15)


@event("whistle", ("someone whistling", "a whistled tune", "a human whistle melody", "a person whistling a few notes"),
       ("whistle", "human", "melody"))
def _whistle(rng, sr):
    notes = int(rng.integers(3, 7))
    dur = [_u(rng, 0.2, 0.45) for _ in range(notes)]
    n = P.n_samples(sum(dur) + 0.05, sr)
    base = _u(rng, 1200, 2000)
    steps = base * 2 ** (rng.integers(-5, 8, notes) / 12)
    edges = np.cumsum([0] + [P.n_samples(d, sr) for d in dur])
    target = np.concatenate([np.full(b - a, s) for a, b, s in zip(edges[:-1], edges[1:], steps)])
    target = np.pad(target, (0, max(0, n - len(target))), mode="edge")[:n]
    k = P.n_samples(0.02, sr)
    f = np.convolve(np.pad(target, (k, k), mode="edge"), np.ones(k) / k, mode="same")[k:-k]  # glides
    f = f * (1 + 0.01 * np.sin(P.TAU * 6.0 * P.times(n, sr)))
    return np.sin(P.phase(f, n, sr)) * P.ramp_env(n, sr, 0.03, 0.05)


# ---- noise, air and texture ---------------------------------------------------------------------------

@event("noise_burst", ("a burst of static noise", "a short hiss of white noise", "a noise burst",
                       "a sudden blast of static"), ("noise", "static", "burst"))
def _noise_burst(rng, sr):
    n = P.n_samples(_u(rng, 0.2, 1.0), sr)
    return P.white(rng, n) * P.ramp_env(n, sr, 0.003, 0.03)


@event("steam_hiss", ("steam hissing", "a long hiss", "air escaping with a hiss", "a pressurized gas leak hissing"),
       ("hiss", "steam", "air"))
def _hiss(rng, sr):
    n = P.n_samples(_u(rng, 1.0, 4.0), sr)
    x = P.butter(P.white(rng, n), sr, _u(rng, 0.18, 0.3) * sr, None)
    return x * P.swell_env(n, _u(rng, 0.1, 0.3), 0.5)


@event("rumble", ("a low rumble", "distant thunder rumbling", "a deep rumbling sound", "a heavy low-frequency rumble"),
       ("rumble", "low", "thunder"))
def _rumble(rng, sr):
    n = P.n_samples(_u(rng, 1.5, 4.0), sr)
    x = P.butter(P.coloured(rng, n, 2.0), sr, 25, _u(rng, 100, 180))
    slow = P.butter(P.white(rng, n), sr, None, 3.0, order=2)
    return x * P.swell_env(n, _u(rng, 0.2, 0.4), 1.0) * (1 + 2 * np.abs(slow) / (np.abs(slow).max() + 1e-9))


@event("whoosh", ("a whoosh", "something swooshing past", "a fast swoosh of air", "a swish passing by"),
       ("whoosh", "air", "movement"))
def _whoosh(rng, sr):
    n = P.n_samples(_u(rng, 0.4, 1.5), sr)
    lo, hi = _u(rng, 300, 600), _u(rng, 2500, min(5000, 0.4 * sr))
    centre = P.sweep(lo, hi, n) if rng.random() < 0.5 else P.sweep(hi, lo, n)
    return P.shaped_noise(rng, n, sr, centre, 1.2) * P.swell_env(n, _u(rng, 0.4, 0.6), 2.0)


@event("riser", ("a rising whoosh", "a noise riser building up", "a swelling sweep of noise",
                 "an upward sweeping noise"), ("riser", "sweep", "noise"))
def _riser(rng, sr):
    n = P.n_samples(_u(rng, 1.5, 4.0), sr)
    centre = P.sweep(_u(rng, 200, 400), _u(rng, 3000, min(6000, 0.4 * sr)), n)
    return P.shaped_noise(rng, n, sr, centre, 2.0) * np.linspace(0.05, 1.0, n) ** 2 * P.ramp_env(n, sr, 0.01, 0.02)


@event("radio_static", ("radio static", "crackling radio interference", "a detuned radio hissing", "noisy radio static"),
       ("radio", "static", "noise"))
def _static(rng, sr):
    n = P.n_samples(_u(rng, 1.0, 3.5), sr)
    x = P.butter(P.white(rng, n), sr, 300, 3000)
    flutter = np.abs(P.butter(P.white(rng, n), sr, None, 25.0, order=2))
    flutter /= flutter.max() + 1e-9
    crackle = P.place(n, sr, rng.uniform(0, n / sr, int(n / sr * 30)), np.hanning(P.n_samples(0.002, sr)),
                      rng.uniform(-3, 3, int(n / sr * 30)))
    return (x * (0.3 + flutter) + crackle) * P.ramp_env(n, sr, 0.01, 0.05)


@event("fire_crackle", ("a fire crackling", "crackling and popping", "wood crackling in a fire",
                        "sharp random pops and crackles"), ("fire", "crackle", "pops"))
def _crackle(rng, sr):
    n = P.n_samples(_u(rng, 1.5, 4.0), sr)
    count = int(n / sr * _u(rng, 20, 50))
    click = P.butter(P.white(rng, P.n_samples(0.004, sr)), sr, 1500, None, order=2) * np.hanning(P.n_samples(0.004, sr))
    pops = P.place(n, sr, rng.uniform(0, n / sr, count), click, rng.pareto(2.0, count) * rng.choice((-1, 1), count))
    bed = P.butter(P.coloured(rng, n, 1.0), sr, None, 800) * 0.05
    return (pops + bed) * P.ramp_env(n, sr, 0.05, 0.1)


# ---- impacts, clicks and rhythms -------------------------------------------------------------------------

def _click(rng, sr, low, high, dur=0.006):
    m = P.n_samples(dur, sr)
    return P.butter(P.white(rng, m), sr, low, high, order=2) * np.hanning(m)


@event("clock_ticking", ("a clock ticking", "the steady tick of a clock", "tick tock of a clock", "a ticking timer"),
       ("clock", "tick", "regular"))
def _clock(rng, sr):
    period = _u(rng, 0.45, 0.6)
    count = int(rng.integers(4, 8))
    n = P.n_samples(count * period + 0.1, sr)
    hi, lo = _click(rng, sr, 3000, 6000), _click(rng, sr, 1500, 3000)
    return P.place(n, sr, [0.01 + 2 * i * period for i in range((count + 1) // 2)], hi) + \
        P.place(n, sr, [0.01 + (2 * i + 1) * period for i in range(count // 2)], lo)


@event("rapid_clicks", ("rapid clicking", "a fast series of clicks", "a ratchet clicking quickly",
                        "a rattling click train"), ("click", "ratchet", "fast"))
def _rapid_clicks(rng, sr):
    n = P.n_samples(_u(rng, 0.5, 2.0), sr)
    rate = _u(rng, 15, 35)
    onsets = np.arange(0.005, n / sr, 1 / rate)
    return P.place(n, sr, onsets, _click(rng, sr, 1000, 5000, 0.003), rng.uniform(0.7, 1.0, len(onsets)))


@event("knocking", ("knocking on a door", "someone knocking three times", "a few knocks on wood",
                    "knuckles rapping on a door"), ("knock", "door", "wood"))
def _knock(rng, sr):
    count = int(rng.integers(2, 5))
    gap = _u(rng, 0.15, 0.3)
    f = _u(rng, 150, 300)
    m = P.n_samples(0.15, sr)
    knock = P.modal(m, sr, [f, 2.3 * f, 4.1 * f], (1.0, 0.5, 0.3), (0.03, 0.02, 0.01), rng)
    knock[: P.n_samples(0.004, sr)] += _click(rng, sr, 500, 3000, 0.004) * 0.5
    return P.place(P.n_samples(count * gap + 0.2, sr), sr, [0.01 + i * gap for i in range(count)], knock)


@event("footsteps", ("footsteps", "someone walking", "steps on a hard floor", "a person's footsteps approaching"),
       ("footsteps", "walking", "human"))
def _footsteps(rng, sr):
    period = 1.0 / _u(rng, 1.6, 2.2)
    count = int(rng.integers(3, 8))
    n = P.n_samples(count * period + 0.2, sr)
    out = np.zeros(n)
    for i in range(count):
        m = P.n_samples(0.12, sr)
        thud = P.butter(P.white(rng, m), sr, 60, 900) * P.decay_env(m, sr, 0.025)
        out += P.place(n, sr, [0.01 + i * period, 0.06 + i * period], thud, [1.0, 0.6])
    return out


@event("hand_clap", ("hands clapping", "a few hand claps", "someone clapping", "clapping hands together"),
       ("clap", "hands", "human"), heldout_type=True)
def _clap(rng, sr):
    count = int(rng.integers(2, 7))
    period = 1.0 / _u(rng, 3.0, 5.0)
    m = P.n_samples(0.12, sr)
    env = sum(P.place(m, sr, [k * 0.008], P.decay_env(m, sr, 0.004 if k < 2 else 0.03)) for k in range(3))
    clap = P.butter(P.white(rng, m), sr, 900, 2600) * env
    return P.place(P.n_samples(count * period + 0.15, sr), sr, [0.01 + i * period for i in range(count)], clap)


@event("kick_drum", ("a kick drum", "a bass drum hit", "a deep drum thump", "a thumping bass drum"),
       ("drum", "kick", "percussion"))
def _kick(rng, sr):
    m = P.n_samples(0.4, sr)
    f = P.sweep(_u(rng, 120, 180), _u(rng, 40, 55), m)
    kick = np.sin(P.phase(f, m, sr)) * P.decay_env(m, sr, _u(rng, 0.08, 0.15))
    count = int(rng.integers(1, 4))
    period = _u(rng, 0.4, 0.6)
    return P.place(P.n_samples(count * period + 0.4, sr), sr, [0.01 + i * period for i in range(count)], kick)


@event("snare_drum", ("a snare drum hit", "a sharp snare crack", "a snare drum being struck", "a crisp drum snap"),
       ("drum", "snare", "percussion"))
def _snare(rng, sr):
    m = P.n_samples(0.3, sr)
    noise = P.butter(P.white(rng, m), sr, 1000, 7000) * P.decay_env(m, sr, _u(rng, 0.06, 0.12))
    body = np.sin(P.TAU * _u(rng, 170, 220) * P.times(m, sr)) * P.decay_env(m, sr, 0.04)
    hit = noise + 0.7 * body
    count = int(rng.integers(1, 4))
    period = _u(rng, 0.3, 0.5)
    return P.place(P.n_samples(count * period + 0.3, sr), sr, [0.01 + i * period for i in range(count)], hit)


@event("hihat_pattern", ("hi-hat cymbal ticking", "a fast hi-hat rhythm", "closed hi-hat hits", "a cymbal tapping a beat"),
       ("cymbal", "hi-hat", "percussion"), heldout_type=True)
def _hihat(rng, sr):
    count = int(rng.integers(4, 12))
    period = 1.0 / _u(rng, 4.0, 8.0)
    m = P.n_samples(0.08, sr)
    hit = P.butter(P.white(rng, m), sr, min(7000, 0.35 * sr), None) * P.decay_env(m, sr, 0.015)
    gains = [1.0 if i % 2 == 0 else 0.6 for i in range(count)]
    return P.place(P.n_samples(count * period + 0.1, sr), sr, [0.01 + i * period for i in range(count)], hit, gains)


@event("heartbeat", ("a heartbeat", "a beating heart", "a thumping heartbeat", "the lub-dub of a heart"),
       ("heart", "body", "low"), heldout_type=True)
def _heartbeat(rng, sr):
    period = 1.0 / _u(rng, 1.0, 1.5)
    count = int(rng.integers(2, 5))
    m = P.n_samples(0.2, sr)
    thump = np.sin(P.TAU * _u(rng, 45, 70) * P.times(m, sr)) * P.decay_env(m, sr, 0.05, attack=0.01)
    onsets = [t for i in range(count) for t in (0.01 + i * period, 0.26 + i * period)]
    return P.place(P.n_samples(count * period + 0.3, sr), sr, onsets, thump, [1.0, 0.6] * count)


@event("bouncing_ball", ("a ball bouncing", "a ball bouncing to a stop", "bouncing with faster and faster impacts",
                         "a ping pong ball bouncing"), ("ball", "bounce", "impact"), heldout_type=True)
def _bounce(rng, sr):
    f = _u(rng, 500, 1500)
    m = P.n_samples(0.08, sr)
    hit = P.modal(m, sr, [f, 2.7 * f], (1.0, 0.4), (0.02, 0.01), rng)
    gap, t, onsets, gains = _u(rng, 0.35, 0.5), 0.01, [], []
    ratio = _u(rng, 0.7, 0.8)
    while gap > 0.03 and len(onsets) < 20:
        onsets.append(t)
        gains.append(ratio ** len(onsets))
        t += gap
        gap *= ratio
    return P.place(P.n_samples(t + 0.1, sr), sr, onsets, hit, gains)


@event("engine_idle", ("an engine idling", "a motor running at idle", "a car engine rumbling steadily",
                       "an idling vehicle engine"), ("engine", "vehicle", "machine"))
def _engine(rng, sr):
    n = P.n_samples(_u(rng, 2.0, 4.0), sr)
    rate = _u(rng, 18, 35)
    onsets = np.arange(0.0, n / sr, 1 / rate)
    m = P.n_samples(1 / rate, sr)
    pulse = P.butter(P.white(rng, m), sr, 40, 400) * P.decay_env(m, sr, 0.012)
    x = P.place(n, sr, onsets, pulse, rng.uniform(0.7, 1.0, len(onsets)))
    return P.butter(x, sr, None, 600) * P.ramp_env(n, sr, 0.1, 0.1)


# ---- animals ---------------------------------------------------------------------------------------------

@event("bird_chirp", ("a bird chirping", "a small bird tweeting", "bird song chirps", "tweeting of a songbird"),
       ("bird", "animal", "chirp"))
def _bird(rng, sr):
    count = int(rng.integers(2, 7))
    out_n = P.n_samples(count * 0.25 + 0.2, sr)
    out = np.zeros(out_n)
    for i in range(count):
        m = P.n_samples(_u(rng, 0.04, 0.12), sr)
        f = P.sweep(_u(rng, 4000, min(6500, 0.42 * sr)), _u(rng, 2000, 3000), m)
        chirp = P.harmonics(P.phase(f, m, sr), (1.0, 0.1), sr, f) * np.hanning(m)
        out += P.place(out_n, sr, [0.01 + i * _u(rng, 0.15, 0.25)], chirp)
    return out


@event("cricket", ("a cricket chirping", "crickets chirring", "an insect trilling", "the chirp of a cricket at night"),
       ("insect", "cricket", "animal"))
def _cricket(rng, sr):
    f = min(_u(rng, 4000, 5000), 0.42 * sr)
    pulse_n = P.n_samples(0.015, sr)
    pulse = np.sin(P.TAU * f * P.times(pulse_n, sr)) * np.hanning(pulse_n)
    groups, gp = int(rng.integers(2, 6)), _u(rng, 0.3, 0.5)
    onsets = [g * gp + k * 0.03 + 0.01 for g in range(groups) for k in range(int(rng.integers(3, 6)))]
    return P.place(P.n_samples(groups * gp + 0.2, sr), sr, onsets, pulse)


@event("frog_croak", ("a frog croaking", "a croaking frog", "a toad's ribbit", "a low croaking call"),
       ("frog", "animal", "croak"), heldout_type=True)
def _frog(rng, sr):
    croaks, gap = int(rng.integers(1, 4)), _u(rng, 0.45, 0.7)
    n = P.n_samples(croaks * gap + 0.1, sr)
    rate = _u(rng, 60, 100)
    spans = [(0.01 + i * gap, _u(rng, 0.2, 0.35)) for i in range(croaks)]
    buzz = np.zeros(n)
    buzz[(np.arange(0, n / sr, 1 / rate) * sr).astype(int)] = 1.0
    x = P.butter(buzz, sr, _u(rng, 400, 600), _u(rng, 900, 1200), order=2)
    return x * P.gate(n, sr, spans, ramp=0.02)


@event("water_drip", ("water dripping", "drops falling into water", "a dripping tap", "droplets plopping"),
       ("water", "drip", "drop"))
def _drip(rng, sr):
    count = int(rng.integers(2, 7))
    onsets = np.cumsum(rng.uniform(0.15, 0.6, count)) - 0.14
    n = P.n_samples(onsets[-1] + 0.15, sr)
    out = np.zeros(n)
    for t0 in onsets:
        m = P.n_samples(0.1, sr)
        f = P.sweep(_u(rng, 600, 1000), _u(rng, 1500, 2500), m)
        out += P.place(n, sr, [t0], np.sin(P.phase(f, m, sr)) * P.decay_env(m, sr, 0.025))
    return out


@event("alarm_bell", ("an alarm clock ringing", "a mechanical alarm bell ringing", "a rapidly striking bell alarm",
                      "an old clock alarm going off"), ("alarm", "bell", "ringing"))
def _alarm_bell(rng, sr):
    n = P.n_samples(_u(rng, 1.0, 3.0), sr)
    rate, f = _u(rng, 15, 25), _u(rng, 2000, 3000)
    m = P.n_samples(0.2, sr)
    strike = P.modal(m, sr, [f, 1.48 * f, 2.1 * f], (1.0, 0.6, 0.3), (0.06, 0.04, 0.02), rng)
    return P.place(n, sr, np.arange(0.005, n / sr - 0.05, 1 / rate), strike)


@event("sonar_ping", ("a sonar ping", "a submarine sonar beep", "an echoing ping", "a single ping with an echo"),
       ("sonar", "ping", "echo"))
def _sonar(rng, sr):
    m = P.n_samples(1.2, sr)
    f = _u(rng, 900, 1800)
    ping = np.sin(P.TAU * f * P.times(m, sr)) * P.decay_env(m, sr, _u(rng, 0.2, 0.35), attack=0.02)
    delay = _u(rng, 0.3, 0.5)
    return P.place(P.n_samples(1.2 + 2 * delay, sr), sr, [0.01, 0.01 + delay, 0.01 + 2 * delay], ping, [1.0, 0.35, 0.12])


assert len(EMBEDDED_EVENTS) >= 40
