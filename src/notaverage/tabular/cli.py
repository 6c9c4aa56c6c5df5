"""`notaverage tabular`: do boosted trees beat linear regression on human-systems data?

The main CLI calls `add_arguments` on its subparser and `run(args)`; `python -m
notaverage.tabular` works on its own. Bad options raise `UserError` (one line naming the fix).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from notaverage.errors import UserError

DEFAULT_OUT = Path("notaverage-out") / "tabular"
FULL_REPEATS = 5
QUICK_REPEATS = 3  # --quick is a smoke test of the whole pipeline, not evidence


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: sim_all, sleepstudy and baltim, smaller, 3 repeats (about a minute)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder for tabular.html and tabular.json (default {DEFAULT_OUT})")
    parser.add_argument("--seed", default="0",
                        help="random seed for simulation, splits and models (default 0)")
    parser.add_argument("--datasets", default=None, metavar="A,B",
                        help="comma-separated tasks: sim, real, sweep, sim_linear ... sim_all, sleepstudy, "
                             "exam, hsb, radon, insteval, nlswork, star, baltim, usjoin (default: all)")
    parser.add_argument("--repeats", default=None,
                        help="train/test repeats per setting (default 5; 3 with --quick; at least 2)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _int_option(text: str, name: str, low: int, high: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise UserError(f"{name} {text!r} is not a whole number; give e.g. {name} {low}") from None
    if not low <= value <= high:
        raise UserError(f"{name} {value} is out of range; give a whole number from {low} to {high}")
    return value


def run(args: argparse.Namespace) -> int:
    from notaverage.tabular.benchmark import resolve, run_benchmark

    seed = _int_option(args.seed, "--seed", 0, 2**31 - 1)
    default_repeats = QUICK_REPEATS if args.quick else FULL_REPEATS
    repeats = _int_option(default_repeats if args.repeats is None else args.repeats, "--repeats", 2, 50)
    resolve(args.datasets, args.quick)  # validate names before any slow import or fit
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder for tabular.html and tabular.json")
    html_path, json_path, doc = run_benchmark(args.datasets, out, quick=args.quick, seed=seed,
                                              repeats=repeats, progress=not args.quiet)
    print(doc["verdict"]["text"])
    print(f"wall time {doc['timing']['wall_seconds']:.0f} s")
    print(f"report: {html_path}")
    print(f"data:   {json_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notaverage.tabular", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UserError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
