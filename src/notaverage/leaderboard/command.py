"""`notaverage zoo`: train every zoo model under one budget, score each cell, write the leaderboard.

The main CLI calls `add_arguments` on its subparser and `run(args)`. Writes `OUT/leaderboard.json`
and `OUT/leaderboard.html`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from notaverage.fileio import atomic_write_text
from notaverage import sweep_command as sweeps

DEFAULT_OUT = Path("notaverage-out") / "zoo"
METRICS = (
    "nll",
    "active_units",
    "class_preserving_reconstruction",
    "midpoint_ratio",
    "pixel_average_ratio",
    "midpoint_minus_pixel",
    "hybrid_transfer",
    "c_t",
    "train_seconds",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    out = "output folder for leaderboard.html and .json"
    quick = "2,000 training digits, short training, small evaluation (under 2 minutes on 2 idle cores)"
    sweeps.add_sweep_arguments(parser, DEFAULT_OUT, out, default_seeds=2, quick_help=quick)


def _fmt(value, spec: str) -> str:
    width = int(spec.split(".")[0])
    return "n/a".rjust(width) if value is None else format(value, spec)


def run(args: argparse.Namespace) -> int:
    from notaverage.leaderboard.budgets import BUDGETS
    from notaverage.leaderboard.cell import config_tag, judges, zoo_data
    from notaverage.leaderboard.models import ZOO_MODELS
    from notaverage.models.registry import spec
    from notaverage.leaderboard.page import write_page

    sweeps.check_sweep_options(args)
    names = sweeps.parse_models(args.models, ZOO_MODELS, ZOO_MODELS)
    budget = sweeps.budget_name(args)
    started = time.monotonic()
    if not args.ray:  # train the shared judge once here, not in every worker at the same time
        judges(zoo_data(BUDGETS[budget]), BUDGETS[budget], progress=not args.quiet)
    cells = sweeps.run_cells(args, names, "mnist", config_tag)
    rows = sweeps.summarise(cells, METRICS)
    latent_dims = {cell["job"]["model"]: cell["result"]["latent_dim"] for cell in cells}  # fixed per model
    for row in rows:
        row["summary"] = spec(row["name"]).summary
        row["latent_dim"] = latent_dims[row["name"]]
    strips = {cell["job"]["model"]: cell["result"]["strips"] for cell in cells if cell["job"]["seed"] == 0}
    result = {
        "budget": budget,
        **BUDGETS[budget].__dict__,
        "seeds": list(range(args.seeds)),
        "models": rows,
        "seconds": round(time.monotonic() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "leaderboard.json", json.dumps(result, indent=2))
    ends = next(cell["result"]["strip_ends"] for cell in cells)  # the same pairs in every cell
    html = write_page(args.out / "leaderboard.html", result, strips, ends)
    print(
        f"{'model':<13} {'NLL':>7} {'active':>6} {'class kept':>10} {'mid ratio':>9} {'pixel':>6} "
        f"{'hybrids':>7} {'C_T':>6} {'train s':>7}"
    )
    for r in rows:
        print(
            f"{r['name']:<13} {_fmt(r['nll'], '7.1f')} {_fmt(r['active_units'], '6.1f')} "
            f"{_fmt(r['class_preserving_reconstruction'], '10.2f')} {_fmt(r['midpoint_ratio'], '9.2f')} "
            f"{_fmt(r['pixel_average_ratio'], '6.2f')} {_fmt(r['hybrid_transfer'], '7.2f')} "
            f"{_fmt(r['c_t'], '6.1f')} {_fmt(r['train_seconds'], '7.0f')}"
        )
    print(f"zoo finished in {result['seconds']:.0f} s")
    print(args.out / "leaderboard.json")
    print(html)
    return 0
