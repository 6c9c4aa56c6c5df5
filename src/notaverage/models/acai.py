"""Adversarially Constrained Autoencoder Interpolation (Berthelot et al., ICLR 2019).

A plain autoencoder plus a critic that sees decoded blends of two codes, z = a*z1 + (1-a)*z2 with
a ~ U(0, 1/2), and tries to recover a. The autoencoder is trained to reconstruct and to make the
critic answer 0 (a real-looking image) on its blends. Paper values: lambda = 0.5, gamma = 0.2 (the
critic also sees gamma*x + (1-gamma)*reconstruction, which it must score 0).

One optimizer can train both nets: each loss term reaches only its own network's parameters (the
autoencoder's term calls the critic with detached weights; the critic's terms see detached images),
and Adam's updates are per parameter, so this equals two Adam optimizers with one learning rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from notaverage.models.autoencoder import reconstruction_loss
from notaverage.models.blocks import ConvCoder, ConvConfig, authors_init, conv_encoder


@dataclass
class ACAIConfig(ConvConfig):
    weight: float = 0.5  # lambda: how much the autoencoder cares about fooling the critic
    gamma: float = 0.2  # critic regulariser mix


class ACAI(ConvCoder):
    kind = "acai"

    def __init__(self, config: ACAIConfig | None = None):
        super().__init__(config or ACAIConfig())
        c = self.config
        self.to_code = nn.Linear(c.hidden, c.latent_dim)
        # the critic has the encoder's layout and the authors' leaky ReLU (as in the paper), one output
        self.critic = nn.Sequential(
            conv_encoder(c.image_size, c.channels, c.hidden, "leaky_relu"), nn.Linear(c.hidden, 1)
        )
        authors_init(self)

    def code_t(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_code(self.encoder(x))

    def _frozen_critic(self, x: torch.Tensor) -> torch.Tensor:
        weights = {name: p.detach() for name, p in self.critic.named_parameters()}
        return functional_call(self.critic, weights, (x,))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        z = self.code_t(x)
        logits = self.decoder(z)
        recon = torch.sigmoid(logits)
        alpha = 0.5 - torch.abs(torch.rand(len(x), 1, device=x.device) - 0.5)  # U(0, 1/2)
        z_mix = alpha * z + (1 - alpha) * z.roll(1, dims=0)  # each code with its batch neighbour's
        mixed = torch.sigmoid(self.decoder(z_mix))
        fool = self._frozen_critic(mixed).pow(2).mean()
        # the paper's lambda weighs a per-pixel mean loss; ours sums over pixels, so the critic term does too
        autoencoder = reconstruction_loss(logits, x) + self.config.weight * fool * x[0].numel()
        g = self.config.gamma
        critic = (self.critic(mixed.detach()) - alpha).pow(2).mean() + self.critic(
            g * x + (1 - g) * recon.detach()
        ).pow(2).mean()
        return autoencoder + critic
