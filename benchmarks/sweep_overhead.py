"""Ray's overhead against the local executor on the tests' tiny sweep (2 models x 2 seeds, lines).

    PYTHONPATH=src python benchmarks/sweep_overhead.py

Runs, side by side in one invocation: the local executor with 2 worker processes, then a fresh
one-machine Ray (num_cpus=2): its start-up and the sweep. Each into a fresh folder (nothing cached).
Prints the wall times and checks that both computed the same numbers.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from notaverage.lines.benchmark import config_tag
from notaverage.sweep import Job, run_sweep

JOBS = [
    Job(model, seed, "lines", "tiny", config_tag(model, "tiny")) for seed in (0, 1) for model in ("pca", "ae")
]


def main() -> None:
    import ray

    root = Path(tempfile.mkdtemp(prefix="sweep-overhead-"))
    quiet = lambda _: None  # noqa: E731
    started = time.monotonic()
    local = run_sweep(JOBS, root / "local", workers=2, progress=False, log=quiet)
    local_s = time.monotonic() - started
    started = time.monotonic()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}},
    )
    init_s = time.monotonic() - started
    remote = run_sweep(JOBS, root / "ray", ray_address="local", progress=False, log=quiet)
    ray_s = time.monotonic() - started
    ray.shutdown()
    scores = lambda cell: (cell["result"]["mean_distance"], cell["result"]["smoothness"])  # noqa: E731
    same = [scores(c) == scores(r) for c, r in zip(local, remote, strict=True)]
    print(f"local executor, 2 processes: {local_s:.1f} s")
    print(f"ray (num_cpus=2): {ray_s:.1f} s, of which ray.init {init_s:.1f} s")
    print(f"overhead: {ray_s - local_s:+.1f} s; identical scores in every cell: {all(same)}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
