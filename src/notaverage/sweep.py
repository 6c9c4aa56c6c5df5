"""Sweeps: many (model, seed, dataset) jobs, each trained and scored once, cached in a shared folder.

A job is a plain value. Its result (a "cell") is one JSON file, written atomically, under
`<root>/cells/`; its checkpoints live under `<root>/checkpoints/`. A sweep first reads the cells
that exist and runs only the missing ones, so an interrupted sweep restarted with the same command
redoes only what was lost (an interrupted training resumes from its last checkpoint).

Every job trains with one torch thread, so a cell's numbers are the same whatever ran it (and the
cores are used by running jobs side by side). Executors: local worker processes (default: one per
available core), or Ray tasks
(`ray_address`: "auto", "ray://HOST:10001", "HOST:6379", or "local" for a one-machine Ray). With
Ray, `root` must be a folder every node sees at the same path (NFS, a mounted bucket...).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import socket
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import active_children, get_context
from pathlib import Path

from notaverage.errors import UserError
from notaverage.fileio import atomic_write_text
from notaverage.progress import progress_bar

# dataset -> "module:function" computing one cell: f(model, seed, budget, checkpoint_dir) -> dict.
# Imported lazily, so a Ray worker or a spawned process imports only what its job needs.
CELL_FUNCTIONS = {
    "lines": "notaverage.lines.benchmark:lines_cell",
    "mnist": "notaverage.leaderboard.cell:zoo_cell",
}
RUN_ID = uuid.uuid4().hex[:8]  # which invocation computed a cell (the resume test reads it)


@dataclass(frozen=True)
class Job:
    model: str
    seed: int
    dataset: str
    budget: str
    tag: str = ""  # a hash of the settings behind the cell: changed settings make a new cell

    @property
    def key(self) -> str:
        return f"{self.dataset}-{self.budget}-{self.model}-seed{self.seed}" + (
            f"-{self.tag}" if self.tag else ""
        )


def settings_tag(payload: dict) -> str:
    """A short hash of the settings behind a cell (hyperparameters, budget), for `Job.tag`."""
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def cell_path(root: str | os.PathLike, job: Job) -> Path:
    return Path(root) / "cells" / f"{job.key}.json"


def read_cell(root: str | os.PathLike, job: Job) -> dict | None:
    try:
        return json.loads(cell_path(root, job).read_text())
    except (OSError, json.JSONDecodeError):
        return None  # missing, or unreadable: recompute (atomic writes make the latter unlikely)


def _json_safe(value):
    """NaN/inf -> None, so cells are strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def run_job(job: Job, root: str, threads: int = 1) -> dict:
    """Train and score one job and write its cell; a job whose cell exists is not run again."""
    cached = read_cell(root, job)
    if cached is not None:
        return cached
    import torch  # here, not at import time: the sweep driver itself needs no torch

    torch.set_num_threads(threads)  # one thread per job: identical numbers on every executor
    module, function = CELL_FUNCTIONS[job.dataset].split(":")
    compute = getattr(importlib.import_module(module), function)
    started = time.monotonic()
    result = compute(job.model, job.seed, job.budget, Path(root) / "checkpoints" / job.key)
    cell = {
        "job": asdict(job),
        "result": _json_safe(result),
        "seconds": round(time.monotonic() - started, 2),
        "host": socket.gethostname(),
        "run_id": RUN_ID,
        "threads": threads,
    }
    atomic_write_text(cell_path(root, job), json.dumps(cell, indent=1, sort_keys=True, allow_nan=False))
    return cell


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _run_local(jobs: list[Job], root: str, workers: int, progress: bool) -> None:
    threads = 1  # see run_job: a cell's numbers must not depend on the executor or the worker count
    bar = progress_bar(total=len(jobs), desc="sweep (local)", unit="cell", disable=not progress)
    if workers == 1:  # in this process: no start-up cost, Ctrl-C reaches training directly
        for job in jobs:
            run_job(job, root, threads)
            bar.update(1)
    else:
        # spawn, not fork: a forked torch process can deadlock in its thread pool
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        try:
            for future in as_completed([pool.submit(run_job, job, root, threads) for job in jobs]):
                future.result()
                bar.update(1)
        except BaseException:  # Ctrl-C, SIGTERM or a failed cell: stop the workers, keep finished cells
            pool.shutdown(wait=False, cancel_futures=True)
            _stop_workers()
            raise
        pool.shutdown()
    bar.close()


def _stop_workers(grace: float = 20.0) -> None:
    """SIGTERM each worker (a training saves its resume point at the next step), then SIGKILL."""
    children = active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.join(timeout=max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()


def _run_ray(jobs: list[Job], root: str, address: str, progress: bool) -> None:
    try:
        import ray
    except ImportError:
        raise UserError("--ray needs Ray: pip install 'notaverage[ray]'") from None
    if not ray.is_initialized():  # a caller (or a test) may have started Ray already
        try:
            ray.init(
                address=None if address == "local" else address, include_dashboard=False, log_to_driver=False
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(
                f"cannot reach a Ray cluster at {address!r} ({first_line}); start one with "
                f"`ray start --head` on the head node, or give --ray local"
            ) from None
    remote_job = ray.remote(num_cpus=1)(run_job)
    pending = [remote_job.remote(job, root, 1) for job in jobs]
    bar = progress_bar(total=len(jobs), desc="sweep (ray)", unit="cell", disable=not progress)
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        cell = ray.get(done[0])
        # the driver keeps a copy too, in case `root` is not really shared with the worker's node
        job = Job(**cell["job"])
        if read_cell(root, job) is None:
            atomic_write_text(cell_path(root, job), json.dumps(cell, indent=1, sort_keys=True))
        bar.update(1)
    bar.close()


def run_sweep(
    jobs: list[Job],
    root: str | os.PathLike,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    progress: bool = True,
    log=print,
) -> list[dict]:
    """Run the missing cells of `jobs`; return every job's cell, in the order of `jobs`."""
    root = str(Path(root).resolve())
    unknown = sorted({job.dataset for job in jobs} - set(CELL_FUNCTIONS))
    if unknown:
        raise UserError(f"unknown dataset {unknown[0]!r}; choose from {', '.join(CELL_FUNCTIONS)}")
    missing = [job for job in jobs if read_cell(root, job) is None]
    log(f"sweep: {len(jobs)} cells, {len(jobs) - len(missing)} cached in {root}, {len(missing)} to run")
    if missing:
        if ray_address:
            _run_ray(missing, root, ray_address, progress)
        else:
            workers = min(workers or available_cores(), len(missing))
            _run_local(missing, root, workers, progress)
    cells = [read_cell(root, job) for job in jobs]
    lost = [job.key for job, cell in zip(jobs, cells, strict=True) if cell is None]
    if lost:
        raise UserError(f"{len(lost)} cells did not come back (first: {lost[0]}); run the same command again")
    return cells
