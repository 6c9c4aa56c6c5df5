"""Held-out scorers: readers of a hybrid that the finder never optimised against.

The finder climbs the judge's gradient, so the judge's reading of its output is biased in the
finder's favour. The hybrid verdict is decided by readers of other model families that the finder
never saw: the classifier CNN (another architecture and seed than the judge) and a multinomial
logistic regression on raw pixels, fitted here on the half of the training digits that is not
the first half of a seeded split (so it is trained on different data than any CNN's shuffle starts
from, and takes a few seconds on 2 cores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits


class PixelLogistic:
    """Multinomial logistic regression on the 784 pixels; sklearn conventions (fitted state ends in _)."""

    kind = "pixel_logistic"

    def __init__(self, C: float = 0.05, max_iter: int = 200):
        self.C, self.max_iter = C, max_iter

    def fit(self, images: np.ndarray, labels: np.ndarray) -> PixelLogistic:
        flat = np.asarray(images, np.float32).reshape(len(images), -1)
        # One BLAS thread: lbfgs on a small problem gains nothing from more, and the machine is shared.
        with threadpool_limits(1, user_api="blas"):
            self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(flat, labels)
        return self

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        flat = np.asarray(images, np.float32).reshape(len(images), -1)
        proba = np.zeros((len(flat), 10))
        proba[:, self.model_.classes_] = self.model_.predict_proba(flat)
        return proba


@dataclass(frozen=True)
class Scorer:
    name: str
    family: str
    trained_on: str
    model: object

    def describe(self) -> dict:
        return {"name": self.name, "family": self.family, "trained_on": self.trained_on}


def held_out_scorers(
    models: dict, train: np.ndarray, labels: np.ndarray, n_fit: int, seed: int
) -> list[Scorer]:
    """The classifier CNN and a pixel logistic regression fitted on `n_fit` digits of the second
    half of a seeded split of the training set."""
    order = np.random.default_rng(seed + 11).permutation(len(train))
    half = order[len(order) // 2 :][:n_fit]
    logistic = PixelLogistic().fit(train[half], labels[half])
    return [
        Scorer(
            "classifier",
            "CNN (5x5 kernels, dense 128; not the judge's architecture or seed)",
            f"all {len(train):,} training digits",
            models["classifier"],
        ),
        Scorer(
            "pixel_logistic",
            "multinomial logistic regression on raw pixels",
            f"{len(half):,} digits of the second half of a seeded split of the training set",
            logistic,
        ),
    ]
