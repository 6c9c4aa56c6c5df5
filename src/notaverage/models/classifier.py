"""A CNN that recognises digits. The judge used by the metrics is another instance of this file's
class with a different architecture setting and seed, trained separately."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from notaverage.models.tensors import BATCH, images_to_tensor


@dataclass
class ClassifierConfig:
    channels: int = 16  # conv widths are channels, 2*channels
    kernel: int = 5
    hidden: int = 128
    dropout: float = 0.25

    def to_dict(self) -> dict:
        return asdict(self)


def _block(c_in: int, c_out: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


class CNNClassifier(nn.Module):
    """Two conv-BN-ReLU-pool blocks (28 -> 14 -> 7), a dense layer, then 10 logits."""

    kind = "classifier"

    def __init__(self, config: ClassifierConfig | None = None):
        super().__init__()
        self.config = config or ClassifierConfig()
        c, k = self.config.channels, self.config.kernel
        self.body = nn.Sequential(_block(1, c, k), _block(c, 2 * c, k), nn.Flatten())
        self.hidden = nn.Linear(2 * c * 7 * 7, self.config.hidden)
        self.dropout = nn.Dropout(self.config.dropout)
        self.head = nn.Linear(self.config.hidden, 10)

    def features_t(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.hidden(self.body(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features_t(x)))

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self(x), y)

    @torch.no_grad()
    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 10) for float images (N, 28, 28) in [0, 1]."""
        self.eval()
        x = images_to_tensor(images)
        return torch.cat([F.softmax(self(chunk), dim=1) for chunk in x.split(BATCH)]).numpy()

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.predict_proba(images).argmax(axis=1)

    @torch.no_grad()
    def features(self, images: np.ndarray) -> np.ndarray:
        """Penultimate-layer activations (N, hidden): the feature space of our Fréchet distance."""
        self.eval()
        x = images_to_tensor(images)
        return torch.cat([self.features_t(chunk) for chunk in x.split(BATCH)]).numpy()
