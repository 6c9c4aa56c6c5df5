"""The reference recipe's VAE: the bar the report's likelihood verdict compares the default VAE with.

Written from the description of the shared reference script (`anchor_vae.py`, recipe "conv"), so
that the report and `benchmarks/quality_vs_time.py` need no file outside this package: two stride-2
convolutions (32 and 64 channels) and a dense layer of 256, all SiLU, to (mu, logvar) of a 32-d code;
a mirrored decoder giving Bernoulli logits; trained on dynamically binarised MNIST with Adam at a
constant 1e-3, batch 128, no schedule (`presets.reference_recipe`).

It differs from `models/vae.py` on purpose only where the recipe says so; the architecture is the
recipe's, kept here unchanged even if the default VAE's configuration moves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from notaverage.models.tensors import GaussianVAENumpyFace


@dataclass
class ReferenceVAEConfig:
    latent_dim: int = 32
    channels: int = 32  # first conv width; the second is twice this
    hidden: int = 256

    def to_dict(self) -> dict:
        return asdict(self)


class ReferenceVAE(GaussianVAENumpyFace, nn.Module):
    """Encoder: conv 4x4/2 (c) - SiLU - conv 4x4/2 (2c) - SiLU - dense h - SiLU - dense 2z (mu, logvar).
    Decoder: dense h - SiLU - dense 2c*7*7 - SiLU - deconv 4x4/2 (c) - SiLU - deconv 4x4/2 (1), logits."""

    kind = "reference_vae"

    def __init__(self, config: ReferenceVAEConfig | None = None):
        super().__init__()
        self.config = config or ReferenceVAEConfig()
        c, h, z = self.config.channels, self.config.hidden, self.config.latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 4, 2, 1), nn.SiLU(), nn.Conv2d(c, 2 * c, 4, 2, 1), nn.SiLU(), nn.Flatten(),
            nn.Linear(2 * c * 49, h), nn.SiLU(), nn.Linear(h, 2 * z))
        self.decoder = nn.Sequential(
            nn.Linear(z, h), nn.SiLU(), nn.Linear(h, 2 * c * 49), nn.SiLU(),
            nn.Unflatten(1, (2 * c, 7, 7)), nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.SiLU(),
            nn.ConvTranspose2d(c, 1, 4, 2, 1))

    # --- torch face: training and the NLL bound ---------------------------------------------
    def encode_t(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def decode_logits_t(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Negative ELBO per image, in nats (Bernoulli likelihood, standard normal prior)."""
        mu, logvar = self.encode_t(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        recon = F.binary_cross_entropy_with_logits(self.decode_logits_t(z), x, reduction="sum")
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()
        return (recon + kl) / len(x)
