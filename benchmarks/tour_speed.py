"""How long `notaverage tour` takes against the targets of issue 8, and its peak memory:

- cold on full MNIST (nothing cached, every model trained): <= 240 s;
- warm on full MNIST (the same cache again):                 <= 20 s;
- peak RSS of any one tour:                                   <= 2 GB;
- cold on the bundled 10,000-digit sample (the offline path): <= 150 s.

    NOTAVERAGE_DATA=../shared/data/mnist .venv/bin/python benchmarks/tour_speed.py [--only full|sample]

Each cold run uses a fresh private cache. The offline run gets no NOTAVERAGE_DATA and mirrors on a
closed local port, so it falls back to the bundled sample as a fresh clone without network would.
The targets are for a machine doing nothing else: the load average is printed before and after,
so a figure measured under load says so. Prints figures; asserts nothing (speed is not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"cold": 240.0, "warm": 20.0, "peak_mb": 2048.0, "sample_cold": 150.0}


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def run_tour(env: dict, out: Path, extra: list[str]) -> dict:
    """Wall seconds, CPU seconds (user + system), peak RSS (MB) and stdout of one `tour` in a child
    process. On a loaded machine the CPU seconds are the steadier figure: on an idle 2-core machine
    the wall time is at least half of them."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "notaverage.cli", "tour", "--quiet", "--out", str(out), *extra]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    stdout = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS, not the max over all children
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"tour exited with {child.returncode}:\n{stdout}")
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "stdout": stdout}


def findings(stdout: str) -> list[str]:
    """The tour's own summary lines worth keeping beside the timings: data, map and verdicts."""
    keep, in_verdicts = [], False
    for line in stdout.splitlines():
        in_verdicts = in_verdicts or line.startswith("what the report found")
        if in_verdicts or line.startswith(("data:", "latent map:", "vae ", "classifier ")):
            keep.append(line)
    return keep


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "missed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="train on N digits (default: all)")
    parser.add_argument("--only", choices=["full", "sample"], default=None,
                        help="run only the full-MNIST tours (cold, warm) or only the offline one "
                             "(default: both, offline first)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the caches and the tours' output (with their reports) in this folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    extra = ["--limit", str(args.limit)] if args.limit else []
    print(f"machine: {os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.1f} before; data: "
          f"{os.environ.get('NOTAVERAGE_DATA', 'default lookup')}; limit: {args.limit or 'full MNIST'}")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        if (root / "cache").exists() or (root / "cache-offline").exists():
            raise SystemExit(f"{root} holds a cache; the cold runs need an empty folder")
        runs = {}
        if args.only != "full":
            offline = {k: v for k, v in os.environ.items() if k != "NOTAVERAGE_DATA"}
            offline.update(NOTAVERAGE_CACHE=str(root / "cache-offline"), NOTAVERAGE_MIRRORS=closed_port_url())
            runs["sample_cold"] = run_tour(offline, root / "out-offline", [])
            print(f"tour, cold, bundled sample: {runs['sample_cold']['seconds']:.1f} s", flush=True)
        if args.only != "sample":
            env = {**os.environ, "NOTAVERAGE_CACHE": str(root / "cache")}
            runs["cold"] = run_tour(env, root / "out", extra)
            runs["warm"] = run_tour(env, root / "out", extra)
        load_after = os.getloadavg()[0]
        names = {"cold": "tour, cold (trains every model)", "warm": "tour, warm (models cached)",
                 "sample_cold": "tour, cold, bundled sample (offline)"}
        rows = [(names[name], run["seconds"], "s", TARGETS[name]) for name, run in runs.items()]
        rows.append(("peak memory (max RSS of one tour)", max(run["peak_mb"] for run in runs.values()), "MB",
                     TARGETS["peak_mb"]))
        for name, value, unit, target in rows:
            print(f"{name:<38} {value:8.1f} {unit:<2}  target <= {target:g} {unit}: {verdict(value, target)}")
        for name, run in runs.items():
            print(f"{names[name]:<38} {run['cpu_seconds']:8.1f} CPU-s (user + system; / 2 = "
                  f"{run['cpu_seconds'] / 2:.0f} s on 2 idle cores at best)")
        print(f"load average {load_after:.1f} after (1-minute); above {os.cpu_count()} means the runs shared "
              f"the CPU with other work")
        for name, run in runs.items():
            if name != "warm":
                print(f"{name} tour says:")
                print("\n".join(f"  {line}" for line in findings(run["stdout"])))
        for config_path in sorted((root / "cache" / "models").glob("*/config.json")):
            config = json.loads(config_path.read_text())
            rate = (config.get("history") or {}).get("images_per_second")
            speed = f"{rate:>7,} images/s" if rate else "  (no gradient training)"
            print(f"  {config.get('kind', '?'):<10} {config_path.parent.name:<32} {speed}  "
                  f"{config.get('train_seconds', 0):6.1f} s")
        if args.json:
            figures = {name: {k: v for k, v in run.items() if k != "stdout"} for name, run in runs.items()}
            args.json.write_text(json.dumps({"runs": figures, "targets": TARGETS,
                                             "load_after": load_after}, indent=2) + "\n")


if __name__ == "__main__":
    main()
