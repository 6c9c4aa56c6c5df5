"""The shared model face and the list of models each task/split gets.

Every model follows one small scikit-learn-like API:

    model = SomeModel(**hyperparameters)
    model.fit(X, y, groups=None, time=None, coords=None)
    model.predict(X, groups=None, time=None, coords=None) -> mean
    model.predict_dist(...) -> Prediction(mean, sd, lower, upper)   # 90% interval

`X` is a DataFrame of float features, `groups` a DataFrame of integer group codes (first column
is the top-level group), `coords` an (n, 2) array. Heavy libraries load inside the models.
Which models exist and which a task gets live in `registry.py` (it imports the model files;
they import only this base, so imports point one way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z90 = 1.6448536269514722  # standard normal 95th percentile: central 90% interval


@dataclass
class Prediction:
    mean: np.ndarray
    sd: np.ndarray  # predictive sd of a new observation (Gaussian scores use it)
    lower: np.ndarray  # 90% prediction interval
    upper: np.ndarray

    @classmethod
    def gaussian(cls, mean, sd) -> Prediction:
        mean = np.asarray(mean, dtype=float)
        sd = np.broadcast_to(np.asarray(sd, dtype=float), mean.shape).copy()
        return cls(mean, sd, mean - Z90 * sd, mean + Z90 * sd)


class Model:
    """Base class: subclasses set `name`, `family`, and implement `fit` and `predict_dist`."""

    name = "model"
    family = "linear"  # or "boosting"
    description = ""

    def fit(self, X, y, groups=None, time=None, coords=None) -> Model:
        raise NotImplementedError

    def predict_dist(self, X, groups=None, time=None, coords=None) -> Prediction:
        raise NotImplementedError

    def predict(self, X, groups=None, time=None, coords=None) -> np.ndarray:
        return self.predict_dist(X, groups=groups, time=time, coords=coords).mean


class Design:
    """Standardised numeric design matrix with an intercept; drops constant and collinear
    columns seen in training (mixed-model optimisers fail on singular designs; predictions of
    least squares do not depend on the choice)."""

    def fit(self, X) -> Design:
        from scipy.linalg import qr

        values = X.to_numpy(float)
        self.mean = values.mean(axis=0)
        self.scale = values.std(axis=0)
        varying = np.flatnonzero(self.scale > 1e-12)
        z = (values[:, varying] - self.mean[varying]) / self.scale[varying]
        if z.shape[1]:
            _, r, pivots = qr(z, mode="economic", pivoting=True)
            tol = abs(r[0, 0]) * 1e-9 * max(z.shape)
            rank = int((np.abs(np.diag(r)) > tol).sum())
            varying = np.sort(varying[pivots[:rank]])
        self.columns = [X.columns[i] for i in varying]
        self.keep = varying
        return self

    def transform(self, X) -> np.ndarray:
        values = X.to_numpy(float)[:, self.keep]
        z = (values - self.mean[self.keep]) / self.scale[self.keep]
        return np.column_stack([np.ones(len(values)), z])

    def index(self, column: str) -> int | None:
        """Position of a feature in the transformed matrix (after the intercept), if kept."""
        return self.columns.index(column) + 1 if column in self.columns else None
