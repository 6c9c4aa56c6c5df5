"""Wall time and verdict of the full tabular benchmark (`notaverage tabular`, all tasks, 5 repeats).

    .venv/bin/python benchmarks/tabular_full.py [--out DIR] [--seed N]

Runs in this process (as the command does) and prints the machine, the wall time and the
verdict. Speed is not a test; the target is under 10 minutes on 2 shared CPU cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from notaverage.tabular.benchmark import run_benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("notaverage-out") / "tabular")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="time the --quick run instead")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPU cores (shared), load average at start {load:.1f}")
    started = time.perf_counter()
    html_path, json_path, doc = run_benchmark(None, args.out, quick=args.quick, seed=args.seed,
                                              repeats=3 if args.quick else 5)
    wall = time.perf_counter() - started
    v = doc["verdict"]
    print(f"wall time: {wall:.0f} s ({wall / 60:.1f} min) for {doc['timing']['fits']} fits")
    print(f"verdict counts ({v['family']} family, Holm): {v['better']} better, {v['equivalent']} equivalent, "
          f"{v['worse']} worse, {v['inconclusive']} inconclusive of {v['settings']} settings")
    print(v["text"])
    print(f"report: {html_path}\ndata: {json_path}")


if __name__ == "__main__":
    main()
