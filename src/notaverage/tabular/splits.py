"""Train/test splits that respect the structure of the data.

Every split kind yields `repeats` (train, test) index pairs with roughly 20% of rows in test, so
the corrected resampled t-test (Nadeau & Bengio 2003) can use n_test / n_train per pair.

- random:  within each top-level group, 20% of its rows go to test (groups with one row stay
           in training), so every tested group was also seen in training.
- time:    rolling origin. The last 40% of distinct times (at least `repeats`) are cut into
           `repeats` consecutive blocks; pair j trains on all times before block j, tests on it.
           The first origin must leave at least three occasions for training.
- group:   shuffled GroupKFold on the top-level group with 5 folds; repeats beyond 5 reshuffle.
- spatial: new groups in new places. The top-level groups' centroids (or, without groups, the
           distinct locations) are clustered into 10 k-means blocks; blocks are then held out as in
           `group`, so no tested group or location is in training and test locations are
           surrounded by other test locations, not by training.
"""

from __future__ import annotations

import numpy as np

from notaverage.tabular.task import Task

TEST_FRACTION = 0.2
N_FOLDS = 5
N_BLOCKS = 10


def make_splits(task: Task, kind: str, repeats: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if kind not in task.splits:
        raise ValueError(f"{task.name} does not support {kind!r} splits")
    rng = np.random.default_rng(seed)
    if kind == "random":
        return [random_within_groups(task.top_group, task.n, rng) for _ in range(repeats)]
    if kind == "time":
        return rolling_origin(task.time, repeats)
    if kind == "group":
        return group_folds(task.top_group, repeats, rng)
    return group_folds(spatial_blocks(task.coords, task.location, seed, task.top_group), repeats, rng)


def random_within_groups(groups: np.ndarray | None, n: int, rng, fraction: float = TEST_FRACTION):
    """Hold out `fraction` of each group's rows (rounded, at least one row kept for training)."""
    if groups is None:
        order = rng.permutation(n)
        n_test = max(1, round(fraction * n))
        return np.sort(order[n_test:]), np.sort(order[:n_test])
    test = []
    for g in np.unique(groups):
        rows = rng.permutation(np.flatnonzero(groups == g))
        take = min(round(fraction * len(rows)), len(rows) - 1)
        if take == 0 and len(rows) > 1 and rng.random() < fraction * len(rows):
            take = 1  # small groups: hold out one row with the right probability
        test.extend(rows[:take])
    test = np.sort(np.array(test, dtype=int))
    return np.setdiff1d(np.arange(n), test), test


def rolling_origin(time: np.ndarray, repeats: int):
    times = np.unique(time)
    n_future = max(repeats, int(np.ceil(0.4 * len(times))))
    if len(times) - n_future < 3:  # the first origin must still see three occasions
        raise ValueError(f"need at least {n_future + 3} distinct times for {repeats} rolling origins")
    blocks = np.array_split(times[-n_future:], repeats)
    pairs = []
    for block in blocks:
        train = np.flatnonzero(time < block[0])
        test = np.flatnonzero((time >= block[0]) & (time <= block[-1]))
        pairs.append((train, test))
    return pairs


def group_folds(groups: np.ndarray, repeats: int, rng):
    """Shuffled GroupKFold: no group is ever on both sides of a pair."""
    levels = np.unique(groups)
    pairs = []
    while len(pairs) < repeats:
        fold_of = dict(zip(rng.permutation(levels), np.arange(len(levels)) % N_FOLDS, strict=True))
        folds = np.array([fold_of[g] for g in groups])
        for k in range(N_FOLDS):
            if len(pairs) < repeats:
                pairs.append((np.flatnonzero(folds != k), np.flatnonzero(folds == k)))
    return pairs


def spatial_blocks(coords: np.ndarray, location: np.ndarray, seed: int, groups=None) -> np.ndarray:
    """Block id per row: k-means on the top-level groups' centroids (so a group never straddles
    blocks), or on the distinct locations when there are no groups."""
    from sklearn.cluster import KMeans

    unit = location if groups is None else np.asarray(groups)
    ids, inverse = np.unique(unit, return_inverse=True)
    inverse = inverse.ravel()
    centres = np.column_stack([np.bincount(inverse, weights=coords[:, k]) / np.bincount(inverse)
                               for k in range(coords.shape[1])])
    n_blocks = min(N_BLOCKS, len(ids))
    labels = KMeans(n_clusters=n_blocks, n_init=4, random_state=seed).fit_predict(centres)
    return labels[inverse]


def location_ids(coords) -> np.ndarray | None:
    """One integer per distinct coordinate pair (None without coordinates)."""
    if coords is None:
        return None
    _, ids = np.unique(np.asarray(coords, dtype=float), axis=0, return_inverse=True)
    return ids.ravel()


def inner_holdout(kind: str, groups, time, coords, location, n: int, seed: int):
    """One 80/20 split of a training set, of the same kind as the outer split (for early
    stopping and calibration of the trees). Falls back to a random split when the structure
    is too thin (e.g. fewer than five groups)."""
    rng = np.random.default_rng(seed)
    try:
        if kind == "time" and time is not None and len(np.unique(time)) > 2:
            cut = np.quantile(time, 1 - TEST_FRACTION)
            train, valid = np.flatnonzero(time < cut), np.flatnonzero(time >= cut)
            if len(train) and len(valid):
                return train, valid
        if kind == "group" and groups is not None and len(np.unique(groups)) >= N_FOLDS:
            return group_folds(groups, 1, rng)[0]
        units = location if groups is None else groups
        if kind == "spatial" and coords is not None and len(np.unique(units)) >= N_BLOCKS:
            return group_folds(spatial_blocks(coords, location, seed, groups), 1, rng)[0]
    except ValueError:
        pass
    return random_within_groups(groups, n, rng)
