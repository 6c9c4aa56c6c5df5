"""The one conversion every torch model needs: numpy images (N, 28, 28) to a (N, 1, 28, 28) tensor."""

from __future__ import annotations

import numpy as np
import torch

BATCH = 4096  # inference chunk: bounds memory without slowing small calls


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    array = np.asarray(images, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    if array.shape[-2:] != (28, 28) or len(array) == 0:
        raise ValueError(f"expected images of shape (N, 28, 28) with N >= 1, got {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array)).reshape(-1, 1, 28, 28)
