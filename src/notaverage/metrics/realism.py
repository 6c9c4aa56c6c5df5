"""Does an image look like a real digit? The judge's opinion and the distance to the data."""

from __future__ import annotations

import numpy as np

from notaverage.metrics.neighbors import DEFAULT_BATCH, nearest_training_digits


def _check_probs(probs: np.ndarray) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2:
        raise ValueError(f"expected probabilities of shape (N, classes), got {probs.shape}")
    return probs


def judge_confidence(probs: np.ndarray) -> np.ndarray:
    """Largest class probability of each row of `probs` (N, 10): (N,) float64 in [1/10, 1]."""
    return _check_probs(probs).max(axis=1)


def judge_entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy of each row of `probs` (N, 10), in nats: 0 (certain) to ln 10 ≈ 2.303."""
    probs = _check_probs(probs)
    # 0 · log 0 = 0 by continuity; np.where keeps log(0) out of the sum.
    logs = np.log(np.where(probs > 0, probs, 1.0))
    return -(probs * logs).sum(axis=1)


def reference_nn_median(
    reference_test_images: np.ndarray, train_images: np.ndarray, batch: int = DEFAULT_BATCH
) -> float:
    """Median pixel distance from held-out real digits to their nearest training digit."""
    distances, _ = nearest_training_digits(reference_test_images, train_images, k=1, batch=batch)
    return float(np.median(distances[:, 0]))


def manifold_distance_ratio(
    images: np.ndarray,
    train_images: np.ndarray,
    reference_test_images: np.ndarray | None = None,
    *,
    reference_median: float | None = None,
    batch: int = DEFAULT_BATCH,
) -> np.ndarray:
    """Distance to the nearest training digit, in units of a typical real digit's distance.

    ratio_i = NN(images_i, train) / median_j NN(reference_j, train), where the reference is a set
    of held-out real test digits. About 1: as close to the data as a real unseen digit; much
    above 1: off the data manifold (noise, double exposures); near 0: a near copy of a training
    digit. The median, not the mean, because NN distances of real digits have a long right tail
    (odd handwriting) that would make "typical" depend on a few outliers.

    Pass `reference_median` (from `reference_nn_median`) to skip recomputing it.
    Returns (N,) float64.
    """
    if reference_median is None:
        if reference_test_images is None:
            raise ValueError("give reference_test_images or reference_median")
        reference_median = reference_nn_median(reference_test_images, train_images, batch=batch)
    if not reference_median > 0:
        raise ValueError(f"reference median distance must be positive, got {reference_median}")
    distances, _ = nearest_training_digits(images, train_images, k=1, batch=batch)
    return distances[:, 0].astype(np.float64) / reference_median
