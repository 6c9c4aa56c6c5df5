"""`notaverage lines`: the ACAI lines benchmark as a sweep of (model, seed) cells.

The main CLI calls `add_arguments` on its subparser and `run(args)`. Writes `OUT/lines.json`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from notaverage.fileio import atomic_write_text
from notaverage import sweep_command as sweeps

DEFAULT_OUT = Path("notaverage-out") / "lines"

# Berthelot et al., ICLR 2019, Table 1 (lines): mean distance (x 1e-3) and smoothness, mean +- sd
# over 5 runs, as printed. "Baseline" there is the plain autoencoder.
PAPER_TABLE_1 = {
    "ae": {"paper_name": "Baseline", "mean_distance_e3": (6.88, 0.21), "smoothness": (0.44, 0.04)},
    "vae": {"paper_name": "VAE", "mean_distance_e3": (1.21, 0.17), "smoothness": (0.49, 0.13)},
    "acai": {"paper_name": "ACAI", "mean_distance_e3": (0.24, 0.01), "smoothness": (0.10, 0.01)},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    quick = "smaller training budget (a couple of minutes)"
    sweeps.add_sweep_arguments(parser, DEFAULT_OUT, "output folder", default_seeds=3, quick_help=quick)


def run(args: argparse.Namespace) -> int:
    from notaverage.lines.benchmark import (
        BUDGETS,
        DEFAULT_MODELS,
        LATENT,
        LINE_MODELS,
        STEPS_PER_PATH,
        config_tag,
    )

    sweeps.check_sweep_options(args)
    names = sweeps.parse_models(args.models, LINE_MODELS, DEFAULT_MODELS)
    budget = sweeps.budget_name(args)
    started = time.monotonic()
    cells = sweeps.run_cells(args, names, "lines", config_tag)
    rows = sweeps.summarise(cells, ("mean_distance", "smoothness", "train_seconds"))
    for row in rows:
        row["paper"] = PAPER_TABLE_1.get(row["name"])
        # per seed, so a collapsed run (every path unscored: one image decoded for all) stays visible
        row["per_seed"] = [
            {k: c["result"][k] for k in ("seed", "mean_distance", "smoothness", "unscored_paths")}
            for c in cells
            if c["job"]["model"] == row["name"]
        ]
    result = {
        "benchmark": "ACAI lines (Berthelot et al., ICLR 2019, Table 1)",
        "protocol": {
            "budget": budget,
            **BUDGETS[budget].__dict__,
            "latent_dim": LATENT,
            "images_per_path": STEPS_PER_PATH,
            "true_line_grid": 10_000,
            "distance": "cosine",
            "seeds": list(range(args.seeds)),
        },
        "models": rows,
        "seconds": round(time.monotonic() - started, 1),
    }
    out = args.out / "lines.json"
    atomic_write_text(out, json.dumps(result, indent=2))
    print(f"{'model':<12} {'mean distance (x1e-3)':>22} {'smoothness':>12}")
    for row in rows:
        md = "n/a" if row["mean_distance"] is None else f"{1e3 * row['mean_distance']:.2f}"
        md_sd = "" if row["mean_distance_sd"] is None else f" +- {1e3 * row['mean_distance_sd']:.2f}"
        sm = "n/a" if row["smoothness"] is None else f"{row['smoothness']:.2f}"
        sm_sd = "" if row["smoothness_sd"] is None else f" +- {row['smoothness_sd']:.2f}"
        print(f"{row['name']:<12} {md + md_sd:>22} {sm + sm_sd:>12}")
    print(out)
    return 0
