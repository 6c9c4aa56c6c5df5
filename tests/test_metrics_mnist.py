"""Metrics on real MNIST digits: nearest neighbours, realism ratio, the data-copying test.

Uses the shared `mnist` fixture (canonical MNIST when beside the clone, else the bundled sample's
8,000 training digits). Subsets of a few thousand digits keep it to seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from notaverage.data.mnist import as_float
from notaverage.metrics import (
    assign_cells,
    data_copying_test,
    fit_cells,
    manifold_distance_ratio,
    mann_whitney_z,
    nearest_neighbour_gallery,
    nearest_training_digits,
    reference_nn_median,
)

N_TRAIN = 8_000  # as many training digits as the bundled sample has, so both data sources agree


@pytest.fixture(scope="module")
def train(mnist) -> np.ndarray:
    return as_float(mnist.train_images[:N_TRAIN])


@pytest.fixture(scope="module")
def mnist_test(mnist) -> np.ndarray:
    # Canonical order; the slices used below all come from the first 5,000 test digits, which are
    # one writer population (the last 5,000 are another).
    return as_float(mnist.test_images)


# --- nearest neighbours ----------------------------------------------------------------------


def test_a_planted_copy_finds_itself_at_distance_zero(train, mnist_test):
    queries = np.stack([mnist_test[0], train[1234], mnist_test[1], train[7]])
    distances, indices = nearest_training_digits(queries, train, k=1, batch=3)
    assert indices[1, 0] == 1234 and distances[1, 0] == 0.0
    assert indices[3, 0] == 7 and distances[3, 0] == 0.0
    assert distances[0, 0] > 1.0 and distances[2, 0] > 1.0
    assert distances.dtype == np.float32 and indices.dtype == np.int64


def test_k_neighbours_match_brute_force(train, mnist_test):
    queries, reference = mnist_test[:20], train[:2000]
    distances, indices = nearest_training_digits(queries, reference, k=3, batch=7)
    q = queries.reshape(20, -1).astype(np.float64)
    r = reference.reshape(2000, -1).astype(np.float64)
    full = cdist(q, r)
    expected_idx = np.argsort(full, axis=1)[:, :3]
    assert np.array_equal(indices, expected_idx)
    assert distances == pytest.approx(np.take_along_axis(full, expected_idx, axis=1), abs=1e-5)


def test_neighbour_gallery_returns_the_training_digits(train):
    gallery = nearest_neighbour_gallery(train[[5, 50]], train, k=2)
    assert gallery.indices[:, 0].tolist() == [5, 50]
    assert gallery.images.shape == (2, 2, 28, 28)
    assert np.array_equal(gallery.images[:, 0], train[[5, 50]])
    assert np.all(gallery.distances[:, 1] > 0)


# --- realism ratio ---------------------------------------------------------------------------


def test_real_unseen_digits_have_ratio_near_one_and_noise_far_above(train, mnist_test):
    median = reference_nn_median(mnist_test[:1000], train)
    held_out = manifold_distance_ratio(mnist_test[1000:2000], train, reference_median=median)
    assert 0.9 <= np.median(held_out) <= 1.1
    same = manifold_distance_ratio(mnist_test[:1000], train, mnist_test[:1000])
    assert np.median(same) == pytest.approx(1.0)
    noise = np.random.default_rng(0).random((50, 28, 28), dtype=np.float32)
    assert np.min(manifold_distance_ratio(noise, train, reference_median=median)) > 2.0
    copies = manifold_distance_ratio(train[:10], train, reference_median=median)
    assert np.all(copies == 0.0)


# --- data copying ----------------------------------------------------------------------------


def test_mann_whitney_z_on_separated_samples():
    gen, test = np.arange(10.0), np.arange(100.0, 120.0)  # every generated distance is smaller
    assert mann_whitney_z(gen, test) == pytest.approx(-(10 * 20 / 2) / np.sqrt(10 * 20 * 31 / 12))
    assert mann_whitney_z(test, gen) == pytest.approx(+(10 * 20 / 2) / np.sqrt(10 * 20 * 31 / 12))


@pytest.fixture(scope="module")
def copy_setting(train, mnist_test):
    rng = np.random.default_rng(0)
    return {
        "test": mnist_test[:1000],
        "held_out": mnist_test[1000:2000],
        "copies": train[rng.choice(N_TRAIN, 1000, replace=False)],
        "rng": rng,
        "centroids": fit_cells(train, n_cells=20, seed=0),
    }


def test_a_generator_of_exact_training_copies_is_flagged(train, copy_setting):
    result = data_copying_test(copy_setting["copies"], copy_setting["test"], train, n_cells=20, seed=0)
    assert result.c_t < -3.0 and result.is_copying()
    assert len(result.z_per_cell) == 20
    assert result.used.sum() >= 10
    assert np.nanmax(result.z_per_cell[result.used]) < 0


def test_a_generator_of_noised_training_copies_is_flagged(train, copy_setting):
    noised = copy_setting["copies"] + copy_setting["rng"].normal(0, 0.1, copy_setting["copies"].shape)
    noised = np.clip(noised, 0, 1).astype(np.float32)
    result = data_copying_test(noised, copy_setting["test"], train, centroids=copy_setting["centroids"])
    assert result.c_t < -3.0


def test_a_generator_of_held_out_digits_passes(train, copy_setting):
    result = data_copying_test(
        copy_setting["held_out"], copy_setting["test"], train, centroids=copy_setting["centroids"]
    )
    assert -2.0 < result.c_t < 2.0 and not result.is_copying()
    # bookkeeping: counts add up, weights are the test shares of the cells used
    assert result.generated_counts.sum() == 1000 and result.test_counts.sum() == 1000
    assert result.train_counts.sum() == N_TRAIN
    assert np.allclose(result.weights[result.used], result.test_counts[result.used] / 1000)
    assert np.all(result.generated_counts[result.used] / 1000 > result.tau)


def test_noisy_digits_read_as_underfitting_not_copying(train, copy_setting):
    held_out = copy_setting["held_out"]
    noisy = np.clip(held_out + copy_setting["rng"].normal(0, 0.2, held_out.shape), 0, 1).astype(np.float32)
    result = data_copying_test(noisy, copy_setting["test"], train, centroids=copy_setting["centroids"])
    assert result.c_t > 3.0


def test_cells_are_the_fitted_partition(train, copy_setting):
    cells = assign_cells(train[:500], copy_setting["centroids"])
    assert cells.shape == (500,) and cells.min() >= 0 and cells.max() < 20
    assert len(np.unique(cells)) > 10
    small = [fit_cells(train[:2000], n_cells=5, seed=3) for _ in range(2)]
    assert small[0].shape == (5, 784) and np.array_equal(small[0], small[1])  # seeded


def test_data_copying_refuses_when_no_cell_has_enough_samples(train, copy_setting):
    with pytest.raises(ValueError, match="tau"):
        data_copying_test(
            copy_setting["held_out"][:30], copy_setting["test"], train, centroids=copy_setting["centroids"]
        )


def test_copying_is_read_on_both_sides_of_real_digits_null_spread(train, copy_setting):
    """Held-out real digits define the band; copies fall below it, noisy digits above it."""
    from notaverage.metrics import copying_null, read_copying

    pool = np.concatenate([copy_setting["held_out"], copy_setting["test"][500:]])
    test = copy_setting["test"][:500]
    null = copying_null(pool, test, train, copy_setting["centroids"], m=400, n_draws=10, seed=0)
    assert len(null) == 10 and np.all(np.abs(null) < 3.0)
    rng = np.random.default_rng(1)
    copies = copy_setting["copies"][:400]
    noisy_copies = np.clip(copies + rng.normal(0, 0.1, copies.shape), 0, 1).astype(np.float32)
    noisy_real = copy_setting["held_out"][:400] + rng.normal(0, 0.2, (400, 28, 28))
    noisy_real = np.clip(noisy_real, 0, 1).astype(np.float32)

    def reading(images):
        c_t = data_copying_test(images, test, train, centroids=copy_setting["centroids"]).c_t
        return read_copying(c_t, null)

    assert reading(copies).reading == "copying"
    assert reading(noisy_copies).reading == "copying"
    assert reading(noisy_real).reading == "underfitting"
    fresh = reading(copy_setting["test"][500:900])  # real held-out digits: inside the band
    assert fresh.low < fresh.c_t < fresh.high and fresh.reading == "like real digits"


def test_read_copying_known_answers():
    from notaverage.metrics import read_copying

    null = np.array([-0.2, 0.0, 0.2, 0.0])  # mean 0, sd 0.163: band ±0.49
    assert read_copying(-0.6, null).reading == "copying"
    assert read_copying(0.6, null).reading == "underfitting"
    assert read_copying(0.3, null).reading == "like real digits"
    with pytest.raises(ValueError):
        read_copying(0.0, null[:1])
