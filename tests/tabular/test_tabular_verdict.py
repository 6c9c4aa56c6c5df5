"""The verdict is computed from the table: hand-made tables with known outcomes, and the
statistics (Holm, BH, TOST, intervals) against hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from notaverage.tabular.inference import adjust, corrected_interval, corrected_tost, decide
from notaverage.tabular.verdict import summarize, verdict

MODELS = {"ols": "linear", "lmm": "linear", "lgbm": "boosting", "gpboost": "boosting"}


def _rows(task: str, split: str, rmse: dict[str, list[float]], kind: str = "real", valid=None) -> list[dict]:
    rows = []
    for model, values in rmse.items():
        for repeat, value in enumerate(values):
            inner = (valid or {}).get(model, values)[repeat]
            rows.append({"task": task, "kind": kind, "split": split, "repeat": repeat, "model": model,
                         "family": MODELS[model], "n_train": 800, "n_test": 200, "rmse": value,
                         "valid_rmse": inner, "crps": value / 2, "log_score": value, "coverage90": 0.9,
                         "width90": 3 * value, "fit_seconds": 0.1, "error": None})
    return rows


def _table() -> list[dict]:
    return (
        # better: gpboost is clearly and consistently better than the best linear model (lmm)
        _rows("a", "random", {"ols": [2.0, 2.1, 2.0, 2.2, 2.1], "lmm": [1.5, 1.6, 1.5, 1.6, 1.55],
                              "lgbm": [1.4, 1.45, 1.4, 1.5, 1.45], "gpboost": [1.0, 1.05, 1.02, 1.1, 1.0]})
        # worse: boosting clearly worse than ols
        + _rows("b", "time", {"ols": [1.0, 1.1, 1.0, 1.05, 1.0], "lmm": [1.2, 1.3, 1.2, 1.25, 1.2],
                              "lgbm": [1.5, 1.6, 1.55, 1.6, 1.5], "gpboost": [1.7, 1.8, 1.7, 1.75, 1.7]})
        # inconclusive: noisy, differences change sign and are large
        + _rows("c", "group", {"ols": [1.0, 1.2, 0.9, 1.1, 1.0], "lmm": [1.05, 1.25, 0.95, 1.15, 1.05],
                               "lgbm": [1.1, 1.0, 1.0, 1.2, 0.95], "gpboost": [1.2, 1.1, 1.1, 1.3, 1.0]})
        # equivalent: boosting within 0.2% of the linear model in every repeat
        + _rows("e", "random", {"ols": [1.0, 1.1, 0.9, 1.05, 1.0], "lmm": [1.2] * 5,
                                "lgbm": [1.001, 1.099, 0.901, 1.051, 0.999], "gpboost": [1.3] * 5})
        # a failed model is left out of the comparison rather than crashing it
        + _rows("d", "random", {"ols": [1.0] * 4 + [float("nan")], "lmm": [1.0, 1.1, 1.0, 1.05, 1.0],
                                "lgbm": [0.5, 0.55, 0.5, 0.52, 0.5], "gpboost": [0.6] * 5}, kind="simulated")
    )


def test_holm_and_bh_match_a_hand_computed_example():
    p = [0.01, 0.04, 0.03, 0.005, None]
    # Holm: sorted 0.005 0.01 0.03 0.04 times 4 3 2 1 = .02 .03 .06 .04, made monotone: .02 .03 .06 .06
    assert adjust(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02, None])
    # BH: sorted p times 4/rank = .02 .02 .04 .04, cumulative minimum from the top keeps them
    assert adjust(p, "fdr_bh") == pytest.approx([0.02, 0.04, 0.04, 0.02, None])


def test_interval_and_tost_against_the_formula():
    from scipy.stats import t as student_t

    d = np.array([0.001, -0.002, 0.0, 0.002, -0.001])
    se = math.sqrt((1 / 5 + 0.25) * d.var(ddof=1))  # Nadeau-Bengio corrected standard error
    low, high = corrected_interval(d, 0.25)
    assert (low, high) == pytest.approx((-student_t.ppf(0.975, 4) * se, student_t.ppf(0.975, 4) * se))
    assert corrected_tost(d, 0.25, 0.02) == pytest.approx(student_t.sf(0.02 / se, 4))
    # TOST at 5% rejects exactly when the 90% interval lies inside the margin
    for margin in (0.001, 0.0015, 0.002, 0.01):
        lo90, hi90 = corrected_interval(d, 0.25, level=0.90)
        assert (corrected_tost(d, 0.25, margin) < 0.05) == (-margin < lo90 and hi90 < margin)
    # a planted non-equivalent pair: mean difference 5x the margin
    assert corrected_tost(d + 0.1, 0.25, 0.02) > 0.99
    assert decide(-0.1, 0.001, None) == "better" and decide(0.1, 0.001, None) == "worse"
    assert decide(0.0, 0.5, 0.01) == "equivalent" and decide(0.0, 0.5, 0.2) == "inconclusive"


def test_outcomes_use_holm_within_each_family():
    settings = summarize(_table(), {"d": {"effects_on": ["nonlinear"]}})
    by = {s["task"]: s["comparison"] for s in settings}
    assert (by["a"]["outcome"], by["a"]["best_linear"], by["a"]["best_boosting"]) == (
        "better", "lmm", "gpboost")
    assert (by["b"]["outcome"], by["b"]["best_linear"], by["b"]["best_boosting"]) == ("worse", "ols", "lgbm")
    assert by["c"]["outcome"] == "inconclusive"
    assert by["e"]["outcome"] == "equivalent" and by["e"]["p_tost_holm"] < 0.05
    assert (by["d"]["outcome"], by["d"]["best_linear"]) == ("better", "lmm")  # ols failed once
    real = [by[k] for k in "abce"]
    # Holm over the four real settings: the smallest p is multiplied by 4
    smallest = min(real, key=lambda c: c["p"])
    assert smallest["p_holm"] == pytest.approx(min(1.0, 4 * smallest["p"]))
    assert by["d"]["p_holm"] == pytest.approx(by["d"]["p"])  # alone in the simulated family
    for c in real:
        assert c["p_bh"] <= c["p_holm"] + 1e-12
        lo, hi = c["ci95"]
        assert lo <= c["rel_diff"] <= hi


def test_verdict_is_judged_on_real_data_only_and_names_the_family():
    v = verdict(summarize(_table(), {"d": {"effects_on": ["nonlinear"]}}))
    assert v["family"] == "real"
    assert (v["settings"], v["better"], v["equivalent"], v["inconclusive"], v["worse"]) == (4, 1, 1, 1, 1)
    assert (v["wins"], v["ties"], v["losses"]) == (1, 2, 1)
    assert v["by_family"]["simulated"]["settings"] == 1 and v["by_family"]["simulated"]["as_expected"] == 1
    assert v["text"].startswith("Verdict computed from the real family (4 settings")
    assert "refuted on real data" in v["text"] and "b/time" in v["text"]
    assert "d/random" not in v["text"].split("Simulated")[0]  # simulations do not enter the verdict
    assert [d["task"] for d in v["losses_detail"]] == ["b"]
    assert any("forecasting" in r for r in v["losses_detail"][0]["reasons"])


def test_best_model_is_chosen_on_inner_validation_not_on_the_test_fold():
    # lmm is better on every test fold, but ols is better on every inner validation set
    rows = _rows("s", "random", {"ols": [1.2] * 5, "lmm": [1.0, 1.01, 0.99, 1.0, 1.0],
                                 "lgbm": [1.1, 1.11, 1.09, 1.1, 1.1], "gpboost": [1.3] * 5},
                 valid={"ols": [0.9] * 5, "lmm": [1.0] * 5})
    c = summarize(rows)[0]["comparison"]
    assert c["best_linear"] == "ols" and c["chosen_linear"] == {"ols": 5}
    assert c["linear"] == pytest.approx(1.2) and c["outcome"] == "better"
    pair = summarize(rows)[0]["pairs"]["lmm_vs_gpboost"]
    assert (pair["best_linear"], pair["best_boosting"], pair["outcome"]) == ("lmm", "gpboost", "worse")


def test_verdict_when_boosting_never_loses_but_is_not_always_better():
    rows = [r for r in _table() if r["task"] in ("a", "e")]
    v = verdict(summarize(rows))
    assert (v["better"], v["equivalent"], v["worse"]) == (1, 1, 0)
    assert "not supported on real data" in v["text"] and "refuted" not in v["text"]


def test_verdict_when_boosting_always_wins():
    rows = [r for r in _table() if r["task"] == "a"]
    v = verdict(summarize(rows))
    assert (v["wins"], v["ties"], v["losses"]) == (1, 0, 0)
    assert "the claim holds on this benchmark" in v["text"]
