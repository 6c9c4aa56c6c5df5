"""How much data and training each zoo budget gets, and how much each score measures. Plain values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ZooBudget:
    limit: int | None  # training digits (None: all 60,000); test digits are a sixth (lab.load_data)
    steps: int  # optimiser steps, the same for every network
    batch_size: int
    judge_preset: str  # the preset the judge and the hybrid finder's classifier train with
    eval_digits: int  # test digits for active units, class-preserving reconstruction
    nll_digits: int
    nll_k: int  # importance samples per digit (IWAE bound)
    pairs: int  # random test pairs for midpoint realism
    hybrid_pairs: int
    hybrid_steps: int
    samples: int  # generated digits for the data-copying test
    lr: float = 2e-3


BUDGETS = {
    "full": ZooBudget(
        limit=None,
        steps=1407,  # the fast preset's VAE budget: 3 passes over 60,000 digits
        batch_size=128,
        judge_preset="fast",
        eval_digits=2000,
        nll_digits=500,
        nll_k=200,
        pairs=300,
        hybrid_pairs=8,
        hybrid_steps=100,
        samples=2000,
    ),
    "quick": ZooBudget(
        limit=2000,
        steps=128,
        batch_size=64,
        judge_preset="tiny",
        eval_digits=330,
        nll_digits=100,
        nll_k=20,
        pairs=60,
        hybrid_pairs=2,
        hybrid_steps=30,
        samples=330,
    ),
    # the tests: the session fixtures' 3,000 digits, so the judge and classifier are already trained
    "tiny": ZooBudget(
        limit=3000,
        steps=32,
        batch_size=64,
        judge_preset="tiny",
        eval_digits=200,
        nll_digits=20,
        nll_k=5,
        pairs=20,
        hybrid_pairs=1,
        hybrid_steps=5,
        samples=300,
    ),
}
STRIP_PAIRS = 3  # blend strips: the same test pairs for every model
STRIP_STEPS = 9
HYBRID_CLASSES = (9, 2)
