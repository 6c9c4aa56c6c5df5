"""Verdicts flip when the numbers flip; the ablation shows what removing the nonlinearity does."""

from __future__ import annotations

import numpy as np
import pytest

from notaverage.data.mnist import as_float
from notaverage.evidence import verdicts, wilson
from notaverage.evidence.blends import model_paths, pixel_paths, random_pairs, reconstruct
from notaverage.metrics.stats import Interval

S, N, I = verdicts.SUPPORTED, verdicts.NOT_SUPPORTED, verdicts.INCONCLUSIVE


def iv(estimate, low, high):
    return Interval(estimate, low, high, "test")


def test_wilson_interval_known_values():
    x = wilson(95, 100)
    assert x.estimate == pytest.approx(0.95)
    assert x.low == pytest.approx(0.8882, abs=1e-3) and x.high == pytest.approx(0.9785, abs=1e-3)
    assert wilson(0, 10).low == pytest.approx(0.0, abs=1e-12)


def test_recognition_verdict_flips():
    assert verdicts.recognition(iv(0.98, 0.97, 0.99)).status == S
    assert verdicts.recognition(iv(0.80, 0.78, 0.82)).status == N
    assert verdicts.recognition(iv(0.95, 0.94, 0.96)).status == I


def test_novelty_verdict_flips_on_copying_and_on_junk():
    good = iv(0.95, 0.93, 0.97)
    assert verdicts.novelty(0.5, good).status == S
    assert verdicts.novelty(-5.0, good).status == N  # copies
    assert verdicts.novelty(0.5, iv(0.5, 0.45, 0.55)).status == N  # junk the judge cannot read


def test_blends_verdict_flips():
    below, above = iv(-0.5, -0.6, -0.4), iv(0.5, 0.4, 0.6)
    straddle = iv(0.0, -0.1, 0.1)
    assert verdicts.blends(below, above, above).status == S
    v = verdicts.blends(above, above, above)  # VAE midpoints further from the data than pixel blends
    assert v.status == N and "not supported" in v.text
    assert verdicts.blends(below, below, above).status == N  # VAE path closer to the pixel average
    assert verdicts.blends(below, above, straddle).status == I
    assert "-0.5 [-0.6, -0.4]" in verdicts.blends(below, above, above).text  # the numbers are in it


def test_hybrid_ablation_traversal_and_quality_verdicts_flip():
    assert verdicts.hybrid(iv(0.05, 0.02, 0.1), iv(0.95, 0.9, 0.99), iv(-0.3, -0.4, -0.2)).status == S
    assert verdicts.hybrid(iv(0.6, 0.5, 0.7), iv(0.95, 0.9, 0.99), iv(-0.3, -0.4, -0.2)).status == N
    assert verdicts.hybrid(iv(0.05, 0.02, 0.1), iv(0.95, 0.9, 0.99), iv(0.3, 0.2, 0.4)).status == N
    assert verdicts.ablation(iv(0.3, 0.2, 0.4), iv(0.2, 0.1, 0.3)).status == S
    assert verdicts.ablation(iv(-0.3, -0.4, -0.2), iv(0.2, 0.1, 0.3)).status == N
    assert verdicts.traversals(iv(1.0, 0.9, 1.1), iv(2.0, 1.9, 2.1)).status == S
    assert verdicts.traversals(iv(2.5, 2.4, 2.6), iv(2.0, 1.9, 2.1)).status == N
    assert verdicts.traversals(iv(2.0, 1.8, 2.2), iv(2.0, 1.9, 2.1)).status == I
    assert verdicts.likelihood(iv(85, 84, 86)).status == S
    assert verdicts.likelihood(iv(130, 128, 132)).status == N
    assert verdicts.frechet(iv(5, 4, 6), iv(20, 18, 22)).status == S
    assert verdicts.frechet(iv(25, 24, 26), iv(20, 18, 22)).status == N


def test_random_pairs_are_seeded_and_of_different_classes():
    labels = np.repeat(np.arange(10), 20)
    pairs = random_pairs(labels, 300, seed=1)
    assert pairs.shape == (300, 2) and np.all(labels[pairs[:, 0]] != labels[pairs[:, 1]])
    assert np.array_equal(pairs, random_pairs(labels, 300, seed=1))
    nine_two = random_pairs(labels, 5, seed=0, classes=(9, 2))
    assert np.all(labels[nine_two[:, 0]] == 9) and np.all(labels[nine_two[:, 1]] == 2)


def test_linear_model_path_is_exactly_the_blend_of_its_reconstructions(small_models, small_mnist):
    """Control: the affine decoder maps the latent blend to the blend of reconstructions."""
    linear, test = small_models["linear"], as_float(small_mnist.test_images)
    a, b = test[:20], test[20:40]
    path = model_paths(linear, a, b, 5)
    blend = pixel_paths(linear.decode(linear.encode(a)), linear.decode(linear.encode(b)), 5)
    assert np.allclose(path, blend, atol=1e-4)


@pytest.fixture(scope="module")
def identity_vae(small_mnist, small_models):
    from notaverage.zoo import ABLATION, get_model

    return get_model(ABLATION, small_mnist, "tiny", 0, progress=False).model


def _relative_recon_blend_distance(model, a, b, steps=9):
    path = model_paths(model, a, b, steps, clip=True)
    blend = pixel_paths(reconstruct(model, a), reconstruct(model, b), steps)
    mid = steps // 2
    scale = np.linalg.norm((blend[:, 0] - blend[:, -1]).reshape(len(a), -1), axis=1)
    return np.linalg.norm((path[:, mid] - blend[:, mid]).reshape(len(a), -1), axis=1) / scale


def test_without_activations_the_vae_path_is_closer_to_a_blend_of_its_reconstructions(
        identity_vae, small_models, small_mnist):
    test, labels = as_float(small_mnist.test_images), small_mnist.test_labels
    pairs = random_pairs(labels, 200, seed=0)
    a, b = test[pairs[:, 0]], test[pairs[:, 1]]
    vae_d = _relative_recon_blend_distance(small_models["vae"], a, b)
    identity_d = _relative_recon_blend_distance(identity_vae, a, b)
    linear_d = _relative_recon_blend_distance(small_models["linear"], a, b)
    assert np.median(identity_d) < np.median(vae_d)
    assert np.mean(identity_d < vae_d) > 0.6  # pair by pair, not just on average
    # The linear control sits on its blend but for clipping to [0, 1] (about 0.08 on tiny models).
    assert np.median(linear_d) < 0.15
