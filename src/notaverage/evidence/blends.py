"""Path metrics over many random pairs of test digits, batched: every path of every pair is decoded
in one call per model, judged in one call, and measured against the training set in one call."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from notaverage.latent import blend_weights, lerp, slerp
from notaverage.metrics import (
    crossing_ambiguity,
    distance_from_pixel_path,
    judge_confidence,
    judge_entropy,
    manifold_distance_ratio,
    step_unevenness,
)

RATIO_STEPS = (0.25, 0.5, 0.75)  # where along each path the (costly) manifold ratio is measured


def random_pairs(
    labels: np.ndarray, n_pairs: int, seed: int, classes: tuple[int, int] | None = None
) -> np.ndarray:
    """(n, 2) indices of pairs of different classes (or of exactly `classes`), seeded, no self-pairs."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    if classes is not None:
        a_idx, b_idx = np.flatnonzero(labels == classes[0]), np.flatnonzero(labels == classes[1])
        if len(a_idx) == 0 or len(b_idx) == 0:
            raise ValueError(f"no test digits of class {classes[0]} or {classes[1]}")
        return np.stack([rng.choice(a_idx, n_pairs), rng.choice(b_idx, n_pairs)], axis=1)
    out = []
    while len(out) < n_pairs:
        i, j = rng.integers(0, len(labels), size=2)
        if labels[i] != labels[j]:
            out.append((i, j))
    return np.asarray(out, dtype=np.int64)


def _walk(za: np.ndarray, zb: np.ndarray, ts: np.ndarray, mode: str) -> np.ndarray:
    """(P, steps, D) codes along each pair's path."""
    if mode == "lerp":
        return (1.0 - ts)[None, :, None] * za[:, None] + ts[None, :, None] * zb[:, None]
    return np.stack([slerp(a, b, ts) for a, b in zip(za, zb, strict=True)])


def model_paths(
    model, images_a: np.ndarray, images_b: np.ndarray, steps: int, mode: str = "lerp", clip: bool = False
) -> np.ndarray:
    """(P, steps, 28, 28): each pair's decoded latent path, all pairs in one decode call."""
    ts = blend_weights(steps)
    z = model.encode(np.concatenate([images_a, images_b]))
    za, zb = z[: len(images_a)], z[len(images_a) :]
    codes = _walk(za, zb, ts, mode).astype(np.float32)
    out = model.decode(codes.reshape(-1, z.shape[1])).reshape(len(za), steps, 28, 28)
    return np.clip(out, 0.0, 1.0) if clip else out


def pixel_paths(images_a: np.ndarray, images_b: np.ndarray, steps: int) -> np.ndarray:
    ts = blend_weights(steps)
    return lerp(np.asarray(images_a, np.float32), np.asarray(images_b, np.float32), ts).transpose(1, 0, 2, 3)


def reconstruct(model, images: np.ndarray) -> np.ndarray:
    return np.clip(model.decode(model.encode(images)), 0.0, 1.0)


@dataclass
class Ruler:
    """What every path is measured with: the judge, and the training digits for the manifold ratio."""

    judge: object
    nn_train: np.ndarray  # training digits the manifold ratio measures against (maybe a subset)
    reference_median: float  # median NN distance of held-out real digits to nn_train

    def ratio(self, images: np.ndarray) -> np.ndarray:
        flat = np.asarray(images, np.float32).reshape(-1, 28, 28)
        ratios = manifold_distance_ratio(flat, self.nn_train, reference_median=self.reference_median)
        return ratios.reshape(np.shape(images)[:-2])


def path_metrics(
    paths: np.ndarray, class_a: np.ndarray, class_b: np.ndarray, ruler: Ruler, pixel: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Per-pair numbers for paths (P, steps, 28, 28): realism, crossing, step unevenness, pixel distance."""
    n_pairs, steps = paths.shape[:2]
    mid = steps // 2
    probs = ruler.judge.predict_proba(paths.reshape(-1, 28, 28)).reshape(n_pairs, steps, 10)
    interior = slice(1, steps - 1)
    conf = judge_confidence(probs.reshape(-1, 10)).reshape(n_pairs, steps)
    ent = judge_entropy(probs.reshape(-1, 10)).reshape(n_pairs, steps)
    ratio_idx = sorted({round(t * (steps - 1)) for t in RATIO_STEPS})
    ratios = ruler.ratio(paths[:, ratio_idx])
    rows = np.arange(n_pairs)
    p_a, p_b = probs[rows, :, class_a], probs[rows, :, class_b]
    crossings = [crossing_ambiguity(p_a[i], p_b[i]) for i in range(n_pairs)]
    out = {
        "confidence_mid": conf[:, mid],
        "confidence_interior": conf[:, interior].mean(axis=1),
        "entropy_mid": ent[:, mid],
        "entropy_interior": ent[:, interior].mean(axis=1),
        "ratio_mid": ratios[:, ratio_idx.index(mid)] if mid in ratio_idx else ratios.mean(axis=1),
        "ratio_interior": ratios.mean(axis=1),
        "crossing_sum_prob": np.array([c.sum_prob for c in crossings]),
        "crossed": np.array([c.crossed for c in crossings], dtype=float),
        "step_unevenness": np.array([step_unevenness(p) for p in paths]),
    }
    if pixel is not None:
        d = distance_from_pixel_path(paths.reshape(-1, 28, 28), pixel.reshape(-1, 28, 28)).reshape(
            n_pairs, steps
        )
        out["pixel_distance_mid"] = d[:, mid]
        out["pixel_distance_interior"] = d[:, interior].mean(axis=1)
        # How far the middle bows away from the pixel average beyond the endpoints' own offset
        # (reconstruction error): <= 0 for a linear decoder by the triangle inequality.
        out["pixel_distance_bulge"] = d[:, mid] - 0.5 * (d[:, 0] + d[:, -1])
    out["_mid_images"] = paths[:, mid]
    return out
