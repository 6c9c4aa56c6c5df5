"""The latent map: a 2-D plane through the VAE's codes on which every point decodes.

The plane is linear (`point = (code - center) @ W`), so every code has a place on the map and every
point of the map, even between the dots, goes back to codes that project exactly onto it. Two
planes are offered:

- `"lda"` (the default): the first two linear discriminant directions of the codes
  (sklearn's `LinearDiscriminantAnalysis`), the plane that best separates the ten classes;
- `"pca"`: the first two principal directions, the plane of largest code variance (the old map).

Going back from a point picks, among all codes that project onto it, the expected one under the
model the plane was fitted with. For PCA that model is one Gaussian, and the answer is PCA's own
affine inverse, `center + p Wᵀ`. For LDA it is LDA's own model, one Gaussian per class with a shared
covariance Σ: each class proposes its conditional mean `μ_c + Σ W (Wᵀ Σ W)⁻¹ (p - m_c)` (m_c: the
class centre on the map), weighted by how likely the point is under that class. Each proposal
projects exactly onto p, so their weighted mean does too; near a class centre the code is that
class's typical code, between classes it blends them smoothly, and far away the nearest class wins.

Class separation is measured as the accuracy of a 5-nearest-neighbour classifier in the plane:
plane and neighbours fitted on (a seeded sample of) the training codes, scored on the test codes.
"Decode agreement" is the share of test digits whose place on the map decodes to a digit that the
classifier assigns to that test digit's class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.neighbors import KNeighborsClassifier

from notaverage.data.mnist import MnistData, as_float

METHODS = {"lda": "linear discriminant plane", "pca": "principal plane"}
MAX_FIT_CODES = 10_000  # training codes used to fit a plane (a seeded sample; plenty for 2 directions)
K_NEIGHBOURS = 5


class LatentPlane:
    """A linear 2-D projection of codes with an affine inverse (sklearn conventions)."""

    def __init__(self, method: str = "lda", seed: int = 0):
        self.method = method
        self.seed = seed

    def fit(self, codes: np.ndarray, labels: np.ndarray | None = None) -> LatentPlane:
        if self.method not in METHODS:
            raise ValueError(f"unknown plane {self.method!r}; use one of {sorted(METHODS)}")
        codes = np.asarray(codes, dtype=np.float64)
        if self.method == "pca":
            pca = PCA(n_components=2, random_state=self.seed).fit(codes)
            self.center_, self.weights_ = pca.mean_, pca.components_.T
            self.means_, self.priors_ = pca.mean_[None], np.ones(1)  # one Gaussian: an affine inverse
            covariance = np.cov(codes, rowvar=False)
            # share of the total code variance the plane shows
            self.explained_ = float(pca.explained_variance_ratio_.sum())
        else:
            if labels is None:
                raise ValueError("a discriminant plane needs the codes' labels")
            lda = LinearDiscriminantAnalysis(n_components=2, solver="svd", store_covariance=True)
            lda.fit(codes, labels)
            self.center_, self.weights_ = lda.xbar_, lda.scalings_[:, :2]  # lda.transform's own maths
            self.means_, self.priors_, covariance = lda.means_, lda.priors_, lda.covariance_
            # share of the between-class variance the plane shows
            self.explained_ = float(lda.explained_variance_ratio_[:2].sum())
        spread = covariance @ self.weights_  # Σ W
        self.precision_ = np.linalg.inv(self.weights_.T @ spread)  # of a class's points on the map
        self.lift_ = spread @ self.precision_  # (d, 2): a code's expected move per unit move on the map
        self.class_points_ = self.transform(self.means_)
        return self

    @property
    def name(self) -> str:
        return METHODS[self.method]

    def transform(self, codes: np.ndarray) -> np.ndarray:
        return (np.asarray(codes, dtype=np.float64) - self.center_) @ self.weights_

    def inverse_transform(self, points: np.ndarray) -> np.ndarray:
        """Codes (float32, ready for `decode`) that project exactly onto `points`."""
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        offsets = points[:, None, :] - self.class_points_[None]  # (n, classes, 2)
        distances = np.einsum("nki,ij,nkj->nk", offsets, self.precision_, offsets)  # squared, Mahalanobis
        log_weights = np.log(self.priors_) - 0.5 * distances
        weights = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        proposals = self.means_[None] + offsets @ self.lift_.T  # (n, classes, d)
        return np.einsum("nk,nkd->nd", weights, proposals).astype(np.float32)


def fit_codes(vae, images: np.ndarray, labels: np.ndarray, seed: int = 0,
              max_codes: int = MAX_FIT_CODES) -> tuple[np.ndarray, np.ndarray]:
    """Codes and labels of a seeded sample of at most `max_codes` digits: what a plane is fitted on.
    `images` may be MNIST's uint8 arrays; only the sample is converted to float."""
    keep = np.sort(np.random.default_rng(seed).permutation(len(labels))[:max_codes])
    return vae.encode(as_float(images[keep])), np.asarray(labels)[keep]


