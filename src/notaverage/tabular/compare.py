"""One comparison in one setting (task x split): linear against boosting, paired by repeat.

No selection on test data: in each repeat the "best linear" and the "best boosting" model are the
ones with the lowest RMSE on the inner validation rows of that repeat's *training* set
(`valid_rmse`, drawn like the outer split); only then are their test scores paired. A
pre-specified pair (e.g. ols vs lgbm) is the same with one candidate per side.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from notaverage.tabular.inference import paired_stats


def compare(rows: list[dict], linear, boosting, metric: str, ratio: float, margin: float | None) -> dict:
    """Inner-validation-selected best of `boosting` vs best of `linear` on `metric` (lower is better)."""
    table: dict[str, dict[int, dict]] = defaultdict(dict)
    for row in rows:
        table[row["model"]][row["repeat"]] = row
    repeats = sorted({r["repeat"] for r in rows})
    out = {"metric": metric, "best_linear": None, "best_boosting": None, "outcome": "n/a",
           "linear": None, "boosting": None, "diff": None, "rel_diff": None, "t": None, "p": None,
           "ci95": None, "p_tost": None, "p_holm": None, "p_bh": None, "selection": "inner validation RMSE"}
    lin = [_choose(table, linear, repeats, r, metric) for r in repeats]
    boo = [_choose(table, boosting, repeats, r, metric) for r in repeats]
    if not repeats or None in lin or None in boo:
        return out
    lin_scores = np.array([table[n][r][metric] for n, r in zip(lin, repeats, strict=True)])
    boo_scores = np.array([table[n][r][metric] for n, r in zip(boo, repeats, strict=True)])
    lin_mean = float(lin_scores.mean())
    out.update(best_linear=Counter(lin).most_common(1)[0][0], best_boosting=Counter(boo).most_common(1)[0][0],
               chosen_linear=dict(Counter(lin)), chosen_boosting=dict(Counter(boo)),
               linear=lin_mean, boosting=float(boo_scores.mean()))
    out.update(paired_stats(boo_scores - lin_scores, lin_mean, ratio, margin))
    return out


def _choose(table: dict, names, repeats: list[int], repeat: int, metric: str) -> str | None:
    """The candidate with the lowest inner-validation RMSE in this repeat, among those that have a
    finite test score in every repeat (a model that failed anywhere cannot be paired fairly)."""
    usable = [n for n in names if n in table and _complete(table[n], repeats, metric)]
    if len(usable) == 1:
        return usable[0]
    scored = [(table[n][repeat].get("valid_rmse"), n) for n in usable]
    scored = [(v, n) for v, n in scored if v is not None and math.isfinite(v)]
    return min(scored)[1] if scored else None


def _complete(by_repeat: dict, repeats: list[int], metric: str) -> bool:
    values = [by_repeat.get(r, {}).get(metric) for r in repeats]
    return all(v is not None and math.isfinite(v) for v in values)
