"""The benchmark loop: every task x split x repeat x model, scored on held-out rows.

Seeds: every repeat of a simulated task draws a fresh data set with seed `sim_seed(seed, repeat)`
(scenarios share that seed in a repeat, so they differ only in which effects are switched on);
each (task, split) gets its own split seed derived from the run seed and its name; model seed =
run seed + repeat. usjoin's target is centred per year on the training rows of each fold only.
Linear algebra and the tree libraries run single-threaded (see trees.py for why).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import replace

import numpy as np

from notaverage.tabular.models import Prediction
from notaverage.tabular.registry import build, family, models_for
from notaverage.tabular.scores import METRICS, rmse, score
from notaverage.tabular.simulate import EFFECTS, SimConfig, oracle_prediction, scenarios, simulate
from notaverage.tabular.splits import inner_holdout, location_ids, make_splits
from notaverage.tabular.task import Task

QUICK_SIM = {"n_groups": 15, "n_subjects": 4, "n_times": 8}  # 480 rows
FULL_SIM = {"n_groups": 30, "n_subjects": 4, "n_times": 8}  # 960 rows
SWEEP_STRENGTHS = (0.5, 2.0)  # besides 0 (the linear scenario) and 1 (the one-effect scenario)


def split_seed(seed: int, task: str, split: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(f"{task}/{split}".encode())) % 2**31


def sim_tasks(names: list[str], seed: int, quick: bool) -> list[Task]:
    size = QUICK_SIM if quick else FULL_SIM
    named = scenarios()
    return [simulate(replace(named[name], **size), seed, name) for name in names]


def sweep_tasks(seed: int, quick: bool) -> list[Task]:
    """Each effect alone at extra strengths, for the 'error vs effect strength' plots."""
    size = QUICK_SIM if quick else FULL_SIM
    tasks = []
    for effect in EFFECTS:
        for strength in SWEEP_STRENGTHS:
            config = SimConfig(**size, **{effect: strength})
            task = simulate(config, seed, f"sweep_{effect}_{strength:g}")
            task.splits = ("random",)
            task.meta["sweep"] = {"effect": effect, "strength": strength}
            tasks.append(task)
    return tasks


def sim_seed(seed: int, repeat: int) -> int:
    return seed * 1000 + repeat


def redraw(task: Task, seed: int) -> Task:
    """The same simulated task drawn again with another seed (its splits and metadata kept)."""
    fresh = simulate(SimConfig(**task.meta["config"]), seed, task.name)
    fresh.splits, fresh.meta = task.splits, task.meta
    return fresh


def plan(tasks: list[Task], repeats: int, seed: int):
    """All (task, split, repeat, train, test) units, splits drawn up front. Simulated tasks get a
    fresh data set in every repeat, so repeats vary the data as well as the split."""
    units = []
    for task in tasks:
        draws = [task] * repeats
        if task.kind == "simulated":
            draws = [redraw(task, sim_seed(seed, r)) for r in range(repeats)]
        for split in task.splits:
            for r, drawn in enumerate(draws):
                tr, te = make_splits(drawn, split, repeats, split_seed(seed, task.name, split))[r]
                units.append((drawn, split, r, tr, te))
    return units


def centre_by_time(task: Task, train: np.ndarray) -> Task:
    """y minus its per-time mean over the training rows (times after training: the linear trend
    of those means), so no held-out row informs the centring."""
    times, y = task.time, task.y
    known = np.unique(times[train])
    means = np.array([y[train][times[train] == t].mean() for t in known])
    slope, intercept = np.polyfit(known, means, 1) if len(known) > 1 else (0.0, means[0])
    lookup = dict(zip(known, means, strict=True))
    offset = np.array([lookup.get(t, intercept + slope * t) for t in times])
    return replace(task, y=y - offset)


def run_units(units, seed: int, quick: bool, progress: bool = True, label: str = "fits") -> list[dict]:
    from threadpoolctl import threadpool_limits

    from notaverage.progress import progress_bar

    rows = []
    with threadpool_limits(limits=1):
        bar = progress_bar(units, desc=label, unit="split", disable=not progress, dynamic_ncols=True)
        for task, split, repeat, train, test in bar:
            bar.set_postfix_str(f"{task.name}/{split}#{repeat}")
            rows.extend(run_one(task, split, repeat, train, test, seed, quick))
    return rows


def run_one(task: Task, split: str, repeat: int, train, test, seed: int, quick: bool) -> list[dict]:
    """Fit and score every applicable model on one train/test pair."""
    if task.meta.get("centre_by_time"):
        task = centre_by_time(task, train)
    a, b = task.subset(train), task.subset(test)
    base = {"task": task.name, "kind": task.kind, "split": split, "repeat": repeat,
            "n_train": len(train), "n_test": len(test)}
    rows = []
    if task.known_mean is not None:
        started = time.perf_counter()
        oracle = score(b.y, Prediction.gaussian(*oracle_prediction(task, train, test)))
        rows.append({**base, "model": "oracle", "family": "oracle", **oracle, "valid_rmse": float("nan"),
                     "fit_seconds": time.perf_counter() - started,
                     "detail": "known mean + BLUP with the true variance components", "error": None})
    inner = inner_holdout(split, a.top_group, a.time, a.coords, location_ids(a.coords), len(train),
                          seed + repeat)
    for name in models_for(task, split):
        started = time.perf_counter()
        model, valid = None, float("nan")
        try:
            model = build(name, task, split, seed + repeat, quick)
            model.fit(a.X, a.y, groups=a.groups, time=a.time, coords=a.coords)
            pred = model.predict_dist(b.X, groups=b.groups, time=b.time, coords=b.coords)
            metrics, error = score(b.y, pred), None
            if not np.isfinite(metrics["rmse"]):
                raise ValueError("non-finite predictions")
        except Exception as exc:  # noqa: BLE001 -- a failed fit is a result to report, not a crash
            metrics = {k: float("nan") for k in METRICS}
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        if error is None:
            valid = inner_validation_rmse(model, name, task, split, a, inner, seed + repeat, quick)
        rows.append({**base, "model": name, "family": family(name), **metrics, "valid_rmse": valid,
                     "fit_seconds": time.perf_counter() - started, "detail": _detail(model),
                     "estimation": getattr(model, "estimation_", None),
                     "singular": getattr(model, "singular_", None), "error": error})
    return rows


def inner_validation_rmse(model, name, task, split, train_view, inner, seed, quick) -> float:
    """RMSE on the inner validation rows of the training set, used to choose the best model of
    each family without looking at the test fold. Tree models already tuned on exactly these rows
    (same split function and seed) and report it; other models are refitted on the inner training
    rows."""
    if getattr(model, "valid_rmse_", None) is not None:
        return float(model.valid_rmse_)
    tr, va = train_view.subset(inner[0]), train_view.subset(inner[1])
    try:
        inner_model = build(name, task, split, seed, quick)
        inner_model.fit(tr.X, tr.y, groups=tr.groups, time=tr.time, coords=tr.coords)
        return rmse(va.y, inner_model.predict(va.X, groups=va.groups, time=va.time, coords=va.coords))
    except Exception:  # noqa: BLE001 -- a model that cannot be validated is simply not chosen
        return float("nan")


def _detail(model) -> str:
    """What the fit chose: the mixed model's backend, estimation and optimiser, the trees' tuning."""
    parts = []
    for label, attr in (("backend", "backend"), ("estimation", "estimation_"), ("optimiser", "optimiser_"),
                        ("rounds", "rounds"), ("configs_tried", "configs_tried_")):
        value = getattr(model, attr, None)
        if value is not None:
            parts.append(f"{label}={value}")
    if getattr(model, "singular_", False):
        parts.append("singular fit (a variance component on the boundary, as lme4's isSingular)")
    params = getattr(model, "params_", None)
    if params:
        parts.append(f"num_leaves={params['num_leaves']} min_data_in_leaf={params['min_data_in_leaf']} "
                     f"lambda_l2={params['lambda_l2']}")
    return " ".join(parts)
