"""MNIST loading (folder, cache, download, bundled sample) and image preprocessing."""

from notaverage.data.mnist import (
    MIRRORS,
    MNIST_FILES,
    MnistData,
    as_float,
    download_mnist,
    load_mnist,
    load_sample,
)
from notaverage.data.preprocess import preprocess_image

__all__ = [
    "MIRRORS",
    "MNIST_FILES",
    "MnistData",
    "as_float",
    "download_mnist",
    "load_mnist",
    "load_sample",
    "preprocess_image",
]
