"""beta-VAE (Higgins et al., 2017): the VAE objective with the KL term weighted by beta.

beta = 1 is the ordinary VAE (the lines benchmark's "VAE" row). The zoo's documented value is
beta = 4: a stronger pull to the prior, trading reconstruction (distortion) for a smaller rate, the
value Higgins et al. use for their 2D-shapes experiments.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from notaverage.models.autoencoder import reconstruction_loss
from notaverage.models.blocks import NumpyFace, conv_decoder, conv_encoder


@dataclass
class BetaVAEConfig:
    beta: float = 4.0
    latent_dim: int = 16
    channels: int = 16
    hidden: int = 256
    activation: str = "relu"
    image_size: int = 28

    def to_dict(self) -> dict:
        return asdict(self)


class BetaVAE(NumpyFace, nn.Module):
    kind = "beta_vae"

    def __init__(self, config: BetaVAEConfig | None = None):
        super().__init__()
        self.config = c = config or BetaVAEConfig()
        self.encoder = conv_encoder(c.image_size, c.channels, c.hidden, c.activation)
        self.to_mu = nn.Linear(c.hidden, c.latent_dim)
        self.to_logvar = nn.Linear(c.hidden, c.latent_dim)
        self.decoder = conv_decoder(c.image_size, c.channels, c.hidden, c.activation, c.latent_dim)

    def encode_t(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(x)
        return self.to_mu(hidden), self.to_logvar(hidden)

    def code_t(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_t(x)[0]  # the posterior mean is the code we blend

    def decode_logits_t(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode_t(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.shape[0]
        return reconstruction_loss(self.decoder(z), x) + self.config.beta * kl
