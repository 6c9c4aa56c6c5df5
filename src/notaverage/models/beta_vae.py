"""beta-VAE (Higgins et al., 2017): the VAE objective with the KL term weighted by beta.

beta = 1 is the ordinary VAE (the lines benchmark's "VAE" row). The zoo's documented value is
beta = 4: a stronger pull to the prior, trading reconstruction (distortion) for a smaller rate, the
value Higgins et al. use for their 2D-shapes experiments.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from notaverage.models.autoencoder import reconstruction_loss
from notaverage.models.blocks import ConvCoder, ConvConfig, authors_init, kl_to_prior, reparameterize


@dataclass
class BetaVAEConfig(ConvConfig):
    beta: float = 4.0


class BetaVAE(ConvCoder):
    kind = "beta_vae"

    def __init__(self, config: BetaVAEConfig | None = None):
        super().__init__(config or BetaVAEConfig())
        self.to_mu = nn.Linear(self.config.hidden, self.config.latent_dim)
        self.to_logvar = nn.Linear(self.config.hidden, self.config.latent_dim)
        authors_init(self)

    def encode_t(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(x)
        return self.to_mu(hidden), self.to_logvar(hidden)

    def code_t(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_t(x)[0]  # the posterior mean is the code we blend

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode_t(x)
        logits = self.decoder(reparameterize(mu, logvar))
        return reconstruction_loss(logits, x) + self.config.beta * kl_to_prior(mu, logvar)
