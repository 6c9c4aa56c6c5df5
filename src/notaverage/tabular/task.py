"""A benchmark task: one table of rows with its outcome, features and structure.

Simulated scenarios and real datasets both become a `Task`, so models, splits and the report
never need to know where the rows came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SPLIT_KINDS = ("random", "time", "group", "spatial")
SPLIT_TEXT = {
    "random": "within-group random 80/20 (groups seen in training)",
    "time": "time-ordered rolling origin (forecast later times)",
    "group": "new groups (shuffled GroupKFold on the top-level group)",
    "spatial": "spatial blocks (k-means blocks of locations held out)",
}


@dataclass
class Task:
    """Rows to predict.

    `X` holds numeric features only (categoricals already dummy coded); time and coordinates
    that a model may use as covariates are columns of `X` too. The separate `groups`, `time`
    and `coords` arrays describe the structure used by splits and by mixed models.
    """

    name: str
    kind: str  # "simulated" or "real"
    X: object  # pandas.DataFrame of float columns
    y: np.ndarray
    splits: tuple[str, ...]
    groups: object = None  # pandas.DataFrame of int codes; first column = top-level group
    slopes: tuple[str, ...] = ()  # columns of X with random slopes per top-level group
    time: np.ndarray | None = None
    coords: np.ndarray | None = None  # (n, 2), one location per row
    location: np.ndarray | None = None  # int id of each row's location (rows share it in panels)
    spatial_effect: bool = False  # mixed models krige location effects (spatial random effect)
    truth: np.ndarray | None = None  # true conditional mean (simulated tasks only)
    noise_sd: float | None = None
    known_mean: np.ndarray | None = None  # the part of the truth a known function of X (simulated only)
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.y)
        self.y = np.asarray(self.y, dtype=float)
        if len(self.X) != n:
            raise ValueError(f"{self.name}: X has {len(self.X)} rows, y has {n}")
        for name in ("time", "coords", "location", "truth", "known_mean"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{self.name}: {name} has {len(value)} rows, y has {n}")
        if self.groups is not None and len(self.groups) != n:
            raise ValueError(f"{self.name}: groups has {len(self.groups)} rows, y has {n}")
        unknown = set(self.splits) - set(SPLIT_KINDS)
        if unknown:
            raise ValueError(f"{self.name}: unknown split kinds {sorted(unknown)}")
        if self.coords is not None and self.location is None:
            self.location = _location_ids(self.coords)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def top_group(self) -> np.ndarray | None:
        return None if self.groups is None else self.groups.iloc[:, 0].to_numpy()

    def subset(self, rows: np.ndarray) -> TaskView:
        return TaskView(self, np.asarray(rows))


@dataclass
class TaskView:
    """The rows of a task that one fit or one prediction sees."""

    task: Task
    rows: np.ndarray

    @property
    def X(self):
        return self.task.X.iloc[self.rows].reset_index(drop=True)

    @property
    def y(self) -> np.ndarray:
        return self.task.y[self.rows]

    @property
    def top_group(self) -> np.ndarray | None:
        g = self.task.top_group
        return None if g is None else g[self.rows]

    def subset(self, rows: np.ndarray) -> TaskView:
        """Rows of this view (positions within it)."""
        return TaskView(self.task, self.rows[np.asarray(rows)])

    @property
    def groups(self):
        g = self.task.groups
        return None if g is None else g.iloc[self.rows].reset_index(drop=True)

    def _take(self, name: str):
        value = getattr(self.task, name)
        return None if value is None else value[self.rows]

    @property
    def time(self):
        return self._take("time")

    @property
    def coords(self):
        return self._take("coords")

    @property
    def location(self):
        return self._take("location")


def _location_ids(coords: np.ndarray) -> np.ndarray:
    """One integer per distinct coordinate pair."""
    _, ids = np.unique(np.asarray(coords, dtype=float), axis=0, return_inverse=True)
    return ids.ravel()
