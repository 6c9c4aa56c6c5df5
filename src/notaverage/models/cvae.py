"""Conditional VAE (Sohn et al., 2015): the decoder takes the class, so "draw a new 4" is direct.

The encoder gives q(z | x) (the class is not an input, so any image can be encoded) and a class
head q(y | x), trained with cross-entropy on the labels. The decoder reads [z, y]: y is the one-hot
label in training. The code other tools see is [mu, q(y | x)] (latent_dim + 10 numbers), so a
straight blend between a 3 and an 8 also blends the class input; `sample_class` decodes z ~ N(0, I)
with a chosen class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from notaverage.models.autoencoder import reconstruction_loss
from notaverage.models.blocks import ConvCoder, ConvConfig, authors_init, kl_to_prior, reparameterize

CLASSES = 10


@dataclass
class CVAEConfig(ConvConfig):
    class_weight: float = 1.0  # weight of the class head's cross-entropy


class ConditionalVAE(ConvCoder):
    kind = "cvae"

    def __init__(self, config: CVAEConfig | None = None):
        config = config or CVAEConfig()
        super().__init__(config, decoder_inputs=config.latent_dim + CLASSES)  # the code is [z, class]
        self.to_mu = nn.Linear(config.hidden, config.latent_dim)
        self.to_logvar = nn.Linear(config.hidden, config.latent_dim)
        self.to_class = nn.Linear(config.hidden, CLASSES)
        authors_init(self)

    def code_t(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(x)
        return torch.cat([self.to_mu(hidden), F.softmax(self.to_class(hidden), dim=1)], dim=1)

    def sample_class(self, digit: int, n: int, seed: int = 0) -> np.ndarray:
        z = np.random.default_rng(seed).standard_normal((n, self.config.latent_dim)).astype(np.float32)
        onehot = np.zeros((n, CLASSES), np.float32)
        onehot[:, digit] = 1
        return self.decode(np.concatenate([z, onehot], axis=1))

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(x)
        mu, logvar = self.to_mu(hidden), self.to_logvar(hidden)
        logits = self.decoder(torch.cat([reparameterize(mu, logvar), F.one_hot(y, CLASSES).float()], dim=1))
        class_loss = F.cross_entropy(self.to_class(hidden), y)
        kl = kl_to_prior(mu, logvar)
        return reconstruction_loss(logits, x) + kl + self.config.class_weight * class_loss
