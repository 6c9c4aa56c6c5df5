"""Linear models: OLS, OLS with group fixed effects, and the linear mixed model.

The mixed model uses statsmodels MixedLM (REML, random intercept plus the task's random slopes)
when there is one grouping factor. statsmodels' `predict()` returns only the fixed part, so the
BLUPs of known groups are added here, with their conditional variance. Crossed or nested
factors (InstEval, the simulator) use GPBoost's GPModel with a linear mean instead: the
same model family, fitted by maximum likelihood, and far faster for thousands of levels.
"""

from __future__ import annotations

import warnings

import numpy as np

from notaverage.tabular.models import Design, Model, Prediction
from notaverage.tabular.spatial import LocationKriging, apply_kriging


class OLS(Model):
    name = "ols"
    description = "ordinary least squares on all features (Gaussian predictive sd with leverage)"

    def fit(self, X, y, groups=None, time=None, coords=None):
        self.design = Design().fit(X)
        A = self.design.transform(X)
        self.beta, self.sigma2, self.cov_unscaled = _least_squares(A, np.asarray(y, float), want_cov=True)
        return self

    def predict_dist(self, X, groups=None, time=None, coords=None):
        A = self.design.transform(X)
        leverage = np.einsum("ij,jk,ik->i", A, self.cov_unscaled, A)
        return Prediction.gaussian(A @ self.beta, np.sqrt(self.sigma2 * (1 + leverage)))


class OLSFixedEffects(Model):
    name = "ols_fe"
    description = ("OLS with a dummy per top-level group; a group unseen in training gets the "
                   "size-weighted mean group effect and the spread of group effects in its sd")

    def fit(self, X, y, groups=None, time=None, coords=None):
        if groups is None:
            raise ValueError("ols_fe needs groups")
        self.design = Design().fit(X)
        g = groups.iloc[:, 0].to_numpy()
        self.levels, codes, counts = np.unique(g, return_inverse=True, return_counts=True)
        A = np.column_stack([self.design.transform(X)[:, 1:], np.eye(len(self.levels))[codes]])
        self.beta, self.sigma2, _ = _least_squares(A, np.asarray(y, float))
        effects = self.beta[-len(self.levels):]
        self.mean_effect = float(np.average(effects, weights=counts))
        self.effect_var = float(np.average((effects - self.mean_effect) ** 2, weights=counts))
        return self

    def predict_dist(self, X, groups=None, time=None, coords=None):
        k = len(self.levels)
        mean = self.design.transform(X)[:, 1:] @ self.beta[:-k]
        pos = np.searchsorted(self.levels, groups.iloc[:, 0].to_numpy())
        pos = np.minimum(pos, k - 1)
        seen = self.levels[pos] == groups.iloc[:, 0].to_numpy()
        mean += np.where(seen, self.beta[-k:][pos], self.mean_effect)
        var = self.sigma2 + np.where(seen, 0.0, self.effect_var)
        return Prediction.gaussian(mean, np.sqrt(var))


