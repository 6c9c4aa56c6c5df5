"""Measures of an interpolation path: how evenly it moves, where it changes its mind, how far it
strays from the pixel blend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from notaverage.metrics.neighbors import flatten


def step_sizes(path_images: np.ndarray) -> np.ndarray:
    """d_i = ‖x_{i+1} − x_i‖ (pixel L2) between consecutive images of a path: (N−1,) float64."""
    flat = flatten(path_images).astype(np.float64)
    if len(flat) < 2:
        raise ValueError(f"a path needs at least 2 images, got {len(flat)}")
    return np.linalg.norm(np.diff(flat, axis=0), axis=1)


def step_unevenness(path_images: np.ndarray) -> float:
    """Largest pixel step's share of the path, above an even share: max_i d_i / Σ_i d_i − 1/(N−1).

    This is NOT ACAI's Smoothness (Berthelot et al. 2018), which is defined on their lines
    benchmark through the angle of the nearest true line; this one only measures how evenly the
    pixels change (a plain pixel fade scores 0 here). 0 when the path moves by equal steps; up to
    1 − 1/(N−1) when all the change happens in one step (a jump, as a blend that flips from one
    digit to the other does). A path that does not change at all (Σ d_i = 0) scores 0.0.
    """
    d = step_sizes(path_images)
    total = d.sum()
    if total == 0.0:
        return 0.0
    return float(d.max() / total - 1.0 / len(d))


def distance_from_pixel_path(latent_path_images: np.ndarray, pixel_path_images: np.ndarray) -> np.ndarray:
    """Per-step pixel L2 between a decoded latent path and the pixel blend at the same t: (N,).

    0 everywhere would mean the model only averages; the claim is that it is large in the middle.
    """
    a = flatten(latent_path_images).astype(np.float64)
    b = flatten(pixel_path_images).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paths differ in shape: {a.shape} vs {b.shape}")
    return np.linalg.norm(a - b, axis=1)


def relative_recon_blend_distance(paths: np.ndarray, recon_a: np.ndarray, recon_b: np.ndarray) -> np.ndarray:
    """‖midpoint − blend_t(recon_a, recon_b)‖ / ‖recon_a − recon_b‖ for each pair: how far a model's
    latent midpoint (paths (P, steps, 28, 28), middle step, t = mid / (steps − 1)) is from the pixel
    blend of its own two reconstructions, relative to their distance. 0 for any affine decoder (PCA,
    probabilistic PCA); the blend of reconstructions itself scores 0 by construction. (P,) float64."""
    n, steps = len(paths), paths.shape[1]
    mid = steps // 2
    t = mid / (steps - 1)
    a = flatten(recon_a).astype(np.float64)
    b = flatten(recon_b).astype(np.float64)
    middle = flatten(paths[:, mid]).astype(np.float64)
    scale = np.linalg.norm(a - b, axis=1)
    return np.linalg.norm(middle - ((1 - t) * a + t * b), axis=1).reshape(n) / np.maximum(scale, 1e-6)


@dataclass(frozen=True)
class Crossing:
    """Where along a path the judge's vote moves from class a to class b.

    `t_index` is in step units (0 .. N−1, fractional), `t` the same scaled to [0, 1].
    `sum_prob` = p_a + p_b there (low: the judge sees neither digit); `gap` = |p_a − p_b| there
    (0 when the path crosses, since the crossing point is interpolated).
    """

    t_index: float
    t: float
    sum_prob: float
    gap: float
    crossed: bool
    n_crossings: int


def _crossing_steps(diff: np.ndarray) -> np.ndarray:
    # A crossing lies between steps i and i+1 when diff goes from nonzero to zero or to the other sign.
    a, b = diff[:-1], diff[1:]
    return np.flatnonzero(((a > 0) & (b <= 0)) | ((a < 0) & (b >= 0)))


def crossing_ambiguity(p_a: np.ndarray, p_b: np.ndarray) -> Crossing:
    """First point where p_a − p_b changes sign along a path, by linear interpolation.

    `p_a`, `p_b` (N,) are the judge's probabilities of the start and end classes at each step.
    Between steps i and i+1 with differences d_i, d_{i+1} of opposite signs the crossing is at
    s = d_i / (d_i − d_{i+1}) of the way, and p_a + p_b is interpolated at the same s.
    With no sign change, the step minimising |p_a − p_b| stands in and `crossed` is False.
    """
    p_a = np.asarray(p_a, dtype=np.float64).ravel()
    p_b = np.asarray(p_b, dtype=np.float64).ravel()
    if p_a.shape != p_b.shape or len(p_a) < 2:
        raise ValueError(f"need two equal-length probability paths of 2+ steps, got {p_a.shape}, {p_b.shape}")
    diff = p_a - p_b
    total = p_a + p_b
    last = len(diff) - 1
    steps = _crossing_steps(diff)
    if len(steps) == 0:
        i = int(np.argmin(np.abs(diff)))
        return Crossing(float(i), i / last, float(total[i]), float(abs(diff[i])), False, 0)
    i = int(steps[0])
    s = diff[i] / (diff[i] - diff[i + 1])
    t_index = i + s
    sum_prob = (1 - s) * total[i] + s * total[i + 1]
    return Crossing(float(t_index), float(t_index / last), float(sum_prob), 0.0, True, len(steps))
