"""Is the model making new digits or replaying training ones? The data-copying test.

Meehan, Chaudhuri & Dasgupta, "A Non-Parametric Test to Detect Data-Copying in Generative Models",
AISTATS 2020. Three samples: the training set T, held-out test digits P_n and generated digits Q_m.
If Q_m copies T, generated digits sit closer to their nearest training digit than real unseen
digits do. The comparison is made cell by cell, because a model may copy in one region of digit
space and underfit in another, and the two would cancel in a single global test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from notaverage.metrics.neighbors import DEFAULT_BATCH, flatten, nearest_neighbors, nearest_training_digits

# Below this many generated samples the normal approximation of a cell's U statistic is poor.
MIN_GENERATED_PER_CELL = 20


@dataclass(frozen=True)
class DataCopyingResult:
    """Outcome of `data_copying_test`.

    `c_t` is the weighted mean of the per-cell Z scores: ≪ 0 (below −3) means data copying,
    ≫ 0 means generated digits are farther from the training set than real ones (underfitting).
    Per-cell arrays have one entry per k-means cell; `z_per_cell` is NaN where a cell has no
    generated or no test samples. `used` marks the cells that enter `c_t` (generated fraction
    above `tau`, at least one test sample); `weights` are their test-set proportions.
    """

    c_t: float
    z_per_cell: np.ndarray
    generated_counts: np.ndarray
    test_counts: np.ndarray
    train_counts: np.ndarray
    used: np.ndarray
    weights: np.ndarray
    tau: float

    def is_copying(self, threshold: float = -3.0) -> bool:
        return bool(self.c_t < threshold)


def mann_whitney_z(generated_distances: np.ndarray, test_distances: np.ndarray) -> float:
    """Z score of the Mann-Whitney U statistic of generated vs test NN distances.

    U counts the pairs (generated, test) where the generated distance is the larger (ties count
    ½). Under the null (same distribution) U has mean mn/2 and variance mn(m+n+1)/12, so
    Z = (U − mn/2) / sqrt(mn(m+n+1)/12): negative when generated digits are closer to T.
    No tie or continuity correction, as in the paper's formula.
    """
    m, n = len(generated_distances), len(test_distances)
    u = mannwhitneyu(generated_distances, test_distances, method="asymptotic").statistic
    return float((u - m * n / 2.0) / np.sqrt(m * n * (m + n + 1) / 12.0))


def _cell_nn_distances(
    points: np.ndarray,
    cells: np.ndarray,
    train: np.ndarray,
    train_cells: np.ndarray,
    n_cells: int,
    batch: int,
) -> np.ndarray:
    # Distances are to the training points of the same cell, as in the authors' reference code:
    # the test is then local to the cell on every side.
    distances = np.full(len(points), np.nan)
    for c in range(n_cells):
        mine, theirs = cells == c, train_cells == c
        if mine.any() and theirs.any():
            distances[mine] = nearest_neighbors(points[mine], train[theirs], k=1, batch=batch)[0][:, 0]
    return distances


def fit_cells(
    train: np.ndarray,
    n_cells: int = 20,
    seed: int = 0,
    features: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """k-means centroids (n_cells, D) of the training set: the partition of the data-copying test.

    Fit once and pass to `data_copying_test(centroids=...)` to score several models on the same
    cells. Any partition fixed before looking at the generated and test samples keeps the test
    valid; k-means puts the cells where the data is.
    """
    t = flatten(features(train) if features is not None else train)
    if len(t) < n_cells:
        raise ValueError(f"need at least {n_cells} training samples for {n_cells} cells, got {len(t)}")
    # BLAS threads nested inside scikit-learn's OpenMP threads oversubscribe small machines
    # (10x slower on 2 busy cores); k-means parallelises over samples already.
    with threadpool_limits(1, user_api="blas"):
        kmeans = KMeans(n_clusters=n_cells, n_init=1, random_state=seed).fit(t)
    return kmeans.cluster_centers_.astype(np.float32)


def assign_cells(points: np.ndarray, centroids: np.ndarray, batch: int = DEFAULT_BATCH) -> np.ndarray:
    """Index of the nearest centroid of each point: (N,) int64."""
    return nearest_neighbors(points, centroids, k=1, batch=batch)[1][:, 0]


def data_copying_test(
    generated: np.ndarray,
    test: np.ndarray,
    train: np.ndarray,
    n_cells: int = 20,
    tau: float | None = None,
    seed: int = 0,
    features: Callable[[np.ndarray], np.ndarray] | None = None,
    centroids: np.ndarray | None = None,
    batch: int = DEFAULT_BATCH,
) -> DataCopyingResult:
    """The C_T statistic of Meehan et al. (2020).

    1. Partition space into `n_cells` cells by k-means on the training set (seed `seed`), or use
       the given `centroids` (from `fit_cells`; `n_cells` and `seed` are then ignored).
    2. In each cell π, L(x) = distance from x to its nearest training point in π, for generated
       and for test samples; Z_π = Mann-Whitney Z of L(generated) against L(test).
    3. Keep cells whose share of the generated samples exceeds `tau` (default 20/m: more than
       20 generated samples), and average their Z_π weighted by their share of the test set:
       C_T = Σ P_n(π) Z_π / Σ P_n(π).

    Arrays are (N, ...) images (pixel space) or feature vectors; `features`, if given, maps each
    of the three image arrays to (N, D) features first (e.g. an encoder's means).
    """
    g, p, t = (flatten(features(x) if features is not None else x) for x in (generated, test, train))
    m, n = len(g), len(p)
    if m == 0 or n == 0:
        raise ValueError("need generated and test samples")
    tau = MIN_GENERATED_PER_CELL / m if tau is None else float(tau)
    if centroids is None:
        centroids = fit_cells(t, n_cells, seed)
    n_cells = len(centroids)
    g_cells, p_cells, t_cells = (assign_cells(x, centroids, batch) for x in (g, p, t))
    g_counts, p_counts, t_counts = (np.bincount(c, minlength=n_cells) for c in (g_cells, p_cells, t_cells))

    enough = g_counts / m > tau
    if not (enough & (p_counts > 0) & (t_counts > 0)).any():
        raise ValueError(
            f"no cell holds more than tau={tau:.4g} of the {m} generated samples and any test "
            "samples; generate more samples or use fewer cells"
        )

    g_dist = _cell_nn_distances(g, g_cells, t, t_cells, n_cells, batch)
    p_dist = _cell_nn_distances(p, p_cells, t, t_cells, n_cells, batch)
    z = np.full(n_cells, np.nan)
    for c in range(n_cells):
        if g_counts[c] > 0 and p_counts[c] > 0 and t_counts[c] > 0:
            z[c] = mann_whitney_z(g_dist[g_cells == c], p_dist[p_cells == c])

    # A cell with no test samples has weight P_n(π) = 0 and drops out of C_T on its own.
    used = enough & np.isfinite(z)
    weights = np.where(used, p_counts / n, 0.0)
    c_t = float(np.sum(weights[used] * z[used]) / np.sum(weights[used]))
    return DataCopyingResult(c_t, z, g_counts, p_counts, t_counts, used, weights, tau)


@dataclass(frozen=True)
class NeighbourGallery:
    """For each sample: its k nearest training digits, their distances and the digits themselves."""

    indices: np.ndarray  # (N, k) int64 into train_images
    distances: np.ndarray  # (N, k) float32, pixel L2
    images: np.ndarray  # (N, k, 28, 28) float32


def nearest_neighbour_gallery(
    samples: np.ndarray, train_images: np.ndarray, k: int = 1, batch: int = DEFAULT_BATCH
) -> NeighbourGallery:
    """Nearest training digits of each sample, to show next to it (is it a copy?)."""
    distances, indices = nearest_training_digits(samples, train_images, k=k, batch=batch)
    train_images = np.asarray(train_images, dtype=np.float32)
    return NeighbourGallery(indices, distances, train_images[indices])


# --- reading C_T against its own null spread ---------------------------------------------------

NULL_BAND_SDS = 3.0  # C_T outside mean ± 3 sd of held-out real digits' C_T is read as a departure


@dataclass(frozen=True)
class CopyingReading:
    """C_T of a generator read on both sides of the null spread of real held-out digits.

    `null` holds C_T of `len(null)` random draws of held-out real digits (as many as the
    generator gave) against the same test digits, cells and T: what C_T looks like when nothing is
    copied and nothing is missed. `reading` is "copying" below `low`, "underfitting" above `high`
    (generated digits farther from T than real digits are), else "like real digits".
    """

    c_t: float
    null: np.ndarray
    low: float
    high: float
    reading: str

    def as_dict(self) -> dict:
        return {"c_t": self.c_t, "null": [float(x) for x in self.null], "null_low": self.low,
                "null_high": self.high, "reading": self.reading}


def copying_null(
    real_pool: np.ndarray, test: np.ndarray, train: np.ndarray, centroids: np.ndarray, m: int,
    n_draws: int = 10, seed: int = 0, tau: float | None = None,
) -> np.ndarray:
    """C_T of `n_draws` seeded random draws of `m` real digits from `real_pool` (disjoint from
    `test` and `train`): the statistic's spread when the "generator" is the data itself.

    At most half the pool is drawn each time, so that the draws differ (a small pool would otherwise
    give the same C_T every time and a band of zero width)."""
    rng = np.random.default_rng(seed)
    m = min(m, len(real_pool) // 2)
    if m < 2:
        raise ValueError(f"the null needs a pool of at least 4 real digits, got {len(real_pool)}")
    return np.array([data_copying_test(real_pool[rng.choice(len(real_pool), m, replace=False)], test, train,
                                       centroids=centroids, tau=tau).c_t for _ in range(n_draws)])


def read_copying(c_t: float, null: np.ndarray, width: float = NULL_BAND_SDS) -> CopyingReading:
    """Copying below mean − width·sd of the null draws, underfitting above mean + width·sd."""
    null = np.asarray(null, dtype=np.float64)
    if len(null) < 2:
        raise ValueError("the null spread needs at least 2 draws")
    centre, spread = float(null.mean()), float(null.std(ddof=1))
    low, high = centre - width * spread, centre + width * spread
    reading = "copying" if c_t < low else "underfitting" if c_t > high else "like real digits"
    return CopyingReading(float(c_t), null, low, high, reading)
