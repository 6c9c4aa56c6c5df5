"""From per-repeat scores to per-setting tables, family-adjusted decisions and a verdict.

A setting is one (task, split). In each, boosting meets linear regression (see compare.py: the
best of each family is chosen per repeat on inner validation rows of the training set, never on
the test fold), plus three pre-specified pairs. Decisions (inference.py) are made on Holm-adjusted
p-values within a family of settings: the real datasets are one family and carry the verdict on
"always"; the simulations are another, reported as mechanism checks (does each effect produce the
gap its known truth predicts?). Nothing here is hard-coded: counts, lists and reasons come from
the table.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from notaverage.tabular.compare import compare
from notaverage.tabular.inference import ALPHA, EQUIVALENCE_MARGIN, OUTCOMES, adjust_family
from notaverage.tabular.registry import BOOSTING, LINEAR, PAIRS
from notaverage.tabular.scores import METRICS

CLAIM = ("a gradient boosted tree model will always arrive at a better solution to a human system "
         "than any linear regression")
TEST = ("corrected resampled t-test (Nadeau & Bengio 2003) and TOST equivalence test, two-sided, "
        "Holm-adjusted within each family")
FAMILIES = ("real", "simulated")


def summarize(rows: list[dict], tasks_meta: dict | None = None) -> list[dict]:
    """One entry per (task, split): mean and sd of every metric per model, plus the comparisons,
    with p-values adjusted within each family (kind) of the settings given."""
    by_setting: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        by_setting[(row["task"], row["split"])].append(row)
    settings = [_setting(task, split, group) for (task, split), group in by_setting.items()]
    for kind in {s["kind"] for s in settings}:
        family = [s for s in settings if s["kind"] == kind]
        for key in ("comparison", "comparison_log_score", "comparison_plain"):
            adjust_family([s[key] for s in family])
        for pair in PAIRS:
            adjust_family([s["pairs"][pair] for s in family])
    for s in settings:
        meta = (tasks_meta or {}).get(s["task"], {})
        s["comparison"]["reasons"] = reasons(s, meta)
        if meta.get("effects_on") is not None:
            s["comparison"]["expected"] = "better" if "nonlinear" in meta["effects_on"] else "not better"
    return settings


def _setting(task: str, split: str, rows: list[dict]) -> dict:
    per_model: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        per_model[row["model"]].append(row)
    models = {}
    for name, runs in per_model.items():
        entry = {m: _mean_sd([r[m] for r in runs]) for m in METRICS}
        entry["family"] = runs[0]["family"]
        entry["fit_seconds"] = float(np.mean([r["fit_seconds"] for r in runs]))
        entry["failures"] = sorted({r["error"] for r in runs if r["error"]})
        entry["singular_fits"] = sum(bool(r.get("singular")) for r in runs)
        entry["estimation"] = sorted({r["estimation"] for r in runs if r.get("estimation")})
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
    setting["comparison"] = compare(rows, LINEAR, BOOSTING, "rmse", ratio, EQUIVALENCE_MARGIN)
    setting["comparison_log_score"] = compare(rows, LINEAR, BOOSTING, "log_score", ratio, None)
    setting["comparison_plain"] = compare(rows, ("ols",), ("lgbm",), "rmse", ratio, EQUIVALENCE_MARGIN)
    setting["pairs"] = {name: compare(rows, (lin,), (boo,), "rmse", ratio, EQUIVALENCE_MARGIN)
                        for name, (lin, boo) in PAIRS.items()}
    return setting


def _mean_sd(values) -> dict:
    v = np.asarray(values, dtype=float)
    ok = v[np.isfinite(v)]
    if len(ok) < len(v) or not len(ok):
        return {"mean": None, "sd": None}
    return {"mean": float(ok.mean()), "sd": float(ok.std(ddof=1)) if len(ok) > 1 else 0.0}


def reasons(setting: dict, meta: dict) -> list[str]:
    """Conditions of a setting known to favour the side that did better (computed, not typed in).

    For boosting better: what favours the trees; otherwise: what favours the linear model."""
    cmp = setting["comparison"]
    effects = meta.get("effects_on")
    small = setting["n_train"] < 1000
    if cmp["outcome"] == "better":
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
    """Counts and text from the per-setting decisions; the claim is judged on the real family."""
    fam = {f: [s for s in settings if s["kind"] == f] for f in FAMILIES}
    judged = "real" if fam["real"] else "simulated"
    main = _count(fam[judged], "comparison")
    result = {
        "claim": CLAIM, "metric": "rmse", "alpha": ALPHA, "test": TEST,
        "equivalence_margin": EQUIVALENCE_MARGIN, "family": judged,
        **main,
        "by_kind": {f: _count(fam[f], "comparison") for f in FAMILIES},
        "by_family": {f: _count(fam[f], "comparison") for f in FAMILIES},
        "log_score": _count(fam[judged], "comparison_log_score"),
        "plain_lgbm_vs_ols": _count(fam[judged], "comparison_plain"),
        "pairs": {p: {f: _count(fam[f], "pairs", p) for f in FAMILIES} for p in PAIRS},
        "losses_detail": _details(settings, "worse"),
        "wins_detail": _details(settings, "better"),
        "ties_detail": _details(settings, "equivalent") + _details(settings, "inconclusive"),
    }
    checks = [s for s in fam["simulated"] if "expected" in s["comparison"]]
    result["by_family"]["simulated"]["as_expected"] = sum(_as_expected(s["comparison"]) for s in checks)
    result["text"] = _text(result, fam)
    return result


def _as_expected(c: dict) -> bool:
    """A mechanism check passes when the gap points the way the known truth says it should."""
    if c["expected"] == "better":
        return c["outcome"] == "better"
    return c["outcome"] in ("worse", "equivalent")


def _count(settings: list[dict], key: str, pair: str | None = None) -> dict:
    comps = [s[key][pair] if pair else s[key] for s in settings]
    comps = [c for c in comps if c["outcome"] != "n/a"]
    out = {"settings": len(comps)}
    for tag, field in (("", "outcome"), ("bh_", "outcome_bh"), ("unadjusted_", "outcome_unadjusted")):
        outcomes = [c[field] for c in comps]
        for name in OUTCOMES:
            out[tag + name] = outcomes.count(name)
    # the older names: a win is "better", a loss "worse", a tie anything undecided or equivalent
    out.update(wins=out["better"], losses=out["worse"], ties=out["equivalent"] + out["inconclusive"])
    return out


def _details(settings: list[dict], outcome: str) -> list[dict]:
    out = []
    for s in settings:
        c = s["comparison"]
        if c["outcome"] == outcome:
            out.append({"task": s["task"], "split": s["split"], "kind": s["kind"], "outcome": outcome,
                        "best_linear": c["best_linear"], "best_boosting": c["best_boosting"],
                        "rmse_linear": c["linear"], "rmse_boosting": c["boosting"], "rel_diff": c["rel_diff"],
                        "ci95": c["ci95"], "p": c["p"], "p_holm": c["p_holm"],
                        "reasons": c.get("reasons", [])})
    return out


def _text(v: dict, fam: dict) -> str:
    judged, n = v["family"], v["settings"]
    margin = f"±{100 * v['equivalence_margin']:g}% RMSE"
    head = (f"Verdict computed from the {judged} family ({n} settings"
            + ("; simulations are mechanism checks, reported apart" if judged == "real" else
               "; no real dataset was run, so this is not evidence on real data") + "). "
            f"Boosting (per repeat, the inner-validation choice of {', '.join(BOOSTING)}) against linear "
            f"regression (the same choice of {', '.join(LINEAR)}) on RMSE: better in {v['better']}, "
            f"equivalent within {margin} in {v['equivalent']}, worse in {v['worse']}, inconclusive in "
            f"{v['inconclusive']} ({v['test']}, alpha {v['alpha']}; with Benjamini-Hochberg: "
            f"{v['bh_better']} better, {v['bh_equivalent']} equivalent, {v['bh_worse']} worse).")
    if n == 0:
        judgement = "No setting could be compared, so the claim was not tested."
    elif v["worse"]:
        judgement = (f"The claim that boosting always wins is refuted on {judged} data: it was worse in "
                     f"{v['worse']} setting(s).")
    elif v["better"] < n:
        judgement = (f"The claim is not supported on {judged} data: boosting was never significantly worse, "
                     f"but it was better in only {v['better']} of {n} settings.")
    else:
        judgement = f"In every {judged} setting boosting was better; the claim holds on this benchmark."
    parts = [head, judgement]
    for label, key in (("Worse", "losses_detail"), ("Better", "wins_detail")):
        mine = [d for d in v[key] if d["kind"] == judged]
        if mine:
            parts.append(f"{label}: " + "; ".join(_describe(d) for d in mine) + ".")
    if judged == "real" and fam["simulated"]:
        sim = v["by_family"]["simulated"]
        parts.append(f"Simulated mechanism checks: {_wtl(sim)}; {sim['as_expected']} of {sim['settings']} "
                     "pointed the way their known truth predicts (trees better with thresholds, linear at "
                     "least as good when the truth is linear).")
    parts.append("A 'better' is better than the linear specifications tried here, not than every possible "
                 "linear model, while one 'worse' is enough to refute 'always'.")
    return " ".join(parts)


def _describe(d: dict) -> str:
    why = ", ".join(d["reasons"]) or "none of the listed conditions"
    ci = "" if not d["ci95"] else f", 95% CI {100 * d['ci95'][0]:+.1f}% to {100 * d['ci95'][1]:+.1f}%"
    return (f"{d['task']}/{d['split']} ({d['best_linear']} {d['rmse_linear']:.3g} vs {d['best_boosting']} "
            f"{d['rmse_boosting']:.3g}, {_pct(d)}{ci}, Holm p {d['p_holm']:.3g}; {why})")


def _pct(d: dict) -> str:
    return "n/a" if d["rel_diff"] is None else f"{100 * d['rel_diff']:+.1f}% RMSE"


def _wtl(c: dict) -> str:
    return (f"{c['better']} better, {c['equivalent']} equivalent, {c['worse']} worse, "
            f"{c['inconclusive']} inconclusive of {c['settings']}")
