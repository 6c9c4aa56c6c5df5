"""The likelihood bar: what the reference recipe reaches after a given training time.

The reference recipe is the MLP VAE 784-400-20 of `benchmarks/quality_vs_time.py`, trained from
scratch for a wall-time budget on full MNIST on this project's machine (2 CPU cores), scored with
the IWAE bound (k = 500) on the same 500 binarised test digits as the report. The figures are
copied here (with the command) so that the report needs no other file and no `../shared`.

Measured by `NOTAVERAGE_DATA=../shared/data/mnist .venv/bin/python benchmarks/quality_vs_time.py
--minutes 1 3` (docs/RESULTS.md, "Generative quality vs training time").
"""

from __future__ import annotations

import numpy as np

# (minutes of training, test NLL in nats) of the reference recipe, alone on the 2 cores.
REFERENCE_NLL = ((1.0, 100.00), (3.0, 95.51))
REFERENCE_NAME = "MLP VAE 784-400-20 (benchmarks/quality_vs_time.py)"


def reference_nll(minutes: float) -> float:
    """The reference recipe's NLL after `minutes` of training: linear in log-time between the
    measured budgets, and held at the nearest measured budget outside them."""
    x = np.log([m for m, _ in REFERENCE_NLL])
    y = np.array([v for _, v in REFERENCE_NLL])
    return float(np.interp(np.log(max(minutes, 1e-3)), x, y))
