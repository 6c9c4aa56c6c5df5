"""The real download path, against small HTTP servers on 127.0.0.1 serving the canonical files."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from conftest import closed_port_url

from notaverage.data.mnist import MNIST_FILES, download_mnist, load_mnist, sha256_file
from notaverage.errors import DataError

FILENAMES = [filename for filename, _, _ in MNIST_FILES.values()]


@contextmanager
def mirror(folder, mode="good"):
    """Serve `folder` on a free loopback port. mode: good | corrupt (one byte flipped) |
    drop (announce the full Content-Length, send half, hang up)."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.rsplit("/", 1)[-1]
            requests.append(name)
            if name not in FILENAMES:
                self.send_error(404)
                return
            body = bytearray((folder / name).read_bytes())
            if mode == "corrupt":
                body[len(body) // 2] ^= 0xFF
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if mode == "drop" else body)
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/mnist/", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _entries(folder):
    """Everything in `folder`, hidden temp files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty user cache and no NOTAVERAGE_DATA, so load_mnist goes looking."""
    monkeypatch.setenv("NOTAVERAGE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NOTAVERAGE_DATA", raising=False)
    return tmp_path / "cache" / "mnist"


def test_good_download_lands_verified_files(mnist_dir, tmp_path):
    dest = tmp_path / "dest"
    with mirror(mnist_dir) as (url, requests):
        assert download_mnist(dest, mirrors=[url], progress=False) == dest
        assert sorted(requests) == sorted(FILENAMES)
        download_mnist(dest, mirrors=[url], progress=False)  # all present: nothing fetched again
        assert len(requests) == 4
    assert _entries(dest) == sorted(FILENAMES)
    for filename, sha, size in MNIST_FILES.values():
        assert sha256_file(dest / filename) == sha and (dest / filename).stat().st_size == size


def test_a_dead_mirror_is_skipped(mnist_dir, tmp_path):
    with mirror(mnist_dir) as (url, _):
        download_mnist(tmp_path, mirrors=[closed_port_url(), url], progress=False)
    assert set(FILENAMES) <= set(_entries(tmp_path))


@pytest.mark.parametrize("mode", ["corrupt", "drop"])
def test_a_bad_mirror_leaves_nothing_behind(mnist_dir, tmp_path, mode):
    dest = tmp_path / "dest"
    with mirror(mnist_dir, mode) as (url, requests), pytest.raises(DataError) as err:
        download_mnist(dest, mirrors=[url], progress=False)
    assert requests == ["train-images-idx3-ubyte.gz"]  # gave up after the first file
    message = str(err.value)
    assert "train-images-idx3-ubyte.gz" in message and "\n" not in message
    assert ("SHA-256" in message) if mode == "corrupt" else ("bytes" in message)
    assert _entries(dest) == []


def test_load_mnist_downloads_into_the_cache_then_reuses_it(mnist_dir, cache, monkeypatch):
    mnist = load_mnist(mnist_dir, progress=False)  # what the mirror's files hold
    with mirror(mnist_dir) as (url, requests):
        monkeypatch.setenv("NOTAVERAGE_MIRRORS", url)
        first = load_mnist(progress=False)
        second = load_mnist(progress=False)
        assert len(requests) == 4
    assert (first.source, second.source) == ("download", "cache")
    assert first.fingerprint == second.fingerprint == mnist.fingerprint
    assert np.array_equal(second.test_labels, mnist.test_labels)
    assert _entries(cache) == sorted(FILENAMES)


def test_a_bad_cached_file_is_fetched_again(mnist_dir, cache, monkeypatch, capsys):
    cache.mkdir(parents=True)
    for filename in FILENAMES:
        (cache / filename).symlink_to(mnist_dir / filename)
    bad = cache / "t10k-labels-idx1-ubyte.gz"
    bad.unlink()
    bad.write_bytes(b"\x00" * MNIST_FILES["test_labels"][2])
    with mirror(mnist_dir) as (url, requests):
        monkeypatch.setenv("NOTAVERAGE_MIRRORS", url)
        data = load_mnist(progress=False)
    assert data.source == "download" and requests == ["t10k-labels-idx1-ubyte.gz"]
    assert "ignoring the cached MNIST" in capsys.readouterr().err
    assert sha256_file(bad) == MNIST_FILES["test_labels"][1]


def test_unreachable_mirrors_fall_back_to_the_sample(cache, monkeypatch, capsys):
    monkeypatch.setenv("NOTAVERAGE_MIRRORS", f"{closed_port_url()},{closed_port_url()}")
    data = load_mnist(progress=False)
    assert data.source == "sample"
    assert len(data.train_labels) == 8000 and len(data.test_labels) == 2000
    err = capsys.readouterr().err
    assert "bundled 10,000-digit sample" in err and "download failed" in err
    assert len(err.strip().splitlines()) == 1
    assert _entries(cache) == []


def test_a_corrupt_mirror_falls_back_to_the_sample(mnist_dir, cache, monkeypatch, capsys):
    with mirror(mnist_dir, "corrupt") as (url, _):
        monkeypatch.setenv("NOTAVERAGE_MIRRORS", url)
        assert load_mnist(progress=False).source == "sample"
    assert "SHA-256" in capsys.readouterr().err
    assert _entries(cache) == []


def test_no_download_means_the_sample(cache, capsys):
    assert load_mnist(allow_download=False, progress=False).source == "sample"
    assert "downloads are turned off" in capsys.readouterr().err


def test_a_named_folder_wins_over_a_good_cache(mnist_dir, cache, tmp_path):
    cache.mkdir(parents=True)
    for filename in FILENAMES:
        (cache / filename).symlink_to(mnist_dir / filename)
    assert load_mnist(progress=False).source == "cache"
    with pytest.raises(DataError):
        load_mnist(tmp_path / "empty-folder", progress=False)
