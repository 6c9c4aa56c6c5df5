"""The simulator: known truth, independent effect switches, recoverable variance components."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("statsmodels")

from notaverage.tabular.simulate import EFFECTS, SimConfig, scenarios, simulate, true_variances


def _linear_r2(task) -> float:
    """R^2 of the truth regressed on the features the fixed part uses."""
    A = np.column_stack([np.ones(task.n), task.X[["x1", "x2", "x3", "x4", "z", "t"]].to_numpy()])
    beta, *_ = np.linalg.lstsq(A, task.truth, rcond=None)
    resid = task.truth - A @ beta
    return 1 - resid.var() / task.truth.var()


def test_control_truth_is_exactly_linear_and_each_effect_breaks_it():
    named = scenarios()
    assert _linear_r2(simulate(named["sim_linear"], 0)) == pytest.approx(1.0, abs=1e-12)
    for effect in EFFECTS:
        assert _linear_r2(simulate(named[f"sim_{effect}"], 0)) < 0.99, effect


def test_switching_one_effect_changes_only_that_component():
    base = SimConfig(n_groups=8, n_subjects=3, n_times=4)
    linear = simulate(base, 7)
    for effect in EFFECTS:
        one = simulate(replace(base, **{effect: 1.0}), 7)
        np.testing.assert_array_equal(one.X.to_numpy(), linear.X.to_numpy())
        # same noise draw, so y moves exactly as much as the truth does
        np.testing.assert_allclose(one.y - linear.y, one.truth - linear.truth, atol=1e-12)
        assert np.abs(one.truth - linear.truth).max() > 0.1, effect


def test_same_seed_same_rows_and_oracle_error_is_the_noise_level():
    config = replace(scenarios()["sim_all"], n_groups=20)
    a, b = simulate(config, 3), simulate(config, 3)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.y, simulate(config, 4).y)
    oracle_rmse = np.sqrt(np.mean((a.y - a.truth) ** 2))
    assert oracle_rmse == pytest.approx(config.noise_sd, rel=0.08)


def test_ar1_has_the_configured_autocorrelation():
    config = SimConfig(n_groups=100, n_subjects=5, n_times=8, ar1=1.0, noise_sd=0.0)
    task = simulate(config, 1)
    linear = simulate(replace(config, ar1=0.0), 1)
    e = (task.truth - linear.truth).reshape(-1, config.n_times)
    lag1 = np.corrcoef(e[:, :-1].ravel(), e[:, 1:].ravel())[0, 1]
    assert lag1 == pytest.approx(config.ar1_rho, abs=0.05)
    assert e.std() == pytest.approx(config.ar1_sd, rel=0.08)


def test_mixedlm_recovers_the_variance_components():
    """Random school intercepts and slopes, subject frailty, noise: MixedLM (REML) on a large
    draw must land near the variances the simulator drew from."""
    import pandas as pd
    import statsmodels.formula.api as smf

    config = SimConfig(n_groups=80, n_subjects=5, n_times=6, hierarchy=1.0, frailty=1.0)
    task = simulate(config, 11)
    data = pd.concat([task.X, task.groups], axis=1).assign(y=task.y)
    model = smf.mixedlm("y ~ x1 + x2 + x3 + x4 + z + t", data, groups="school", re_formula="~x1",
                        vc_formula={"subject": "0 + C(subject)"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(reml=True, method=["lbfgs"])
    truth = true_variances(config)
    cov = np.asarray(fit.cov_re)
    assert cov[0, 0] == pytest.approx(truth["school_intercept"], abs=0.4)
    assert cov[1, 1] == pytest.approx(truth["school_slope_x1"], abs=0.12)
    assert float(fit.vcomp[0]) == pytest.approx(truth["subject"], abs=0.15)
    assert fit.scale == pytest.approx(truth["residual"], abs=0.1)
    # and the fixed effects are the simulator's betas
    assert fit.fe_params["x1"] == pytest.approx(1.0, abs=0.15)
    assert fit.fe_params["t"] == pytest.approx(0.1, abs=0.03)


def test_oracle_is_the_blup_with_true_variance_components():
    """Random intercepts only: the oracle must equal the textbook shrinkage predictor
    known mean + s_u^2 / (s^2 + n_g s_u^2) * (sum of the school's training residuals)."""
    from notaverage.tabular.simulate import oracle_prediction

    config = SimConfig(n_groups=10, n_subjects=1, n_times=6, hierarchy=1.0, slope_sd=0.0, intercept_sd=0.7)
    task = simulate(config, 5)
    train, test = np.flatnonzero(task.time < 4), np.flatnonzero(task.time >= 4)
    mean, sd = oracle_prediction(task, train, test)
    school = task.groups["school"].to_numpy()
    su2, s2 = 0.7**2, 1.0
    resid = task.y - task.known_mean
    for i, row in enumerate(test):
        mine = train[school[train] == school[row]]
        shrink = su2 / (s2 + len(mine) * su2)
        assert mean[i] == pytest.approx(task.known_mean[row] + shrink * resid[mine].sum())
        assert sd[i] ** 2 == pytest.approx(su2 * s2 / (s2 + len(mine) * su2) + s2)
    # with every random part switched off the oracle is the true mean with the noise sd
    linear = simulate(SimConfig(n_groups=10, n_subjects=2, n_times=6), 5)
    mean, sd = oracle_prediction(linear, train, test)
    np.testing.assert_allclose(mean, linear.truth[test])
    np.testing.assert_allclose(sd, 1.0)


def test_fresh_data_per_repeat_and_the_oracle_above_the_noise_for_new_groups():
    from notaverage.tabular.protocol import plan

    task = simulate(replace(scenarios()["sim_hierarchy"], n_groups=15), 0, "sim_hierarchy")
    units = [u for u in plan([task], 3, seed=0) if u[1] == "group"]
    ys = [u[0].y for u in units]
    assert not np.array_equal(ys[0], ys[1]) and not np.array_equal(ys[1], ys[2])
    from notaverage.tabular.simulate import oracle_prediction

    drawn, _, _, train, test = units[0]
    mean, _ = oracle_prediction(drawn, train, test)
    # new schools: nothing to learn about their intercepts, so the oracle pays their variance
    assert np.sqrt(np.mean((drawn.y[test] - mean) ** 2)) > 1.15
    np.testing.assert_allclose(mean, drawn.known_mean[test], atol=1e-9)  # other schools tell nothing
