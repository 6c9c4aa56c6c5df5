"""The MNIST loader against the facts in ../shared/data/mnist/README.md, and its error messages."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil

import numpy as np
import pytest

from notaverage.data.mnist import (
    MNIST_FILES,
    SAMPLE_PATH,
    as_float,
    load_mnist,
    load_sample,
    parse_idx,
)
from notaverage.errors import DataError, UserError

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# Classes of MNIST training rows 0..9,999, which are exactly the bundled sample's digits (PROVENANCE.md)
FIRST_10000_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


def _n_test(mnist_files) -> int:
    return 10000 if mnist_files.canonical else 2000


def test_loader_matches_the_readme_facts(mnist_files):
    data = load_mnist(mnist_files.folder, progress=False)
    assert data.source == "dir"
    assert data.train_images.dtype == np.uint8 and data.test_images.dtype == np.uint8
    assert data.train_labels.dtype == np.int64 and data.test_labels.dtype == np.int64
    assert re.fullmatch(r"[0-9a-f]{12}", data.fingerprint)
    if not mnist_files.canonical:
        # The IDX files written from the sample read back as exactly the sample's split
        sample = load_sample()
        assert data.train_images.shape == (8000, 28, 28) and data.test_images.shape == (2000, 28, 28)
        assert np.bincount(data.train_labels).tolist() == [n - 200 for n in FIRST_10000_COUNTS]
        assert np.bincount(data.test_labels).tolist() == [200] * 10
        for split in ("train", "test"):
            assert np.array_equal(getattr(data, f"{split}_images"), getattr(sample, f"{split}_images"))
            assert np.array_equal(getattr(data, f"{split}_labels"), getattr(sample, f"{split}_labels"))
        return
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert np.bincount(data.train_labels).tolist() == TRAIN_COUNTS
    assert np.bincount(data.test_labels).tolist() == TEST_COUNTS
    assert data.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(data.train_labels[:10000]).tolist() == FIRST_10000_COUNTS
    # Mean and std on the [0, 1] scale from the grey-level histogram (exact, and no 400 MB copy).
    counts = np.bincount(data.train_images.ravel(), minlength=256)
    levels = np.arange(256) / 255
    mean = counts @ levels / counts.sum()
    std = np.sqrt(counts @ (levels - mean) ** 2 / counts.sum())
    assert mean == pytest.approx(0.130660, abs=1e-5) and std == pytest.approx(0.308108, abs=1e-5)


def test_parse_idx_reads_the_header_dims(mnist_files):
    n = _n_test(mnist_files)
    labels = parse_idx(mnist_files.folder / "t10k-labels-idx1-ubyte.gz")
    images = parse_idx(mnist_files.folder / "t10k-images-idx3-ubyte.gz")
    assert labels.shape == (n,) and images.shape == (n, 28, 28)
    assert labels.flags.writeable and images.dtype == np.uint8


def test_as_float_is_float32_in_unit_range(mnist):
    x = as_float(mnist.test_images[:50])
    assert x.dtype == np.float32 and x.shape == (50, 28, 28)
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.array_equal(as_float(x), x)  # float input is already scaled


def test_env_var_names_the_folder(mnist_files, monkeypatch):
    monkeypatch.setenv("NOTAVERAGE_DATA", str(mnist_files.folder))
    data = load_mnist(progress=False)
    assert data.source == "dir" and len(data.test_labels) == _n_test(mnist_files)


def test_fingerprint_is_stable_and_subsets_differ(mnist):
    small = mnist.subset(1000, 200, seed=1)
    assert small.train_images.shape == (1000, 28, 28) and small.test_images.shape == (200, 28, 28)
    assert np.bincount(small.train_labels).tolist() == [100] * 10
    assert np.bincount(small.test_labels).tolist() == [20] * 10
    again = mnist.subset(1000, 200, seed=1)
    assert again.fingerprint == small.fingerprint and np.array_equal(again.train_labels, small.train_labels)
    other = mnist.subset(1000, 200, seed=2)
    assert len({mnist.fingerprint, small.fingerprint, other.fingerprint}) == 3
    assert mnist.subset(10, None).test_images.shape[0] == len(mnist.test_labels) >= 2000


# ---------------------------------------------------------------------------------------------
# A folder the user names must be right; we never silently use something else


def _user_copy(mnist_dir, tmp_path, replace=None):
    """A folder with links to the canonical files, except `replace` (filename -> bytes)."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for filename, _, _ in MNIST_FILES.values():
        if replace and filename in replace:
            (folder / filename).write_bytes(replace[filename])
        else:
            (folder / filename).symlink_to(mnist_dir / filename)
    return folder


def _one_line(err) -> str:
    message = str(err.value)
    assert "\n" not in message and isinstance(err.value, UserError)
    return message


def test_checksum_mismatch_names_the_file_and_both_sums(mnist_dir, tmp_path):
    name = "train-labels-idx1-ubyte.gz"
    data = bytearray((mnist_dir / name).read_bytes())
    data[100] ^= 0xFF  # same size, different content
    folder = _user_copy(mnist_dir, tmp_path, {name: bytes(data)})
    with pytest.raises(DataError) as err:
        load_mnist(folder)
    message = _one_line(err)
    assert name in message and "SHA-256" in message
    assert MNIST_FILES["train_labels"][1] in message
    assert hashlib.sha256(bytes(data)).hexdigest() in message


