"""What the zoo's autoencoders share, for 28x28 (MNIST) or 32x32 (lines) images: their common
hyperparameters (`ConvConfig`), the default VAE's layout (two stride-2 convs, one dense layer) with
the image size free, the authors' initialiser, a Gaussian posterior, and the numpy face.

Each model file (`autoencoder.py`, `beta_vae.py`, `cvae.py`, `acai.py`) subclasses `ConvConfig` with
its own knobs and `ConvCoder` with its heads and loss.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from notaverage.models.tensors import BATCH, images_to_tensor

SLOPE = 0.2  # leaky ReLU slope of Berthelot et al.'s networks (brain-research/acai, lib/layers.py)


@dataclass
class ConvConfig:
    latent_dim: int = 16
    channels: int = 16  # first conv width; the second is twice this
    hidden: int = 256
    # leaky ReLU, as in the ACAI authors' networks: with ReLU and torch's default initialisation the
    # codes started ~0.004 apart, and on lines ACAI sat on the "one mean image" plateau (2 of 3 seeds)
    activation: str = "leaky_relu"
    image_size: int = 28

    def to_dict(self) -> dict:
        return asdict(self)


def activation(name: str) -> nn.Module:
    if name == "leaky_relu":
        return nn.LeakyReLU(SLOPE)
    if name == "relu":
        return nn.ReLU()
    if name == "identity":  # the no-activation ablation
        return nn.Identity()
    raise ValueError(f"unknown activation {name!r}; use 'leaky_relu', 'relu' or 'identity'")


def conv_encoder(size: int, channels: int, hidden: int, act: str, in_channels: int = 1) -> nn.Sequential:
    """(N, in_channels, size, size) -> (N, hidden)."""
    side = size // 4
    return nn.Sequential(
        nn.Conv2d(in_channels, channels, 4, stride=2, padding=1),
        activation(act),
        nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1),
        activation(act),
        nn.Flatten(),
        nn.Linear(2 * channels * side * side, hidden),
        activation(act),
    )


def conv_decoder(size: int, channels: int, hidden: int, act: str, latent: int) -> nn.Sequential:
    """(N, latent) -> (N, 1, size, size) logits."""
    side = size // 4
    return nn.Sequential(
        nn.Linear(latent, hidden),
        activation(act),
        nn.Linear(hidden, 2 * channels * side * side),
        activation(act),
        nn.Unflatten(1, (2 * channels, side, side)),
        nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1),
        activation(act),
        nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),
    )


def authors_init(module: nn.Module) -> None:
    """Weights ~ N(0, 1 / ((1 + SLOPE^2) fan_in)), biases 0: the ACAI authors' initialiser, which keeps
    the signal's scale through the layers (torch's default shrinks it about 3x a layer). fan_in counts
    the inputs that reach one output: a stride-2 transposed conv sees a quarter of its kernel."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
            weight = layer.weight
            if isinstance(layer, nn.ConvTranspose2d):
                stride = layer.stride[0] * layer.stride[1]
                fan_in = weight.shape[0] * weight[0, 0].numel() / stride
            else:
                fan_in = weight[0].numel()
            nn.init.normal_(weight, 0.0, 1.0 / math.sqrt((1 + SLOPE**2) * fan_in))
            nn.init.zeros_(layer.bias)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)


def kl_to_prior(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over the code, mean over the batch (nats per image)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / mu.shape[0]


class ConvCoder(nn.Module):
    """A zoo autoencoder's shared wiring: `encoder` (image -> hidden features) and `decoder`
    (decoder_inputs numbers -> logits) in the config's layout. Subclasses add their heads, define
    `code_t` (the code other tools blend) and `loss`, then call `authors_init(self)`.

    The numpy face (`encode`/`decode` on arrays in [0, 1]) is the same as ConvVAE's and
    PCAAutoencoder's, so every tool takes every model."""

    def __init__(self, config: ConvConfig, decoder_inputs: int | None = None):
        super().__init__()
        self.config = c = config
        self.code_dim = decoder_inputs or c.latent_dim  # what `decode` takes
        self.encoder = conv_encoder(c.image_size, c.channels, c.hidden, c.activation)
        self.decoder = conv_decoder(c.image_size, c.channels, c.hidden, c.activation, self.code_dim)

    def decode_logits_t(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> np.ndarray:
        x = images_to_tensor(images, self.config.image_size)
        return torch.cat([self.code_t(chunk) for chunk in x.split(BATCH)]).numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray) -> np.ndarray:
        size = self.config.image_size
        zt = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, self.code_dim)
        out = torch.cat([torch.sigmoid(self.decode_logits_t(chunk)) for chunk in zt.split(BATCH)])
        return out.reshape(-1, size, size).numpy()
