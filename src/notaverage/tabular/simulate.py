"""A simulator of human-systems data with known truth.

Design: pupils (subjects) nested in schools (groups), each measured at `n_times` occasions.
Every effect has its own strength (0 switches it off), so each can be tested alone:

    y = b0 + X beta + 0.1 t                       fixed linear part (always on)
      + hierarchy * (u0_school + u1_school * x1)    random intercepts and slopes per school
      + frailty   * v_subject                       unmeasured individual heterogeneity
      + nonlinear * (1.5 [x2 > 0.5] + x3 x4 - 1.5 [z < -0.5])   thresholds and an interaction
      + ar1       * e_(subject, t)                  AR(1) over occasions within a subject
      + spatial   * s(coords_subject)               Gaussian process over subjects' homes
      + noise

The oracle is the best predictor attainable from the observed rows under the true model: the
known part of the mean (fixed + nonlinear) plus the best linear unbiased prediction (BLUP, the
Gaussian conditional mean) of the random parts from the training rows, with the true variance
components (`oracle_prediction`). It cannot see the random effects of new groups or future AR(1)
shocks, so its error exceeds the noise level wherever those matter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from notaverage.tabular.task import Task

EFFECTS = ("hierarchy", "frailty", "nonlinear", "ar1", "spatial")


@dataclass(frozen=True)
class SimConfig:
    n_groups: int = 30
    n_subjects: int = 4  # per group
    n_times: int = 8  # occasions per subject
    noise_sd: float = 1.0
    # effect strengths (multipliers of the base scales below; 0 = off)
    hierarchy: float = 0.0
    frailty: float = 0.0
    nonlinear: float = 0.0
    ar1: float = 0.0
    spatial: float = 0.0
    # base scales
    intercept_sd: float = 1.0
    slope_sd: float = 0.5
    frailty_sd: float = 0.8
    ar1_rho: float = 0.7
    ar1_sd: float = 0.8  # stationary sd of the AR(1) process
    spatial_sd: float = 0.8
    spatial_range: float = 0.25  # exponential covariance exp(-d / range) on the unit square


BETA = {"x1": 1.0, "x2": -0.5, "x3": 0.5, "x4": 0.25, "z": 0.5}


def scenarios() -> dict[str, SimConfig]:
    """The named scenarios: a linear control, each effect alone, then everything at once."""
    base = SimConfig()
    named = {"sim_linear": base}
    for effect in EFFECTS:
        named[f"sim_{effect}"] = replace(base, **{effect: 1.0})
    named["sim_all"] = replace(base, **{e: 1.0 for e in EFFECTS})
    return named


def simulate(config: SimConfig, seed: int, name: str = "sim") -> Task:
    """Draw one data set from `config`; the same seed gives the same rows."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    c = config
    n_subj = c.n_groups * c.n_subjects
    school = np.repeat(np.arange(c.n_groups), c.n_subjects * c.n_times)
    subject = np.repeat(np.arange(n_subj), c.n_times)
    time = np.tile(np.arange(c.n_times), n_subj).astype(float)
    n = len(school)

    # covariates: four row-level, one school-level (z), and each subject's home coordinates
    x = rng.normal(size=(n, 4))
    z = rng.normal(size=c.n_groups)[school]
    centres = rng.uniform(0.1, 0.9, size=(c.n_groups, 2))
    homes = np.clip(centres.repeat(c.n_subjects, axis=0) + rng.normal(0, 0.08, (n_subj, 2)), 0, 1)
    coords = homes[subject]

    fixed = 2.0 + x @ np.array([BETA[k] for k in ("x1", "x2", "x3", "x4")]) + BETA["z"] * z + 0.1 * time
    parts = {
        "hierarchy": _hierarchy(rng, c, school, x[:, 0]),
        "frailty": c.frailty_sd * rng.normal(size=n_subj)[subject],
        "nonlinear": 1.5 * (x[:, 1] > 0.5) + x[:, 2] * x[:, 3] - 1.5 * (z < -0.5),
        "ar1": _ar1(rng, c, n_subj),
        "spatial": _gp(rng, homes, c.spatial_sd, c.spatial_range)[subject],
    }
    known = fixed + c.nonlinear * parts["nonlinear"]
    truth = fixed + sum(getattr(c, k) * parts[k] for k in EFFECTS)
    y = truth + c.noise_sd * rng.normal(size=n)

    X = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "x4": x[:, 3], "z": z,
                      "t": time, "cx": coords[:, 0], "cy": coords[:, 1]})
    groups = pd.DataFrame({"school": school, "subject": subject})
    on = [k for k in EFFECTS if getattr(c, k) > 0]
    splits = ("random", "time", "group") + (("spatial",) if c.spatial > 0 else ())
    return Task(
        name=name, kind="simulated", X=X, y=y, splits=splits, groups=groups,
        slopes=("x1",), time=time, coords=coords, location=subject, spatial_effect=c.spatial > 0,
        truth=truth, noise_sd=c.noise_sd, known_mean=known,
        meta={"config": asdict(c), "effects_on": on, "seed": seed, "target": "y (simulated)",
              "grouping": "subjects nested in schools", "description": _describe(on)},
    )


