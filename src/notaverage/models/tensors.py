"""The one conversion every torch model needs: numpy images (N, S, S) to a (N, 1, S, S) tensor
(S = 28 for MNIST, 32 for the lines benchmark), and the numpy face of the MNIST Gaussian VAEs."""

from __future__ import annotations

import math

import numpy as np
import torch

BATCH = 4096  # inference chunk: bounds memory without slowing small calls


def images_to_tensor(images: np.ndarray, size: int = 28) -> torch.Tensor:
    array = np.asarray(images, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    if array.shape[-2:] != (size, size) or len(array) == 0:
        raise ValueError(f"expected images of shape (N, {size}, {size}) with N >= 1, got {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array)).reshape(-1, 1, size, size)


class GaussianVAENumpyFace:
    """`encode`/`decode` on numpy arrays for a 28x28 VAE whose `encode_t` gives (mu, logvar) and whose
    `decode_logits_t` gives Bernoulli logits: the face every tool (blends, metrics, report) calls.

    The prior is N(0, I) unless the model overrides `log_prior_t` and `sample_codes`."""

    prior_name = "N(0, I)"

    def log_prior_t(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) summed over the last axis: the prior's density, which the NLL bound needs."""
        return -0.5 * (math.log(2.0 * math.pi) + z.pow(2)).sum(dim=-1)

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        """n seeded draws from the prior, (n, latent_dim) float32."""
        return np.random.default_rng(seed).standard_normal((n, self.config.latent_dim)).astype(np.float32)

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> np.ndarray:
        """Posterior means (N, latent_dim) for float images (N, 28, 28) in [0, 1]."""
        x = images_to_tensor(images)
        return torch.cat([self.encode_t(chunk)[0] for chunk in x.split(BATCH)]).numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray) -> np.ndarray:
        """Mean images sigmoid(logits), (N, 28, 28), for latent codes (N, latent_dim)."""
        zt = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, self.config.latent_dim)
        out = torch.cat([torch.sigmoid(self.decode_logits_t(chunk)) for chunk in zt.split(BATCH)])
        return out.reshape(-1, 28, 28).numpy()
