"""From per-repeat scores to per-setting tables, paired tests and a verdict on the claim.

A setting is one (task, split). In each, the best boosting model (lowest mean RMSE among
lgbm, lgbm_group, gpboost) meets the best linear model (among ols, ols_fe, lmm): the same
selection on both sides. Their per-repeat RMSE differences go through the corrected resampled
t-test; p < ALPHA decides a win or a loss, anything else is a tie. Nothing here is hard-coded:
the counts, the list of losses and the reasons attached to them come from the table.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from notaverage.tabular.models import BOOSTING, LINEAR
from notaverage.tabular.scores import METRICS, corrected_t_test

ALPHA = 0.05
CLAIM = ("a gradient boosted tree model will always arrive at a better solution to a human system "
         "than any linear regression")


def summarize(rows: list[dict], tasks_meta: dict | None = None) -> list[dict]:
    """One entry per (task, split): mean and sd of every metric per model, plus the comparisons."""
    by_setting: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        by_setting[(row["task"], row["split"])].append(row)
    settings = []
    for (task, split), group in by_setting.items():
        meta = (tasks_meta or {}).get(task, {})
        settings.append(_setting(task, split, group, meta))
    return settings


def _setting(task: str, split: str, rows: list[dict], meta: dict) -> dict:
    per_model: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        per_model[row["model"]].append(row)
    models = {}
    for name, runs in per_model.items():
        entry = {m: _mean_sd([r[m] for r in runs]) for m in METRICS}
        entry["family"] = runs[0]["family"]
        entry["fit_seconds"] = float(np.mean([r["fit_seconds"] for r in runs]))
        entry["failures"] = sorted({r["error"] for r in runs if r["error"]})
        models[name] = entry
    ratio = float(np.mean([r["n_test"] / max(r["n_train"], 1) for r in rows]))
    setting = {
        "task": task, "split": split, "kind": rows[0]["kind"],
        "repeats": len({r["repeat"] for r in rows}),
        "n_train": float(np.mean([r["n_train"] for r in rows])),
        "n_test": float(np.mean([r["n_test"] for r in rows])),
        "oracle_rmse": models.get("oracle", {}).get("rmse", {}).get("mean"),
        "models": models,
    }
    setting["comparison"] = compare(rows, LINEAR, BOOSTING, "rmse", ratio)
    setting["comparison_log_score"] = compare(rows, LINEAR, BOOSTING, "log_score", ratio)
    setting["comparison_plain"] = compare(rows, ("ols",), ("lgbm",), "rmse", ratio)
    setting["comparison"]["reasons"] = reasons(setting, meta)
    return setting


def _mean_sd(values) -> dict:
    v = np.asarray(values, dtype=float)
    ok = v[np.isfinite(v)]
    if len(ok) < len(v) or not len(ok):
        return {"mean": None, "sd": None}
    return {"mean": float(ok.mean()), "sd": float(ok.std(ddof=1)) if len(ok) > 1 else 0.0}


def compare(rows: list[dict], linear, boosting, metric: str, ratio: float) -> dict:
    """Best of `boosting` vs best of `linear` on `metric` (lower is better), paired by repeat."""
    table: dict[str, dict[int, float]] = defaultdict(dict)
    for row in rows:
        table[row["model"]][row["repeat"]] = row[metric]
    repeats = sorted({r["repeat"] for r in rows})

    def complete(name):  # a model that failed in any repeat cannot be paired fairly
        vals = [table.get(name, {}).get(r, math.nan) for r in repeats]
        return name in table and all(math.isfinite(v) for v in vals)

    def best(names):
        usable = [n for n in names if complete(n)]
        return min(usable, key=lambda n: np.mean([table[n][r] for r in repeats])) if usable else None

    lin, boo = best(linear), best(boosting)
    out = {"metric": metric, "best_linear": lin, "best_boosting": boo, "outcome": "n/a",
           "linear": None, "boosting": None, "diff": None, "rel_diff": None, "t": None, "p": None}
    if lin is None or boo is None:
        return out
    diffs = np.array([table[boo][r] - table[lin][r] for r in repeats])
    t, p = corrected_t_test(diffs, ratio)
    lin_mean = float(np.mean([table[lin][r] for r in repeats]))
    out.update(linear=lin_mean, boosting=float(np.mean([table[boo][r] for r in repeats])),
               diff=float(diffs.mean()), t=_finite(t), p=_finite(p))
    out["rel_diff"] = float(diffs.mean() / abs(lin_mean)) if lin_mean else None
    significant = math.isfinite(p) and p < ALPHA
    out["outcome"] = "tie" if not significant else ("win" if diffs.mean() < 0 else "loss")
    return out


def _finite(x: float):
    return float(x) if math.isfinite(x) else None


def reasons(setting: dict, meta: dict) -> list[str]:
    """Conditions of a setting known to favour the side that did better (computed, not typed in).

    For a loss or a tie: what favours the linear model; for a win: what favours the trees."""
    cmp = setting["comparison"]
    effects = meta.get("effects_on")
    small = setting["n_train"] < 1000
    if cmp["outcome"] == "win":
        out = []
        if effects and "nonlinear" in effects:
            out.append("the truth has thresholds and an interaction")
        if not small:
            out.append(f"large training sets (~{setting['n_train']:.0f} rows)")
        if cmp["best_boosting"] == "gpboost":
            out.append("trees combined with random effects")
        return out
    out = []
    if effects is not None and "nonlinear" not in effects:
        out.append("the truth is linear in the features")
    if small:
        out.append(f"small training sets (~{setting['n_train']:.0f} rows)")
    if setting["split"] == "time":
        out.append("forecasting later times: trees predict flat beyond the time range they saw")
    if setting["split"] in ("group", "spatial"):
        out.append("unseen groups/locations: ids carry no information, only shrinkage does")
    if cmp["best_linear"] == "lmm" and setting["split"] != "spatial":
        out.append("the mixed model's partial pooling of group effects")
    return out


def verdict(settings: list[dict]) -> dict:
    """Counts and text, from the per-setting comparisons."""
    main = _count(settings, "comparison")
    result = {
        "claim": CLAIM, "metric": "rmse", "alpha": ALPHA,
        "test": "corrected resampled t-test (Nadeau & Bengio 2003), two-sided",
        **main,
        "by_kind": {kind: _count([s for s in settings if s["kind"] == kind], "comparison")
                    for kind in ("simulated", "real")},
        "log_score": _count(settings, "comparison_log_score"),
        "plain_lgbm_vs_ols": _count(settings, "comparison_plain"),
        "losses_detail": _details(settings, "loss"),
        "wins_detail": _details(settings, "win"),
        "ties_detail": _details(settings, "tie"),
    }
    result["text"] = _text(result)
    return result


def _count(settings: list[dict], key: str) -> dict:
    outcomes = [s[key]["outcome"] for s in settings if s[key]["outcome"] != "n/a"]
    return {"settings": len(outcomes), "wins": outcomes.count("win"), "ties": outcomes.count("tie"),
            "losses": outcomes.count("loss")}


def _details(settings: list[dict], outcome: str) -> list[dict]:
    out = []
    for s in settings:
        c = s["comparison"]
        if c["outcome"] == outcome:
            out.append({"task": s["task"], "split": s["split"], "best_linear": c["best_linear"],
                        "best_boosting": c["best_boosting"], "rmse_linear": c["linear"],
                        "rmse_boosting": c["boosting"], "rel_diff": c["rel_diff"], "p": c["p"],
                        "reasons": c.get("reasons", [])})
    return out


def _text(v: dict) -> str:
    n, w, t, lo = v["settings"], v["wins"], v["ties"], v["losses"]
    head = (f"Boosting (best of {', '.join(BOOSTING)}) beat the best linear model (best of "
            f"{', '.join(LINEAR)}) on RMSE in {w} of {n} settings, tied in {t}, lost in {lo} "
            f"({v['test']}, p < {v['alpha']}).")
    if n == 0:
        judgement = "No setting could be compared, so the claim was not tested."
    elif lo:
        judgement = f"The claim that boosting always wins is refuted: it lost in {lo} setting(s)."
    elif t:
        judgement = (f"The claim is not supported: boosting never lost, but in {t} setting(s) it was "
                     "not distinguishable from the best linear model.")
    else:
        judgement = "In every setting tested boosting won; the claim holds on this benchmark."
    parts = [head, judgement]
    if v["losses_detail"]:
        parts.append("Losses: " + "; ".join(_describe(d) for d in v["losses_detail"]) + ".")
    if v["wins_detail"]:
        parts.append("Wins: " + "; ".join(_describe(d) for d in v["wins_detail"]) + ".")
        parts.append("A win is a win over the three linear specifications tried here, not over every "
                     "possible linear model, while a single loss is enough to refute 'always'.")
    k, ls, pl = v["by_kind"], v["log_score"], v["plain_lgbm_vs_ols"]
    parts.append(" ".join([
        f"Simulated: {_wtl(k['simulated'])}; real data: {_wtl(k['real'])}.",
        f"On the Gaussian log score: {_wtl(ls)}.",
        f"Plain LightGBM against plain OLS: {_wtl(pl)}.",
    ]))
    return " ".join(parts)


def _describe(d: dict) -> str:
    why = ", ".join(d["reasons"]) or "none of the listed conditions"
    return (f"{d['task']}/{d['split']} ({d['best_linear']} {d['rmse_linear']:.3g} vs {d['best_boosting']} "
            f"{d['rmse_boosting']:.3g}, {_pct(d)}; {why})")


def _pct(d: dict) -> str:
    return "n/a" if d["rel_diff"] is None else f"{100 * d['rel_diff']:+.1f}% RMSE"


def _wtl(c: dict) -> str:
    return f"{c['wins']} wins, {c['ties']} ties, {c['losses']} losses of {c['settings']}"
