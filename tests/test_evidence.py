"""Verdicts flip when the numbers flip; the ablation shows what removing the nonlinearity does."""

from __future__ import annotations

import numpy as np
import pytest

from notaverage.data.mnist import as_float
from notaverage.evidence import verdicts
from notaverage.evidence.ablation import output_link
from notaverage.metrics import read_copying, wilson
from notaverage.evidence.blends import model_paths, pixel_paths, random_pairs, reconstruct
from notaverage.metrics.stats import Interval

S, N, INC = verdicts.SUPPORTED, verdicts.NOT_SUPPORTED, verdicts.INCONCLUSIVE


def iv(estimate, low, high):
    return Interval(estimate, low, high, "test")


def test_wilson_interval_known_values():
    x = wilson(95, 100)
    assert x.estimate == pytest.approx(0.95)
    assert x.low == pytest.approx(0.8882, abs=1e-3) and x.high == pytest.approx(0.9785, abs=1e-3)
    assert wilson(0, 10).low == 0.0 and wilson(10, 10).high == 1.0  # the bounds hold p itself
    assert wilson(0, 8).high == pytest.approx(0.3244, abs=1e-3)  # 0 of 8 hybrids: up to a third


def test_recognition_verdict_flips():
    assert verdicts.recognition(iv(0.98, 0.97, 0.99)).status == S
    assert verdicts.recognition(iv(0.80, 0.78, 0.82)).status == N
    assert verdicts.recognition(iv(0.95, 0.94, 0.96)).status == INC


def reading(c_t):
    return read_copying(c_t, np.array([-0.2, 0.0, 0.2, 0.0]))  # band about ±0.49


def test_novelty_verdict_reads_copying_underfitting_and_junk():
    good, bar = iv(0.95, 0.93, 0.97), 0.9
    inside, copies, underfit = reading(0.1), reading(-5.0), reading(1.8)
    assert verdicts.novelty(inside, inside, good, bar).status == S
    v = verdicts.novelty(copies, inside, good, bar)
    assert v.status == N and "copying" in v.text
    v = verdicts.novelty(underfit, inside, good, bar)  # the audit's +1.8: not "supported" any more
    assert v.status == INC and "underfitting" in v.text
    junk = iv(0.5, 0.45, 0.55)  # samples the judge cannot read
    assert verdicts.novelty(inside, inside, junk, bar).status == N


def test_blends_verdict_flips():
    below, above = iv(-0.5, -0.6, -0.4), iv(0.5, 0.4, 0.6)
    straddle = iv(0.0, -0.1, 0.1)
    ok = reading(0.9)  # underfitting midpoints are not copies: (c) is not hurt
    assert verdicts.blends(below, above, above, ok).status == S
    v = verdicts.blends(above, above, above, ok)  # VAE midpoints further from the data than pixel blends
    assert v.status == N and "not supported" in v.text
    assert verdicts.blends(below, below, above, ok).status == N  # VAE path closer to the pixel average
    assert verdicts.blends(below, above, straddle, ok).status == INC
    assert verdicts.blends(below, above, above, reading(-4.0)).status == N  # copied midpoints
    assert "-0.5 [-0.6, -0.4]" in verdicts.blends(below, above, above, ok).text  # the numbers are in it


def test_hybrid_ablation_traversal_and_quality_verdicts_flip():
    small_gap, high_sum, closer = iv(0.05, 0.02, 0.1), iv(0.95, 0.9, 0.99), iv(-0.3, -0.4, -0.2)
    both = {"cnn": (small_gap, high_sum, 0.85), "logistic": (small_gap, high_sum, 0.7)}
    assert verdicts.hybrid(both, closer, reading(0.0)).status == S
    one_fails = {**both, "logistic": (iv(0.6, 0.5, 0.7), high_sum, 0.7)}
    assert verdicts.hybrid(one_fails, closer, reading(0.0)).status == N
    assert verdicts.hybrid(both, iv(0.3, 0.2, 0.4), reading(0.0)).status == N
    assert verdicts.hybrid(both, closer, reading(-3.0)).status == N
    assert verdicts.ablation(iv(0.3, 0.2, 0.4), iv(0.4, 0.3, 0.5), iv(0.2, 0.1, 0.3)).status == S
    assert verdicts.ablation(iv(-0.3, -0.4, -0.2), iv(0.4, 0.3, 0.5), iv(0.2, 0.1, 0.3)).status == N
    assert verdicts.traversals(iv(1.0, 0.9, 1.1), iv(2.0, 1.9, 2.1)).status == S
    assert verdicts.traversals(iv(2.5, 2.4, 2.6), iv(2.0, 1.9, 2.1)).status == N
    assert verdicts.traversals(iv(2.0, 1.8, 2.2), iv(2.0, 1.9, 2.1)).status == INC
    assert verdicts.likelihood(iv(-2.0, -3.0, -1.0), 180_000).status == S  # VAE minus reference
    assert verdicts.likelihood(iv(5.0, 4.0, 6.0), 180_000).status == N
    assert verdicts.likelihood(iv(0.1, -0.5, 0.7), None).status == INC
    text = verdicts.likelihood(iv(-2, -3, -1), 180_096, 180_000).text
    assert "after 180,096 and 180,000 training images" in text
    assert verdicts.frechet(iv(5, 4, 6), iv(20, 18, 22)).status == S
    assert verdicts.frechet(iv(25, 24, 26), iv(20, 18, 22)).status == N
    assert verdicts.model_check(8, 16, iv(0.9, 0.88, 0.92), 2, 0.5).status == S
    assert verdicts.model_check(0, 16, iv(0.9, 0.88, 0.92), 2, 0.5).status == N  # collapsed


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


