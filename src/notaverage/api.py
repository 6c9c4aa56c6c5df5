"""The Python API: the argument of the project in a few calls.

    import notaverage as na
    data = na.load_data(limit=3000)                      # MNIST, or the bundled sample offline
    vae = na.get_model("vae", data, preset="tiny")       # trained once, then reused from the cache
    a, b = na.pick_digit(data, 9), na.pick_digit(data, 2)
    paths = na.blend(vae, na.get_model("linear", data, preset="tiny"), a, b)
    new, distances = na.sample(vae, data, digit=4)
    found = na.hybrid(vae, na.get_model("judge", data, preset="tiny"), data, a, b, 9, 2)
    numbers = na.report(data, preset="tiny")

Everything heavy (torch, matplotlib, scikit-learn) is imported inside the functions, so
`import notaverage` stays light. Images are float32 arrays (28, 28) in [0, 1], white ink on black,
as `data.test_images` gives them after `as_float`; the CLI, the report and the web app are faces
over the same functions.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MODEL_NAMES = ("vae", "linear", "classifier", "judge", "vae_identity")


def load_data(data_dir: str | os.PathLike | None = None, *, limit: int | None = None, seed: int = 0,
              progress: bool = False):
    """MNIST as a `MnistData` (uint8 images, int64 labels, `source`, `fingerprint`, `note`).

    Looks in `data_dir` (or $NOTAVERAGE_DATA), the user cache, a verified download, and last the
    bundled 10,000-digit sample. `limit` keeps that many training digits (class-balanced, seeded)
    and a sixth as many test digits, at least 100.

    Example:
        >>> data = load_data(limit=3000)
        >>> data.train_images.shape, data.test_images.shape
        ((3000, 28, 28), (500, 28, 28))
    """
    from notaverage.lab import load_data as _load

    return _load(data_dir, limit, seed, progress)


def pick_digit(data, label: int | None = None, *, index: int | None = None, seed: int = 0) -> np.ndarray:
    """One test digit as a float image (28, 28): test digit `index`, or a seeded pick of class `label`.

    Example:
        >>> nine = pick_digit(data, 9)
        >>> nine.shape, nine.dtype.name
        ((28, 28), 'float32')
    """
    from notaverage.data.mnist import as_float

    if index is None:
        candidates = np.flatnonzero(data.test_labels == label)
        if len(candidates) == 0:
            raise ValueError(f"the test set has no digit {label!r}")
        index = int(np.random.default_rng(seed).choice(candidates))
    return as_float(data.test_images[index])


def get_model(name: str, data, preset: str = "fast", *, seed: int = 0, progress: bool = False):
    """A trained model: "vae", "linear" (PCA), "classifier", "judge" or "vae_identity".

    Trained on `data` with the named preset the first time, then loaded from the cache (its
    weights checked against their SHA-256). Every model has `encode`/`decode` or `predict_proba`
    on float images (N, 28, 28).

    Example:
        >>> vae = get_model("vae", data, preset="tiny")
        >>> vae.decode(vae.encode(pick_digit(data, 3)[None])).shape
        (1, 28, 28)
    """
    from notaverage.zoo import get_model as _get

    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    return _get(name, data, preset, seed, progress=progress).model


def blend(vae, linear, image_a: np.ndarray, image_b: np.ndarray, steps: int = 9,
          mode: str = "lerp") -> dict[str, np.ndarray]:
    """The three ways from A to B, each (steps, 28, 28): "vae" (decoded straight latent path, or
    "slerp"), "pixel" (the pixel average (1-t)A + tB) and "linear" (PCA's latent path, which is
    the pixel average of its reconstructions).

    Example:
        >>> paths = blend(vae, linear, pick_digit(data, 9), pick_digit(data, 2))
        >>> sorted(paths), paths["pixel"].shape
        (['linear', 'pixel', 'vae'], (9, 28, 28))
    """
    from notaverage.latent import three_paths

    return three_paths(vae, linear, image_a, image_b, steps=steps, mode=mode)


def sample(vae, data, digit: int, n: int = 8, *, classifier=None,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` digits of class `digit` sampled from the VAE, and the distance to its nearest training digit.

    Codes are drawn from a Gaussian fitted to the training codes of that class and decoded; with a
    `classifier`, draws it does not read as `digit` (90 % sure) are set aside. A distance of 0 would
    be a copy of a training digit.

    Example:
        >>> images, distances = sample(vae, data, 4, n=8)
        >>> images.shape, bool(distances.min() > 0)
        ((8, 28, 28), True)
    """
    from notaverage.data.mnist import as_float
    from notaverage.latent import class_code_gaussians, sample_digits
    from notaverage.metrics.neighbors import nearest_training_digits

    train = as_float(data.train_images)
    gaussians = class_code_gaussians(vae, train, data.train_labels)
    if classifier is None:
        mean, cov = gaussians[digit]
        z = np.random.default_rng(seed).multivariate_normal(mean, cov, size=n).astype(np.float32)
        images = vae.decode(z)
    else:
        images, _ = sample_digits(vae, classifier, gaussians, digit, n, seed=seed)
    distances, _ = nearest_training_digits(images, train, k=1)
    return images, distances[:, 0]


def hybrid(vae, judge, data, image_a: np.ndarray, image_b: np.ndarray, class_a: int, class_b: int,
           n: int = 4, *, steps: int = 100, seed: int = 0) -> list:
    """Decoded digits the `judge` reads as equally `class_a` and `class_b`, found by gradient
    search in the VAE's latent space near the straight path A→B and kept where real digits' codes
    live (the codes of `data`'s test digits). Returns `HybridResult`s, best first, each with
    `image`, `p_a`, `p_b` and `realism` (about 1 = as typical as a real digit).

    Example:
        >>> found = hybrid(vae, judge, data, pick_digit(data, 9), pick_digit(data, 2), 9, 2, n=2)
        >>> best = found[0]; round(best.p_a + best.p_b, 1) >= 0.6
        True
    """
    from notaverage.data.mnist import as_float
    from notaverage.latent import hybrid_search

    test = as_float(data.test_images)
    reference = vae.encode(test[np.random.default_rng(seed).permutation(len(test))[:2000]])
    return hybrid_search(vae, judge, image_a, image_b, class_a, class_b, n_results=n, steps=steps, seed=seed,
                         reference_codes=reference)


def report(data, out: str | os.PathLike = "notaverage-out/report", preset: str = "fast", *, seed: int = 0,
           pairs: int = 1000, progress: bool = False) -> dict:
    """Measure every claim and write `out/report.html` + `out/report.json`; returns the numbers
    (the JSON as a dict), whose "verdicts" say, claim by claim, what the numbers support.

    A report already in `out` computed from the same models, data, settings and report code is
    reused as it is.

    Example:
        >>> numbers = report(data, "out/report", preset="tiny", pairs=200)
        >>> sorted(numbers["verdicts"])[:2]
        ['ablation', 'blends']
    """
    from notaverage.evidence import EvidenceConfig
    from notaverage.evidence.commands import run_report

    result = run_report(Path(out), data, preset, seed, progress, EvidenceConfig(n_pairs=pairs, seed=seed),
                        log=lambda *args: None, reuse=True)
    return result["numbers"]
