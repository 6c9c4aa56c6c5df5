"""Conv encoder/decoder stacks shared by the zoo's autoencoders, for 28x28 (MNIST) or 32x32 (lines)
images: the default VAE's layout (two stride-2 convs, one dense layer) with the image size free."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

BATCH = 4096  # inference chunk, as in models/tensors.py


def activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "identity":  # the no-activation ablation
        return nn.Identity()
    raise ValueError(f"unknown activation {name!r}; use 'relu' or 'identity'")


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


def to_tensor(images: np.ndarray, size: int) -> torch.Tensor:
    array = np.asarray(images, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    if array.shape[-2:] != (size, size) or len(array) == 0:
        raise ValueError(f"expected images of shape (N, {size}, {size}) with N >= 1, got {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array)).reshape(-1, 1, size, size)


class NumpyFace:
    """encode/decode on numpy arrays for torch autoencoders that define encode_t (-> code or (mu, logvar))
    and decode_logits_t; the same face as ConvVAE and PCAAutoencoder, so every tool takes every model."""

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> np.ndarray:
        x = to_tensor(images, self.config.image_size)
        codes = [self.code_t(chunk) for chunk in x.split(BATCH)]
        return torch.cat(codes).numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray) -> np.ndarray:
        size, latent = self.config.image_size, self.config.latent_dim
        zt = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, latent)
        out = torch.cat([torch.sigmoid(self.decode_logits_t(chunk)) for chunk in zt.split(BATCH)])
        return out.reshape(-1, size, size).numpy()