def knn_accuracy(plane: LatentPlane, train_codes, train_labels, test_codes, test_labels,
                 k: int = K_NEIGHBOURS) -> float:
    """Accuracy of a k-NN classifier in the plane: neighbours from the training codes, scored on test."""
    knn = KNeighborsClassifier(n_neighbors=k).fit(plane.transform(train_codes), train_labels)
    return float(knn.score(plane.transform(test_codes), test_labels))


def decode_agreement(plane: LatentPlane, vae, classifier, test_codes, test_labels, max_digits: int = 2_000,
                     seed: int = 0) -> float:
    """Share of (a seeded sample of) test digits whose place on the map decodes to their own class."""
    keep = np.random.default_rng(seed).permutation(len(test_labels))[:max_digits]
    decoded = vae.decode(plane.inverse_transform(plane.transform(test_codes[keep])))
    return float(np.mean(classifier.predict(decoded) == np.asarray(test_labels)[keep]))


def fit_plane(train_codes, train_labels, test_codes, test_labels, method: str = "lda",
              seed: int = 0) -> tuple[LatentPlane, float]:
    """A plane fitted on training codes, and its 5-NN class separation on the test codes."""
    plane = LatentPlane(method, seed).fit(train_codes, train_labels)
    return plane, knn_accuracy(plane, train_codes, train_labels, test_codes, test_labels)


@dataclass
class LatentMap:
    """The test digits on the map's plane, with how well every plane offered does."""

    plane: LatentPlane  # the plane shown (the discriminant one)
    points: np.ndarray  # (n_test, 2): each test digit's code on the plane
    labels: np.ndarray  # the test digits' classes
    separation: dict[str, float]  # method -> 5-NN test accuracy on that method's plane
    agreement: dict[str, float]  # method -> decode agreement (empty without a classifier)


def latent_map(vae, data: MnistData, seed: int = 0, method: str = "lda", test_codes: np.ndarray | None = None,
               classifier=None) -> LatentMap:
    """Fit every plane on a seeded sample of training codes, measure each one's separation (and,
    given a classifier, decode agreement) on the test codes (pass them if already encoded), and
    place the test digits on the `method` plane."""
    train_codes, train_labels = fit_codes(vae, data.train_images, data.train_labels, seed)
    if test_codes is None:
        test_codes = vae.encode(as_float(data.test_images))
    test_labels = np.asarray(data.test_labels)
    planes = {m: fit_plane(train_codes, train_labels, test_codes, test_labels, m, seed) for m in METHODS}
    agreement = {} if classifier is None else {
        m: decode_agreement(plane, vae, classifier, test_codes, test_labels, seed=seed)
        for m, (plane, _) in planes.items()}
    plane = planes[method][0]
    return LatentMap(plane, plane.transform(test_codes), test_labels,
                     {m: accuracy for m, (_, accuracy) in planes.items()}, agreement)