class LinearMixed(Model):
    name = "lmm"
    description = ("linear mixed model: random intercept (+ task's random slopes) per group; "
                   "MixedLM (REML) for one factor, GPBoost GPModel for crossed/nested factors; "
                   "plus a kriged spatial effect for unseen locations on spatial tasks")

    def __init__(self, slopes=(), spatial: bool = False):
        self.slopes = tuple(slopes)
        self.spatial = spatial

    def fit(self, X, y, groups=None, time=None, coords=None):
        y = np.asarray(y, float)
        self.design = Design().fit(X)
        A = self.design.transform(X)
        self.slope_idx = [i for i in (self.design.index(s) for s in self.slopes) if i is not None]
        self.estimation_, self.singular_, self.optimiser_ = "least squares", False, None
        if groups is None:
            self.backend = "ols"
            self.beta, self.sigma2, _ = _least_squares(A, y)
        elif groups.shape[1] == 1 and self._try_statsmodels(A, y, groups.iloc[:, 0].to_numpy()):
            self.backend = "statsmodels"
        else:
            self.backend = "gpboost"
            self._fit_gpboost(A, y, groups.to_numpy())
        self.krige = None
        if self.spatial and coords is not None:
            self.krige = LocationKriging().fit(coords, y - A @ self.beta)
        return self

    def _try_statsmodels(self, A, y, g) -> bool:
        """MixedLM, or False when it cannot fit (singular Hessian etc.): GPBoost's LMM takes over."""
        try:
            self._fit_statsmodels(A, y, g)
            return True
        except (np.linalg.LinAlgError, ValueError):
            return False

    def _fit_statsmodels(self, A, y, g):
        import statsmodels.api as sm

        re_cols = [0] + self.slope_idx
        fitted = _mixedlm(sm.MixedLM(y, A, groups=g, exog_re=A[:, re_cols]))
        if fitted is None and len(re_cols) > 1:
            re_cols = [0]  # fall back to random intercepts only
            fitted = _mixedlm(sm.MixedLM(y, A, groups=g))
        if fitted is None:
            raise ValueError("MixedLM did not converge")
        result, self.optimiser_, self.singular_ = fitted
        self.estimation_ = "REML"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            blups, blup_cov = result.random_effects, result.random_effects_cov
        self.re_cols = re_cols
        self.beta = np.asarray(result.fe_params, float)
        self.sigma2 = float(result.scale)
        self.cov_re = np.asarray(result.cov_re, float)
        self.blup = {k: np.asarray(v, float) for k, v in blups.items()}
        self.blup_cov = {k: np.asarray(v, float) for k, v in blup_cov.items()}

    def _fit_gpboost(self, A, y, g):
        import gpboost as gpb

        self.gp = gpb.GPModel(likelihood="gaussian", num_parallel_threads=1, **self._re_args(A, g))
        self.gp.fit(y=y, X=A)
        self.beta = np.asarray(self.gp.get_coef(), float).ravel()
        # GPModel estimates by maximum likelihood; singular as lme4 would call it: a relative sd
        # (random-effect sd / residual sd) below the tolerance
        pars = np.asarray(self.gp.get_cov_pars(), float).ravel()
        self.estimation_, self.optimiser_ = "ML", "gpboost"
        self.singular_ = bool(np.any(np.sqrt(np.maximum(pars[1:], 0) / pars[0]) < SINGULAR_TOL))

    def _re_args(self, A, g) -> dict:
        args = {"group_data": g}
        if self.slope_idx:
            args["group_rand_coef_data"] = A[:, self.slope_idx]
            args["ind_effect_group_rand_coef"] = [1] * len(self.slope_idx)
        return args

    def predict_dist(self, X, groups=None, time=None, coords=None):
        A = self.design.transform(X)
        if self.backend == "ols":
            mean, var = A @ self.beta, np.full(len(A), self.sigma2)
        elif self.backend == "statsmodels":
            mean, var = self._predict_statsmodels(A, groups.iloc[:, 0].to_numpy())
        else:
            slopes = A[:, self.slope_idx] if self.slope_idx else None
            pred = self.gp.predict(X_pred=A, group_data_pred=groups.to_numpy(),
                                   group_rand_coef_data_pred=slopes, predict_var=True, predict_response=True)
            mean, var = np.asarray(pred["mu"], float), np.asarray(pred["var"], float)
        if self.krige is not None:
            mean, var = apply_kriging(self.krige, coords, A @ self.beta, mean, var)
        return Prediction.gaussian(mean, np.sqrt(var))

    def _predict_statsmodels(self, A, g):
        Z = A[:, self.re_cols]
        mean = A @ self.beta
        var = np.full(len(A), self.sigma2)
        for level in np.unique(g):
            rows = np.flatnonzero(g == level)
            z = Z[rows]
            if level in self.blup:  # known group: add its BLUP and its conditional variance
                mean[rows] += z @ self.blup[level]
                var[rows] += np.einsum("ij,jk,ik->i", z, self.blup_cov[level], z)
            else:  # new group: the fixed part, with the random effects' variance
                var[rows] += np.einsum("ij,jk,ik->i", z, self.cov_re, z)
        return mean, var


OPTIMISERS = ("lbfgs", "bfgs", "powell", "cg")
SINGULAR_TOL = 1e-4  # lme4's isSingular default, on the relative Cholesky factor (theta)


def _mixedlm(model):
    """REML fit, trying optimisers in turn until one gives a proper optimum: finite
    log-likelihood, finite covariances, positive residual variance. L-BFGS can step to a
    variance so large that X'V^-1 X is singular, or stop at a degenerate point (zero variance,
    log-likelihood +inf); BFGS, Powell or CG then usually reach the REML optimum. A singular fit
    (a variance on the boundary, as lme4's isSingular) is kept only if no optimiser does better.
    Returns (result, method, singular) or None."""
    best = None
    for method in OPTIMISERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # boundary / convergence chatter; checked below
            try:
                result = model.fit(reml=True, method=[method])
            except (np.linalg.LinAlgError, ValueError):
                continue
        if not _proper(result):
            continue
        singular = is_singular(np.asarray(result.cov_re, float), float(result.scale))
        if not singular:
            return result, method, False
        if best is None or result.llf > best[0].llf:
            best = (result, method, True)
    return best


def _proper(result) -> bool:
    cov = np.asarray(result.cov_re, float)
    return (bool(result.converged) and np.isfinite(result.llf) and np.all(np.isfinite(cov))
            and np.isfinite(result.scale) and result.scale > 0)


def is_singular(cov_re: np.ndarray, scale: float, tol: float = SINGULAR_TOL) -> bool:
    """lme4's isSingular: a diagonal element of the Cholesky factor of the random-effect
    covariance relative to the residual variance (theta) below `tol` (a zero variance or a
    correlation of +/-1)."""
    rel = np.atleast_2d(cov_re) / scale
    try:
        factor = np.linalg.cholesky(rel + 1e-14 * np.eye(len(rel)))
    except np.linalg.LinAlgError:
        return True
    return bool(np.min(np.abs(np.diag(factor))) < tol)


def _least_squares(A: np.ndarray, y: np.ndarray, want_cov: bool = False):
    """Coefficients, residual variance and (if asked) (A'A)^+ of a least-squares fit."""
    beta, _, rank, _ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ beta
    sigma2 = float(resid @ resid / max(len(y) - rank, 1))
    return beta, sigma2, (np.linalg.pinv(A.T @ A) if want_cov else None)
