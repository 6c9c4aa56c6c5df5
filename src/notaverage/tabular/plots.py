"""Figures for the report, returned as base64 PNG strings so the HTML works offline."""

from __future__ import annotations

import base64

import numpy as np

from notaverage.png import figure_png
from notaverage.tabular.registry import MODEL_NAMES
from notaverage.tabular.simulate import EFFECTS

COLOURS = {"ols": "#1f77b4", "ols_fe": "#6baed6", "lmm": "#08306b",
           "lgbm": "#fd8d3c", "lgbm_group": "#e6550d", "gpboost": "#a63603"}
MARKERS = {"ols": "o", "ols_fe": "s", "lmm": "D", "lgbm": "^", "lgbm_group": "v", "gpboost": "P"}
SCENARIO_ORDER = ["sim_linear"] + [f"sim_{e}" for e in EFFECTS] + ["sim_all"]


def _png(fig) -> str:
    return base64.b64encode(figure_png(fig, dpi=90)).decode("ascii")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _rel_oracle(setting: dict, model: str):
    entry = setting["models"].get(model, {}).get("rmse", {})
    if entry.get("mean") is None or not setting.get("oracle_rmse"):
        return None
    return entry["mean"] / setting["oracle_rmse"]


def scenario_figure(settings: list[dict]) -> str | None:
    """Error relative to the oracle as each simulated effect is switched on, one panel per split."""
    index = {(s["task"], s["split"]): s for s in settings}
    splits = [sp for sp in ("random", "time", "group", "spatial")
              if any((name, sp) in index for name in SCENARIO_ORDER)]
    if not splits:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(splits), figsize=(4.2 * len(splits), 3.6), squeeze=False, sharey=True)
    for ax, split in zip(axes[0], splits, strict=True):
        names = [n for n in SCENARIO_ORDER if (n, split) in index]
        for model in MODEL_NAMES:
            ys = [_rel_oracle(index[(n, split)], model) for n in names]
            if any(y is not None for y in ys):
                ax.plot(range(len(names)), [np.nan if y is None else y for y in ys], marker=MARKERS[model],
                        color=COLOURS[model], label=model)
        ax.axhline(1.0, color="grey", lw=1, ls="--")
        ax.set_xticks(range(len(names)), [n.removeprefix("sim_") for n in names], rotation=40)
        ax.set_title(f"{split} split")
    axes[0][0].set_ylabel("RMSE / oracle RMSE")
    axes[0][-1].legend(fontsize=8, loc="upper left")
    return _png(fig)


def sweep_figure(settings: list[dict]) -> str | None:
    """Error relative to the oracle as one effect's strength grows (random split)."""
    index = {(s["task"], s["split"]): s for s in settings}
    effects = [e for e in EFFECTS if any(k[0].startswith(f"sweep_{e}_") for k in index)]
    if not effects:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(effects), figsize=(3.4 * len(effects), 3.3), squeeze=False, sharey=True)
    for ax, effect in zip(axes[0], effects, strict=True):
        points = [(0.0, index.get(("sim_linear", "random"))), (1.0, index.get((f"sim_{effect}", "random")))]
        points += [(s["sweep_strength"], s) for s in settings
                   if s.get("sweep_effect") == effect and s["split"] == "random"]
        points = sorted((x, s) for x, s in points if s is not None)
        for model in MODEL_NAMES:
            ys = [_rel_oracle(s, model) for _, s in points]
            if any(y is not None for y in ys):
                ax.plot([x for x, _ in points], [np.nan if y is None else y for y in ys],
                        marker=MARKERS[model], color=COLOURS[model], label=model)
        ax.axhline(1.0, color="grey", lw=1, ls="--")
        ax.set_title(effect)
        ax.set_xlabel("strength")
    axes[0][0].set_ylabel("RMSE / oracle RMSE (random split)")
    axes[0][-1].legend(fontsize=7)
    return _png(fig)


def real_figure(settings: list[dict]) -> str | None:
    """Each model's RMSE relative to the best linear model, per real dataset and split."""
    real = [s for s in settings if s["kind"] == "real" and s["comparison"]["linear"]]
    if not real:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.34 * len(real) + 1.2))
    for i, s in enumerate(real):
        base = s["comparison"]["linear"]
        for model in MODEL_NAMES:
            mean = s["models"].get(model, {}).get("rmse", {}).get("mean")
            if mean is not None:
                ax.scatter(100 * (mean / base - 1), i, color=COLOURS[model], marker=MARKERS[model],
                           label=model if i == 0 else None, s=28)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(range(len(real)), [f"{s['task']}/{s['split']}" for s in real])
    ax.invert_yaxis()
    ax.set_xlabel("RMSE relative to the best linear model (%); left is better")
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


def coverage_figure(settings: list[dict]) -> str | None:
    """Empirical coverage of each model's 90% interval across all settings."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    drawn = False
    for j, model in enumerate(MODEL_NAMES):
        values = [s["models"][model]["coverage90"]["mean"] for s in settings
                  if model in s["models"] and s["models"][model]["coverage90"]["mean"] is not None]
        if values:
            jitter = np.linspace(-0.25, 0.25, len(values))
            ax.scatter(j + jitter, values, color=COLOURS[model], s=12, alpha=0.7)
            drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.axhline(0.9, color="grey", lw=1, ls="--")
    ax.set_xticks(range(len(MODEL_NAMES)), MODEL_NAMES)
    ax.set_ylabel("coverage of the 90% interval")
    return _png(fig)


OUTCOME_COLOURS = {"better": "#1a7f37", "worse": "#b3261e", "equivalent": "#1f5fbf", "inconclusive": "#777"}


def forest_figure(settings: list[dict], margin: float) -> str | None:
    """Boosting's RMSE relative to linear regression per setting, with 95% intervals and the
    equivalence margin shaded; real datasets above, simulations below."""
    rows = [s for fam in ("real", "simulated") for s in settings
            if s["kind"] == fam and s["comparison"].get("ci95")]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(rows) + 1.3))
    ax.axvspan(-100 * margin, 100 * margin, color="#1f5fbf", alpha=0.12, label=f"±{100 * margin:g}% margin")
    for i, s in enumerate(rows):
        c = s["comparison"]
        low, high = (100 * x for x in c["ci95"])
        colour = OUTCOME_COLOURS.get(c["outcome"], "#777")
        ax.plot([low, high], [i, i], color=colour, lw=1.6)
        ax.plot(100 * c["rel_diff"], i, "o", color=colour, ms=4)
    ax.axvline(0, color="grey", lw=1, ls="--")
    n_real = sum(s["kind"] == "real" for s in rows)
    if 0 < n_real < len(rows):
        ax.axhline(n_real - 0.5, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)), [f"{s['task']}/{s['split']}" for s in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("boosting RMSE relative to linear (%), 95% CI; left: boosting better")
    for name, colour in OUTCOME_COLOURS.items():
        ax.plot([], [], color=colour, lw=2, label=name)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _png(fig)
