"""Mixtures per second per core: flamkit's MixtureSynthesizer against Scaper, measured in one run.

Both get the same sources: the embedded vocabulary's training split written to disk as WAV in
Scaper's ``foreground/<label>/`` + ``background/<label>/`` layout (flamkit reads the same files through
the manifest written alongside). Both make 10 s soundscapes at the same rate with, per mixture index,
the same number of events N ~ U{1..10} (flamkit draws it; Scaper is given it), event SNR U(6, 30) dB
over the background, one background cropped at a random time, peak-safe output (Scaper:
``fix_clipping=True``; both apply 10 ms fades, Scaper's default). flamkit additionally does what
Scaper does not: the <= 3-overlap constraint, 10 % split / 10 % repeat and A-weighted relabelling with
C.4 smoothing.

Rates are mixtures per CPU-second of this single-threaded process (children included), i.e. per core;
wall-clock rates are printed too. Three flamkit figures: warm cache (the steady state of training and
of ``render_dataset`` workers: decoded clips stay in the LRU cache), cold (every clip decoded from disk
for every use, as Scaper does), and ``render`` (warm, plus 16-bit FLAC encoding and sidecar writing).

    OMP_NUM_THREADS=1 python benchmarks/synth_throughput.py [--sample-rate 48000] [--n 200] [--n-scaper 30]
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import logging  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from flamkit.data.embedded.export import export_embedded  # noqa: E402
from flamkit.data.manifest import read_manifest  # noqa: E402
from flamkit.data.synth.clips import AudioCache  # noqa: E402
from flamkit.data.synth.mixer import MixtureSynthesizer, SynthConfig  # noqa: E402
from flamkit.data.synth.pools import clips_from_rows, split_pool  # noqa: E402
from flamkit.data.synth.render import _write_mixture  # noqa: E402


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn, n: int) -> tuple[float, float]:
    """(mixtures per CPU-second, mixtures per wall-second) of ``fn(i)`` for i in range(n)."""
    c0, w0 = cpu_seconds(), time.perf_counter()
    for i in range(n):
        fn(i)
    c, w = cpu_seconds() - c0, time.perf_counter() - w0
    return n / c, n / w


def flamkit_synth(rows, sample_rate: int, seed: int, cache: AudioCache | None) -> MixtureSynthesizer:
    split = split_pool(rows)
    events = clips_from_rows(split.events, cache=cache)
    backgrounds = clips_from_rows(split.backgrounds, pool="background", cache=cache)
    return MixtureSynthesizer(events, backgrounds, SynthConfig(sample_rate=sample_rate), seed=seed)


def scaper_factory(root: str, sample_rate: int, bg_seconds: float, counts: list[int]):
    if not hasattr(np, "Inf"):  # Scaper 1.6.5 still uses np.Inf, removed in NumPy 2 (same value as np.inf)
        np.Inf = np.inf
    import scaper

    logging.getLogger("scaper").setLevel(logging.ERROR)
    fg, bg = os.path.join(root, "foreground"), os.path.join(root, "background")

    def make(i: int):
        sc = scaper.Scaper(10.0, fg, bg, random_state=i)
        sc.sr = sample_rate
        sc.n_channels = 1
        sc.ref_db = -40
        sc.add_background(label=("choose", []), source_file=("choose", []),
                          source_time=("uniform", 0, bg_seconds - 10.0))
        for _ in range(counts[i % len(counts)]):
            # event_duration longer than any clip: Scaper uses each clip whole (as flamkit does)
            sc.add_event(label=("choose", []), source_file=("choose", []), source_time=("const", 0),
                         event_time=("uniform", 0, 6.0), event_duration=("const", 4.0),
                         snr=("uniform", 6, 30), pitch_shift=None, time_stretch=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            audio, _, annotations, _ = sc.generate(fix_clipping=True, disable_instantiation_warnings=True)
        return audio, annotations

    return make


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample-rate", type=int, default=48000)
    ap.add_argument("--n", type=int, default=200, help="flamkit mixtures per measurement")
    ap.add_argument("--n-scaper", type=int, default=30, help="Scaper soundscapes")
    ap.add_argument("--instances", type=int, default=4, help="embedded instances per event type")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", default=None, help="where the sources are written (default: a temp dir)")
    ap.add_argument("--skip-scaper", action="store_true")
    args = ap.parse_args()
    sr = args.sample_rate

    tmp = tempfile.TemporaryDirectory() if args.workdir is None else None
    root = args.workdir or tmp.name
    bg_seconds = 12.0
    manifest = export_embedded(root, "train", sr, args.instances, args.seed, 2, bg_seconds)
    rows = read_manifest(manifest).rows
    n_ev = sum(r["kind"] == "event" for r in rows)
    print(f"sources: {n_ev} events, {len(rows) - n_ev} backgrounds ({bg_seconds:g} s) at {sr} Hz in {root}")

    warm = flamkit_synth(rows, sr, args.seed, AudioCache(2 << 30))
    for i in range(20):  # fill the cache: steady state
        warm.render(i)
    counts = [warm.render(i).n_requested for i in range(args.n)]
    print(f"events per mixture (flamkit's draw, given to Scaper too): mean {np.mean(counts):.2f}")

    results = {}
    results["flamkit (warm cache)"] = timed(warm.render, args.n)
    cold = flamkit_synth(rows, sr, args.seed, None)
    results["flamkit (decode every clip)"] = timed(cold.render, max(20, args.n // 4))
    with tempfile.TemporaryDirectory() as out:
        results["flamkit render (warm + FLAC)"] = timed(lambda i: _write_mixture(warm, i, out, 1000), max(20, args.n // 4))
    if not args.skip_scaper:
        try:
            make = scaper_factory(root, sr, bg_seconds, counts)
        except ImportError as exc:
            raise SystemExit(f"Scaper is not installed ({exc}); see the install steps in benchmarks/README or "
                             "run with --skip-scaper") from exc
        audio, _ = make(0)
        assert abs(len(audio) - 10 * sr) <= 1, "Scaper soundscape has the wrong length"
        results["scaper"] = timed(lambda i: make(i), args.n_scaper)

    print(f"\n10 s mixtures at {sr} Hz, single core (OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}):")
    for name, (per_cpu, per_wall) in results.items():
        print(f"  {name:32s} {per_cpu:8.2f} mixtures/s/core   ({per_wall:7.2f} per wall-second)")
    base = results["flamkit (warm cache)"][0]
    print(f"\ntarget >= 12 mixtures/s/core: {'met' if base >= 12 else 'NOT met'} ({base:.1f})")
    if "scaper" in results:
        s = results["scaper"][0]
        print(f"ratio flamkit/Scaper: {base / s:.1f}x warm, {results['flamkit (decode every clip)'][0] / s:.1f}x "
              f"decoding every clip, {results['flamkit render (warm + FLAC)'][0] / s:.1f}x rendering to FLAC "
              f"(target >= 5x)")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