def test_truncated_file_in_the_named_folder_is_an_error(mnist_dir, tmp_path):
    name = "t10k-images-idx3-ubyte.gz"
    whole = (mnist_dir / name).read_bytes()
    folder = _user_copy(mnist_dir, tmp_path, {name: whole[: len(whole) // 2]})
    with pytest.raises(DataError) as err:
        load_mnist(folder, progress=False)
    assert name in _one_line(err) and "truncated" in str(err.value)


def test_missing_files_in_the_named_folder_do_not_fall_back(tmp_path, monkeypatch):
    with pytest.raises(DataError) as err:
        load_mnist(tmp_path, progress=False)
    assert str(tmp_path) in _one_line(err)
    monkeypatch.setenv("NOTAVERAGE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataError):
        load_mnist(progress=False)


def test_verify_false_skips_the_hash_but_still_checks_content(mnist_dir, tmp_path):
    name = "train-labels-idx1-ubyte.gz"
    data = bytearray((mnist_dir / name).read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the deflate stream: gzip's CRC or zlib must notice
    folder = _user_copy(mnist_dir, tmp_path, {name: bytes(data)})
    with pytest.raises(DataError) as err:
        load_mnist(folder, verify=False)
    assert name in _one_line(err)


# ---------------------------------------------------------------------------------------------
# parse_idx never lets a gzip/zlib/numpy traceback out


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "what, make",
    [
        ("truncated gzip", lambda raw: gzip.compress(raw)[: len(gzip.compress(raw)) // 2]),
        ("garbage", lambda raw: b"\x1f\x8b" + bytes(range(256)) * 4),
        ("bad magic", lambda raw: gzip.compress(b"\x00\x00\x08\x02" + raw[4:])),
        ("short data", lambda raw: gzip.compress(raw[:-10])),
        ("long data", lambda raw: gzip.compress(raw + b"\x00")),
        ("cut header", lambda raw: gzip.compress(raw[:10])),
        ("empty", lambda raw: b""),
    ],
)
def test_bad_idx_files_give_one_line_data_errors(mnist_dir, tmp_path, what, make):
    raw = gzip.decompress((mnist_dir / "t10k-labels-idx1-ubyte.gz").read_bytes())
    path = _write(tmp_path / "t10k-labels-idx1-ubyte.gz", make(raw))
    with pytest.raises(DataError) as err:
        parse_idx(path)
    message = _one_line(err)
    assert str(path) in message and "NOTAVERAGE_DATA" in message


def test_parse_idx_reads_uncompressed_files_too(mnist_files, tmp_path):
    raw = gzip.decompress((mnist_files.folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    labels = parse_idx(_write(tmp_path / "t10k-labels-idx1-ubyte", raw))
    canonical_first = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    first = canonical_first if mnist_files.canonical else load_sample().test_labels[:10].tolist()
    assert labels[:10].tolist() == first


# ---------------------------------------------------------------------------------------------
# The bundled sample


def test_sample_split_is_8000_2000_and_stratified():
    sample = load_sample()
    assert sample.source == "sample"
    assert sample.train_images.shape == (8000, 28, 28) and sample.test_images.shape == (2000, 28, 28)
    assert sample.train_images.dtype == np.uint8 and sample.train_labels.dtype == np.int64
    assert np.bincount(sample.test_labels).tolist() == [200] * 10
    assert "8,000 train / 2,000 held out" in sample.note
    train_rows = {img.tobytes() for img in sample.train_images}
    assert not any(img.tobytes() in train_rows for img in sample.test_images)
    # shuffled, not class by class
    assert len(set(sample.train_labels[:50].tolist())) == 10
    again = load_sample()
    assert again.fingerprint == sample.fingerprint and np.array_equal(again.test_labels, sample.test_labels)


def test_sample_digits_are_real_mnist_training_digits(mnist):
    sample = load_sample()
    labels = np.concatenate([sample.train_labels, sample.test_labels])
    assert np.bincount(labels).tolist() == FIRST_10000_COUNTS  # the classes of MNIST rows 0..9,999
    if mnist.source == "sample":  # no canonical files here: the class counts are the check we have
        return
    label_of = {img.tobytes(): label for img, label in
                zip(mnist.train_images[:10000], mnist.train_labels[:10000], strict=True)}
    for images, labels in (
        (sample.train_images, sample.train_labels),
        (sample.test_images, sample.test_labels),
    ):
        assert [label_of.get(img.tobytes()) for img in images] == labels.tolist()
    assert sample.fingerprint != mnist.fingerprint


def test_sample_checksum_matches_provenance():
    provenance = (SAMPLE_PATH.parent / "PROVENANCE.md").read_text()
    sha = hashlib.sha256(SAMPLE_PATH.read_bytes()).hexdigest()
    assert sha in provenance
    assert "CC BY-SA 3.0" in provenance and "MIT" in provenance


def test_a_damaged_sample_is_a_data_error(tmp_path, monkeypatch):
    bad = tmp_path / "mnist-sample.npz"
    shutil.copyfile(SAMPLE_PATH, bad)
    with open(bad, "r+b") as f:
        f.truncate(1000)
    monkeypatch.setattr("notaverage.data.mnist.SAMPLE_PATH", bad)
    with pytest.raises(DataError) as err:
        load_sample()
    assert "reinstall" in _one_line(err)
