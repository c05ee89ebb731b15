"""flamkit's HTSAT-tiny against LAION-CLAP's own HTSAT-tiny: audio-encoder clips/s in one run, one device.

The peer is the model of ``../shared/peer-bench/laion_clap_step.py`` (LAION-CLAP's htsat.py, imported
through that script's own loader), fed the same 10 s 48 kHz batches. flamkit's encoder returns the
L = 32 frame features FLAM needs; LAION-CLAP's returns its clip embedding and framewise outputs.
Both run under bf16 autocast on a GPU (fp32 on the CPU). Prints clips/s, peak memory and the ratio.

    # on a GPU machine (the peer's wheels: bash ../shared/peer-bench/fetch_wheels.sh .whl)
    PYTHONPATH=.:/tmp/site python benchmarks/audio_encoder_vs_laion.py --batches 64,128,256 --train
    # a CPU smoke run of the same code
    PYTHONPATH=. python benchmarks/audio_encoder_vs_laion.py --device cpu --batches 2 --steps 2 --warmup 1
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import types
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def peer_encoder(peer_bench: Path) -> torch.nn.Module:
    sys.path.insert(0, str(peer_bench))
    import laion_clap_step  # noqa: E402  (the peer's own loader; needs laion-clap, torchlibrosa, librosa, h5py)

    htsat = laion_clap_step.load_htsat_module()
    cfg = types.SimpleNamespace(audio_length=1024, clip_samples=480000, mel_bins=64, sample_rate=48000, window_size=1024,
                                hop_size=480, fmin=50, fmax=14000, class_num=527, model_type="HTSAT", model_name="tiny")
    model = htsat.create_htsat_model(cfg)

    class Peer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, wav: torch.Tensor) -> torch.Tensor:
            out = self.model({"waveform": wav}, device=wav.device)
            return out["embedding"] + out["fine_grained_embedding"].mean()

    return Peer()


def flamkit_encoder() -> torch.nn.Module:
    from flamkit.registry import AUDIO_ENCODERS

    import flamkit.components  # noqa: F401
    return AUDIO_ENCODERS.get("htsat")(variant="tiny", frames=32, sample_rate=48000)


def time_model(model: torch.nn.Module, batch: int, device: torch.device, steps: int, warmup: int, train: bool) -> dict:
    model.to(device).train(train)
    wav = torch.randn(batch, 480000, device=device) * 0.1
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    grad = contextlib.nullcontext() if train else torch.no_grad()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    def step() -> None:
        with grad, autocast:
            out = model(wav)
        if train:
            out.float().sum().backward()
            model.zero_grad(set_to_none=True)

    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    dt = (time.perf_counter() - t0) / steps
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else float("nan")
    return {"clips_per_s": batch / dt, "step_s": dt, "peak_gib": peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batches", default="64,128,256")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--train", action="store_true", help="also time forward+backward (a training step's audio side)")
    ap.add_argument("--peer-bench", type=Path, default=ROOT.parent / "shared" / "peer-bench")
    args = ap.parse_args()
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device: {name}, torch {torch.__version__}")
    models = {"laion_clap_htsat_tiny": peer_encoder(args.peer_bench), "flamkit_htsat_tiny": flamkit_encoder()}
    modes = ["infer", "train"] if args.train else ["infer"]
    print(f"{'mode':<6} {'batch':>5} {'model':<24} {'clips/s':>9} {'step s':>8} {'peak GiB':>9} {'vs LAION-CLAP':>14}")
    for mode in modes:
        for batch in (int(b) for b in args.batches.split(",")):
            base = None
            for label, model in models.items():
                r = time_model(model, batch, device, args.steps, args.warmup, mode == "train")
                base = base or r["clips_per_s"]
                print(f"{mode:<6} {batch:>5} {label:<24} {r['clips_per_s']:>9.1f} {r['step_s']:>8.3f} {r['peak_gib']:>9.2f} "
                      f"{r['clips_per_s'] / base:>13.2f}x")


if __name__ == "__main__":
    main()
