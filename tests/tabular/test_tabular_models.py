"""Models against known answers: who should win when the truth is known."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("lightgbm")
pytest.importorskip("gpboost")
pytest.importorskip("statsmodels")

from notaverage.tabular.linear import OLS, LinearMixed
from notaverage.tabular.scores import corrected_t_test, gaussian_crps, rmse, score
from notaverage.tabular.simulate import SimConfig, simulate
from notaverage.tabular.spatial import LocationKriging
from notaverage.tabular.trees import LGBM, conformal_quantile


def _train_test(config: SimConfig, seed: int, test_groups: int = 60):
    """Train on one draw, test on a large independent draw of the same design."""
    train = simulate(config, seed)
    test = simulate(replace(config, n_groups=test_groups), seed + 1000)
    return train, test


def _rmse(model, train, test):
    model.fit(train.X, train.y, groups=train.groups, time=train.time, coords=train.coords)
    return rmse(test.y, model.predict(test.X, groups=test.groups, time=test.time, coords=test.coords))


def test_linear_truth_small_n_ols_near_oracle_and_beats_boosting():
    config = SimConfig(n_groups=6, n_subjects=4, n_times=5)  # 120 rows, linear truth
    ratios = []
    for seed in range(3):
        train, test = _train_test(config, seed)
        oracle = rmse(test.y, test.truth)
        ols, trees = _rmse(OLS(), train, test), _rmse(LGBM(seed=seed), train, test)
        ratios.append(ols / oracle)
        assert ols < trees, f"seed {seed}: OLS {ols:.3f} should beat LightGBM {trees:.3f}"
    assert np.mean(ratios) < 1.08


def test_strong_threshold_effect_boosting_beats_ols():
    config = SimConfig(nonlinear=3.0)  # 960 rows; thresholds and an interaction dominate
    train, test = _train_test(config, 5)
    ols, trees = _rmse(OLS(), train, test), _rmse(LGBM(seed=0), train, test)
    assert trees < 0.8 * ols, f"LightGBM {trees:.3f} should clearly beat OLS {ols:.3f}"


def test_mixed_model_adds_blups_for_known_groups_and_falls_back_for_new_ones():
    config = SimConfig(n_groups=20, n_subjects=1, n_times=10, hierarchy=2.0)
    task = simulate(config, 2)
    groups = task.groups[["school"]]
    rows = np.arange(task.n)
    train, test = rows[rows % 10 < 8], rows[rows % 10 >= 8]  # every school on both sides
    X, y = task.X.iloc[train], task.y[train]
    lmm = LinearMixed(slopes=("x1",)).fit(X, y, groups=groups.iloc[train])
    assert lmm.backend == "statsmodels"
    known = lmm.predict_dist(task.X.iloc[test], groups=groups.iloc[test])
    fixed = lmm.design.transform(task.X.iloc[test]) @ lmm.beta
    assert rmse(task.y[test], known.mean) < 0.7 * rmse(task.y[test], fixed)
    new = lmm.predict_dist(task.X.iloc[test], groups=groups.iloc[test] + 1000)
    np.testing.assert_allclose(new.mean, fixed)
    assert np.all(new.sd > known.sd)  # unknown group effect widens the interval


def test_statsmodels_and_gpboost_mixed_models_agree():
    task = simulate(SimConfig(n_groups=25, n_subjects=2, n_times=6, hierarchy=1.0), 4)
    groups = task.groups[["school"]]
    sm = LinearMixed().fit(task.X, task.y, groups=groups)
    both = task.groups  # a second (nested, zero-variance) factor switches to the GPBoost backend
    gp = LinearMixed().fit(task.X, task.y, groups=both)
    assert sm.backend == "statsmodels" and gp.backend == "gpboost"
    a = sm.predict(task.X, groups=groups)
    b = gp.predict(task.X, groups=both)
    assert np.corrcoef(a, b)[0, 1] > 0.995


def test_ols_interval_coverage_is_nominal_on_linear_truth():
    train, test = _train_test(SimConfig(n_groups=20), 8)
    pred = OLS().fit(train.X, train.y).predict_dist(test.X)
    assert score(test.y, pred)["coverage90"] == pytest.approx(0.9, abs=0.03)


def test_kriging_recovers_a_smooth_field():
    rng = np.random.default_rng(0)
    pts = rng.uniform(size=(150, 2))
    field = np.sin(4 * pts[:, 0]) + np.cos(3 * pts[:, 1])
    k = LocationKriging().fit(pts[:120], field[:120] + 0.1 * rng.normal(size=120))
    mean, _var = k.predict(pts[120:])
    assert rmse(field[120:], mean) < 0.25 * field.std()
    assert k.is_known(pts[:3]).all() and not k.is_known(pts[120:123]).any()


def test_score_known_answers():
    assert conformal_quantile(np.arange(1, 20, dtype=float), 0.9) == 18.0  # ceil(20 * .9) = 18th
    assert conformal_quantile(np.array([1.0, 2.0]), 0.9) == np.inf
    # CRPS of a point forecast equals the absolute error as sd -> 0
    assert gaussian_crps(np.array([3.0]), np.array([1.0]), np.array([1e-9])) == pytest.approx(2.0)
    # Nadeau-Bengio: diffs 1,2,3 (mean 2, var 1), n_test/n_train = 0.25 -> t = 2 / sqrt(1/3 + 1/4)
    t, p = corrected_t_test([1.0, 2.0, 3.0], 0.25)
    assert t == pytest.approx(2 / np.sqrt(1 / 3 + 0.25))
    assert 0.05 < p < 0.2


def test_singular_fits_are_detected_as_lme4_does():
    from notaverage.tabular.linear import is_singular

    assert is_singular(np.array([[1e-12]]), 1.0)
    assert is_singular(np.array([[1.0, 1.0], [1.0, 1.0]]), 1.0)  # correlation +1
    assert not is_singular(np.array([[1.0, 0.3], [0.3, 0.5]]), 1.0)
    # group means of the noise are exactly equal: the REML group variance is 0, a singular fit
    import pandas as pd

    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(12), 6)
    e = rng.normal(size=len(g))
    e -= np.bincount(g, weights=e)[g] / 6
    X = pd.DataFrame({"x": rng.normal(size=len(g))})
    lmm = LinearMixed().fit(X, 1 + X["x"].to_numpy() + e, groups=pd.DataFrame({"g": g}))
    assert (lmm.backend, lmm.estimation_, lmm.singular_) == ("statsmodels", "REML", True)
    y = 1 + X["x"].to_numpy() + e + rng.normal(0, 2, 12)[g]
    ok = LinearMixed().fit(X, y, groups=pd.DataFrame({"g": g}))
    assert not ok.singular_
