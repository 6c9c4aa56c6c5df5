"""Paired inference for one comparison and multiplicity control for a family of them.

For J repeated train/test splits the paired differences d_j share training rows, so their mean
has variance (1/J + n_test/n_train) s^2 (Nadeau & Bengio 2003), not s^2/J. On that standard error:

- a two-sided t-test of mean(d) = 0 (is one model better?),
- a 95% t interval of mean(d), reported relative to the linear model's mean error,
- TOST (Schuirmann 1987): two one-sided tests of |mean(d)| >= margin; p_tost = max of the two.
  Equivalence at level alpha is the same as the 90% interval lying inside +/- margin.

Families of settings are adjusted with Holm (family-wise error) and Benjamini-Hochberg (false
discovery rate) from statsmodels; decisions use the adjusted p-values.
"""

from __future__ import annotations

import math

import numpy as np

from notaverage.tabular.scores import corrected_t_test

ALPHA = 0.05
EQUIVALENCE_MARGIN = 0.02  # +/- 2% RMSE, stated before any run (issue 11)
OUTCOMES = ("better", "equivalent", "inconclusive", "worse")  # from boosting's side


def corrected_se(diffs, test_train_ratio: float) -> float:
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return float("nan")
    return math.sqrt((1 / len(d) + test_train_ratio) * d.var(ddof=1))


def corrected_interval(diffs, test_train_ratio: float, level: float = 0.95) -> tuple[float, float]:
    """t interval of mean(diffs) with the corrected standard error."""
    from scipy.stats import t as student_t

    d = np.asarray(diffs, dtype=float)
    se = corrected_se(d, test_train_ratio)
    if not math.isfinite(se):
        return float("nan"), float("nan")
    half = student_t.ppf(0.5 + level / 2, df=len(d) - 1) * se
    return float(d.mean() - half), float(d.mean() + half)


def corrected_tost(diffs, test_train_ratio: float, margin: float) -> float:
    """p-value of TOST for |mean(diffs)| < margin (small p: equivalent within the margin)."""
    from scipy.stats import t as student_t

    d = np.asarray(diffs, dtype=float)
    se = corrected_se(d, test_train_ratio)
    if not math.isfinite(se) or margin <= 0:
        return float("nan")
    if se == 0:
        return 0.0 if abs(d.mean()) < margin else 1.0
    df = len(d) - 1
    p_lower = student_t.sf((d.mean() + margin) / se, df)  # H0: mean <= -margin
    p_upper = student_t.cdf((d.mean() - margin) / se, df)  # H0: mean >= +margin
    return float(max(p_lower, p_upper))


def paired_stats(diffs, linear_mean: float, test_train_ratio: float, margin: float | None) -> dict:
    """t, p, relative difference with its 95% interval and (if a margin is given) the TOST p."""
    d = np.asarray(diffs, dtype=float)
    t, p = corrected_t_test(d, test_train_ratio)
    scale = abs(linear_mean) if linear_mean else float("nan")
    low, high = corrected_interval(d, test_train_ratio)
    rel_ci = [_finite(low / scale), _finite(high / scale)]
    p_tost = corrected_tost(d, test_train_ratio, margin * scale) if margin is not None else float("nan")
    return {"diff": float(d.mean()), "rel_diff": _finite(d.mean() / scale), "t": _finite(t), "p": _finite(p),
            "ci95": rel_ci if rel_ci[0] is not None else None, "p_tost": _finite(p_tost)}


def adjust(pvalues: list[float | None], method: str) -> list[float | None]:
    """Holm ("holm") or Benjamini-Hochberg ("fdr_bh") adjusted p-values; None stays None."""
    from statsmodels.stats.multitest import multipletests

    present = [i for i, p in enumerate(pvalues) if p is not None]
    out: list[float | None] = [None] * len(pvalues)
    if present:
        adjusted = multipletests([pvalues[i] for i in present], alpha=ALPHA, method=method)[1]
        for i, value in zip(present, adjusted, strict=True):
            out[i] = float(value)
    return out


def decide(diff: float | None, p: float | None, p_tost: float | None, alpha: float = ALPHA) -> str:
    """better / worse when the difference test rejects, equivalent when TOST rejects, else inconclusive."""
    if diff is None:
        return "n/a"
    if p is not None and p < alpha:
        return "better" if diff < 0 else "worse"
    if p_tost is not None and p_tost < alpha:
        return "equivalent"
    return "inconclusive"


def adjust_family(comparisons: list[dict]) -> None:
    """Fill p_holm, p_bh (and the TOST's) and the outcomes of one family of comparisons in place."""
    for method, key in (("holm", "holm"), ("fdr_bh", "bh")):
        p = adjust([c.get("p") for c in comparisons], method)
        p_tost = adjust([c.get("p_tost") for c in comparisons], method)
        for c, pa, pt in zip(comparisons, p, p_tost, strict=True):
            c[f"p_{key}"], c[f"p_tost_{key}"] = pa, pt
    for c in comparisons:
        c["outcome"] = decide(c.get("diff"), c["p_holm"], c["p_tost_holm"])
        c["outcome_bh"] = decide(c.get("diff"), c["p_bh"], c["p_tost_bh"])
        c["outcome_unadjusted"] = decide(c.get("diff"), c.get("p"), c.get("p_tost"))


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None
