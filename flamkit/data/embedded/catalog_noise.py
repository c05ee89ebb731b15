"""Noisy and rhythmic event types of the embedded vocabulary: air and textures, impacts, clicks,
rhythms and animals."""

from __future__ import annotations

import numpy as np

from flamkit.data.embedded import primitives as P
from flamkit.data.embedded.event_types import _u, event

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