def _seed_numbers(statuses: dict, value: float) -> dict:
    from notaverage.evidence.seeds import SPREAD

    numbers = {"verdicts": {k: {"claim": k, "status": s, "text": f"{s}: x"} for k, s in statuses.items()}}
    for key in SPREAD:
        node = numbers
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return numbers


def test_a_verdict_is_supported_only_if_supported_for_every_seed():
    from notaverage.evidence.seeds import combine_seeds

    seeds = [_seed_numbers({"a": S, "b": S, "c": N}, 1.0), _seed_numbers({"a": S, "b": INC, "c": N}, 2.0),
             _seed_numbers({"a": S, "b": S, "c": N}, 3.0)]
    out = combine_seeds(seeds, [0, 1, 2])
    assert [out["verdicts"][k]["status"] for k in "abc"] == [S, INC, N]
    assert "seed 1: inconclusive" in out["verdicts"]["b"]["text"]
    spread = out["seeds"]["spread"]["hybrid.transfer_rate"]
    assert spread["values"] == [1.0, 2.0, 3.0]
    # t interval over 3 seeds: mean 2, sd 1, t_{0.975, 2} = 4.303 -> half width 2.484
    assert spread["interval"]["estimate"] == pytest.approx(2.0)
    assert spread["interval"]["high"] - 2.0 == pytest.approx(4.3027 / np.sqrt(3), abs=1e-3)
    single = combine_seeds(seeds[:1], [0])
    assert single["verdicts"]["b"]["status"] == S
    assert single["seeds"]["spread"]["hybrid.transfer_rate"]["interval"] is None


def test_probabilistic_pca_is_affine_and_shrinks_toward_the_mean(small_mnist):
    """The second ablation: its latent path is exactly the blend of its reconstructions, and its
    posterior-mean reconstruction is PCA's shrunk by (λ − σ²)/λ along each component."""
    from sklearn.decomposition import PCA

    from notaverage.models.ppca import ProbabilisticPCA

    train, test = as_float(small_mnist.train_images), as_float(small_mnist.test_images)
    ppca = ProbabilisticPCA().fit(train, seed=0)
    a, b = test[:10], test[10:20]
    assert np.allclose(model_paths(ppca, a, b, 5), pixel_paths(ppca.decode(ppca.encode(a)),
                                                             ppca.decode(ppca.encode(b)), 5), atol=1e-4)
    pca = PCA(16, svd_solver="randomized", random_state=0).fit(train.reshape(len(train), -1))
    shrink = (pca.explained_variance_ - pca.noise_variance_) / pca.explained_variance_
    scores = pca.transform(a.reshape(10, -1))
    expected = (scores * shrink) @ pca.components_ + pca.mean_
    assert np.allclose(ppca.decode(ppca.encode(a)).reshape(10, -1), expected, atol=1e-3)


def test_the_ablation_table_names_the_vae_s_real_activation():
    from notaverage.models.registry import MODELS
    from notaverage.models.vae import ConvVAE, VAEConfig

    assert output_link("vae", MODELS["vae"].build()) == "Bernoulli (sigmoid), silu hidden layers"
    relu = ConvVAE(VAEConfig(activation="relu"))
    assert output_link("vae", relu) == "Bernoulli (sigmoid), relu hidden layers"
    assert output_link("vae_identity", None) == "Bernoulli (sigmoid), no hidden activations"


def test_the_feature_space_manifold_ratio_reads_real_digits_as_1_and_copies_as_0(small_mnist, small_models):
    """The ablation's side reading: held-out real digits have median ratio 1 by construction, a
    training digit of the manifold-ratio set is its own nearest neighbour (ratio 0), and noise is far."""
    from notaverage.evidence.ablation import feature_ratio
    from notaverage.evidence.context import Context, EvidenceConfig

    ctx = Context({"judge": small_models["judge"]}, small_mnist, EvidenceConfig(n_reference=200),
                  log=lambda *a: None)
    assert np.median(feature_ratio(ctx, ctx.reference)) == pytest.approx(1.0, abs=1e-6)
    assert np.allclose(feature_ratio(ctx, ctx.ruler.nn_train[:20]), 0.0, atol=1e-3)
    noise = np.random.default_rng(0).random((20, 28, 28)).astype(np.float32)
    assert np.median(feature_ratio(ctx, noise)) > 2.0
