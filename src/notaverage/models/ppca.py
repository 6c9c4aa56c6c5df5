"""Probabilistic PCA (Tipping & Bishop 1999): a linear-Gaussian latent model, the report's second
ablation. x = W z + mu + noise, z ~ N(0, I), noise ~ N(0, sigma² I): no nonlinearity anywhere,
and a Gaussian output (identity link) where the VAE has a Bernoulli output (sigmoid link).

Encoding is the posterior mean E[z | x] = M⁻¹ Wᵀ (x − mu), M = WᵀW + sigma² I; decoding is W z + mu.
Both are affine, so a latent path decodes to exactly the pixel blend of the two reconstructions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.decomposition import PCA


@dataclass
class PPCAConfig:
    latent_dim: int = 16  # the VAE's code size

    def to_dict(self) -> dict:
        return asdict(self)


class ProbabilisticPCA:
    """scikit-learn style: hyperparameters in __init__, fitted state ends in `_`."""

    kind = "ppca"
    output_link = "Gaussian (identity)"

    def __init__(self, config: PPCAConfig | None = None):
        self.config = config or PPCAConfig()

    def fit(self, images: np.ndarray, seed: int = 0) -> ProbabilisticPCA:
        flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
        pca = PCA(n_components=self.config.latent_dim, svd_solver="randomized", random_state=seed).fit(flat)
        # Maximum-likelihood solution: W = U (Λ − σ² I)^½, σ² = mean of the discarded eigenvalues.
        self.noise_variance_ = float(pca.noise_variance_)
        scale = np.sqrt(np.maximum(pca.explained_variance_ - self.noise_variance_, 0.0))
        self.weights_ = (pca.components_.T * scale).astype(np.float64)  # (784, latent_dim)
        self.mean_ = pca.mean_.astype(np.float64)
        m = self.weights_.T @ self.weights_ + self.noise_variance_ * np.eye(self.config.latent_dim)
        self.encoder_ = np.linalg.solve(m, self.weights_.T)  # (latent_dim, 784): M⁻¹ Wᵀ
        return self

    def encode(self, images: np.ndarray) -> np.ndarray:
        flat = np.asarray(images, dtype=np.float64).reshape(-1, 784)
        return ((flat - self.mean_) @ self.encoder_.T).astype(np.float32)

    def decode(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64).reshape(-1, self.config.latent_dim)
        return (z @ self.weights_.T + self.mean_).reshape(-1, 28, 28).astype(np.float32)
