"""The SED mixture synthesizer of §4.2 and C.4: events placed over a background, relabelled by loudness.

One mixture, reproducible from ``(seed, index)`` alone (``numpy.random.default_rng([seed, index])``,
so it does not depend on which mixtures were made before or in which process):

1. **Background.** One clip drawn uniformly. Longer than the mixture: a random crop (starting on the
   20 ms frame grid when the hop is a whole number of samples, so that the clip's frame loudness is
   computed once and reused). Shorter: looped from a random start, with a ``fade_s`` linear cross-fade
   at each seam. No backgrounds: silence.
2. **Events.** ``N ~ U{min_events..max_events}``. For each, a pool is drawn by ``pool_weights``
   (80/20 sound effects / general audio); an empty pool falls back to the non-empty ones and is counted
   (``stats["pool_fallback"]``). A clip is drawn uniformly in the pool (or, with ``balance_texts``, a
   description uniformly and then one of its clips) and one of its descriptions uniformly. A clip
   longer than the mixture is randomly cropped to it. Clips passed as ``given`` to :meth:`render` (the
   ``mixture`` augmenter's input) take the place of the first drawn events and go through steps 3-8 alike.
3. **Split / repeat.** With ``split_prob`` the clip is cut into ``U{split_pieces}`` contiguous pieces,
   each at least ``min_split_s`` (fewer pieces if the clip is too short; none if fewer than 2 fit,
   counted as ``split_too_short``); with ``repeat_prob`` it is used ``U{repeat_count}`` times (fewer if
   the copies cannot fit side by side, ``repeat_too_long``). Pieces go to independent random positions.
4. **Placement.** The pieces' onsets are drawn uniformly among non-overlapping arrangements of the
   pieces; a draw is rejected if it would make more than ``max_concurrent`` events overlap, counted on
   the 50 Hz frames each piece can touch (its loudness windows), both per placed clip and per
   description after C.4's gap filling (so the *labels* never exceed the limit either). After
   ``onset_tries`` rejected draws the event is dropped (``stats["dropped_no_room"]``): the mixture then
   has fewer events than drawn, which happens when long events crowd the 10 s.
5. **Fades.** ``fade_s`` linear fade-in and fade-out on every placed piece (at most half its length).
6. **Gain.** Loudness is the A-weighted RMS over *active* frames (level >= ``threshold_db``; see
   :mod:`.loudness`). The background is scaled to ``background_db`` (``None`` keeps its level), then each
   event gets ``offset ~ U(gain_db)`` dB above the background's loudness, solved exactly on the event's
   own placed, faded signal. The paper gives no absolute level, but the -70 dB gate needs one:
   ``background_db=-40`` puts events at -34..-10 dB. A background with no audible frame (silence) is replaced as the reference
   by ``silent_background_db`` (``stats["silent_background"]``).
7. **Peak safety.** If the sum peaks above ``peak``, the whole mixture (background and every event) is
   scaled down by one factor: relative gains are kept and nothing is limited or distorted. Since the
   absolute -70 dB gate then moves, steps 6-7 are iterated until the active frames used for the gains
   are those of the final, scaled signals (``stats["gain_unconverged"]`` if ``gain_iterations`` do not
   suffice; the gains are then off by a frame's worth).
8. **Relabelling.** Each placed event's own final signal is gated at ``threshold_db`` per frame; events
   with the same description are one :class:`~flamkit.data.example.Event` (their activities are OR-ed);
   C.4's smoothing is applied per description (:mod:`.relabel`). A description left with no active frame
   is not labelled (``stats["inaudible"]``).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from flamkit.data.example import Event, activity_to_segments
from flamkit.data.synth.clips import Clip, ClipError
from flamkit.data.synth.loudness import AWeightedLoudness, GainSolution, active_loudness_db, solve_gain_db
from flamkit.data.synth.mixture import Mixture, PlacedEvent, apply_fades, loop_to_length
from flamkit.data.synth.relabel import fill_gaps, smooth_activity


@dataclass
class SynthConfig:
    """Every number of §4.2 / C.4, with the paper's values as defaults."""

    sample_rate: int = 48000
    duration_s: float = 10.0
    min_events: int = 1
    max_events: int = 10
    pool_weights: dict[str, float] = field(default_factory=lambda: {"sfx": 0.8, "general": 0.2})
    max_concurrent: int = 3
    onset_tries: int = 50
    split_prob: float = 0.1
    split_pieces: tuple[int, int] = (2, 3)
    min_split_s: float = 0.5
    repeat_prob: float = 0.1
    repeat_count: tuple[int, int] = (2, 3)
    gain_db: tuple[float, float] = (6.0, 30.0)
    background_db: float | None = -40.0
    silent_background_db: float = -40.0
    fade_s: float = 0.01
    peak: float = 0.99
    threshold_db: float = -70.0
    min_gap_frames: int = 10
    min_segment_frames: int = 2
    min_total_frames: int = 10
    window_s: float = 0.05
    gain_iterations: int = 6
    skip_bad_clips: bool = True  # False: an undecodable clip raises ClipError
    load_retries: int = 5  # consecutive bad clips tolerated per draw before giving up
    # True: a description uniformly, then one of its clips (for corpora with 150 clips of one label and
    # 1 of another, like debian-sfx); False: clips uniformly, as the paper describes
    balance_texts: bool = False

    def validate(self) -> "SynthConfig":
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise ValueError(f"SynthConfig: {what}")

        need(self.sample_rate >= 8000, f"sample_rate={self.sample_rate} must be >= 8000")
        need(self.duration_s > 0, "duration_s must be > 0")
        need(1 <= self.min_events <= self.max_events, "need 1 <= min_events <= max_events")
        need(self.max_concurrent >= 1, "max_concurrent must be >= 1")
        need(bool(self.pool_weights) and all(w >= 0 for w in self.pool_weights.values())
             and sum(self.pool_weights.values()) > 0, "pool_weights must be non-negative with a positive sum")
        need(0 <= self.split_prob and 0 <= self.repeat_prob and self.split_prob + self.repeat_prob <= 1,
             "split_prob + repeat_prob must lie in [0, 1]")
        for name in ("split_pieces", "repeat_count"):
            lo, hi = getattr(self, name)
            need(2 <= lo <= hi, f"{name}={(lo, hi)} must satisfy 2 <= low <= high")
        need(self.gain_db[0] <= self.gain_db[1], "gain_db must be (low, high)")
        need(0 < self.peak <= 1.0, "peak must be in (0, 1]")
        need(self.onset_tries >= 1 and self.gain_iterations >= 1 and self.load_retries >= 1,
             "onset_tries, gain_iterations and load_retries must be >= 1")
        return self


