"""The sweep executor: a killed sweep loses nothing and recomputes nothing, and Ray computes the same
cells as the local executor. A tiny lines sweep: 2 models x 2 seeds, 256 training lines, 4 steps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from notaverage.lines.benchmark import config_tag
from notaverage.sweep import Job, cell_path, run_sweep

JOBS = [
    Job(model, seed, "lines", "tiny", config_tag(model, "tiny")) for seed in (0, 1) for model in ("pca", "ae")
]


def _scores(cells):
    return {
        (c["job"]["model"], c["job"]["seed"]): (c["result"]["mean_distance"], c["result"]["smoothness"])
        for c in cells
    }


@pytest.fixture(scope="module")
def killed_sweep(tmp_path_factory):
    """`notaverage lines` (local executor) killed with SIGKILL after its first cell, then run again."""
    out = tmp_path_factory.mktemp("killed") / "out"
    command = [
        sys.executable,
        "-m",
        "notaverage.cli",
        "lines",
        "--budget",
        "tiny",
        "--models",
        "pca,ae",
        "--seeds",
        "2",
        "--workers",
        "1",
        "--quiet",
        "--out",
        str(out),
    ]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    cells_dir = out / "sweep" / "cells"
    deadline = time.monotonic() + 240
    while not (cells_dir.is_dir() and any(cells_dir.glob("*.json"))) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # no chance to clean up: the hard case
    first.communicate()
    before = {p.name: p.read_bytes() for p in cells_dir.glob("*.json")}
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return out, before, rerun


def test_a_killed_sweep_reruns_only_its_missing_cells(killed_sweep):
    out, before, rerun = killed_sweep
    assert 1 <= len(before) < len(JOBS), "the kill must land mid-sweep"
    assert rerun.returncode == 0, rerun.stderr
    assert f"sweep: 4 cells, {len(before)} cached" in rerun.stdout
    cells_dir = out / "sweep" / "cells"
    after = {p.name: p.read_bytes() for p in cells_dir.glob("*.json")}
    assert set(after) == {cell_path(out / "sweep", job).name for job in JOBS}  # nothing lost
    assert all(after[name] == data for name, data in before.items())  # finished cells untouched
    first_id = json.loads(next(iter(before.values())))["run_id"]
    run_ids = [json.loads(data)["run_id"] for data in after.values()]
    assert run_ids.count(first_id) == len(before)  # each cell computed by exactly one of the runs
    report = json.loads((out / "lines.json").read_text())
    assert [m["name"] for m in report["models"]] == ["pca", "ae"]
    assert all(m["seeds"] == [0, 1] for m in report["models"])
    # real models: PCA's straight paths are the pixel fade, which scores badly on smoothness
    assert report["models"][0]["smoothness"] > 0.5


def test_ray_computes_the_same_cells_as_the_local_executor(killed_sweep, tmp_path):
    ray = pytest.importorskip("ray", reason="install the [ray] extra (make install-dev does)")
    local = [json.loads(cell_path(killed_sweep[0] / "sweep", job).read_text()) for job in JOBS]
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}},
    )
    try:
        remote = run_sweep(JOBS, tmp_path / "ray", ray_address="local", progress=False, log=lambda _: None)
    finally:
        ray.shutdown()
    assert all(cell["threads"] == 1 for cell in remote + local)
    assert _scores(remote) == _scores(local)  # one torch thread per job: bit-identical training
