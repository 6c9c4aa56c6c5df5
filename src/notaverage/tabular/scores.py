"""Scores of one prediction, and the corrected resampled t-test used to compare two models.

Gaussian scores use each model's predictive mean and sd; coverage uses its own 90% interval
(conformal for LightGBM, Gaussian otherwise). Lower is better for rmse, crps and log score.
"""

from __future__ import annotations

import math

import numpy as np

METRICS = ("rmse", "crps", "log_score", "coverage90", "width90")


def rmse(y, mean) -> float:
    return float(np.sqrt(np.mean((np.asarray(y) - mean) ** 2)))


def gaussian_crps(y, mean, sd) -> float:
    """Mean CRPS of N(mean, sd^2) forecasts (Gneiting & Raftery 2007, closed form)."""
    from scipy.stats import norm

    sd = np.maximum(sd, 1e-12)
    z = (np.asarray(y) - mean) / sd
    return float(np.mean(sd * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / math.sqrt(math.pi))))


def gaussian_log_score(y, mean, sd) -> float:
    """Mean negative log predictive density (lower is better)."""
    sd = np.maximum(sd, 1e-12)
    z = (np.asarray(y) - mean) / sd
    return float(np.mean(0.5 * z**2 + np.log(sd) + 0.5 * math.log(2 * math.pi)))


def score(y, pred) -> dict[str, float]:
    y = np.asarray(y, dtype=float)
    inside = (y >= pred.lower) & (y <= pred.upper)
    return {
        "rmse": rmse(y, pred.mean),
        "crps": gaussian_crps(y, pred.mean, pred.sd),
        "log_score": gaussian_log_score(y, pred.mean, pred.sd),
        "coverage90": float(inside.mean()),
        "width90": float(np.mean(pred.upper - pred.lower)),
    }


def corrected_t_test(diffs, test_train_ratio: float) -> tuple[float, float]:
    """Nadeau & Bengio (2003) corrected resampled t-test of mean(diffs) = 0.

    The variance of the mean difference over J overlapping resamples is inflated from s^2/J to
    (1/J + n_test/n_train) s^2, because the training sets share rows. Returns (t, two-sided p).
    """
    from scipy.stats import t as student_t

    d = np.asarray(diffs, dtype=float)
    d = d[np.isfinite(d)]
    J = len(d)
    if J < 2:
        return float("nan"), float("nan")
    var = d.var(ddof=1)
    if var == 0:
        return (0.0, 1.0) if d.mean() == 0 else (math.copysign(math.inf, d.mean()), 0.0)
    t = d.mean() / math.sqrt((1 / J + test_train_ratio) * var)
    p = 2 * student_t.sf(abs(t), df=J - 1)
    return float(t), float(p)
