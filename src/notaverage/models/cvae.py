"""Conditional VAE (Sohn et al., 2015): the decoder takes the class, so "draw a new 4" is direct.

The encoder gives q(z | x) (the class is not an input, so any image can be encoded) and a class
head q(y | x), trained with cross-entropy on the labels. The decoder reads [z, y]: y is the one-hot
label in training. The code other tools see is [mu, q(y | x)] (latent_dim + 10 numbers), so a
straight blend between a 3 and an 8 also blends the class input; `sample_class` decodes z ~ N(0, I)
with a chosen class.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from notaverage.models.autoencoder import reconstruction_loss
from notaverage.models.blocks import NumpyFace, conv_decoder, conv_encoder

CLASSES = 10


@dataclass
class CVAEConfig:
    latent_dim: int = 16
    channels: int = 16
    hidden: int = 256
    activation: str = "relu"
    image_size: int = 28
    class_weight: float = 1.0  # weight of the class head's cross-entropy

    def to_dict(self) -> dict:
        return asdict(self)


class ConditionalVAE(NumpyFace, nn.Module):
    kind = "cvae"

    def __init__(self, config: CVAEConfig | None = None):
        super().__init__()
        self.config = c = config or CVAEConfig()
        self.encoder = conv_encoder(c.image_size, c.channels, c.hidden, c.activation)
        self.to_mu = nn.Linear(c.hidden, c.latent_dim)
        self.to_logvar = nn.Linear(c.hidden, c.latent_dim)
        self.to_class = nn.Linear(c.hidden, CLASSES)
        self.decoder = conv_decoder(c.image_size, c.channels, c.hidden, c.activation, c.latent_dim + CLASSES)

    @property
    def code_dim(self) -> int:
        return self.config.latent_dim + CLASSES

    def code_t(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(x)
        return torch.cat([self.to_mu(hidden), F.softmax(self.to_class(hidden), dim=1)], dim=1)

    def decode_logits_t(self, code: torch.Tensor) -> torch.Tensor:
        return self.decoder(code)  # code = [z, class vector]

    @torch.no_grad()
    def decode(self, codes: np.ndarray) -> np.ndarray:
        size = self.config.image_size
        zt = torch.as_tensor(np.asarray(codes, dtype=np.float32)).reshape(-1, self.code_dim)
        return torch.sigmoid(self.decoder(zt)).reshape(-1, size, size).numpy()

    def sample_class(self, digit: int, n: int, seed: int = 0) -> np.ndarray:
        z = np.random.default_rng(seed).standard_normal((n, self.config.latent_dim)).astype(np.float32)
        onehot = np.zeros((n, CLASSES), np.float32)
        onehot[:, digit] = 1
        return self.decode(np.concatenate([z, onehot], axis=1))

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(x)
        mu, logvar = self.to_mu(hidden), self.to_logvar(hidden)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logits = self.decoder(torch.cat([z, F.one_hot(y, CLASSES).float()], dim=1))
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.shape[0]
        class_loss = F.cross_entropy(self.to_class(hidden), y)
        return reconstruction_loss(logits, x) + kl + self.config.class_weight * class_loss
