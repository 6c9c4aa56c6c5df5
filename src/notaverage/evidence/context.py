"""What every section of the report measures with: the data splits, the judge, the training set T
for distances and the copying test, and the settings (`EvidenceConfig`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from notaverage.data.mnist import MnistData, as_float
from notaverage.evidence.blends import Ruler
from notaverage.evidence.verdicts import CONFIDENCE_QUANTILE
from notaverage.metrics import (
    bootstrap_ci,
    copying_null,
    data_copying_test,
    fit_cells,
    judge_confidence,
    nearest_training_digits,
    paired_difference_ci,
    read_copying,
    reference_nn_median,
)
from notaverage.metrics.novelty import CopyingReading
from notaverage.metrics.stats import Interval

COPYING_CELLS = 20  # k-means cells of the copying test (Meehan et al. use 20-50 on MNIST)
FEW_FOR_CELLS = 200  # fewer generated images than this: one cell (a plain Mann-Whitney test)


def split_test(n_test: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(reference half, measured half) of the test indices: a random split, because MNIST's two
    halves come from different writers. With a fresh `default_rng(seed)` this is the report's split."""
    order = rng.permutation(n_test)
    return order[: n_test // 2], order[n_test // 2 :]


def real_digit_bar(model, reference: np.ndarray) -> float:
    """A reader's "as sure as of a real digit" bar: the CONFIDENCE_QUANTILE quantile of its
    confidence (top probability) on held-out real digits (docs/METRICS.md, "Bars")."""
    return float(np.quantile(judge_confidence(model.predict_proba(reference)), CONFIDENCE_QUANTILE))


@dataclass
class EvidenceConfig:
    """How much to compute. The defaults fit ~100 s on full MNIST with fast-preset models on 2 cores."""

    n_pairs: int = 1000  # random test pairs of different classes for section (c)
    steps: int = 9  # images per path
    nn_train: int | None = 20_000  # training digits the manifold ratio measures against (None: all)
    n_reference: int = 1000  # held-out real digits defining a ratio of 1
    n_samples: int = 1000  # prior samples for the data-copying test and Frechet distance
    nll_k: int = 100  # IWAE samples per image
    nll_images: int = 500  # binarised test digits scored
    hybrid_pairs: int = 8  # random (A, B) pairs the hybrid finder runs on
    hybrid_classes: tuple[int, int] = (9, 2)
    hybrid_steps: int = 100
    hybrid_perturbations: int = 4  # noisy copies of each code the finder averages over (robustness)
    hybrid_max_shift: int = 1  # each copy's image shifted by up to this many pixels
    hybrid_judges: int = 1  # judges the finder averages over: the judge and other seeds of it
    null_draws: int = 10  # draws of held-out real digits that calibrate C_T
    scorer_train: int = 10_000  # training digits (of the scorers' half) the logistic scorer fits on
    n_boot: int = 2000  # bootstrap resamples (200 for Frechet distances)
    seed: int = 0


@dataclass
class Context:
    """Data splits and measuring tools, made once per report and shared by every section (and by
    the controls, which must be measured exactly like the models)."""

    models: dict
    data: MnistData
    config: EvidenceConfig
    log: object = print
    timings: dict = field(default_factory=dict)

    def __post_init__(self):
        cfg = self.config
        self.rng = np.random.default_rng(cfg.seed)
        self.train = as_float(self.data.train_images)
        self.test = as_float(self.data.test_images)
        # The test set is split at random (MNIST's two halves come from different writers):
        # a reference half defines "typical" (ratio 1, C_T's null, the confidence bar), the
        # other half is measured.
        self.ref_idx, self.eval_idx = split_test(len(self.test), self.rng)
        n_nn = len(self.train) if cfg.nn_train is None else min(cfg.nn_train, len(self.train))
        self.nn_idx = np.sort(self.rng.permutation(len(self.train))[:n_nn])
        nn_train = self.train[self.nn_idx]
        reference = self.test[self.ref_idx[: cfg.n_reference]]
        self.ruler = Ruler(self.models["judge"], nn_train, reference_nn_median(reference, nn_train))
        self.reference = reference
        self._copying: dict = {}

    @property
    def judge(self):
        return self.ruler.judge

    def boot(self, values, statistic=np.median, unit="pairs") -> Interval:
        return bootstrap_ci(values, statistic, n_boot=self.config.n_boot, seed=self.config.seed, unit=unit)

    def paired(self, a, b) -> Interval:
        return paired_difference_ci(a, b, n_boot=self.config.n_boot, seed=self.config.seed)

    def real_confidence(self, quantile: float = 0.1) -> float:
        """The judge's confidence on held-out real digits at `quantile`: the 'reads as a digit' bar."""
        if "confidence_bar" not in self._copying:
            self._copying["confidence_bar"] = float(
                np.quantile(judge_confidence(self.judge.predict_proba(self.reference)), quantile)
            )
        return self._copying["confidence_bar"]

    # --- the copying test, T = every training digit ------------------------------------------
    def _space(self, name: str):
        """(T, measured test digits, null pool, centroids) in pixel or judge-feature space."""
        if name not in self._copying:
            started = time.monotonic()
            embed = (lambda x: x.reshape(len(x), -1)) if name == "pixel" else self.judge.features
            train, test, pool = (
                embed(x)
                for x in (
                    self.train,
                    self.test[self.eval_idx[: self.config.n_samples]],
                    self.test[self.ref_idx],
                )
            )
            centroids = fit_cells(train, COPYING_CELLS, seed=self.config.seed)
            self._copying[name] = (embed, train, test, pool, centroids)
            self.timings[f"copying_setup_{name}"] = round(time.monotonic() - started, 2)
        return self._copying[name]

    def copying(self, images: np.ndarray, space: str = "pixel") -> CopyingReading:
        """Meehan et al.'s C_T of `images` against all training digits, read against the spread of
        `null_draws` equally many held-out real digits (at most half the pool; one cell when either
        is under FEW_FOR_CELLS)."""
        embed, train, test, pool, centroids = self._space(space)
        # The null draws hold at most half the pool; when they (or the images) are few, one cell.
        many = min(len(images), len(pool) // 2) >= FEW_FOR_CELLS
        cells = centroids if many else train.mean(axis=0, keepdims=True)
        tau = None if many else 0.0
        key = (space, len(images), len(cells))
        if key not in self._copying:
            self._copying[key] = copying_null(
                pool, test, train, cells, len(images), self.config.null_draws, seed=self.config.seed, tau=tau
            )
        c_t = data_copying_test(embed(images), test, train, centroids=cells, tau=tau).c_t
        return read_copying(c_t, self._copying[key])

    def nearest_train(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Exact nearest training digit (all of T) of each image: distances, indices, seconds taken."""
        started = time.monotonic()
        d, idx = nearest_training_digits(images, self.train, k=1)
        return d[:, 0], idx[:, 0], time.monotonic() - started
