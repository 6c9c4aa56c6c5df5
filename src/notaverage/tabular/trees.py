"""Gradient boosted trees: LightGBM (with or without group ids) and GPBoost (trees + random effects).

Tuning is nested: every tree model tries a small fixed grid (the budget below) on an inner
holdout of its *training* rows, drawn like the outer split (new groups for new-group splits, the
latest times for time splits, ...), with the number of rounds chosen by early stopping; the best
configuration is refitted on all training rows with that many rounds. The test fold is never
seen. The inner-holdout RMSE of the chosen configuration is kept (`valid_rmse_`): the protocol
uses it to choose the best boosting model without looking at test data.

Budget per fit: LightGBM 4 configurations x at most 1000 rounds (quick: 2 x 300); GPBoost 2
configurations x at most 500 rounds (quick: 1 x 200); learning rate 0.05, patience 30 rounds.

Uncertainty: LightGBM has none of its own, so its predictive sd is the RMS of the holdout
residuals and its 90% interval is split-conformal (the 90% quantile of absolute holdout
residuals). GPBoost's sd is its own (random-effect plus error variance), left uncalibrated.

GPBoost gets the same random effects as the mixed model: intercepts for every grouping factor
and the task's random slopes on the top-level group. On spatial tasks it also gets its own
Gaussian process on the coordinates (exponential covariance; Vecchia approximation above
VECCHIA_ABOVE distinct locations). There, the covariance parameters are estimated once per fit
by GPBoost's GPModel with a linear mean (maximum likelihood) and held fixed while the trees are
boosted: re-estimating them at every round cost ~2 s per round on the simulator (one 50-round fit:
107 s), holding them fixed 0.004 s.

All libraries run on one thread: with OpenMP on two shared cores a fit ran ~80x slower.
"""

from __future__ import annotations

import numpy as np

from notaverage.tabular.models import Model, Prediction
from notaverage.tabular.spatial import LocationKriging, apply_kriging
from notaverage.tabular.splits import inner_holdout, location_ids

PATIENCE = 30
LEARNING_RATE = 0.05
VECCHIA_ABOVE = 500  # distinct locations; GPBoost's exact GP is cubic in them
# Above this many training rows GPBoost's GP is not affordable here: with repeated coordinates
# (usjoin: 48 states x ~65 years) one covariance fit with a linear mean ran over 150 s of wall time
# under shared load and never finished. Such fits krige the trees' residual location effects instead
# (two-stage, as the mixed model does).
GP_MAX_ROWS = 1500
# GPBoost's inner covariance optimiser: a looser tolerance was ~5x faster with the same holdout RMSE.
GP_OPTIM = {"delta_rel_conv": 1e-4}


