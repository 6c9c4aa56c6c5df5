"""`notaverage lines`: the ACAI lines benchmark as a sweep of (model, seed) cells.

The main CLI calls `add_arguments` on its subparser and `run(args)`. Writes `OUT/lines.json`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from notaverage.errors import UserError
from notaverage.fileio import atomic_write_text

DEFAULT_OUT = Path("notaverage-out") / "lines"

# Berthelot et al., ICLR 2019, Table 1 (lines): mean distance (x 1e-3) and smoothness, mean +- sd
# over 5 runs, as printed. "Baseline" there is the plain autoencoder.
PAPER_TABLE_1 = {
    "ae": {"paper_name": "Baseline", "mean_distance_e3": (6.88, 0.21), "smoothness": (0.44, 0.04)},
    "vae": {"paper_name": "VAE", "mean_distance_e3": (1.21, 0.17), "smoothness": (0.49, 0.13)},
    "acai": {"paper_name": "ACAI", "mean_distance_e3": (0.24, 0.01), "smoothness": (0.10, 0.01)},
}


def add_sweep_arguments(parser: argparse.ArgumentParser, default_seeds: int) -> None:
    """The executor options `lines` and `zoo` share."""
    parser.add_argument(
        "--seeds", type=int, default=default_seeds, help=f"seeds per model, 0..N-1 (default {default_seeds})"
    )
    parser.add_argument(
        "--models", default=None, metavar="A,B", help="comma-separated model names (default: all)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: one per available core)"
    )
    parser.add_argument(
        "--ray",
        default=None,
        metavar="ADDRESS",
        help="run cells as Ray tasks: 'auto', 'HOST:6379', 'ray://HOST:10001', or 'local' "
        "(needs the [ray] extra; --sweep-dir must be shared by every node)",
    )
    parser.add_argument(
        "--sweep-dir",
        type=Path,
        default=None,
        help="where cells and checkpoints go, and are found again (default OUT/sweep)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="smaller training budget (a couple of minutes)")
    parser.add_argument(
        "--budget",
        default=None,
        choices=["tiny", "quick", "full"],
        help="training budget (default full; quick with --quick; tiny for tests)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    add_sweep_arguments(parser, default_seeds=3)


def parse_models(text: str | None, known, default) -> list[str]:
    if text is None:
        return list(default)
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise UserError(f"unknown model {unknown[0] if unknown else text!r}; choose from {', '.join(known)}")
    return names


def check_sweep_options(args: argparse.Namespace) -> None:
    if not 1 <= args.seeds <= 100:
        raise UserError(f"--seeds {args.seeds} is out of range; give 1 to 100")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers} must be at least 1")


def summarise(cells: list[dict], metrics: tuple[str, ...]) -> list[dict]:
    """One row per model: each metric's mean and sample sd over seeds (sd null with one seed)."""
    import numpy as np  # here: building the CLI parser imports this module and must stay light

    by_model: dict[str, list[dict]] = {}
    for cell in cells:
        by_model.setdefault(cell["job"]["model"], []).append(cell["result"])
    rows = []
    for name, results in by_model.items():
        row = {"name": name, "seeds": [r["seed"] for r in results]}
        for metric in metrics:
            values = np.array([np.nan if r.get(metric) is None else r[metric] for r in results], dtype=float)
            finite = values[np.isfinite(values)]
            row[metric] = float(finite.mean()) if len(finite) else None
            row[f"{metric}_sd"] = float(finite.std(ddof=1)) if len(finite) > 1 else None
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> int:
    from notaverage.lines.benchmark import (
        BUDGETS,
        DEFAULT_MODELS,
        LATENT,
        LINE_MODELS,
        STEPS_PER_PATH,
        config_tag,
    )
    from notaverage.sweep import Job, run_sweep

    check_sweep_options(args)
    names = parse_models(args.models, LINE_MODELS, DEFAULT_MODELS)
    budget = args.budget or ("quick" if args.quick else "full")
    # seed-major: a sweep stopped early still has every model at its first seeds
    jobs = [
        Job(name, seed, "lines", budget, config_tag(name, budget))
        for seed in range(args.seeds)
        for name in names
    ]
    started = time.monotonic()
    cells = run_sweep(
        jobs,
        args.sweep_dir or args.out / "sweep",
        workers=args.workers,
        ray_address=args.ray,
        progress=not args.quiet,
    )
    rows = summarise(cells, ("mean_distance", "smoothness", "train_seconds"))
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
