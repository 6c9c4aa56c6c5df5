"""What the two sweep commands, `lines` and `zoo`, share: their options, the checks on them, building
the seed-major job list and running it, and the per-model summary over seeds.

Light to import (no torch, no numpy at import time): the CLI builds its parser from here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from notaverage.errors import UserError

BUDGET_NAMES = ("tiny", "quick", "full")


def add_sweep_arguments(
    parser: argparse.ArgumentParser, default_out: Path, out_help: str, *, default_seeds: int, quick_help: str
) -> None:
    """--quick, --budget, --out and the executor options."""
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument(
        "--budget",
        default=None,
        choices=BUDGET_NAMES,
        help="training budget (default full; quick with --quick; tiny for tests)",
    )
    parser.add_argument("--out", type=Path, default=default_out, help=f"{out_help} (default {default_out})")
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


def budget_name(args: argparse.Namespace) -> str:
    return args.budget or ("quick" if args.quick else "full")


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


def run_cells(
    args: argparse.Namespace, names: list[str], dataset: str, tag: Callable[[str, str], str]
) -> list[dict]:
    """Run (or read back) one cell per (seed, model) with the executor the options ask for.
    Seed-major: a sweep stopped early still has every model at its first seeds."""
    from notaverage.sweep import Job, run_sweep

    budget = budget_name(args)
    jobs = [Job(name, seed, dataset, budget, tag(name, budget))
            for seed in range(args.seeds) for name in names]
    return run_sweep(
        jobs,
        args.sweep_dir or args.out / "sweep",
        workers=args.workers,
        ray_address=args.ray,
        progress=not args.quiet,
    )


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
