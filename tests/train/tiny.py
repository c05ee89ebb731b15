"""Overrides that make a quickstart training run a few steps of two clips (tests of the loop itself)."""

TINY_RUN = [
    "data.streams.global.batch_size=2",
    "data.streams.sed.batch_size=2",
    "train.val_every=100",
    "train.ckpt_every=100",
    "data.val_clips=3",
    "budget.warmup_steps=2",
]
