"""Known-answer tests for the IWAE likelihood bound and the Fréchet distance."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from notaverage.metrics import dynamic_binarize, frechet_distance, iwae_nll

LATENT = 2


def _binary_digits(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    intensities = rng.random((n, 28, 28)).astype(np.float32) ** 3
    return dynamic_binarize(intensities, seed=seed)


def _constant_decoder(logits: torch.Tensor):
    """A decoder that ignores z: p(x|z) = p(x), so log p(x) is known exactly."""
    return lambda z: logits.expand(len(z), 1, 28, 28)


def _exact_nll(x: np.ndarray, logits: torch.Tensor) -> np.ndarray:
    lg = logits.double().numpy().reshape(28, 28)
    log_p1 = -np.logaddexp(0.0, -lg)  # log sigmoid(l)
    log_p0 = -np.logaddexp(0.0, lg)  # log (1 - sigmoid(l))
    return -(x * log_p1 + (1 - x) * log_p0).sum(axis=(1, 2))


def _fixed_encoder(mu: float, sigma: float):
    def encode(x):
        b = len(x)
        return torch.full((b, LATENT), mu), torch.full((b, LATENT), 2 * np.log(sigma))

    return encode


def test_dynamic_binarize_is_seeded_and_follows_intensity():
    images = np.full((200, 28, 28), 0.25, dtype=np.float32)
    a, b = dynamic_binarize(images, seed=7), dynamic_binarize(images, seed=7)
    assert np.array_equal(a, b) and a.dtype == np.float32
    assert set(np.unique(a)) == {0.0, 1.0}
    assert a.mean() == pytest.approx(0.25, abs=0.005)
    assert not np.array_equal(a, dynamic_binarize(images, seed=8))
    with pytest.raises(ValueError):
        dynamic_binarize(images * 5, seed=0)


@pytest.mark.parametrize("k", [1, 37])
def test_iwae_nll_is_exact_when_q_is_the_prior_and_decoder_ignores_z(k):
    x = _binary_digits(12)
    logits = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    nll = iwae_nll(_fixed_encoder(0.0, 1.0), _constant_decoder(logits), x, k=k, batch_size=5, sample_chunk=10)
    assert nll == pytest.approx(_exact_nll(x, logits), rel=1e-6)


def test_iwae_k1_gap_is_the_kl_and_large_k_closes_it():
    # Decoder ignores z, q = N(0.5, 1.3²) ≠ prior: E[NLL_k=1] = NLL + KL(q‖p) exactly, and the
    # importance-weighted bound approaches NLL as k grows (q wider than p keeps the weights tame).
    mu, sigma = 0.5, 1.3
    kl = LATENT * 0.5 * (sigma**2 + mu**2 - 1.0 - np.log(sigma**2))
    x = _binary_digits(2000, seed=1)
    logits = torch.zeros(1, 1, 28, 28)
    exact = _exact_nll(x, logits)
    enc, dec = _fixed_encoder(mu, sigma), _constant_decoder(logits)
    gap_k1 = iwae_nll(enc, dec, x, k=1, batch_size=500) - exact
    assert gap_k1.mean() == pytest.approx(kl, abs=0.02)
    gap_big = iwae_nll(enc, dec, x[:8], k=4000, batch_size=8, sample_chunk=1000) - exact[:8]
    assert np.all(np.abs(gap_big) < 0.05) and abs(gap_big.mean()) < 0.01


def test_iwae_bound_tightens_with_k_for_a_random_decoder():
    torch.manual_seed(0)
    decoder = torch.nn.Linear(LATENT, 784)
    proj = torch.randn(784, LATENT) * 0.05

    def encode(x):
        flat = x.reshape(len(x), -1) - 0.5
        return flat @ proj, torch.full((len(x), LATENT), -1.0)

    def decode(z):
        return 3.0 * decoder(z).reshape(-1, 1, 28, 28)

    x = _binary_digits(40, seed=2)
    nll_1 = iwae_nll(encode, decode, x, k=1, seed=0)
    nll_100 = iwae_nll(encode, decode, x, k=100, seed=0)
    assert nll_1.mean() > nll_100.mean() + 0.1
    assert np.all(np.isfinite(nll_100))
    assert np.array_equal(nll_100, iwae_nll(encode, decode, x, k=100, seed=0))  # seeded


def test_iwae_refuses_grey_images():
    with pytest.raises(ValueError):
        iwae_nll(
            _fixed_encoder(0, 1),
            _constant_decoder(torch.zeros(1, 1, 28, 28)),
            np.full((2, 28, 28), 0.5, dtype=np.float32),
        )


def _whitened(n: int, d: int, seed: int) -> np.ndarray:
    """Samples whose sample mean is exactly 0 and sample covariance exactly I."""
    x = np.random.default_rng(seed).normal(size=(n, d))
    x -= x.mean(axis=0)
    chol = np.linalg.cholesky(np.cov(x, rowvar=False))
    return x @ np.linalg.inv(chol).T


def test_frechet_distance_of_a_set_with_itself_is_zero():
    feats = np.random.default_rng(0).normal(size=(300, 16)) * np.linspace(0.5, 3, 16)
    assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_of_unit_gaussians_is_the_squared_mean_gap():
    m = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    a, b = _whitened(400, 5, 1), _whitened(300, 5, 2) + m
    assert frechet_distance(a, b) == pytest.approx(float(m @ m), rel=1e-6)


def test_frechet_distance_with_diagonal_covariances():
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    a = _whitened(500, 3, 3) * np.sqrt(var_a)
    b = _whitened(500, 3, 4) * np.sqrt(var_b) + 1.0
    expected = 3.0 + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_survives_fewer_samples_than_dimensions():
    rng = np.random.default_rng(5)
    value = frechet_distance(rng.normal(size=(6, 20)), rng.normal(size=(6, 20)))
    assert np.isfinite(value) and value > 0


def test_frechet_distance_is_exact_and_silent_for_singular_covariances():
    """Rank-5 covariances in 20 dimensions (5 samples; one constant feature): no warning, and the
    known answers: 0 for a set with itself, the squared mean gap for a shifted copy."""
    feats = np.random.default_rng(6).normal(size=(6, 20))
    feats[:, 3] = 0.25  # a pixel that never varies
    shift = np.linspace(-1, 1, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's LinAlgWarning (or any other) fails the test
        assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-9)
        assert frechet_distance(feats, feats + shift) == pytest.approx(float(shift @ shift), abs=1e-9)