class MixtureSynthesizer:
    """Synthesises SED mixtures on the fly or for rendering; ``synth(index)`` gives an ``Example``.

    ``events`` and ``backgrounds`` are clip providers (:mod:`.clips`): files loaded lazily through an
    LRU cache, or arrays in memory. Each event clip's ``pool`` must be a key of ``pool_weights``.
    """

    def __init__(
        self,
        events: Sequence[Clip],
        backgrounds: Sequence[Clip],
        config: SynthConfig | None = None,
        seed: int = 0,
    ) -> None:
        self.config = cfg = (config or SynthConfig()).validate()
        self.seed = int(seed)
        self.backgrounds = list(backgrounds)
        self.pools: dict[str, list[Clip]] = {name: [] for name in cfg.pool_weights}
        unknown = Counter()
        for clip in events:
            if clip.pool in self.pools:
                self.pools[clip.pool].append(clip)
            else:
                unknown[clip.pool] += 1
        if unknown:
            raise ValueError(
                f"event clips with pools {dict(unknown)} not in pool_weights {list(cfg.pool_weights)}; "
                "add those pools to pool_weights (weight 0 to ignore them)"
            )
        if not any(self.pools[p] for p, w in cfg.pool_weights.items() if w > 0):
            raise ValueError(f"no event clips in any pool with a positive weight ({cfg.pool_weights})")
        self.meter = AWeightedLoudness(cfg.sample_rate, cfg.window_s)
        self.grid = self.meter.grid
        self.n_samples = int(round(cfg.duration_s * cfg.sample_rate))
        self.n_frames = self.grid.num_frames(self.n_samples)
        self._bg_power_cache: dict[str, np.ndarray] = {}  # background key -> frame power of the whole clip
        self._pool_names = list(cfg.pool_weights)
        self._pool_p = np.array([cfg.pool_weights[p] for p in self._pool_names], dtype=np.float64)
        self._by_text: dict[str, list[list[Clip]]] = {}  # pool -> clips grouped by first description
        for name, clips in self.pools.items():
            groups: dict[str, list[Clip]] = {}
            for clip in clips:
                groups.setdefault(clip.texts[0], []).append(clip)
            self._by_text[name] = list(groups.values())

    def __call__(self, index: int) -> Example:
        return self.render(index).to_example()

    # ---- drawing sources -------------------------------------------------------------------------

    def _load(self, clip: Clip, mix: _Work) -> np.ndarray | None:
        try:
            return clip.load(self.config.sample_rate)
        except ClipError as exc:
            if not self.config.skip_bad_clips:
                raise
            mix.stats["bad_clips"] += 1
            mix.problems.append(str(exc))
            return None

    def _background(self, rng: np.random.Generator, mix: _Work) -> tuple[np.ndarray, np.ndarray]:
        """The background canvas and its A-weighted frame power."""
        n = self.n_samples
        if not self.backgrounds:
            mix.stats["no_background"] += 1
            return np.zeros(n, dtype=np.float32), np.zeros(self.n_frames)
        for _ in range(self.config.load_retries):
            clip = self.backgrounds[int(rng.integers(len(self.backgrounds)))]
            audio = self._load(clip, mix)
            if audio is None:
                continue
            mix.background_key = clip.key
            hop = self.grid.hop
            if len(audio) >= n and hop == int(hop):
                # crop on the frame grid, so the frame power of the whole clip (computed once) serves
                start = int(rng.integers(0, (len(audio) - n) // int(hop) + 1)) * int(hop)
                bg = np.array(audio[start : start + n], dtype=np.float32)
                return bg, self._crop_power(clip.key, audio, bg, start // int(hop))
            if len(audio) >= n:
                start = int(rng.integers(0, len(audio) - n + 1))
                bg = np.array(audio[start : start + n], dtype=np.float32)
            else:
                mix.stats["background_looped"] += 1
                start = int(rng.integers(0, len(audio)))
                bg = loop_to_length(audio, n, start, round(self.config.fade_s * self.config.sample_rate))
            return bg, self.meter.frame_power(bg, 0, self.n_frames)
        raise ClipError(f"{self.config.load_retries} background clips in a row could not be loaded: "
                        + "; ".join(mix.problems[-3:]))

    def _crop_power(self, key: str, audio: np.ndarray, bg: np.ndarray, first: int) -> np.ndarray:
        """Frame power of a grid-aligned crop starting at clip frame ``first``: interior frames are the
        clip's own (identical windows); the few frames whose window runs past the crop, where the crop
        is zero-padded, are recomputed."""
        whole = self._bg_power_cache.get(key)
        if whole is None:
            whole = self.meter.frame_power(audio, 0, self.grid.num_frames(len(audio)))
            if len(self._bg_power_cache) >= 4096:
                self._bg_power_cache.pop(next(iter(self._bg_power_cache)))
            self._bg_power_cache[key] = whole
        power = np.array(whole[first : first + self.n_frames], dtype=np.float64)
        starts = self.grid.starts(0, self.n_frames)
        head = int(np.sum(starts < 0))
        tail = int(np.sum(starts + self.grid.window > self.n_samples))
        if head:
            power[:head] = self.meter.frame_power(bg, 0, head)
        if tail:
            power[-tail:] = self.meter.frame_power(bg, self.n_frames - tail, tail)
        return power

    def _draw_event(self, rng: np.random.Generator, mix: _Work) -> tuple[Clip, str, np.ndarray] | None:
        for _ in range(self.config.load_retries):
            u = rng.random()
            name = self._pool_names[int(np.searchsorted(np.cumsum(self._pool_p) / self._pool_p.sum(), u,
                                                        side="right"))]
            if not self.pools[name]:
                mix.stats["pool_fallback"] += 1
                p = np.array([w if self.pools[q] else 0.0 for q, w in zip(self._pool_names, self._pool_p)])
                name = self._pool_names[int(rng.choice(len(p), p=p / p.sum()))]
            mix.stats[f"pool_{name}"] += 1
            if self.config.balance_texts:
                groups = self._by_text[name]  # a description uniformly, then one of its clips
                group = groups[int(rng.integers(len(groups)))]
                clip = group[int(rng.integers(len(group)))]
            else:
                pool = self.pools[name]
                clip = pool[int(rng.integers(len(pool)))]
            text = clip.texts[int(rng.integers(len(clip.texts)))]
            audio = self._load(clip, mix)
            if audio is not None:
                return clip, text, audio
        mix.stats["dropped_unloadable"] += 1
        return None

    # ---- split / repeat / placement ---------------------------------------------------------------

    def _pieces(self, audio: np.ndarray, rng: np.random.Generator, mix: _Work) -> tuple[str, str, list[np.ndarray]]:
        cfg = self.config
        u = rng.random()
        mode = "split" if u < cfg.split_prob else "repeat" if u < cfg.split_prob + cfg.repeat_prob else "single"
        mix.stats[f"mode_{mode}"] += 1
        if mode == "split":
            k = int(rng.integers(cfg.split_pieces[0], cfg.split_pieces[1] + 1))
            m = max(1, int(round(cfg.min_split_s * cfg.sample_rate)))
            k = min(k, len(audio) // m)
            if k >= 2:
                extra = np.sort(rng.integers(0, len(audio) - k * m + 1, size=k - 1))
                cuts = np.concatenate([[0], m * np.arange(1, k) + extra, [len(audio)]])
                return mode, mode, [audio[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
            mix.stats["split_too_short"] += 1
        elif mode == "repeat":
            k = min(int(rng.integers(cfg.repeat_count[0], cfg.repeat_count[1] + 1)), self.n_samples // len(audio))
            if k >= 2:
                return mode, mode, [audio] * k
            mix.stats["repeat_too_long"] += 1
        return mode, "single", [audio]

    def _place(self, lengths: list[int], text: str, mix: _Work, rng: np.random.Generator) -> list[int] | None:
        """Onsets for the pieces, or None. Pieces of one event never overlap each other."""
        cfg, grid = self.config, self.grid
        k, tries = len(lengths), cfg.onset_tries
        free = self.n_samples - sum(lengths)
        if free < 0:
            return None
        # uniform over non-overlapping arrangements: a random order and k sorted gap positions
        points = np.sort(rng.integers(0, free + 1, size=(tries, k)), axis=1)
        orders = np.argsort(rng.random((tries, k)), axis=1)
        lengths_arr = np.asarray(lengths, dtype=np.int64)
        own = mix.label_fp.get(text)
        others = mix.occ_label - own if own is not None else mix.occ_label
        for t in range(tries):
            order = orders[t]
            before = np.concatenate([[0], np.cumsum(lengths_arr[order])[:-1]])
            onsets = np.empty(k, dtype=np.int64)
            onsets[order] = points[t] + before
            fp = np.zeros(self.n_frames, dtype=bool)
            for o, n in zip(onsets, lengths_arr):
                a, b = grid.footprint(int(o), int(o + n))
                fp[a : min(b, self.n_frames)] = True
            if np.any(mix.occ_place[fp] >= cfg.max_concurrent):
                continue
            label = fill_gaps(fp | own if own is not None else fp, cfg.min_gap_frames)
            if np.any(others + label > cfg.max_concurrent):
                continue
            mix.occ_place += fp
            mix.occ_label = others + label
            mix.label_fp[text] = label
            return [int(o) for o in onsets]
        return None

    def _event_power(self, placed: PlacedEvent) -> np.ndarray:
        """Unit-gain A-weighted frame power of the event's own placed signal, on the whole grid."""
        first = min(self.grid.footprint(o, o + n)[0] for o, n in placed.pieces)
        last = min(self.n_frames, max(self.grid.footprint(o, o + n)[1] for o, n in placed.pieces))
        w = self.grid.window
        lo = self.grid.start(first)
        hi = self.grid.start(last - 1) + w
        buf = np.zeros(hi - lo, dtype=np.float32)
        for (o, n), piece in zip(placed.pieces, placed.audio):
            a, b = max(o, lo), min(o + n, hi)
            buf[a - lo : b - lo] = piece[a - o : b - o]
        power = np.zeros(self.n_frames)
        power[first:last] = self.meter.frame_power(buf, first, last - first, offset=lo)
        placed.frames = (first, last)
        return power

    # ---- gains and mixing ---------------------------------------------------------------------------

    def _mix(self, bg: np.ndarray, g_bg: float, placed: list[PlacedEvent], gains: list[float]) -> np.ndarray:
        out = bg * np.float32(g_bg) if g_bg != 1.0 else bg.copy()
        for p, g in zip(placed, gains):
            for (o, n), piece in zip(p.pieces, p.audio):
                out[o : o + n] += np.float32(g) * piece
        return out

    def _solve_gains(self, bg_power: np.ndarray, placed: list[PlacedEvent], gate_db: float, mix: _Work
                     ) -> tuple[float, float, list]:
        cfg = self.config
        g_bg, ref = 0.0, None
        if np.any(bg_power > 0):
            if cfg.background_db is not None:
                sol = solve_gain_db(bg_power, cfg.background_db, gate_db)
                g_bg, ref = sol.gain_db, sol.loudness_db
            else:
                ref = active_loudness_db(bg_power, gate_db)
        if ref is None:
            ref = cfg.silent_background_db
            mix.silent_background = True
        sols = [solve_gain_db(p.power, ref + p.offset_db, gate_db) for p in placed]
        # all-zero A-weighted power despite non-zero samples (e.g. pure DC): unit gain, never active
        sols = [s if s is not None else GainSolution(0.0, float("-inf"), False) for s in sols]
        return g_bg, ref, sols

    def _active_sets(self, bg_power, g_bg, placed, gains_db, gate_db) -> np.ndarray:
        thr = 10.0 ** (gate_db / 10.0)
        sets = [bg_power * 10.0 ** (g_bg / 10.0) >= thr]
        sets += [p.power * 10.0 ** (g / 10.0) >= thr for p, g in zip(placed, gains_db)]
        return np.concatenate(sets)

    def _add_event(self, clip: Clip, text: str, audio: np.ndarray, rng: np.random.Generator, mix: _Work,
                   n_fade: int) -> PlacedEvent | None:
        """Steps 2 (crop) to 5 (fades) for one event clip; None when it is dropped (counted in stats)."""
        cfg = self.config
        if len(audio) > self.n_samples:
            start = int(rng.integers(0, len(audio) - self.n_samples + 1))
            audio = audio[start : start + self.n_samples]
            mix.stats["event_cropped"] += 1
        mode, realized, pieces = self._pieces(audio, rng, mix)
        offset = float(rng.uniform(*cfg.gain_db))
        if not any(np.any(x) for x in pieces):  # a crop of a clip can be digital silence
            mix.stats["dropped_silent"] += 1
            return None
        onsets = self._place([len(p) for p in pieces], text, mix, rng)
        if onsets is None:
            mix.stats["dropped_no_room"] += 1
            return None
        p = PlacedEvent(text, clip.key, clip.pool, mode, realized, [(o, len(x)) for o, x in zip(onsets, pieces)],
                        offset, audio=[apply_fades(x, n_fade) for x in pieces])
        p.power = self._event_power(p)
        return p

    # ---- the mixture --------------------------------------------------------------------------------

    def render(self, index: int, stems: bool = False, given: Sequence[Clip] = ()) -> Mixture:
        """Mixture ``index`` (with per-source stems, after every gain and the final scale, if asked).

        ``given``: clips that must be events of this mixture, e.g. the example the ``mixture``
        augmenter turns into one. They take the place of drawn events: ``N`` is drawn as always and
        ``max(0, N - len(given))`` clips are drawn from the pools. Given clips are placed first, in
        order, by the same rules (one of their texts drawn, a random crop if longer than the mixture,
        split/repeat, gain, fades, relabelling), so the first is always placed unless its random crop
        is digital silence (``dropped_silent``). A given clip that cannot be loaded raises
        :class:`ClipError` whatever ``skip_bad_clips`` says: the mixture would not be the one asked
        for. Without ``given`` this is exactly the mixture it always was.
        """
        cfg = self.config
        rng = np.random.default_rng([self.seed, int(index)])
        mix = _Work(self.n_frames)
        bg, bg_power = self._background(rng, mix)
        n_drawn = int(rng.integers(cfg.min_events, cfg.max_events + 1))
        n_fade = int(round(cfg.fade_s * cfg.sample_rate))
        placed: list[PlacedEvent] = []
        for clip in given:
            text = clip.texts[int(rng.integers(len(clip.texts)))]
            p = self._add_event(clip, text, clip.load(cfg.sample_rate), rng, mix, n_fade)
            if p is not None:
                placed.append(p)
        if given:
            mix.stats["given"] += len(given)
        for _ in range(n_drawn - len(given)):
            drawn = self._draw_event(rng, mix)
            if drawn is not None:
                p = self._add_event(*drawn, rng, mix, n_fade)
                if p is not None:
                    placed.append(p)
        n_requested = max(n_drawn, len(given))

        # steps 6-7: gains at the gate of the final scale (fixed point, see module docstring)
        scale_db, converged = 0.0, False
        for _ in range(cfg.gain_iterations):
            mix.silent_background = False
            g_bg, ref, sols = self._solve_gains(bg_power, placed, cfg.threshold_db - scale_db, mix)
            gains_db = [s.gain_db for s in sols]
            out = self._mix(bg, 10.0 ** (g_bg / 20.0), placed, [10.0 ** (g / 20.0) for g in gains_db])
            peak = float(np.max(np.abs(out))) if len(out) else 0.0
            new_scale = min(0.0, 20.0 * math.log10(cfg.peak / peak)) if peak > 0 else 0.0
            used = self._active_sets(bg_power, g_bg, placed, gains_db, cfg.threshold_db - scale_db)
            final = self._active_sets(bg_power, g_bg, placed, gains_db, cfg.threshold_db - new_scale)
            scale_db = new_scale
            if np.array_equal(used, final):
                converged = True
                break
        if not converged:
            mix.stats["gain_unconverged"] += 1
        if mix.silent_background:
            mix.stats["silent_background"] += 1
        scale = 10.0 ** (scale_db / 20.0)
        out *= np.float32(scale)

        # step 8: relabel each event from its own final signal, merge by description, smooth
        thr = 10.0 ** (cfg.threshold_db / 10.0)
        by_text: dict[str, np.ndarray] = {}
        for p, sol in zip(placed, sols):
            p.gain_db, p.exact = sol.gain_db, sol.exact
            p.achieved_offset_db = sol.loudness_db - ref
            if not sol.exact:
                mix.stats["gain_inexact"] += 1
            p.activity = p.power * 10.0 ** ((sol.gain_db + scale_db) / 10.0) >= thr
            by_text[p.text] = by_text[p.text] | p.activity if p.text in by_text else p.activity.copy()
        events = []
        for text, raw in by_text.items():
            act = smooth_activity(raw, cfg.min_gap_frames, cfg.min_segment_frames, cfg.min_total_frames)
            if not act.any():
                mix.stats["inaudible"] += 1
                continue
            events.append(Event(text, activity_to_segments(act), act))
        mix.stats["placed"] = len(placed)

        result = Mixture(out, cfg.sample_rate, self.seed, int(index), events, placed, n_requested,
                         mix.background_key, g_bg, ref, scale_db, mix.stats, mix.problems)
        if stems:
            result.background_stem = bg * np.float32(10.0 ** ((g_bg + scale_db) / 20.0))
            result.event_stems = []
            for p in placed:
                s = np.zeros(self.n_samples, dtype=np.float32)
                for (o, n), piece in zip(p.pieces, p.audio):
                    s[o : o + n] += np.float32(10.0 ** ((p.gain_db + scale_db) / 20.0)) * piece
                result.event_stems.append(s)
        return result


class _Work:
    """Scratch state of one mixture being made."""

    def __init__(self, n_frames: int) -> None:
        self.stats: Counter = Counter()
        self.problems: list[str] = []
        self.background_key: str | None = None
        self.silent_background = False
        self.occ_place = np.zeros(n_frames, dtype=np.int16)  # placed clips touching each frame
        self.occ_label = np.zeros(n_frames, dtype=np.int16)  # labelled descriptions possibly active
        self.label_fp: dict[str, np.ndarray] = {}  # description -> frames it may be labelled on


def config_dict(config: SynthConfig) -> dict:
    """The config as plain JSON-able values (tuples -> lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()}
