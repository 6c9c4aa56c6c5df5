"""Hybrid finder and traversals on the small trained models: answers we know in advance."""

from __future__ import annotations

import numpy as np
import pytest

from notaverage.data.mnist import as_float
from notaverage.latent import HybridResult, class_code_gaussians, hybrid_search, latent_traversals


def _pair(data, class_a, class_b, k=0):
    a = np.flatnonzero(data.test_labels == class_a)[k]
    b = np.flatnonzero(data.test_labels == class_b)[k]
    test = as_float(data.test_images)
    return test[a], test[b]


@pytest.fixture(scope="module")
def hybrids(small_models, small_mnist):
    vae, judge = small_models["vae"], small_models["judge"]
    codes = vae.encode(as_float(small_mnist.test_images))
    image_a, image_b = _pair(small_mnist, 9, 2)
    results = hybrid_search(vae, judge, image_a, image_b, 9, 2, n_results=4, steps=60, seed=0,
                            reference_codes=codes)
    return results, codes


def test_hybrid_search_moves_the_two_probabilities_together(hybrids):
    results, _ = hybrids
    assert 1 <= len(results) <= 4
    assert all(isinstance(r, HybridResult) and r.image.shape == (28, 28) for r in results)
    best = results[0]
    # The search starts on the straight path and must end closer to 50/50 than where it started.
    assert best.gap < best.start_gap or best.start_gap < 0.05
    assert np.mean([r.gap for r in results]) < np.mean([r.start_gap for r in results])
    assert best.gap < 0.3
    assert best.p_a + best.p_b > 0.6  # both digits, not a third one or junk


def test_hybrid_search_stays_where_real_codes_live(hybrids):
    results, codes = hybrids
    for r in results:
        assert np.isfinite(r.realism) and r.realism < 3.0
        assert 0.15 - 1e-6 <= r.start_t <= 0.85 + 1e-6
        assert np.isfinite(r.prior_logpdf)
    # realism is the nearest-real-code distance in units of the real codes' own median: about 1.
    assert 0.5 < np.median([r.realism for r in results]) < 2.0 and len(codes) > 100


def test_hybrid_search_is_seeded_and_checks_classes(small_models, small_mnist):
    vae, judge = small_models["vae"], small_models["judge"]
    image_a, image_b = _pair(small_mnist, 4, 9)
    first = hybrid_search(vae, judge, image_a, image_b, 4, 9, n_results=2, steps=5, seed=3)
    second = hybrid_search(vae, judge, image_a, image_b, 4, 9, n_results=2, steps=5, seed=3)
    assert np.allclose(first[0].z, second[0].z)
    assert np.isnan(first[0].realism)  # no reference codes given
    with pytest.raises(ValueError):
        hybrid_search(vae, judge, image_a, image_b, 4, 4)


def test_traversal_variance_fractions_are_sorted_and_sum_below_one(small_models, small_mnist):
    trav = latent_traversals(small_models["vae"], as_float(small_mnist.test_images), n_directions=6, steps=5)
    assert trav.images.shape == (6, 5, 28, 28)
    ratio = trav.variance_ratio
    assert np.all(np.diff(ratio) <= 1e-12) and ratio.sum() <= 1.0 + 1e-9 and np.all(ratio > 0)
    assert np.allclose(trav.offsets, np.linspace(-2, 2, 5))
    # The middle column is the mean code, so every row's middle image is the same picture.
    assert np.allclose(trav.images[:, 2], trav.images[0, 2], atol=1e-5)
    # Moving along a direction changes the picture.
    assert np.abs(trav.images[:, 0] - trav.images[:, -1]).sum(axis=(1, 2)).min() > 1.0


def test_traversal_of_the_linear_model_recovers_its_pca_shares(small_models, small_mnist):
    """Known answer: the linear model's codes ARE PCA coordinates, so their own PCA puts the
    directions in the same order with the shares of the pixel variance renormalised to the code."""
    linear = small_models["linear"]
    trav = latent_traversals(linear, as_float(small_mnist.train_images), n_directions=4, steps=3)
    expected = linear.explained_variance_ratio_ / linear.explained_variance_ratio_.sum()
    assert np.allclose(trav.variance_ratio, expected[:4], atol=0.01)


def test_the_robust_finder_averages_an_ensemble_over_copies(small_models, small_mnist):
    """The finder's reading of a code is the mean of its judges' probabilities (here the judge and the
    classifier, computed apart), and noiseless, unshifted copies change nothing."""
    import torch

    from notaverage.latent import _perturbed_log_probs

    vae, judges = small_models["vae"], [small_models["judge"], small_models["classifier"]]
    for model in (vae, *judges):
        model.eval()
    z = torch.as_tensor(vae.encode(as_float(small_mnist.test_images[:6])))
    images = vae.decode(z.numpy())
    expected = 0.5 * (judges[0].predict_proba(images) + judges[1].predict_proba(images))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        one = _perturbed_log_probs(vae, judges, z, 1, 0.1, generator).exp().numpy()
        copies = _perturbed_log_probs(vae, judges, z, 4, 0.0, generator, max_shift=0).exp().numpy()
    assert np.allclose(one, expected, atol=1e-5) and np.allclose(copies, expected, atol=1e-5)
    assert not np.allclose(expected, judges[0].predict_proba(images), atol=1e-3)  # the two do differ


class _FlatEncoder:
    """A stand-in 'model' whose code is the image itself (2 pixels): known codes, counted calls."""

    def __init__(self):
        self.encoded = 0

    def encode(self, images):
        self.encoded += len(images)
        return images.reshape(len(images), -1).astype(np.float32)


def test_class_gaussians_fit_a_seeded_sample_of_each_class():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), [50, 3, 40, 40, 40, 40, 40, 40, 40, 40])
    images = rng.normal(labels[:, None] * 10.0, 1.0, size=(len(labels), 2)).reshape(-1, 1, 2)
    model = _FlatEncoder()
    every = class_code_gaussians(model, images, labels, per_class=1_000)
    for digit in range(10):  # with room for all: the plain mean and covariance of the class
        codes = images[labels == digit].reshape(-1, 2)
        assert np.allclose(every[digit][0], codes.mean(axis=0))
        assert np.allclose(every[digit][1], np.cov(codes, rowvar=False) + 1e-6 * np.eye(2))

    model.encoded = 0
    capped = class_code_gaussians(model, images, labels, per_class=10, seed=5)
    assert model.encoded == 9 * 10 + 3  # only the sample is encoded; the 3-digit class keeps all 3
    assert np.allclose(capped[1][0], every[1][0])
    assert not np.allclose(capped[0][0], every[0][0])  # 10 of the 50: a different (sample) mean
    assert np.allclose(capped[0][0], class_code_gaussians(model, images, labels, per_class=10, seed=5)[0][0])
