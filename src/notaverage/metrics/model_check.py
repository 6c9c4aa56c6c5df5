"""Is the trained autoencoder's code informative? Two figures, checked after every training run.

- **Active units** (Burda, Grosse & Salakhutdinov 2016, "Importance Weighted Autoencoders", sec. 5.2):
  latent dimension u is active when Cov_x(E_q(z|x)[z_u]) > 0.01, i.e. when its posterior mean varies
  across the data. A collapsed VAE encodes every digit to (nearly) the prior: no active units.
- **Class-preserving reconstruction**: the fraction of test digits whose reconstruction the judge
  assigns to the digit's true label. A model can keep many active units and still turn a 4 into a 9;
  this catches that, in the terms the product cares about.

A model "collapsed" when it has fewer than `MIN_ACTIVE_UNITS` active units or preserves the class of
fewer than `MIN_CLASS_PRESERVING` of the digits; nothing it draws should then be shown as what a
network does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ACTIVE_VARIANCE = 0.01  # Burda et al.'s threshold on the variance of a posterior mean
MIN_ACTIVE_UNITS = 2
MIN_CLASS_PRESERVING = 0.5


def active_units(means: np.ndarray, threshold: float = ACTIVE_VARIANCE) -> int:
    """Number of columns of `means` (N, latent_dim), the posterior means of N inputs, whose variance
    across the inputs exceeds `threshold`."""
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or len(means) < 2:
        raise ValueError(f"need posterior means of shape (N >= 2, latent_dim), got {means.shape}")
    return int((means.var(axis=0) > threshold).sum())


def class_preserving_reconstruction(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of inputs whose reconstruction was assigned (`predicted`, by the judge) its true label."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.shape != labels.shape or predicted.size == 0:
        raise ValueError(f"predicted {predicted.shape} and labels {labels.shape} must match and be non-empty")
    return float((predicted == labels).mean())


def check_autoencoder(encode: Callable[[np.ndarray], np.ndarray], decode: Callable[[np.ndarray], np.ndarray],
                      predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray,
                      labels: np.ndarray) -> dict:
    """Both figures for an autoencoder (`encode` -> posterior means, `decode` -> images in [0, 1]),
    with `predict` the judge's labels for a batch of images. JSON-ready."""
    codes = encode(images)
    reconstructions = np.clip(decode(codes), 0.0, 1.0)
    units = active_units(codes)
    preserving = class_preserving_reconstruction(predict(reconstructions), labels)
    return {"active_units": units, "latent_dim": int(codes.shape[1]),
            "class_preserving_reconstruction": round(preserving, 4), "n_images": len(images),
            "collapsed": units < MIN_ACTIVE_UNITS or preserving < MIN_CLASS_PRESERVING}


def collapse_message(name: str, check: dict) -> str | None:
    """One line saying the model collapsed, or None when it did not."""
    if not check["collapsed"]:
        return None
    return (f"warning: the {name} model collapsed ({check['active_units']} of {check['latent_dim']} latent "
            f"units active, class-preserving reconstruction {check['class_preserving_reconstruction']:.0%}; "
            f"need >= {MIN_ACTIVE_UNITS} and >= {MIN_CLASS_PRESERVING:.0%}): its pictures do not show what a "
            f"trained network does; train it longer (--preset quality) or on more digits")
