"""MNIST: IDX parsing, checksums, where the files come from (folder, cache, download, sample).

`load_mnist()` looks in this order and says which one it used in `MnistData.source`:
  1. "dir":      the folder given as `data_dir` or NOTAVERAGE_DATA (an error if it is bad);
  2. "cache":    the user cache, `paths.mnist_cache_dir()`;
  3. "download": the MIRRORS (or NOTAVERAGE_MIRRORS), verified, into the cache;
  4. "sample":   the bundled 10,000-digit sample, with a notice on stderr.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import sys
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from notaverage import paths
from notaverage.errors import DataError
from notaverage.fileio import atomic_path
from notaverage.progress import progress_bar

# name -> (filename, sha256, size in bytes); the usual mirrors all serve these exact files.
MNIST_FILES = {
    "train_images": (
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9_912_422,
    ),
    "train_labels": (
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28_881,
    ),
    "test_images": (
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1_648_877,
    ),
    "test_labels": (
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4_542,
    ),
}

MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",  # plain http is fine: every file is checked by SHA-256
]

SAMPLE_PATH = Path(__file__).parent / "sample" / "mnist-sample.npz"
SAMPLE_SEED = 0
SAMPLE_HOLDOUT_PER_CLASS = 200
TIMEOUT_S = 10  # per connect and per read, so a dead mirror costs seconds, not minutes

_FIX = "delete it and run again, or point --data-dir / NOTAVERAGE_DATA at a good copy"
_IDX_DIMS = {0x801: 1, 0x803: 3}  # IDX magic for uint8 data -> number of dimensions


@dataclass(eq=False)
class MnistData:
    """MNIST (or the sample) as uint8 images (N, 28, 28) and int64 labels, plus where it came from."""

    train_images: np.ndarray = field(repr=False)
    train_labels: np.ndarray = field(repr=False)
    test_images: np.ndarray = field(repr=False)
    test_labels: np.ndarray = field(repr=False)
    source: str  # "dir", "cache", "download" or "sample"
    fingerprint: str  # short hex id of the exact data (and split, and subset)
    note: str  # one human line saying what this is

    def subset(self, n_train: int, n_test: int | None = None, seed: int = 0) -> MnistData:
        """A smaller copy with classes as balanced as the data allows, in a seeded random order."""
        train = _stratified(self.train_labels, n_train, seed)
        test = _stratified(self.test_labels, len(self.test_labels) if n_test is None else n_test, seed)
        return replace(
            self,
            train_images=self.train_images[train],
            train_labels=self.train_labels[train],
            test_images=self.test_images[test],
            test_labels=self.test_labels[test],
            fingerprint=_fingerprint(self.fingerprint, f"subset:{len(train)}:{len(test)}:{seed}"),
            note=f"{self.note}; subset of {len(train):,} train / {len(test):,} test (seed {seed})",
        )


def as_float(images: np.ndarray) -> np.ndarray:
    """uint8 0..255 images as float32 in [0, 1]; float images are only cast to float32."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype(np.float32) / np.float32(255)
    return images.astype(np.float32, copy=False)


# ---------------------------------------------------------------------------------------------
# IDX files and checksums


