"""Tonal event types of the embedded vocabulary: beeps, electronic tones, sweeps, sirens, struck, plucked
and blown sounds."""

from __future__ import annotations

import numpy as np

from flamkit.data.embedded import primitives as P
from flamkit.data.embedded.event_types import _u, event


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
