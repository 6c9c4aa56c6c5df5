"""The VAE's learned prior (a mixture of Gaussians), on known answers: its density, its samples,
and that the likelihood bound and the loss use it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from notaverage.metrics import iwae_nll, model_iwae_nll
from notaverage.models.vae import ConvVAE, MixturePrior, VAEConfig

SMALL = VAEConfig(latent_dim=4, channels=4, hidden=16)


def _set(prior: MixturePrior, means, logvars, weights) -> MixturePrior:
    with torch.no_grad():
        prior.means.copy_(torch.as_tensor(means, dtype=torch.float32))
        prior.logvars.copy_(torch.as_tensor(logvars, dtype=torch.float32))
        prior.logits.copy_(torch.log(torch.as_tensor(weights, dtype=torch.float32)))
    return prior


def test_mixture_density_matches_the_formula():
    means, variances = np.array([[-2.0, 0.0], [3.0, 1.0]]), np.array([[1.0, 0.25], [4.0, 1.0]])
    weights = [0.3, 0.7]
    prior = _set(MixturePrior(2, 2), means, np.log(variances), weights)
    z = np.array([[0.0, 0.0], [-2.0, 0.1], [3.5, -1.0]])
    expected = np.log(sum(
        w * np.prod(np.exp(-0.5 * (z - m) ** 2 / v) / np.sqrt(2 * math.pi * v), axis=1)
        for w, m, v in zip(weights, means, variances, strict=True)))
    got = prior.log_prob(torch.as_tensor(z, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_mixture_samples_follow_the_weights_and_the_seed():
    prior = _set(MixturePrior(2, 3), [[-10.0] * 3, [10.0] * 3], np.zeros((2, 3)), [0.8, 0.2])
    z = prior.sample(5000, seed=7).numpy()
    assert (z[:, 0] < 0).mean() == pytest.approx(0.8, abs=0.02)  # binomial sd 0.006
    assert (z[z[:, 0] < 0] + 10).std() == pytest.approx(1.0, abs=0.05)
    assert np.array_equal(z, prior.sample(5000, seed=7).numpy())
    assert not np.array_equal(z, prior.sample(5000, seed=8).numpy())


def _full_prior(seed: int) -> MixturePrior:
    """A full-covariance mixture of 3 components in 4-d with every parameter drawn at random."""
    prior = MixturePrior(3, 4, full=True)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in prior.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    return prior


def test_full_covariance_density_matches_the_multivariate_normal_formula():
    prior = _full_prior(0)
    u = prior.precision_factor().detach().double().numpy()
    covariances = np.linalg.inv(u @ u.transpose(0, 2, 1))  # S_k = (U_k U_k^T)^-1
    weights = torch.softmax(prior.logits, 0).detach().double().numpy()
    means = prior.means.detach().double().numpy()
    z = np.random.default_rng(1).normal(size=(6, 4))

    def density(x, mean, cov):
        diff = x - mean
        return np.exp(-0.5 * np.einsum("nd,de,ne->n", diff, np.linalg.inv(cov), diff)) / np.sqrt(
            np.linalg.det(2 * math.pi * cov))

    expected = np.log(sum(w * density(z, m, c) for w, m, c in zip(weights, means, covariances, strict=True)))
    got = prior.log_prob(torch.as_tensor(z, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_full_covariance_samples_have_the_component_covariance():
    prior = _full_prior(2)
    with torch.no_grad():
        prior.logits.copy_(torch.tensor([0.0, -50.0, -50.0]))  # one component carries all the weight
    u = prior.precision_factor()[0].detach().double().numpy()
    covariance = np.linalg.inv(u @ u.T)
    z = prior.sample(100_000, seed=3).double().numpy()
    np.testing.assert_allclose(np.cov(z.T), covariance, atol=0.05 * np.abs(covariance).max())
    np.testing.assert_allclose(z.mean(0), prior.means[0].detach().numpy(), atol=0.05)


def test_a_full_mixture_with_zero_off_diagonal_is_the_diagonal_one_and_keeps_old_cache_keys():
    full, diagonal = _full_prior(4), MixturePrior(3, 4)
    with torch.no_grad():
        full.off_diagonal.zero_()
        for name in ("means", "logvars", "logits"):
            getattr(diagonal, name).copy_(getattr(full, name))
    z = torch.randn(10, 4, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(full.log_prob(z), diagonal.log_prob(z))
    assert "prior_covariance" not in VAEConfig().to_dict()  # caches of diagonal models stay valid
    assert VAEConfig(prior_components=2, prior_covariance="full").to_dict()["prior_covariance"] == "full"
    assert "prior_covariance" not in VAEConfig(prior_covariance="full").to_dict()  # no mixture: no meaning
    with pytest.raises(ValueError, match="prior_covariance"):
        ConvVAE(VAEConfig(prior_components=2, prior_covariance="cholesky"))


def _twins() -> tuple[ConvVAE, ConvVAE]:
    """The same network with the N(0, I) prior, and with a one-component mixture set to N(0, I)."""
    torch.manual_seed(0)
    plain = ConvVAE(SMALL)
    mixture = ConvVAE(VAEConfig(**{**SMALL.to_dict(), "prior_components": 1}))
    mixture.load_state_dict({**plain.state_dict(), **{f"prior.{k}": v for k, v in _set(
        MixturePrior(1, 4), [[0.0] * 4], [[0.0] * 4], [1.0]).state_dict().items()}})
    return plain.eval(), mixture.eval()


def test_a_standard_normal_mixture_gives_the_same_bound_and_loss_as_the_plain_prior():
    plain, mixture = _twins()
    x = torch.bernoulli(torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(1)))
    binary = x.reshape(-1, 28, 28).numpy()
    np.testing.assert_allclose(model_iwae_nll(mixture, binary, k=20), model_iwae_nll(plain, binary, k=20),
                               rtol=1e-6)
    # the loss: exact KL for the plain prior, a one-sample estimate for the mixture; equal on
    # average (the same seed gives both the same z, so they differ only in the KL term), within 3 SE
    torch.manual_seed(2)
    estimates = torch.stack([mixture.loss(x).detach() for _ in range(100)])
    torch.manual_seed(2)
    exact = torch.stack([plain.loss(x).detach() for _ in range(100)])
    gap = estimates - exact
    assert float(gap.mean()) == pytest.approx(0.0, abs=3 * float(gap.std()) / 10)


def test_the_bound_uses_the_learned_prior():
    """Moving the mixture away from the codes must raise the NLL the bound reports; the plain
    N(0, I) bound of the same network does not move."""
    plain, mixture = _twins()
    binary = torch.bernoulli(torch.rand(6, 28, 28, generator=torch.Generator().manual_seed(3))).numpy()
    before = model_iwae_nll(mixture, binary, k=20).mean()
    with torch.no_grad():
        mixture.prior.means.fill_(5.0)
    after = model_iwae_nll(mixture, binary, k=20).mean()
    assert after > before + 10
    ignoring_prior = iwae_nll(mixture.encode_t, mixture.decode_logits_t, binary, k=20).mean()
    assert ignoring_prior == pytest.approx(before, rel=1e-6)


def test_the_ablation_differs_from_the_vae_only_in_its_nonlinearities():
    """The no-activation VAE keeps every width of the default VAE; it drops the hidden activations
    and the mixture prior (a mixture of linear models is not linear), nothing else."""
    from dataclasses import replace

    from notaverage.models.registry import ABLATION, MODELS, VAE

    ablation = MODELS[ABLATION].config
    assert (ablation.activation, ablation.prior_components) == ("identity", 0)
    assert VAE.prior_components > 0
    assert replace(ablation, activation=VAE.activation, prior_components=VAE.prior_components) == VAE


def test_a_preset_changes_the_vae_and_its_ablation_alike_and_nothing_else():
    """`presets.MODEL_CHANGES`: the quality preset's deeper decoder reaches the VAE and the
    no-activation VAE (so the ablation still differs only in its nonlinearities and prior); the
    fast preset and the zoo's models stay as the registry has them, and the quality VAE gets its
    own cache folder. Every preset's VAE has full covariances in its mixture; the ablation none."""
    from dataclasses import replace

    from notaverage.data import load_sample
    from notaverage.models.registry import ABLATION, MODELS
    from notaverage.zoo import model_config, model_folder

    vae, ablation = model_config("vae", "quality"), model_config(ABLATION, "quality")
    assert vae.decoder_extra == ablation.decoder_extra == 2
    assert replace(ablation, activation=vae.activation, prior_components=vae.prior_components) == vae
    assert model_config("vae", "fast") == MODELS["vae"].config and MODELS["vae"].config.decoder_extra == 0
    assert model_config("beta_vae", "quality") == MODELS["beta_vae"].config
    deeper = ConvVAE(vae)
    assert deeper.prior.off_diagonal is not None and ConvVAE(ablation).prior is None
    assert ConvVAE(model_config("vae", "fast")).prior.off_diagonal is not None
    convs = [m for m in deeper.decoder if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 2 and all(c.kernel_size == (3, 3) for c in convs)
    data = load_sample().subset(300, 100, seed=0)
    fast, fast_payload = model_folder("vae", "fast", data, 0)
    quality, quality_payload = model_folder("vae", "quality", data, 0)
    assert fast != quality and quality_payload["model"]["decoder_extra"] == 2
    assert fast_payload["model"]["decoder_extra"] == 0