def parse_idx(path: str | os.PathLike) -> np.ndarray:
    """Read a (gzipped) IDX file of uint8 data; anything wrong with it is a one-line DataError."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise _unreadable(path, err) from None
    try:
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as err:  # truncated or damaged gzip stream, bad CRC
        raise _corrupt(path, f"cannot decompress it: {err}") from None

    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic not in _IDX_DIMS:
        raise _corrupt(path, "not an IDX file of uint8 data (bad magic number)")
    ndim = _IDX_DIMS[magic]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise _corrupt(path, "its IDX header is cut short")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise _corrupt(path, f"header says {dims} ({expected:,} bytes) but it holds {len(data):,}")
    # Copy so callers get an ordinary writable array (frombuffer over bytes is read-only).
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def _corrupt(path: Path, why: str) -> DataError:
    return DataError(f"{path} is truncated or corrupt ({why}); {_FIX}")


def _unreadable(path: Path, err: OSError) -> DataError:
    why = err.strerror or type(err).__name__
    return DataError(f"cannot read {path} ({why}); point --data-dir / NOTAVERAGE_DATA at the MNIST files")


_sha_cache: dict[tuple, str] = {}  # (path, size, mtime) -> sha256, so each file is hashed once


def sha256_file(path: str | os.PathLike) -> str:
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _sha_cache:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        _sha_cache[key] = digest.hexdigest()
    return _sha_cache[key]


def _check_file(folder: Path, name: str, verify: bool) -> Path:
    """The path of one canonical file in `folder`, after checking its size (and SHA-256)."""
    filename, sha, size = MNIST_FILES[name]
    path = folder / filename
    if not path.is_file():
        raise DataError(
            f"{folder} has no {filename}; put the four MNIST .gz files there, "
            "or drop --data-dir / NOTAVERAGE_DATA to use the cache or a download"
        )
    try:
        got_size = path.stat().st_size
        got = sha256_file(path) if verify and got_size == size else sha
    except OSError as err:
        raise _unreadable(path, err) from None
    if got_size != size:
        raise DataError(f"{path} has {got_size:,} bytes, expected {size:,} (truncated?); {_FIX}")
    if got != sha:
        raise DataError(f"{path} fails its SHA-256 check (expected {sha}, got {got}); {_FIX}")
    return path


def _load_dir(folder: Path, source: str, verify: bool) -> MnistData:
    arrays = {name: parse_idx(_check_file(folder, name, verify)) for name in MNIST_FILES}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape[1:] != (28, 28) or labels.shape != images.shape[:1] or labels.max() > 9:
            raise DataError(f"{folder}: the {split} files do not hold 28x28 digits with labels 0..9; {_FIX}")
    # With verify=False the files were only size-checked; gzip's own CRC still guards the content.
    fingerprint = _fingerprint(*(sha for _, sha, _ in MNIST_FILES.values()))
    return MnistData(
        train_images=arrays["train_images"],
        train_labels=arrays["train_labels"].astype(np.int64),
        test_images=arrays["test_images"],
        test_labels=arrays["test_labels"].astype(np.int64),
        source=source,
        fingerprint=fingerprint,
        note=f"MNIST from {folder}: 60,000 train / 10,000 test",
    )


# ---------------------------------------------------------------------------------------------
# Download


class _FetchFailed(Exception):
    """One mirror could not deliver one file; the next mirror is tried."""


def default_mirrors() -> list[str]:
    """NOTAVERAGE_MIRRORS (comma-separated base URLs) if set, else MIRRORS."""
    env = os.environ.get("NOTAVERAGE_MIRRORS", "")
    urls = [url.strip() for url in env.split(",") if url.strip()]
    return urls or list(MIRRORS)


def download_mnist(
    dest_dir: str | os.PathLike, mirrors: list[str] | None = None, progress: bool = True
) -> Path:
    """Fetch whichever of the four files `dest_dir` lacks (or holds bad); return `dest_dir`.

    Each file streams into a temporary file, is checked for size and SHA-256 and only then
    renamed into place, so an interrupted or corrupted download never leaves a trusted file.
    `mirrors` defaults to `default_mirrors()`.
    """
    dest = Path(dest_dir)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"cannot create {dest} ({err}); set NOTAVERAGE_CACHE to a writable folder") from None
    mirrors = default_mirrors() if mirrors is None else list(mirrors)
    for name, (filename, sha, size) in MNIST_FILES.items():
        try:
            _check_file(dest, name, verify=True)
            continue  # already here and good
        except DataError:
            pass
        errors = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + filename
            try:
                _fetch(url, dest / filename, sha, size, progress)
                break
            except _FetchFailed as err:
                errors.append(f"{url}: {err}")
        else:
            last = errors[-1] if errors else "no mirrors given"
            raise DataError(
                f"could not download {filename} from {len(mirrors)} mirror(s) (last: {last}); "
                "check your connection, or fetch MNIST yourself and point --data-dir / NOTAVERAGE_DATA at it"
            )
    return dest


def _fetch(url: str, path: Path, sha: str, size: int, progress: bool) -> None:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, atomic_path(path) as tmp:
            digest, got = hashlib.sha256(), 0
            bar = progress_bar(
                total=size, unit="B", unit_scale=True, desc=path.name, disable=not progress, leave=False
            )
            with open(tmp, "wb") as out, bar:
                while chunk := response.read(1 << 16):
                    got += len(chunk)
                    if got > size:
                        raise _FetchFailed(f"sent more than the expected {size:,} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
            # Raising here, inside atomic_path, deletes the temporary file instead of renaming it.
            if got != size:
                raise _FetchFailed(f"connection ended after {got:,} of {size:,} bytes")
            if digest.hexdigest() != sha:
                raise _FetchFailed("the file fails its SHA-256 check")
    except (OSError, http.client.HTTPException, ValueError) as err:
        raise _FetchFailed(str(err) or type(err).__name__) from None


# ---------------------------------------------------------------------------------------------
# Bundled sample


def load_sample() -> MnistData:
    """The bundled sample: 8,000 train digits and 2,000 held out (200 per class, seed 0)."""
    try:
        with np.load(SAMPLE_PATH, allow_pickle=False) as npz:
            images, labels = npz["images"], npz["labels"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise DataError(
            f"the bundled sample {SAMPLE_PATH} is unreadable ({err}); reinstall notaverage"
        ) from None
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
        raise DataError(f"the bundled sample {SAMPLE_PATH} has the wrong shape; reinstall notaverage")

    # The file is ordered class by class: hold out the first 200 of each class in a seeded
    # shuffle, then shuffle each split again (the first pass leaves the train order class-biased).
    rng = np.random.default_rng(SAMPLE_SEED)
    order = rng.permutation(len(labels))
    held_out = _rank_within_class(labels[order]) < SAMPLE_HOLDOUT_PER_CLASS
    train, test = rng.permutation(order[~held_out]), rng.permutation(order[held_out])
    labels = labels.astype(np.int64)
    split = f"split:seed={SAMPLE_SEED}:holdout={SAMPLE_HOLDOUT_PER_CLASS}/class"
    return MnistData(
        train_images=images[train],
        train_labels=labels[train],
        test_images=images[test],
        test_labels=labels[test],
        source="sample",
        fingerprint=_fingerprint(sha256_file(SAMPLE_PATH), split),
        note=(f"bundled {len(labels):,}-digit sample: {len(train):,} train / {len(test):,} held out "
              "for evaluation"),
    )


def _rank_within_class(labels: np.ndarray) -> np.ndarray:
    """For each item, how many earlier items share its label (0 for the first of each class)."""
    rank = np.empty(len(labels), dtype=np.int64)
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        rank[where] = np.arange(len(where))
    return rank


def _stratified(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of n items, dealt round-robin over the classes of a seeded shuffle, in random order."""
    if n < 0:
        raise ValueError(f"subset size must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(labels))
    deal = np.argsort(_rank_within_class(labels[shuffled]), kind="stable")[:n]
    return rng.permutation(shuffled[deal])  # the deal order cycles through classes: reshuffle


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------
# The lookup order


def load_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    allow_download: bool = True,
    verify: bool = True,
    progress: bool = True,
) -> MnistData:
    """MNIST from the named folder, else the cache, else a download, else the bundled sample."""
    named = Path(data_dir).expanduser() if data_dir else paths.data_dir_from_env()
    if named is not None:
        return _load_dir(named, "dir", verify)  # the user named a folder: never silently fall back

    cache = paths.mnist_cache_dir()
    if all((cache / filename).is_file() for filename, _, _ in MNIST_FILES.values()):
        try:
            return _load_dir(cache, "cache", verify)
        except DataError as err:
            _notice(f"ignoring the cached MNIST, fetching it again: {err}")
    if allow_download:
        try:
            download_mnist(cache, progress=progress)
            return _load_dir(cache, "download", verify)
        except DataError as err:
            why = f"the download failed: {err}"
    else:
        why = "downloads are turned off"

    data = load_sample()
    _notice(
        f"MNIST not found (no --data-dir / NOTAVERAGE_DATA, nothing usable in {cache}, {why}); "
        f"using the {data.note}"
    )
    return data


def _notice(message: str) -> None:
    print(f"notaverage: {message}", file=sys.stderr)
