"""The one conversion every torch model needs: numpy images (N, S, S) to a (N, 1, S, S) tensor
(S = 28 for MNIST, 32 for the lines benchmark)."""

from __future__ import annotations

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
