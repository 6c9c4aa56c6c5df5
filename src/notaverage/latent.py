"""Latent operations: straight and spherical paths, the pixel blend, and class-guided sampling.

Every function works for any model with the shared face `encode(images) -> z`, `decode(z) -> images`,
so "VAE latent path vs linear latent path vs pixel blend" is one function called three ways.
"""

from __future__ import annotations

import numpy as np


def blend_weights(steps: int) -> np.ndarray:
    """t = 0, 1/(steps-1), ..., 1."""
    if steps < 2:
        raise ValueError(f"a path needs at least 2 steps, got {steps}")
    return np.linspace(0.0, 1.0, steps, dtype=np.float32)


def lerp(a: np.ndarray, b: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Straight line: (1 - t) a + t b for each t, stacked along a new first axis."""
    ts = np.asarray(ts, dtype=np.float32).reshape(-1, *([1] * np.ndim(a)))
    return (1.0 - ts) * a[None] + ts * b[None]


def slerp(a: np.ndarray, b: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Great-circle path (White, 2016). Under a Gaussian prior, the norm of a code carries meaning,
    and the midpoint of a straight line is unusually close to the origin; slerp keeps the norm."""
    a_flat, b_flat = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    cos = np.dot(a_flat, b_flat) / max(np.linalg.norm(a_flat) * np.linalg.norm(b_flat), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:  # (anti)parallel codes: no unique great circle, the line is the answer
        return lerp(a, b, ts)
    ts = np.asarray(ts, dtype=np.float64)
    wa = np.sin((1.0 - ts) * omega) / np.sin(omega)
    wb = np.sin(ts * omega) / np.sin(omega)
    out = wa[:, None] * a_flat[None] + wb[:, None] * b_flat[None]
    return out.reshape(len(ts), *a.shape).astype(np.float32)


def pixel_blend(image_a: np.ndarray, image_b: np.ndarray, steps: int = 9) -> np.ndarray:
    """The 'average of the inputs': a double exposure that fades one image into the other."""
    return lerp(np.asarray(image_a, np.float32), np.asarray(image_b, np.float32), blend_weights(steps))


def latent_path(model, image_a: np.ndarray, image_b: np.ndarray, steps: int = 9,
                mode: str = "lerp") -> np.ndarray:
    """Encode both images, walk between the codes, decode every step: (steps, 28, 28)."""
    if mode not in ("lerp", "slerp"):
        raise ValueError(f"mode must be 'lerp' or 'slerp', got {mode!r}")
    z = model.encode(np.stack([image_a, image_b]))
    walk = lerp if mode == "lerp" else slerp
    return model.decode(walk(z[0], z[1], blend_weights(steps)))


def three_paths(vae, linear, image_a: np.ndarray, image_b: np.ndarray, steps: int = 9,
                mode: str = "lerp") -> dict[str, np.ndarray]:
    """The comparison at the heart of the project, in display order."""
    return {
        "vae": latent_path(vae, image_a, image_b, steps, mode),
        "pixel": pixel_blend(image_a, image_b, steps),
        "linear": np.clip(latent_path(linear, image_a, image_b, steps, "lerp"), 0.0, 1.0),
    }


def class_code_gaussians(model, images: np.ndarray, labels: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Mean and covariance of the codes of each class: where that digit lives in latent space."""
    codes = model.encode(images)
    out = {}
    for digit in range(10):
        c = codes[labels == digit].astype(np.float64)
        if len(c) < 2:
            continue
        out[digit] = (c.mean(axis=0), np.cov(c, rowvar=False) + 1e-6 * np.eye(c.shape[1]))
    return out


def sample_digits(model, classifier, gaussians: dict, digit: int, n: int, seed: int = 0,
                  min_confidence: float = 0.9, max_rounds: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """New digits of one class: draw codes from that class's Gaussian, decode, and keep the ones the
    classifier calls `digit` with at least `min_confidence` (classifier-guided rejection).

    Returns (images (n, 28, 28), classifier probabilities (n, 10)); if too few pass, the most
    confident draws fill the rest, so the caller always gets n images.
    """
    if digit not in gaussians:
        raise ValueError(f"no training codes for digit {digit}")
    mean, cov = gaussians[digit]
    rng = np.random.default_rng(seed)
    kept_images, kept_probs, spare_images, spare_probs = [], [], [], []
    for _ in range(max_rounds):
        z = rng.multivariate_normal(mean, cov, size=max(2 * n, 32)).astype(np.float32)
        images = model.decode(z)
        probs = classifier.predict_proba(images)
        good = (probs.argmax(1) == digit) & (probs[:, digit] >= min_confidence)
        kept_images.append(images[good]), kept_probs.append(probs[good])
        spare_images.append(images[~good]), spare_probs.append(probs[~good])
        if sum(len(k) for k in kept_images) >= n:
            break
    images, probs = np.concatenate(kept_images), np.concatenate(kept_probs)
    if len(images) < n:
        rest_i, rest_p = np.concatenate(spare_images), np.concatenate(spare_probs)
        order = np.argsort(-rest_p[:, digit])[: n - len(images)]
        images, probs = np.concatenate([images, rest_i[order]]), np.concatenate([probs, rest_p[order]])
    return images[:n], probs[:n]
