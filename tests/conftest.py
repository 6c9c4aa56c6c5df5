"""Shared fixtures: the MNIST the tests use, and a private cache that never goes online.

Data: the canonical MNIST files when they are beside the clone (NOTAVERAGE_DATA, else
$NOTAVERAGE_TEST_SHARED/data/mnist, default ../shared/data/mnist); otherwise the bundled sample, and
for the file-format tests a small IDX folder written from it. Nothing skips for missing data, and
under CI=true any skip at all fails the run. Simulate a fresh clone with
`env -u NOTAVERAGE_DATA NOTAVERAGE_TEST_SHARED=/nonexistent python -m pytest`.
"""

from __future__ import annotations

import gzip
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # test this tree even when the package is not installed

# Read at import time, before any test's monkeypatch can unset NOTAVERAGE_DATA.
SHARED = Path(os.environ.get("NOTAVERAGE_TEST_SHARED") or REPO.parent / "shared")
MNIST_DIR = Path(os.environ.get("NOTAVERAGE_DATA") or SHARED / "data" / "mnist")
HAVE_CANONICAL = (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failed test: a missing input must not pass quietly."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        _fail_the_skip(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped at collection (pytest.importorskip)."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        _fail_the_skip(report)


def _fail_the_skip(report) -> None:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true (not allowed): {reason.removeprefix('Skipped: ')}"


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting fails at once, with no network involved."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@dataclass(frozen=True)
class MnistFiles:
    """An IDX folder the loader accepts, with what it must read back from it."""

    folder: Path
    canonical: bool  # the real 60,000/10,000 files, or a small set written from the bundled sample
    files: dict  # name -> (filename, sha256, size), as notaverage.data.mnist.MNIST_FILES


def _idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: magic 0x0801/0x0803, big-endian dims, then the uint8 data (as LeCun's files)."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


@pytest.fixture(scope="session")
def _mnist_files(tmp_path_factory) -> MnistFiles:
    from notaverage.data.mnist import MNIST_FILES, load_sample, sha256_file

    if HAVE_CANONICAL:
        return MnistFiles(MNIST_DIR, True, dict(MNIST_FILES))
    # A fresh clone: the sample's 8,000/2,000 split as the four IDX files (gzip mtime 0: reproducible)
    sample, folder = load_sample(), tmp_path_factory.mktemp("mnist-from-sample")
    files = {}
    for name, (filename, _, _) in MNIST_FILES.items():
        split, what = name.split("_")
        array = getattr(sample, f"{split}_{what}")
        (folder / filename).write_bytes(gzip.compress(_idx_bytes(array), mtime=0))
        files[name] = (filename, sha256_file(folder / filename), (folder / filename).stat().st_size)
    return MnistFiles(folder, False, files)


@pytest.fixture
def mnist_files(_mnist_files, monkeypatch) -> MnistFiles:
    """The IDX folder; for the sample-made one the loader's expected checksums and sizes are
    swapped for its own during the test, so every check of the real files runs against it."""
    from notaverage.data.mnist import MNIST_FILES

    for name, entry in _mnist_files.files.items():
        monkeypatch.setitem(MNIST_FILES, name, entry)
    return _mnist_files


@pytest.fixture
def mnist_dir(mnist_files) -> Path:
    """The IDX folder of `mnist_files` (canonical MNIST, or the set written from the sample)."""
    return mnist_files.folder


@pytest.fixture(scope="session")
def mnist():
    """Full canonical MNIST loaded once per session, else the bundled sample (8,000 train / 2,000
    test). Treat the arrays as read-only."""
    from notaverage.data.mnist import load_mnist, load_sample

    return load_mnist(MNIST_DIR, progress=False) if HAVE_CANONICAL else load_sample()


def _run_folder(config, tmp_path_factory, name: str) -> Path:
    """A folder shared by every pytest-xdist worker of this run (their common base temp), or this
    session's own when the run is not distributed: what is trained or computed once per run goes there."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if hasattr(config, "workerinput") else base) / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
def _private_cache(request, tmp_path_factory):
    """Tests never touch ~/.cache and never download: the cache is a temp folder and the
    mirrors point at a closed local port (tests that need a mirror start their own)."""
    patch = pytest.MonkeyPatch()
    # NOTAVERAGE_TEST_CACHE keeps the session's trained models between runs (for quick re-runs
    # while working on tests); by default every run trains its own in a fresh temp folder.
    cache = os.environ.get("NOTAVERAGE_TEST_CACHE") or _run_folder(request.config, tmp_path_factory, "cache")
    patch.setenv("NOTAVERAGE_CACHE", str(cache))
    patch.setenv("NOTAVERAGE_MIRRORS", closed_port_url())
    # Commands run by the tests (in process or as subprocesses) read the same MNIST as the fixtures
    if HAVE_CANONICAL:
        patch.setenv("NOTAVERAGE_DATA", str(MNIST_DIR))
    else:
        patch.delenv("NOTAVERAGE_DATA", raising=False)
    distributed = hasattr(request.config, "workerinput")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) if distributed else 1
    if workers > 1:  # the cores are shared among the workers: one torch thread each, subprocesses too
        import torch

        threads = str(max(1, (os.cpu_count() or 1) // workers))
        torch.set_num_threads(int(threads))
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            patch.setenv(name, threads)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def small_mnist(mnist):
    """3,000 training and 500 test digits (seed 0): enough for models that work, quick to train.
    The same subset as the CLI's `--limit 3000 --seed 0`, so CLI tests reuse these models."""
    return mnist.subset(3000, 500, seed=0)


@pytest.fixture(scope="session")
def small_models(request, small_mnist, _private_cache, tmp_path_factory):
    """VAE, linear model, classifier, judge, no-activation VAE and reference VAE, trained once per run on
    `small_mnist` with the 'tiny' preset (a minute or two on 2 cores), as {name: model}.

    Each model is trained under its own file lock in the run's shared cache: a pytest-xdist worker
    trains the models no other worker is training, then loads the others' once they are saved."""
    from filelock import FileLock

    from notaverage.zoo import get_model

    locks = _run_folder(request.config, tmp_path_factory, "model-locks")
    # judge first: the VAEs' check reads it; reference_vae is the report's likelihood bar
    names = ["judge", "classifier", "linear", "vae", "vae_identity", "reference_vae"]
    models = {}
    for blocking in (False, True):  # first the free ones, then wait for those other workers hold
        for name in [n for n in names if n not in models]:
            lock = FileLock(str(locks / f"{name}.lock"))
            try:
                lock.acquire(timeout=-1 if blocking else 0)
            except TimeoutError:
                continue
            try:
                models[name] = get_model(name, small_mnist, "tiny", seed=0, progress=False,
                                         log=lambda *args: None).model
            finally:
                lock.release()
    return {name: models[name] for name in names}


@pytest.fixture(scope="session")
def small_report(request, small_models, tmp_path_factory):
    """`notaverage report` with its default settings on the small models' data, computed once per
    run: (folder, what the command printed). `tour` and the notebook, given the same models, data,
    settings and code, find this report and reuse it (as a second tour reuses its own)."""
    from contextlib import redirect_stdout
    from io import StringIO

    from filelock import FileLock

    from notaverage.cli import main

    folder = _run_folder(request.config, tmp_path_factory, "small-report")
    out, printed_file = folder / "report", folder / "printed.txt"
    with FileLock(str(folder / "lock")):
        if not printed_file.is_file():
            printed, args = StringIO(), ["--limit", "3000", "--preset", "tiny", "--quiet", "--out", str(out)]
            with redirect_stdout(printed):
                assert main(["report", *args]) == 0, printed.getvalue()
            printed_file.write_text(printed.getvalue())
    return out, printed_file.read_text()
