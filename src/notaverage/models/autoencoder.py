"""A plain autoencoder: the zoo's conv layout with no prior, no KL and a deterministic code."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from notaverage.models.blocks import ConvCoder, ConvConfig, authors_init


@dataclass
class AEConfig(ConvConfig):
    pass


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Bernoulli negative log-likelihood summed over pixels, mean over the batch (nats per image)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]


class ConvAutoencoder(ConvCoder):
    kind = "ae"

    def __init__(self, config: AEConfig | None = None):
        super().__init__(config or AEConfig())
        self.to_code = nn.Linear(self.config.hidden, self.config.latent_dim)
        authors_init(self)

    def code_t(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_code(self.encoder(x))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return reconstruction_loss(self.decoder(self.code_t(x)), x)
