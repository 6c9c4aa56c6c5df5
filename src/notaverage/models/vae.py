"""A convolutional VAE: the generative model whose latent blends we compare with pixel averages.

Shape and size were chosen by measurement (docs/RESULTS.md, ablation table): at a fixed CPU budget
the widths of the shared reference recipe (32/64 channels, dense 256) with SiLU reach a lower test
NLL than narrower or deeper variants, and a learned prior (a mixture of Gaussians, trained with the
rest) gains about 2 nats over N(0, I) at the same budget and makes prior samples read as digits.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from notaverage.models.tensors import GaussianVAENumpyFace

ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "identity": nn.Identity}


@dataclass
class VAEConfig:
    latent_dim: int = 16
    channels: int = 16  # first conv width; the second is twice this
    hidden: int = 256
    activation: str = "relu"  # "identity" removes every nonlinearity (the report's ablation)
    decoder_extra: int = 0  # extra 3x3 convolutions in the decoder at 14x14 (a stronger decoder)
    prior_components: int = 0  # 0: the prior is N(0, I); K > 0: a learned mixture of K Gaussians
    prior_covariance: str = "diagonal"  # the mixture's components: "diagonal" or "full" covariance

    def to_dict(self) -> dict:
        values = asdict(self)
        # left out when it is the default or means nothing (no mixture), so that cache keys made
        # before this field existed, and the no-activation VAE's under any preset, still find their models
        if values["prior_covariance"] == "diagonal" or not values["prior_components"]:
            del values["prior_covariance"]
        return values


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; use one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def _gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * (math.log(2.0 * math.pi) + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(dim=-1)


class MixturePrior(nn.Module):
    """p(z) = sum_k w_k N(z; m_k, S_k), every parameter learned with the VAE. S_k is diagonal,
    diag(exp(s_k)), or with `full=True` any covariance, held as the Cholesky factor U_k of its
    inverse (S_k^-1 = U_k U_k^T, U_k upper triangular with diagonal exp(-s_k / 2)).

    Why: N(0, I) forces the codes of ten digit classes into one round blob, which costs nats (the
    KL term pays for the mismatch) and leaves holes that decode to smudges. A mixture lets the prior
    follow the codes (the MoG baseline of Tomczak & Welling's VampPrior paper, 2018); with K = 100 it
    costs nothing measurable per step, unlike the VampPrior's encoder pass over pseudo-inputs. Full
    covariances follow codes whose dimensions are correlated within a component (RESULTS)."""

    def __init__(self, components: int, latent_dim: int, full: bool = False):
        super().__init__()
        self.means = nn.Parameter(0.5 * torch.randn(components, latent_dim))
        self.logvars = nn.Parameter(torch.zeros(components, latent_dim))
        self.logits = nn.Parameter(torch.zeros(components))
        # the strictly upper part of U_k, starting at zero: the diagonal mixture
        self.off_diagonal = nn.Parameter(torch.zeros(components, latent_dim, latent_dim)) if full else None

    def precision_factor(self) -> torch.Tensor:
        """U_k, (K, d, d): S_k^-1 = U_k U_k^T."""
        return torch.diag_embed(torch.exp(-0.5 * self.logvars)) + torch.triu(self.off_diagonal, diagonal=1)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        if self.off_diagonal is None:
            per_component = _gaussian_log_density(z.unsqueeze(-2), self.means, self.logvars)
        else:  # log N(z; m, S) = -(d log 2 pi + log det S + |(z - m) U|^2) / 2, log det S = sum s
            whitened = torch.einsum("...kd,kde->...ke", z.unsqueeze(-2) - self.means, self.precision_factor())
            per_component = -0.5 * (math.log(2.0 * math.pi) * z.shape[-1] + self.logvars.sum(-1)
                                    + whitened.pow(2).sum(-1))
        return torch.logsumexp(per_component + torch.log_softmax(self.logits, dim=0), dim=-1)

    @torch.no_grad()
    def sample(self, n: int, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        which = torch.multinomial(torch.softmax(self.logits, dim=0), n, replacement=True, generator=generator)
        noise = torch.randn((n, self.means.shape[1]), generator=generator)
        if self.off_diagonal is None:
            return self.means[which] + torch.exp(0.5 * self.logvars[which]) * noise
        # z - m = noise U^-1 has covariance U^-T U^-1 = S
        offsets = torch.linalg.solve_triangular(self.precision_factor()[which], noise.unsqueeze(1),
                                                upper=True, left=False)
        return self.means[which] + offsets.squeeze(1)


class ConvVAE(GaussianVAENumpyFace, nn.Module):
    """Encoder: two stride-2 convs and a dense layer to (mu, logvar). Decoder mirrors it, with
    `decoder_extra` more 3x3 convs at 14x14. The decoder outputs Bernoulli logits."""

    kind = "vae"

    def __init__(self, config: VAEConfig | None = None):
        super().__init__()
        self.config = config or VAEConfig()
        c, h, z = self.config.channels, self.config.hidden, self.config.latent_dim

        def act() -> nn.Module:
            return _activation(self.config.activation)

        # extra 3x3 convs at 14x14: more decoder capacity where it is cheap (at 28x28 one costs 4x more)
        extra = [m for _ in range(self.config.decoder_extra) for m in (nn.Conv2d(c, c, 3, padding=1), act())]
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 4, stride=2, padding=1), act(),  # 28 -> 14
            nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), act(),  # 14 -> 7
            nn.Flatten(),
            nn.Linear(2 * c * 7 * 7, h), act(),
        )
        self.to_mu = nn.Linear(h, z)
        self.to_logvar = nn.Linear(h, z)
        self.decoder = nn.Sequential(
            nn.Linear(z, h), act(),
            nn.Linear(h, 2 * c * 7 * 7), act(),
            nn.Unflatten(1, (2 * c, 7, 7)),
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), act(),  # 7 -> 14
            *extra,
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1),  # 14 -> 28, logits
        )
        k = self.config.prior_components
        covariance = self.config.prior_covariance
        if covariance not in ("diagonal", "full"):
            raise ValueError(f"unknown prior_covariance {covariance!r}; use 'diagonal' or 'full'")
        full = covariance == "full"
        self.prior = MixturePrior(k, z, full=full) if k else None
        if k:
            self.prior_name = f"a learned mixture of {k} {'full-covariance ' if full else ''}Gaussians"

    # --- torch face, used by training and the NLL bound -------------------------------------
    def encode_t(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(x)
        return self.to_mu(hidden), self.to_logvar(hidden)

    def decode_logits_t(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def log_prior_t(self, z: torch.Tensor) -> torch.Tensor:
        return super().log_prior_t(z) if self.prior is None else self.prior.log_prob(z)

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        return super().sample_codes(n, seed) if self.prior is None else self.prior.sample(n, seed).numpy()

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Negative ELBO per image, in nats (Bernoulli likelihood). The KL term is exact for the
        N(0, I) prior; for the mixture it has no closed form and is the one-sample estimate
        log q(z|x) - log p(z) at the z that was decoded."""
        mu, logvar = self.encode_t(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)  # reparameterisation trick
        recon = F.binary_cross_entropy_with_logits(self.decode_logits_t(z), x, reduction="sum")
        if self.prior is None:
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        else:
            kl = torch.sum(_gaussian_log_density(z, mu, logvar) - self.prior.log_prob(z))
        return (recon + kl) / x.shape[0]
