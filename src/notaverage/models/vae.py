"""A convolutional VAE: the generative model whose latent blends we compare with pixel averages.

Shape and size were chosen by measurement (docs/RESULTS.md, ablation table): at a fixed CPU budget
the widths of the shared reference recipe (32/64 channels, dense 256) with SiLU, plus one more
3x3 convolution at each decoder resolution, reach a lower test NLL than narrower or deeper variants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

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

    def to_dict(self) -> dict:
        return asdict(self)


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; use one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


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

    # --- torch face, used by training and the NLL bound -------------------------------------
    def encode_t(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(x)
        return self.to_mu(hidden), self.to_logvar(hidden)

    def decode_logits_t(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode_t(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)  # reparameterisation trick
        return self.decode_logits_t(z), mu, logvar

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Negative ELBO per image, in nats (Bernoulli likelihood, standard normal prior)."""
        logits, mu, logvar = self(x)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (recon + kl) / x.shape[0]
