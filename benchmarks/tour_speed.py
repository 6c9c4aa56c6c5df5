"""How long `notaverage tour` takes cold (nothing cached) and warm (models cached), its peak memory,
and each model's training throughput. Prints figures; asserts nothing (speed is not a test).

    NOTAVERAGE_DATA=../shared/data/mnist .venv/bin/python benchmarks/tour_speed.py [--limit N]

Each run uses a fresh private cache, so the cold figure includes all training.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_tour(cache: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `tour` in a child process."""
    env = {**os.environ, "NOTAVERAGE_CACHE": str(cache)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "notaverage.cli", "tour", "--quiet", "--out", str(out), *extra],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max over children so far
    return seconds, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="train on N digits (default: all)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the cache and the tour's output (with its report) in this folder")
    args = parser.parse_args()
    extra = ["--limit", str(args.limit)] if args.limit else []
    print(f"machine: {os.cpu_count()} CPU cores; torch threads default; data: "
          f"{os.environ.get('NOTAVERAGE_DATA', 'default lookup')}; limit: {args.limit or 'full MNIST'}")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        cache, out = root / "cache", root / "out"
        if cache.exists():
            raise SystemExit(f"{cache} exists; the cold run needs an empty cache")
        cold, _ = run_tour(cache, out, extra)
        warm, peak_all = run_tour(cache, out, extra)
        print(f"tour, cold (trains every model): {cold:7.1f} s   target <= 240 s")
        print(f"tour, warm (models cached):      {warm:7.1f} s   target <= 20 s")
        print(f"peak memory (max RSS of a run):  {peak_all:7.0f} MB  target <= 2048 MB")
        for config_path in sorted((cache / "models").glob("*/config.json")):
            config = json.loads(config_path.read_text())
            history = config.get("history") or {}
            rate = history.get("images_per_second")
            figures = ", ".join(f"{k} {v:.4f}" for k, v in config.get("metrics", {}).items())
            speed = f"{rate:>7,} images/s" if rate else "  (no gradient training)"
            print(f"  {config['kind']:<10} {config_path.parent.name:<32} {speed}  "
                  f"{config['train_seconds']:6.1f} s  {figures}")


if __name__ == "__main__":
    main()
