"""The benchmark loop: every task x split x repeat x model, scored on held-out rows.

Seeds: the simulator draws its data with the run seed (so scenarios share covariates and
random-effect draws and differ only in which effects are switched on); each (task, split) gets
its own split seed derived from the run seed and its name; model seed = run seed + repeat.
Linear algebra and the tree libraries run single-threaded (see trees.py for why).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import replace

import numpy as np

from notaverage.tabular.models import LINEAR, Prediction, build, models_for
from notaverage.tabular.scores import METRICS, score
from notaverage.tabular.simulate import EFFECTS, SimConfig, scenarios, simulate
from notaverage.tabular.splits import make_splits
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


def plan(tasks: list[Task], repeats: int, seed: int, splits_for=None):
    """All (task, split, repeat, train, test) units, splits drawn up front."""
    units = []
    for task in tasks:
        for split in (splits_for(task) if splits_for else task.splits):
            pairs = make_splits(task, split, repeats, split_seed(seed, task.name, split))
            units.extend((task, split, r, tr, te) for r, (tr, te) in enumerate(pairs))
    return units


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
    a, b = task.subset(train), task.subset(test)
    base = {"task": task.name, "kind": task.kind, "split": split, "repeat": repeat,
            "n_train": len(train), "n_test": len(test)}
    rows = []
    if task.truth is not None:
        sd = np.full(len(test), task.noise_sd)
        oracle = score(b.y, Prediction.gaussian(task.truth[test], sd))
        rows.append({**base, "model": "oracle", "family": "oracle", **oracle, "fit_seconds": 0.0,
                     "detail": "true mean, noise sd", "error": None})
    for name in models_for(task, split):
        started = time.perf_counter()
        model = None
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
        family = "linear" if name in LINEAR else "boosting"
        rows.append({**base, "model": name, "family": family, **metrics,
                     "fit_seconds": time.perf_counter() - started, "detail": _detail(model), "error": error})
    return rows


def _detail(model) -> str:
    """What the fit chose: the mixed model's backend, the trees' number of rounds."""
    parts = []
    if getattr(model, "backend", None):
        parts.append(f"backend={model.backend}")
    if getattr(model, "rounds", None):
        parts.append(f"rounds={model.rounds}")
    if getattr(model, "trees", None) is not None and getattr(model.trees, "rounds", None):
        parts.append(f"rounds={model.trees.rounds}")
    return " ".join(parts)
