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


# One row per budget, columns in ZooBudget's order.
#   full: 1,407 steps of 128 (the fast preset's VAE budget: 3 passes over 60,000 digits).
#   quick: sized so that 7 models x 2 seeds, the judge and the classifier fit in 2 minutes on 2 idle
#     cores (docs/ZOO.md has the measurement); the networks are far from trained: a pipeline check.
#   tiny: the tests, on the session fixtures' 3,000 digits (the judge and classifier are already trained).
_TABLE = {
    #         limit steps batch judge   eval  nll   k   pairs hybrid: pairs steps  samples
    "full":  (None, 1407, 128, "fast", 2000, 500, 200, 300,          8,   100,  2000),
    "quick": (2000,   64,  64, "tiny",  300, 100,  10,  40,          2,    10,   300),
    "tiny":  (3000,   32,  64, "tiny",  200,  20,   5,  20,          1,     5,   300),
}
BUDGETS = {name: ZooBudget(*row) for name, row in _TABLE.items()}
STRIP_PAIRS = 3  # blend strips: the same test pairs for every model
STRIP_STEPS = 9
HYBRID_CLASSES = (9, 2)
