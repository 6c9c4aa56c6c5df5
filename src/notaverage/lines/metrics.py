"""ACAI's two interpolation scores (Berthelot et al., ICLR 2019, section 3.1), written here.

For each decoded interpolation path x_1..x_n between two lines:
- every image is matched to its nearest "true" line: the smallest cosine distance
  1 - <x, l> / (|x| |l|) over a grid of 10,000 lines (images in [-1, 1]);
- Mean Distance is the mean of those nearest distances over all images of all paths;
- Smoothness takes the matched angles theta_1..theta_n, unwrapped (no jump larger than pi), and
  scores max_i |theta_{i+1} - theta_i| / |theta_n - theta_1| - 1/(n-1): 0 when the angle moves in
  equal steps, near 1 - 1/(n-1) when it jumps in one step. A path whose end angles coincide
  (|theta_n - theta_1| < 1e-4) has no score; like the authors, such paths count as 0 in the mean
  (the sum over scored paths is divided by the number of all paths).
Lower is better for both.
"""

from __future__ import annotations

import numpy as np

from notaverage.lines.data import true_lines


def nearest_lines(images: np.ndarray, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(cosine distance to the nearest true line, that line's angle) for images (N, 32, 32) in [-1, 1]."""
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)  # float64: exact matches read 0
    angles, grid = true_lines(size=int(round(np.sqrt(flat.shape[1]))))
    grid = grid.reshape(len(grid), -1).astype(np.float64)
    grid_unit = grid / np.linalg.norm(grid, axis=1, keepdims=True)
    distances, best = np.empty(len(flat)), np.empty(len(flat), dtype=np.int64)
    for start in range(0, len(flat), chunk):  # a matrix product is cosine distance at BLAS speed
        block = flat[start : start + chunk]
        norms = np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
        cosine = (block / norms) @ grid_unit.T
        best[start : start + chunk] = cosine.argmax(axis=1)
        distances[start : start + chunk] = 1 - cosine.max(axis=1)
    return distances, angles[best]


def smoothness_scores(path_angles: np.ndarray) -> np.ndarray:
    """One score per path for angles (n_paths, n_steps); NaN where the end angles coincide."""
    angles = np.unwrap(np.atleast_2d(np.asarray(path_angles, dtype=np.float64)), axis=-1)
    steps = np.abs(np.diff(angles, axis=-1))
    total = np.abs(angles[:, -1] - angles[:, 0])
    scorable = total >= 1e-4
    scores = np.full(len(angles), np.nan)
    ideal = 1.0 / (angles.shape[1] - 1)
    scores[scorable] = steps[scorable].max(axis=-1) / total[scorable] - ideal
    return scores


def line_scores(paths: np.ndarray) -> dict:
    """Mean Distance and Smoothness of paths (n_paths, n_steps, 32, 32) in [-1, 1]."""
    paths = np.asarray(paths, dtype=np.float32)
    n_paths, n_steps = paths.shape[:2]
    distances, angles = nearest_lines(paths.reshape(n_paths * n_steps, *paths.shape[2:]))
    scores = smoothness_scores(angles.reshape(n_paths, n_steps))
    scored = ~np.isnan(scores)
    return {
        "mean_distance": float(distances.mean()),
        "smoothness": float(scores[scored].sum() / n_paths) if scored.any() else float("nan"),
        "unscored_paths": int((~scored).sum()),
    }
