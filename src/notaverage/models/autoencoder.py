"""A plain autoencoder: the default VAE's layout with no prior, no KL and a deterministic code."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from notaverage.models.blocks import NumpyFace, conv_decoder, conv_encoder


@dataclass
class AEConfig:
    latent_dim: int = 16
    channels: int = 16
    hidden: int = 256
    activation: str = "relu"
    image_size: int = 28

    def to_dict(self) -> dict:
        return asdict(self)


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Bernoulli negative log-likelihood summed over pixels, mean over the batch (nats per image)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]


class ConvAutoencoder(NumpyFace, nn.Module):
    kind = "ae"

    def __init__(self, config: AEConfig | None = None):
        super().__init__()
        self.config = c = config or AEConfig()
        self.encoder = nn.Sequential(
            conv_encoder(c.image_size, c.channels, c.hidden, c.activation), nn.Linear(c.hidden, c.latent_dim)
        )
        self.decoder = conv_decoder(c.image_size, c.channels, c.hidden, c.activation, c.latent_dim)

    def code_t(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode_logits_t(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return reconstruction_loss(self.decoder(self.encoder(x)), x)