def tree_params(n: int, seed: int) -> dict:
    leaf = int(max(5, min(20, n // 20)))
    return {"objective": "regression", "learning_rate": LEARNING_RATE, "num_leaves": 15,
            "min_data_in_leaf": leaf, "min_data_per_group": leaf, "cat_smooth": 5.0, "lambda_l2": 1.0,
            "feature_fraction": 0.9, "num_threads": 1, "seed": seed, "deterministic": True,
            "force_col_wise": True, "feature_pre_filter": False, "verbose": -1}


def lgbm_grid(n: int, quick: bool) -> list[dict]:
    """Shallow/additive, default, more regularised, deeper."""
    leaf = int(max(5, min(20, n // 20)))
    grid = [{"num_leaves": 4}, {"num_leaves": 15}, {"num_leaves": 15, "min_data_in_leaf": 2 * leaf,
                                                    "lambda_l2": 10.0},
            {"num_leaves": 31, "min_data_in_leaf": max(5, leaf // 2)}]
    return grid[:2] if quick else grid


def gpboost_grid(quick: bool) -> list[dict]:
    grid = [{"num_leaves": 4}, {"num_leaves": 15}]
    return grid[:1] if quick else grid


def max_rounds(quick: bool, gpboost: bool = False) -> int:
    if gpboost:
        return 200 if quick else 500
    return 300 if quick else 1000


class LGBM(Model):
    family = "boosting"

    def __init__(self, use_groups: bool = False, valid_kind: str = "random", seed: int = 0,
                 quick: bool = False):
        self.use_groups = use_groups
        self.valid_kind = valid_kind
        self.seed = seed
        self.quick = quick
        self.name = "lgbm_group" if use_groups else "lgbm"
        self.description = ("LightGBM" + (" with group ids as categorical features" if use_groups else "")
                            + "; tuned on inner folds; split-conformal 90% interval")

    def _features(self, X, groups):
        if not self.use_groups or groups is None:
            return X.reset_index(drop=True), []
        ids = groups.reset_index(drop=True).add_prefix("id_")
        return X.reset_index(drop=True).join(ids), list(ids.columns)

    def fit(self, X, y, groups=None, time=None, coords=None):
        import lightgbm as lgb

        y = np.asarray(y, float)
        F, cats = self._features(X, groups)
        top = None if groups is None else groups.iloc[:, 0].to_numpy()
        tr, va = inner_holdout(self.valid_kind, top, time, coords, location_ids(coords), len(y), self.seed)
        dtrain = lgb.Dataset(F.iloc[tr], y[tr], categorical_feature=cats or "auto", free_raw_data=False)
        dvalid = lgb.Dataset(F.iloc[va], y[va], reference=dtrain)
        best = None
        for config in lgbm_grid(len(y), self.quick):
            params = {**tree_params(len(y), self.seed), **config}
            booster = lgb.train(params, dtrain, max_rounds(self.quick), valid_sets=[dvalid],
                                callbacks=[lgb.early_stopping(PATIENCE, verbose=False)])
            rounds = max(1, booster.best_iteration or max_rounds(self.quick))
            resid = y[va] - booster.predict(F.iloc[va], num_iteration=rounds)
            score = float(np.sqrt(np.mean(resid**2)))
            if best is None or score < best[0]:
                best = (score, params, rounds, resid)
        self.valid_rmse_, self.params_, self.rounds, resid = best
        self.configs_tried_ = len(lgbm_grid(len(y), self.quick))
        self.sd = self.valid_rmse_
        self.q90 = conformal_quantile(np.abs(resid), 0.9)
        full = lgb.Dataset(F, y, categorical_feature=cats or "auto")
        self.booster = lgb.train(self.params_, full, self.rounds)
        return self

    def predict_dist(self, X, groups=None, time=None, coords=None):
        F, _ = self._features(X, groups)
        mean = self.booster.predict(F)
        pred = Prediction.gaussian(mean, self.sd)
        pred.lower, pred.upper = mean - self.q90, mean + self.q90
        return pred


class GPBoost(Model):
    name = "gpboost"
    family = "boosting"
    description = ("GPBoost: trees for the mean plus the mixed model's random effects (intercepts for "
                   "every grouping factor, the task's random slopes) and, on spatial tasks, its own "
                   "Gaussian process on the coordinates; tuned on inner folds")

    def __init__(self, spatial: bool = False, slopes=(), valid_kind: str = "random", seed: int = 0,
                 quick: bool = False):
        self.spatial = spatial
        self.slopes = tuple(slopes)
        self.valid_kind = valid_kind
        self.seed = seed
        self.quick = quick

    def _re_args(self, X, groups, coords, pred: bool) -> dict:
        """GPModel arguments (fit or prediction side) for the random effects of these rows."""
        suffix = "_pred" if pred else ""
        args = {}
        if groups is not None:
            args["group_data" + suffix] = groups.to_numpy()
            if self.slope_cols_:  # standardised with the training mean and sd, as in the mixed model
                values = X[self.slope_cols_].to_numpy(float)
                args["group_rand_coef_data" + suffix] = (values - self.slope_mean_) / self.slope_sd_
        if self.gp_ and coords is not None:
            args["gp_coords" + suffix] = np.asarray(coords, float)
        return args

    def _new_gp(self, X, groups, coords, n_locations: int, init=None):
        import gpboost as gpb

        args = self._re_args(X, groups, coords, pred=False)
        if "group_rand_coef_data" in args:
            args["ind_effect_group_rand_coef"] = [1] * args["group_rand_coef_data"].shape[1]
        if "gp_coords" in args:
            args["cov_function"] = "exponential"
            args["gp_approx"] = "vecchia" if n_locations > VECCHIA_ABOVE else "none"
        gp = gpb.GPModel(likelihood="gaussian", num_parallel_threads=1, **args)
        gp.set_optim_params(params=dict(GP_OPTIM, **({"init_cov_pars": init} if init is not None else {})))
        return gp

    def fit(self, X, y, groups=None, time=None, coords=None):
        y = np.asarray(y, float)
        X = X.reset_index(drop=True)
        groups = None if groups is None else groups.reset_index(drop=True)
        self.slope_cols_ = [s for s in self.slopes if s in X.columns]
        if self.slope_cols_:
            values = X[self.slope_cols_].to_numpy(float)
            self.slope_mean_, self.slope_sd_ = values.mean(axis=0), np.where(values.std(axis=0) > 0,
                                                                             values.std(axis=0), 1.0)
        spatial = self.spatial and coords is not None
        self.gp_ = spatial and len(y) <= GP_MAX_ROWS
        self.krige = None
        if groups is None and not self.gp_:  # nothing to model but the mean: plain trees
            self.trees = LGBM(valid_kind=self.valid_kind, seed=self.seed, quick=self.quick).fit(X, y)
            self.valid_rmse_, self.rounds = self.trees.valid_rmse_, self.trees.rounds
            if spatial:
                self.krige = LocationKriging().fit(coords, y - self.trees.predict(X))
            return self
        self.trees = None
        # GPBoost's tree steps scale like 1 / error variance: on sleepstudy's raw scale (ms) the
        # trees learnt 0.5% of the Days effect in 100 rounds, on usjoin's (sd 0.2) they overshot.
        self.y_mean, self.y_sd = float(y.mean()), float(y.std()) or 1.0
        z = (y - self.y_mean) / self.y_sd
        n_loc = 0 if coords is None else len(np.unique(location_ids(coords)))
        self.cov_pars_ = self._fixed_cov_pars(X, z, groups, coords, n_loc) if self.gp_ else None
        top = None if groups is None else groups.iloc[:, 0].to_numpy()
        tr, va = inner_holdout(self.valid_kind, top, time, coords, location_ids(coords), len(y), self.seed)
        self._tune(X, z, groups, coords, n_loc, tr, va)
        self.gp = self._new_gp(X, groups, coords, n_loc, self.cov_pars_)
        self.booster = self._train(self.params_, X, z, self.gp, self.rounds)
        self.error_var = float(np.asarray(self.gp.get_cov_pars()).ravel()[0])
        if spatial and not self.gp_:
            latent = self.booster.predict(data=X, pred_latent=True,
                                          **self._re_args(X, groups, None, pred=True))
            fixed = self.y_mean + self.y_sd * np.asarray(latent["fixed_effect"], float)
            self.krige = LocationKriging().fit(coords, y - fixed)
        return self

    def _fixed_cov_pars(self, X, z, groups, coords, n_loc):
        """Covariance parameters from GPBoost's GPModel with a linear mean (ML), held fixed later."""
        gp = self._new_gp(X, groups, coords, n_loc)
        values = X.to_numpy(float)
        scale = np.where(values.std(axis=0) > 0, values.std(axis=0), 1.0)
        gp.fit(y=z, X=np.column_stack([np.ones(len(z)), (values - values.mean(axis=0)) / scale]))
        return np.asarray(gp.get_cov_pars(), float).ravel()

    def _train(self, params, X, z, gp, rounds, valid=None):
        import gpboost as gpb

        dtrain = gpb.Dataset(X, z)
        extra = {}
        if valid is not None:
            extra = {"valid_sets": [gpb.Dataset(valid[0], valid[1], reference=dtrain)],
                     "early_stopping_rounds": PATIENCE, "use_gp_model_for_validation": True}
        return gpb.train(dict(params, metric="l2"), dtrain, num_boost_round=rounds, gp_model=gp,
                         train_gp_model_cov_pars=self.cov_pars_ is None, verbose_eval=False, **extra)

    def _tune(self, X, z, groups, coords, n_loc, tr, va):
        Xt, Xv, gt, gv = _rows(X, tr), _rows(X, va), _rows(groups, tr), _rows(groups, va)
        best = None
        for config in gpboost_grid(self.quick):
            params = {**tree_params(len(z), self.seed), **config}
            gp = self._new_gp(Xt, gt, _rows(coords, tr), n_loc, self.cov_pars_)
            gp.set_prediction_data(**self._re_args(Xv, gv, _rows(coords, va), pred=True))
            booster = self._train(params, Xt, z[tr], gp, max_rounds(self.quick, True), valid=(Xv, z[va]))
            rounds = max(1, booster.best_iteration or max_rounds(self.quick, True))
            score = float(np.sqrt(booster.best_score["valid_0"]["l2"])) * self.y_sd
            if best is None or score < best[0]:
                best = (score, params, rounds)
        self.valid_rmse_, self.params_, self.rounds = best
        self.configs_tried_ = len(gpboost_grid(self.quick))

    def predict_dist(self, X, groups=None, time=None, coords=None):
        X = X.reset_index(drop=True)
        if self.trees is not None:
            base = self.trees.predict_dist(X)
            fixed, mean, var = base.mean, base.mean, base.sd**2
        else:
            groups = None if groups is None else groups.reset_index(drop=True)
            pred = self.booster.predict(data=X, pred_latent=True, predict_var=True,
                                        **self._re_args(X, groups, coords, pred=True))
            fixed = self.y_mean + self.y_sd * np.asarray(pred["fixed_effect"], float)
            mean = fixed + self.y_sd * np.asarray(pred["random_effect_mean"], float)
            var = self.y_sd**2 * (np.asarray(pred["random_effect_cov"], float) + self.error_var)
        if self.krige is not None:
            mean, var = apply_kriging(self.krige, coords, fixed, mean, var)
        return Prediction.gaussian(mean, np.sqrt(var))


def _rows(data, rows):
    """Rows of a DataFrame (index reset) or an array; None stays None."""
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[rows].reset_index(drop=True)
    return np.asarray(data)[rows]


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """Split-conformal quantile: the ceil((m + 1) level)-th smallest score (inf if m is too small)."""
    m = len(scores)
    k = int(np.ceil((m + 1) * level))
    return float(np.sort(scores)[k - 1]) if 1 <= k <= m else float("inf")