def true_variances(config: SimConfig) -> dict[str, float]:
    """The variance components the simulator draws from (for recovery tests)."""
    c = config
    return {
        "school_intercept": (c.hierarchy * c.intercept_sd) ** 2,
        "school_slope_x1": (c.hierarchy * c.slope_sd) ** 2,
        "subject": (c.frailty * c.frailty_sd) ** 2,
        "residual": c.noise_sd**2,
    }


def true_covariance(config: SimConfig, task, rows_a, rows_b) -> np.ndarray:
    """Covariance of the random parts (hierarchy, frailty, AR(1), spatial) between two row sets."""
    c = config
    school, subject = task.groups["school"].to_numpy(), task.groups["subject"].to_numpy()
    x1, t, xy = task.X["x1"].to_numpy(), task.time, task.coords
    same_school = school[rows_a][:, None] == school[rows_b][None, :]
    same_subject = subject[rows_a][:, None] == subject[rows_b][None, :]
    slope = np.outer(x1[rows_a], x1[rows_b])
    cov = c.hierarchy**2 * same_school * (c.intercept_sd**2 + c.slope_sd**2 * slope)
    cov = cov + c.frailty**2 * c.frailty_sd**2 * same_subject
    lag = np.abs(t[rows_a][:, None] - t[rows_b][None, :])
    cov = cov + c.ar1**2 * c.ar1_sd**2 * same_subject * c.ar1_rho**lag
    if c.spatial:
        d = np.sqrt(((xy[rows_a][:, None, :] - xy[rows_b][None, :, :]) ** 2).sum(-1))
        cov = cov + c.spatial**2 * c.spatial_sd**2 * np.exp(-d / c.spatial_range)
    return cov


def oracle_prediction(task, train, test) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of the best attainable prediction of `test` rows from `train` rows: the known
    mean plus the BLUP of the random parts under the true variance components."""
    from scipy.linalg import cho_factor, cho_solve

    config = SimConfig(**task.meta["config"])
    k_tt = true_covariance(config, task, train, train)
    k_st = true_covariance(config, task, test, train)
    factor = cho_factor(k_tt + config.noise_sd**2 * np.eye(len(train)))
    resid = task.y[train] - task.known_mean[train]
    mean = task.known_mean[test] + k_st @ cho_solve(factor, resid)
    prior = np.diag(true_covariance(config, task, test, test))
    explained = np.einsum("ij,ji->i", k_st, cho_solve(factor, k_st.T))
    var = prior - explained + config.noise_sd**2
    return mean, np.sqrt(np.maximum(var, config.noise_sd**2))


def _hierarchy(rng, c: SimConfig, school: np.ndarray, x1: np.ndarray) -> np.ndarray:
    u0 = c.intercept_sd * rng.normal(size=c.n_groups)
    u1 = c.slope_sd * rng.normal(size=c.n_groups)
    return u0[school] + u1[school] * x1


def _ar1(rng, c: SimConfig, n_subj: int) -> np.ndarray:
    """Stationary AR(1) within each subject, rows ordered subject-major then time."""
    rho = c.ar1_rho
    e = np.empty((n_subj, c.n_times))
    e[:, 0] = rng.normal(size=n_subj) * c.ar1_sd
    innovation_sd = c.ar1_sd * np.sqrt(1 - rho**2)
    for t in range(1, c.n_times):
        e[:, t] = rho * e[:, t - 1] + innovation_sd * rng.normal(size=n_subj)
    return e.ravel()


def _gp(rng, points: np.ndarray, sd: float, length: float) -> np.ndarray:
    """One draw of a zero-mean Gaussian process with exponential covariance at `points`."""
    d = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    cov = sd**2 * np.exp(-d / length) + 1e-9 * np.eye(len(points))
    return np.linalg.cholesky(cov) @ rng.normal(size=len(points))


def _describe(on: list[str]) -> str:
    return "linear truth (control)" if not on else "truth with " + ", ".join(on)
