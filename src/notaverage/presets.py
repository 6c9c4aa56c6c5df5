"""Training recipes as plain values (nanoGPT style), by preset and recipe name.

A model's recipe name comes from the registry (`models/registry.py`): every VAE-like model trains
with the "vae" recipe, the classifier with "classifier", the judge with "judge". This module imports
no torch, so the CLI can list the presets before loading anything heavy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class TrainConfig:
    steps: int  # optimiser steps: the budget, the same whatever the number of training digits
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    binarize: bool = False  # dynamic binarisation (the VAE's Bernoulli likelihood)
    shift: int = 0  # random translation of up to this many pixels (classifier augmentation)
    checkpoint_seconds: float = 20.0  # how often a --resume point is written
    schedule: str = "cosine"  # "cosine": warm-up then cosine decay to zero; "constant": lr throughout

    def to_dict(self) -> dict:
        values = asdict(self)
        if values["schedule"] == "cosine":  # the default is left out, so that cache keys made
            del values["schedule"]  # before this field existed still find their models
        return values


REFERENCE_BATCH = 128


def reference_recipe(vae: TrainConfig) -> TrainConfig:
    """The reference recipe (`models/reference_vae.py`): Adam at a constant 1e-3, batch 128,
    dynamically binarised, for as many training images as the preset's VAE recipe sees (equal
    training images: docs/METRICS.md, "Bars", says why this and not equal wall time)."""
    return TrainConfig(steps=round(vae.steps * vae.batch_size / REFERENCE_BATCH), batch_size=REFERENCE_BATCH,
                       lr=1e-3, seed=vae.seed, binarize=True, schedule="constant")


def _preset(vae: TrainConfig, classifier: TrainConfig, judge: TrainConfig) -> dict[str, TrainConfig]:
    return {"vae": vae, "classifier": classifier, "judge": judge, "reference": reference_recipe(vae)}


# Budgets in optimiser steps (469 steps of 128 = one pass over full MNIST's 60,000 digits).
PRESETS: dict[str, dict[str, TrainConfig]] = {
    "fast": _preset(  # the default, for `tour`
        vae=TrainConfig(steps=1407, batch_size=128, lr=1e-2, binarize=True),  # lr: best measured (RESULTS)
        classifier=TrainConfig(steps=1407, batch_size=128, lr=3e-3, shift=2),
        judge=TrainConfig(steps=469, batch_size=128, lr=3e-3, shift=1, seed=1_000),
    ),
    # For quick looks and the tests (a few thousand digits with --limit): short budgets. VAE: 10
    # passes over 3,000 digits; on those, 470 steps at 5e-3 reconstruct about as well as 705 at 2e-3
    # did (class-preserving 91.4 % vs 91.0 %, test MSE 0.0141 vs 0.0135, 32 active units) in two
    # thirds of the time.
    "tiny": _preset(
        vae=TrainConfig(steps=470, batch_size=64, lr=5e-3, binarize=True),
        classifier=TrainConfig(steps=282, batch_size=64, lr=3e-3, shift=2),
        judge=TrainConfig(steps=282, batch_size=64, lr=3e-3, shift=1, seed=1_000),
    ),
    "quality": _preset(  # VAE peak 3e-3: over ~11,000 steps (10 minutes) it beat 1e-3 and 1e-2 (RESULTS)
        vae=TrainConfig(steps=14_070, batch_size=128, lr=3e-3, binarize=True),
        classifier=TrainConfig(steps=4690, batch_size=128, lr=2e-3, shift=2),
        judge=TrainConfig(steps=2814, batch_size=128, lr=2e-3, shift=1, seed=1_000),
    ),
}
# Model hyperparameters a preset changes from the registry's, by recipe, applied to every model of
# that recipe whose config has the field (the VAE and its no-activation ablation, not the zoo's).
# Why: two more 3x3 convolutions in the VAE's decoder gain about half a nat at 10 minutes, while
# they cost 25-35 % of the throughput, and at 1 minute one more lost 0.4 nats (RESULTS).
MODEL_CHANGES: dict[str, dict[str, dict]] = {
    "quality": {"vae": {"decoder_extra": 2}},
}
PRESET_NAMES = ("fast", "quality", "tiny")
DEFAULT_PRESET = "fast"
assert set(PRESET_NAMES) == set(PRESETS) >= set(MODEL_CHANGES)
