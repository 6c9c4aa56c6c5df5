"""Confidence intervals, and comparisons of them that verdict code can read as plain booleans."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as scipy_stats

Statistic = Callable[..., float]

# Bootstrap resamples drawn at once: bounds memory at chunk × N indices.
_BOOT_CHUNK = 250


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval, and how it was made.

    Unpacks as (estimate, low, high). `method` reads e.g. "bootstrap over 1000 pairs, 2000
    resamples" or "t over 5 seeds".
    """

    estimate: float
    low: float
    high: float
    method: str
    level: float = 0.95

    def __iter__(self) -> Iterator[float]:
        return iter((self.estimate, self.low, self.high))

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def excludes(self, value: float) -> bool:
        """True when `value` lies outside the interval, e.g. excludes(0) for a paired difference."""
        return not self.contains(value)

    def entirely_above(self, other: Interval | float) -> bool:
        """True when every value in this interval exceeds every value in `other` (or the number)."""
        return self.low > (other.high if isinstance(other, Interval) else other)

    def entirely_below(self, other: Interval | float) -> bool:
        return self.high < (other.low if isinstance(other, Interval) else other)

    def overlaps(self, other: Interval) -> bool:
        return not (self.entirely_above(other) or self.entirely_below(other))

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}] ({self.method})"


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")


def _apply(statistic: Statistic, samples: np.ndarray) -> np.ndarray:
    """statistic on each row of (B, N): vectorised when it takes `axis`, else row by row."""
    try:
        values = np.asarray(statistic(samples, axis=1), dtype=np.float64)
        if values.shape == (len(samples),):
            return values
    except TypeError:
        pass
    return np.array([statistic(row) for row in samples], dtype=np.float64)


def bootstrap_ci(
    values: np.ndarray,
    statistic: Statistic = np.mean,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    unit: str = "values",
) -> Interval:
    """Percentile bootstrap: resample `values` with replacement `n_boot` times, take the
    (1−level)/2 and (1+level)/2 quantiles of the statistic. The estimate is the statistic of the
    data itself. `unit` names what is resampled, for `method` ("pairs", "images", ...).
    """
    _check_level(level)
    values = np.asarray(values, dtype=np.float64).ravel()
    if len(values) < 2:
        raise ValueError(f"bootstrap needs at least 2 values, got {len(values)}")
    rng = np.random.default_rng(seed)
    boots = []
    for done in range(0, n_boot, _BOOT_CHUNK):
        idx = rng.integers(0, len(values), size=(min(_BOOT_CHUNK, n_boot - done), len(values)))
        boots.append(_apply(statistic, values[idx]))
    boots = np.concatenate(boots)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(boots, [alpha, 1.0 - alpha])
    method = f"bootstrap over {len(values)} {unit}, {n_boot} resamples"
    return Interval(float(statistic(values)), float(low), float(high), method, level)


def paired_difference_ci(
    a: np.ndarray,
    b: np.ndarray,
    statistic: Statistic = np.mean,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Bootstrap CI of statistic(a_i − b_i) over pairs i: the pairs are resampled together, so
    what is shared by a pair (the same two digits, the same seed) cancels. Test `.excludes(0)`."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired values differ in length: {len(a)} vs {len(b)}")
    return bootstrap_ci(a - b, statistic, n_boot, level, seed, unit="pairs")


def seed_ci(values_over_seeds: np.ndarray, level: float = 0.95) -> Interval:
    """Student-t interval for the mean of one number per training seed: mean ± t_{n−1} · s/√n.

    With 3-5 seeds a bootstrap has too few values to resample; the t interval is the honest
    small-sample choice (it assumes the per-seed values are roughly normal).
    """
    _check_level(level)
    x = np.asarray(values_over_seeds, dtype=np.float64).ravel()
    if len(x) < 2:
        raise ValueError(f"a seed interval needs at least 2 seeds, got {len(x)}")
    mean = float(x.mean())
    half = float(scipy_stats.t.ppf((1.0 + level) / 2.0, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return Interval(mean, mean - half, mean + half, f"t over {len(x)} seeds", level)


def wilson(successes: int, n: int, level: float = 0.95, unit: str = "test digits") -> Interval:
    """Wilson score interval for a proportion `successes / n` (better than p ± z·se near 0 and 1)."""
    _check_level(level)
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    z = float(scipy_stats.norm.ppf((1.0 + level) / 2.0))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # The bounds always hold p itself (rounding would otherwise put the low bound a hair above p = 0).
    low, high = min(max(centre - half, 0.0), p), max(min(centre + half, 1.0), p)
    return Interval(float(p), float(low), float(high), f"Wilson score over {n} {unit}", level)
