"""Shared fixtures: where the canonical MNIST files are, and a private cache that never goes online."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # test this tree even when the package is not installed

# Read at import time, before any test's monkeypatch can unset NOTAVERAGE_DATA.
MNIST_DIR = Path(os.environ.get("NOTAVERAGE_DATA") or REPO.parent / "shared" / "data" / "mnist")


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting fails at once, with no network involved."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The canonical MNIST IDX folder (NOTAVERAGE_DATA or ../shared/data/mnist); skip if absent."""
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"canonical MNIST files not found in {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    """Full MNIST loaded once per session. Treat the arrays as read-only."""
    from notaverage.data.mnist import load_mnist

    return load_mnist(mnist_dir, progress=False)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Tests never touch ~/.cache and never download: the cache is a temp folder and the
    mirrors point at a closed local port (tests that need a mirror start their own)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("NOTAVERAGE_CACHE", str(tmp_path_factory.mktemp("cache")))
    patch.setenv("NOTAVERAGE_MIRRORS", closed_port_url())
    yield
    patch.undo()


@pytest.fixture(scope="session")
def small_mnist(mnist):
    """3,000 training and 500 test digits (seed 0): enough for models that work, quick to train.
    The same subset as the CLI's `--limit 3000 --seed 0`, so CLI tests reuse these models."""
    return mnist.subset(3000, 500, seed=0)


@pytest.fixture(scope="session")
def small_models(small_mnist, _private_cache):
    """VAE, linear model, classifier, judge and the no-activation VAE, trained once per session on
    `small_mnist` with the 'tiny' preset (a minute or two on 2 cores), as {name: model}."""
    from notaverage.zoo import ABLATION, MODEL_NAMES, get_models

    trained = get_models(small_mnist, (*MODEL_NAMES, ABLATION), preset="tiny", seed=0, progress=False)
    return {name: t.model for name, t in trained.items()}
