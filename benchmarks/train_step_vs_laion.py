"""The full FLAM training step against LAION-CLAP's, same device, same batch sizes, one process (issue 14).

flamkit's step: audio + text encoders, projections, per-text scale/bias heads, CLIP + SED + prior
losses, backward, gradient clipping, Adam step, on synthetic 10 s batches (a global batch of B
(clip, caption) pairs and a SED batch of B clips with 5 B text slots, 2 B of them real). The peer's
step is ``../shared/peer-bench/laion_clap_step.py``'s AnchorCLAP (HTSAT-tiny + RoBERTa-base, CLIP loss,
AdamW), built by that script's own code. Both random init, bf16 autocast on a GPU (fp32 on a CPU).

Variants in the same run: flamkit ``eager`` (the default config), ``compile`` (torch.compile of the
objective, ``train.compile``) and ``best`` (compile + fused Adam + SDPA text attention, padding to the
batch's longest text); the peer eager and, with ``--peer-compile``, compiled. For each: samples/s,
the ratio to the peer's eager step, achieved TFLOP/s and MFU (FLOPs of one step counted with
torch.utils.flop_counter at a small batch, per sample), peak memory per sample. ``--loader`` also
times an experiment's data streams (batches/s against the step's).

    # GPU (the peer's wheels: bash ../shared/peer-bench/fetch_wheels.sh .whl, see its README)
    PYTHONPATH=.:/tmp/site python benchmarks/train_step_vs_laion.py --batches 64,128,256 --peer-compile
    # CPU smoke run: the code path at a tiny size (quickstart model), not a speed measurement
    PYTHONPATH=. python benchmarks/train_step_vs_laion.py --smoke
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Dense bf16 peak of the cards the issue names (no sparsity), TFLOP/s; MFU is "n/a" elsewhere.
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0}


def peak_tflops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)


def flamkit_step(experiment: str, overrides: list[str], device: torch.device, fused: bool, compile_backend: str | None):
    """(make_batches(B), step(batches)) for flamkit's training step at ``experiment``'s model size."""
    from flamkit.config.compose import compose
    from flamkit.data.collate import AudioTextBatch, SedBatch
    from flamkit.models.flam import build_model
    from flamkit.train.loop import build_objective
    from flamkit.train.optim import adam

    cfg = compose(experiment, overrides)
    torch.manual_seed(0)
    model = build_model(cfg.model)
    objective = build_objective(cfg, model).to(device).train()
    params = [p for p in objective.parameters() if p.requires_grad]
    opt = adam(params, lr=1e-4, fused=True if fused else None)
    module = torch.compile(objective, backend=compile_backend) if compile_backend else objective
    sr, L = model.sample_rate, model.frames
    T = int(round(float(cfg.data.clip_seconds) * sr))
    words = ["dog", "bark", "rain", "engine", "door", "bird", "car", "wind", "water", "voice", "bell", "glass"]

    def text(i: int) -> str:
        return " ".join(words[(i * 7 + j) % len(words)] for j in range(3 + i % 9))

    def make_batches(B: int) -> dict[str, Any]:
        g = torch.Generator().manual_seed(B)
        K, real = int(cfg.data.slots_per_clip) * B, 2 * B
        sed = SedBatch(
            audio=torch.randn(B, T, generator=g) * 0.1,
            texts=[text(i) for i in range(real)] + [""] * (K - real),
            text_ids=torch.cat([torch.arange(real), torch.full((K - real,), -1)]),
            event_ids=torch.stack([torch.arange(B), torch.arange(B) + B], 1),
            event_masks=torch.rand(B, 2, L, generator=g) > 0.5,
            keys=[str(i) for i in range(B)],
        )
        glob = AudioTextBatch(audio=torch.randn(B, T, generator=g) * 0.1, captions=[text(i) for i in range(B)],
                              caption_ids=torch.arange(B), keys=[str(i) for i in range(B)])
        return {"global": glob.to(device), "sed": sed.to(device)}

    def step(batches: dict[str, Any]) -> None:
        opt.zero_grad(set_to_none=True)
        with autocast(device):
            total, _, _ = module(batches)
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    return make_batches, step, cfg


def peer_step(peer_bench: Path, device: torch.device, compile_model: bool):
    sys.path.insert(0, str(peer_bench))
    import laion_clap_step  # noqa: E402  (needs laion-clap, torchlibrosa, librosa: see the peer's README)

    torch.manual_seed(0)
    model = laion_clap_step.AnchorCLAP(laion_clap_step.load_htsat_module()).to(device).train()
    fwd = torch.compile(model) if compile_model else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.99))

    def make_batches(B: int):
        return (torch.randn(B, 480000, device=device) * 0.1, torch.randint(3, 50000, (B, 77), device=device),
                torch.ones(B, 77, dtype=torch.long, device=device))

    def step(batch) -> None:
        with autocast(device):
            loss = fwd(*batch)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return make_batches, step


def autocast(device: torch.device):
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def flops_per_sample(make: Callable[[int], Any], step: Callable[[Any], None], B: int = 2) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    batch = make(B)
    with FlopCounterMode(display=False) as fc:
        step(batch)
    return fc.get_total_flops() / B


def time_step(make, step, B: int, device: torch.device, warmup: int, steps: int) -> dict[str, float]:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    batch = make(B)
    for _ in range(warmup):
        step(batch)
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step(batch)
    sync(device)
    dt = (time.perf_counter() - t0) / steps
    mem = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else float("nan")
    return {"samples_per_s": B / dt, "step_s": dt, "peak_gib_per_sample": mem / B}


def loader_rate(experiment: str, overrides: list[str], batches: int) -> float:
    """Batches/s of every stream of ``experiment`` together, as the loop draws them."""
    from flamkit.config.compose import compose
    from flamkit.data.build import build_streams
    from flamkit.models.flam import build_model

    cfg = compose(experiment, overrides)
    model = build_model(cfg.model)
    streams = build_streams(cfg, model, rank=0, positions={s: 0 for s in ("global", "sed")}, names=["global", "sed"])
    its = {k: iter(v) for k, v in streams.items()}
    for it in its.values():
        next(it)
    t0 = time.perf_counter()
    for _ in range(batches):
        for it in its.values():
            next(it)
    return batches / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batches", default="64,128,256")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--experiment", default="flam", help="whose model size and losses (paper size: flam)")
    ap.add_argument("--tiny", action="store_true", help="quickstart's small model: a code-path check")
    ap.add_argument("--smoke", action="store_true", help="--device cpu --tiny --batches 2 --steps 1 --warmup 1")
    ap.add_argument("--peer-bench", type=Path, default=ROOT.parent / "shared" / "peer-bench")
    ap.add_argument("--peer-compile", action="store_true", help="also time the peer's torch.compile step")
    ap.add_argument("--loader", default=None, help="time this experiment's data streams against the step")
    args = ap.parse_args()
    if args.smoke:
        args.device, args.tiny, args.batches, args.steps, args.warmup = "cpu", True, "2", 1, 1
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    experiment = "quickstart" if args.tiny else args.experiment
    sizes = [int(b) for b in args.batches.split(",")]
    # On a CPU the inductor compiler would dominate a smoke run: compile with the eager backend there.
    backend = "inductor" if device.type == "cuda" else "eager"
    peak = peak_tflops(device)
    print(f"device: {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}; torch {torch.__version__}; "
          f"model: {experiment}; precision: {'bf16 autocast' if device.type == 'cuda' else 'fp32'}; compile backend: {backend}")
    if device.type != "cuda":
        print("CPU run: checks the code path; the numbers are not speed claims.")

    systems: dict[str, tuple[Callable, Callable]] = {}
    try:
        systems["laion eager"] = peer_step(args.peer_bench, device, False)
        if args.peer_compile:
            systems["laion compile"] = peer_step(args.peer_bench, device, True)
    except Exception as exc:  # noqa: BLE001  (the peer's wheels are optional on a CPU machine)
        print(f"peer not importable ({type(exc).__name__}: {exc}); timing flamkit's side only")
    text = [] if args.tiny else ["model.text.attn_implementation=sdpa"]
    for name, fused, comp, extra in (("flamkit eager", False, None, []), ("flamkit compile", False, backend, []),
                                     ("flamkit best", True, backend, text)):
        make, step, _ = flamkit_step(experiment, extra, device, fused, comp)
        systems[name] = (make, step)

    flops = {name: flops_per_sample(make, step) for name, (make, step) in systems.items() if name.endswith("eager")}
    flops["flamkit compile"] = flops["flamkit best"] = flops["flamkit eager"]
    if "laion compile" in systems:
        flops["laion compile"] = flops["laion eager"]
    for name, f in flops.items():
        print(f"{name}: {f / 1e9:.2f} GFLOP per training sample (FlopCounterMode)")

    print(f"\n| batch | system | samples/s | x laion eager | TFLOP/s | MFU | peak GiB/sample |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for B in sizes:
        rows = {name: time_step(make, step, B, device, args.warmup, args.steps) for name, (make, step) in systems.items()}
        base = rows.get("laion eager", {}).get("samples_per_s")
        for name, r in rows.items():
            tflops = flops[name] * r["samples_per_s"] / 1e12
            ratio = f"{r['samples_per_s'] / base:.2f}" if base else "n/a"
            mfu = f"{100 * tflops / peak:.1f}%" if peak else "n/a"
            mem = f"{r['peak_gib_per_sample']:.3f}" if r["peak_gib_per_sample"] == r["peak_gib_per_sample"] else "n/a"
            print(f"| {B} | {name} | {r['samples_per_s']:.1f} | {ratio} | {tflops:.3f} | {mfu} | {mem} |", flush=True)
    if args.loader:
        over = ["data.num_workers=2", "data.pin_memory=true"] if device.type == "cuda" else []
        rate = loader_rate(args.loader, over, batches=max(2, args.steps))
        print(f"\nloader ({args.loader}, {' '.join(over) or 'defaults'}): {rate:.1f} batch pairs/s")
    print("\nRing SED loss memory per rank as the world grows: benchmarks/ring_sed.py (see benchmarks/README.md).")


if __name__ == "__main__":
    main()
