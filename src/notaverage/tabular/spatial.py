"""A spatial random effect for locations never seen in training, by kriging.

Why not GPBoost's own Gaussian process? Measured on this machine (1 thread): an exact GP with
repeated coordinates (panels: 200 locations x 5 visits) took 15-17 s for one *linear* fit, and
boosting with a GP on 800 distinct points took 35 s per 100 rounds, so a benchmark with
hundreds of fits could not afford it.

Instead both the mixed model and GPBoost get the same two-stage spatial effect: after fitting,
average each training location's residual from the fixed part (y - X beta, or y - trees), fit an
exponential covariance

    Cov(e_i, e_j) = s2 exp(-d_ij / range) + [i == j] (nugget + tau2 / n_i)

to those location means by maximum likelihood, and krige the effect at new locations. Seen
locations keep the model's own random effects (BLUPs); unseen ones get fixed part + kriged
effect, with predictive variance kriging variance + nugget + tau2.
"""

from __future__ import annotations

import numpy as np


def location_keys(coords: np.ndarray) -> list[tuple[float, float]]:
    return [tuple(np.round(c, 9)) for c in np.asarray(coords, dtype=float)]


class LocationKriging:
    """Exponential-covariance kriging of per-location residual means."""

    def fit(self, coords: np.ndarray, residual: np.ndarray) -> LocationKriging:
        from scipy.optimize import minimize

        keys = location_keys(coords)
        index: dict[tuple, int] = {}
        loc = np.array([index.setdefault(k, len(index)) for k in keys])
        counts = np.bincount(loc)
        self.points = np.array(list(index.keys()))
        self.known = set(index)
        means = np.bincount(loc, weights=residual) / counts
        # tau2: pooled within-location variance of rows (0 when every location has one row)
        within = residual - means[loc]
        dof = len(residual) - len(counts)
        self.tau2 = float((within**2).sum() / dof) if dof > 0 else 0.0
        self.offset = float(means.mean())
        self.effects = means - self.offset
        self.extra = self.tau2 / counts
        self.dist = _distances(self.points, self.points)
        scale = float(np.median(self.dist[self.dist > 0])) if len(self.points) > 1 else 1.0
        var = float(self.effects.var()) + 1e-12
        start = np.log([var / 2, scale / 3, var / 2])
        bounds = [(np.log(var) - 12, np.log(var) + 3), (np.log(scale) - 6, np.log(scale) + 4),
                  (np.log(var) - 12, np.log(var) + 3)]
        result = minimize(self._neg_loglik, start, method="L-BFGS-B", bounds=bounds)
        self.s2, self.range, self.nugget = np.exp(result.x)
        self._factor = np.linalg.cholesky(self._cov(result.x))
        self._alpha = _solve(self._factor, self.effects)
        return self

    def _cov(self, log_params: np.ndarray) -> np.ndarray:
        s2, length, nugget = np.exp(log_params)
        cov = s2 * np.exp(-self.dist / length)
        cov[np.diag_indices_from(cov)] += nugget + self.extra + 1e-10
        return cov

    def _neg_loglik(self, log_params: np.ndarray) -> float:
        try:
            factor = np.linalg.cholesky(self._cov(log_params))
        except np.linalg.LinAlgError:
            return 1e12
        alpha = _solve(factor, self.effects)
        return float(np.log(np.diag(factor)).sum() + 0.5 * self.effects @ alpha)

    def is_known(self, coords: np.ndarray) -> np.ndarray:
        return np.array([k in self.known for k in location_keys(coords)], dtype=bool)

    def predict(self, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Kriged effect and predictive variance of one new row at each of `coords`."""
        k = self.s2 * np.exp(-_distances(np.asarray(coords, dtype=float), self.points) / self.range)
        mean = self.offset + k @ self._alpha
        from scipy.linalg import solve_triangular

        v = solve_triangular(self._factor, k.T, lower=True)
        latent_var = np.maximum(self.s2 - (v**2).sum(axis=0), 0.0)
        return mean, latent_var + self.nugget + self.tau2


def apply_kriging(krige: LocationKriging, coords, fixed, mean, var):
    """Unseen locations: fixed part plus the kriged location effect and its variance."""
    unseen = ~krige.is_known(coords)
    if unseen.any():
        effect, effect_var = krige.predict(np.asarray(coords)[unseen])
        mean, var = mean.copy(), var.copy()
        mean[unseen] = fixed[unseen] + effect
        var[unseen] = effect_var
    return mean, var


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def _solve(factor: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    from scipy.linalg import cho_solve

    return cho_solve((factor, True), rhs)
