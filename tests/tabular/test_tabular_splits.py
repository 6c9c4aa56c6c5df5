"""Splits respect the structure: new groups are new, the future is later, blocks are whole."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from notaverage.tabular.simulate import scenarios, simulate
from notaverage.tabular.splits import group_folds, inner_holdout, make_splits, random_within_groups


@pytest.fixture(scope="module")
def task():
    return simulate(replace(scenarios()["sim_all"], n_groups=20, n_subjects=4, n_times=8), 0)


def test_new_group_splits_never_share_a_group(task):
    pairs = make_splits(task, "group", 7, seed=1)
    assert len(pairs) == 7
    school, subject = task.groups["school"].to_numpy(), task.groups["subject"].to_numpy()
    for train, test in pairs:
        assert not set(school[train]) & set(school[test])
        assert not set(subject[train]) & set(subject[test])  # nested level follows
        assert len(train) + len(test) == task.n
    first_five = np.concatenate([test for _, test in pairs[:5]])
    assert sorted(first_five) == list(range(task.n))  # five folds cover every row once


def test_group_folds_known_answer():
    groups = np.repeat(np.arange(10), 3)
    for train, test in group_folds(groups, 5, np.random.default_rng(0)):
        assert len(set(groups[test])) == 2
        assert not set(groups[train]) & set(groups[test])


def test_random_split_keeps_every_tested_group_in_training(task):
    school = task.groups["school"].to_numpy()
    for train, test in make_splits(task, "random", 5, seed=2):
        assert set(school[test]) <= set(school[train])
        assert 0.15 < len(test) / task.n < 0.25
    groups = np.array([0, 1, 1, 2, 2, 2])  # a singleton group is never tested
    for seed in range(20):
        train, test = random_within_groups(groups, 6, np.random.default_rng(seed))
        assert 0 in groups[train] and 0 not in groups[test]


def test_time_split_trains_only_on_the_past(task):
    for train, test in make_splits(task, "time", 5, seed=3):
        assert task.time[train].max() < task.time[test].min()
        assert len(np.unique(task.time[train])) >= 3
    with pytest.raises(ValueError, match="distinct times"):
        short = simulate(replace(scenarios()["sim_linear"], n_times=6), 0)
        make_splits(short, "time", 5, seed=0)


def test_spatial_blocks_hold_out_whole_locations(task):
    for train, test in make_splits(task, "spatial", 5, seed=4):
        assert not set(task.location[train]) & set(task.location[test])


def test_inner_holdout_mirrors_the_outer_kind(task):
    school = task.groups["school"].to_numpy()
    tr, va = inner_holdout("group", school, task.time, task.coords, task.location, task.n, seed=0)
    assert not set(school[tr]) & set(school[va])
    tr, va = inner_holdout("time", school, task.time, task.coords, task.location, task.n, seed=0)
    assert task.time[tr].max() < task.time[va].min()


def test_spatial_split_holds_out_whole_groups(task):
    school = task.groups["school"].to_numpy()
    for train, test in make_splits(task, "spatial", 5, seed=4):
        assert not set(school[train]) & set(school[test])


def test_usjoin_is_centred_with_training_rows_only():
    from notaverage.tabular.datasets import load
    from notaverage.tabular.protocol import centre_by_time

    usjoin = load("usjoin", quick=True)
    for kind in ("spatial", "time"):
        train, test = make_splits(usjoin, kind, 3, seed=1)[0]
        centred = centre_by_time(usjoin, train)
        moved = replace(usjoin, y=usjoin.y + np.where(np.isin(np.arange(usjoin.n), test), 100.0, 0.0))
        again = centre_by_time(moved, train)
        np.testing.assert_allclose(again.y[train], centred.y[train])  # held-out values change nothing
        np.testing.assert_allclose(again.y[test], centred.y[test] + 100.0)
        year = usjoin.time[train][0]
        rows = train[usjoin.time[train] == year]
        assert centred.y[rows].mean() == pytest.approx(0.0, abs=1e-12)  # per-year training mean removed
