"""The linear baseline: an autoencoder whose latent space is PCA.

Its decoder is affine, decode(z) = z @ components_ + mean_, so decoding a straight line between two
codes gives exactly the pixel blend of the two reconstructions: this model *is* averaging.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.decomposition import PCA


@dataclass
class LinearConfig:
    latent_dim: int = 16  # the same size as the VAE, so the comparison is like for like

    def to_dict(self) -> dict:
        return asdict(self)


class PCAAutoencoder:
    """scikit-learn style: hyperparameters in __init__, fitted state ends in `_`."""

    kind = "linear"

    def __init__(self, config: LinearConfig | None = None):
        self.config = config or LinearConfig()

    def fit(self, images: np.ndarray, seed: int = 0) -> PCAAutoencoder:
        flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
        pca = PCA(n_components=self.config.latent_dim, svd_solver="randomized", random_state=seed)
        pca.fit(flat)
        # (latent_dim, 784), orthonormal rows; C order, because safetensors writes the raw buffer
        self.components_ = np.ascontiguousarray(pca.components_, dtype=np.float32)
        self.mean_ = pca.mean_.astype(np.float32)  # (784,)
        self.explained_variance_ratio_ = pca.explained_variance_ratio_.astype(np.float32)
        return self

    def encode(self, images: np.ndarray) -> np.ndarray:
        flat = np.asarray(images, dtype=np.float32).reshape(-1, 784)
        return (flat - self.mean_) @ self.components_.T

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Affine and unclipped: clipping to [0, 1] would break the blend identity (clip for display)."""
        z = np.asarray(z, dtype=np.float32).reshape(-1, self.config.latent_dim)
        return (z @ self.components_ + self.mean_).reshape(-1, 28, 28)

    # --- tensors for the safetensors store -------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        state = {
            "components": self.components_,
            "mean": self.mean_,
            "explained_variance_ratio": self.explained_variance_ratio_,
        }
        return {name: np.ascontiguousarray(value) for name, value in state.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.components_ = np.asarray(state["components"], dtype=np.float32)
        self.mean_ = np.asarray(state["mean"], dtype=np.float32)
        self.explained_variance_ratio_ = np.asarray(state["explained_variance_ratio"], dtype=np.float32)
