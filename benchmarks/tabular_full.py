"""Wall time, CPU time and verdict of the tabular benchmark (`notaverage tabular`, 5 repeats).

    .venv/bin/python benchmarks/tabular_full.py [--out DIR] [--seed N] [--quick]

Runs in this process (as the command does) and prints the machine, the wall and CPU time, the
targets (full <= 15 min, --quick <= 1 min on 2 cores) and the verdict. Every fit runs on one
thread, so on a machine shared with other jobs the wall time grows with the load while the CPU
time does not: both are printed, with the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from notaverage.tabular.benchmark import run_benchmark

TARGET_SECONDS = {"full": 15 * 60, "quick": 60}


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("notaverage-out") / "tabular")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="time the --quick run instead")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    print(f"machine: {os.cpu_count()} CPU cores (shared), load average at start {_load():.1f}")
    started, cpu_started = time.perf_counter(), time.process_time()
    html_path, json_path, doc = run_benchmark(None, args.out, quick=args.quick, seed=args.seed,
                                              repeats=3 if args.quick else 5)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    target = TARGET_SECONDS[mode]
    verdicts = {True: "met", False: "MISSED"}
    print(f"{mode} run: wall {wall:.0f} s ({wall / 60:.1f} min), CPU {cpu:.0f} s, {doc['timing']['fits']} "
          f"fits; load average at end {_load():.1f}; target {target} s: wall {verdicts[wall <= target]}, "
          f"CPU {verdicts[cpu <= target]}")
    v = doc["verdict"]
    print(f"verdict ({v['family']} family, Holm): {v['better']} better, {v['equivalent']} equivalent, "
          f"{v['worse']} worse, {v['inconclusive']} inconclusive of {v['settings']} settings "
          f"(BH: {v['bh_better']} / {v['bh_equivalent']} / {v['bh_worse']} / {v['bh_inconclusive']})")
    print(v["text"])
    print(f"report: {html_path}\ndata: {json_path}")


if __name__ == "__main__":
    main()
