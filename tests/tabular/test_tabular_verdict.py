"""The verdict is computed from the table: a hand-made table with known wins, ties and losses."""

from __future__ import annotations

from notaverage.tabular.verdict import summarize, verdict

MODELS = {"ols": "linear", "lmm": "linear", "lgbm": "boosting", "gpboost": "boosting"}


def _rows(task: str, split: str, rmse: dict[str, list[float]], kind: str = "real") -> list[dict]:
    rows = []
    for model, values in rmse.items():
        for repeat, value in enumerate(values):
            rows.append({"task": task, "kind": kind, "split": split, "repeat": repeat, "model": model,
                         "family": MODELS[model], "n_train": 800, "n_test": 200, "rmse": value,
                         "crps": value / 2, "log_score": value, "coverage90": 0.9, "width90": 3 * value,
                         "fit_seconds": 0.1, "error": None})
    return rows


def _table() -> list[dict]:
    return (
        # win: gpboost is clearly and consistently better than the best linear model (lmm)
        _rows("a", "random", {"ols": [2.0, 2.1, 2.0, 2.2, 2.1], "lmm": [1.5, 1.6, 1.5, 1.6, 1.55],
                              "lgbm": [1.4, 1.45, 1.4, 1.5, 1.45], "gpboost": [1.0, 1.05, 1.02, 1.1, 1.0]})
        # loss: boosting clearly worse than ols
        + _rows("b", "time", {"ols": [1.0, 1.1, 1.0, 1.05, 1.0], "lmm": [1.2, 1.3, 1.2, 1.25, 1.2],
                              "lgbm": [1.5, 1.6, 1.55, 1.6, 1.5], "gpboost": [1.7, 1.8, 1.7, 1.75, 1.7]})
        # tie: noisy, differences change sign
        + _rows("c", "group", {"ols": [1.0, 1.2, 0.9, 1.1, 1.0], "lmm": [1.05, 1.25, 0.95, 1.15, 1.05],
                               "lgbm": [1.1, 1.0, 1.0, 1.2, 0.95], "gpboost": [1.2, 1.1, 1.1, 1.3, 1.0]})
        # a failed model is left out of the comparison rather than crashing it
        + _rows("d", "random", {"ols": [1.0] * 4 + [float("nan")], "lmm": [1.0, 1.1, 1.0, 1.05, 1.0],
                                "lgbm": [0.5, 0.55, 0.5, 0.52, 0.5], "gpboost": [0.6] * 5}, kind="simulated")
    )


def test_verdict_counts_and_names_the_losses():
    settings = summarize(_table(), {"d": {"effects_on": ["nonlinear"]}})
    by = {s["task"]: s["comparison"] for s in settings}
    assert (by["a"]["outcome"], by["a"]["best_linear"], by["a"]["best_boosting"]) == ("win", "lmm", "gpboost")
    assert (by["b"]["outcome"], by["b"]["best_linear"], by["b"]["best_boosting"]) == ("loss", "ols", "lgbm")
    assert by["c"]["outcome"] == "tie"
    assert (by["d"]["outcome"], by["d"]["best_linear"]) == ("win", "lmm")  # ols failed once
    v = verdict(settings)
    assert (v["settings"], v["wins"], v["ties"], v["losses"]) == (4, 2, 1, 1)
    assert v["by_kind"]["simulated"] == {"settings": 1, "wins": 1, "ties": 0, "losses": 0}
    assert "in 2 of 4 settings, tied in 1, lost in 1" in v["text"]
    assert "refuted" in v["text"] and "b/time" in v["text"]
    assert [d["task"] for d in v["losses_detail"]] == ["b"]
    assert any("forecasting" in r for r in v["losses_detail"][0]["reasons"])
    assert "thresholds" in " ".join(v["wins_detail"][1]["reasons"])


def test_verdict_when_boosting_never_loses_but_ties():
    rows = [r for r in _table() if r["task"] in ("a", "c")]
    v = verdict(summarize(rows))
    assert (v["wins"], v["ties"], v["losses"]) == (1, 1, 0)
    assert "not supported" in v["text"] and "refuted" not in v["text"]


def test_verdict_when_boosting_always_wins():
    rows = [r for r in _table() if r["task"] == "a"]
    v = verdict(summarize(rows))
    assert (v["wins"], v["ties"], v["losses"]) == (1, 0, 0)
    assert "the claim holds on this benchmark" in v["text"]
