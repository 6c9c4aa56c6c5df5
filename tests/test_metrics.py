"""Known-answer tests for the metrics that need no MNIST: paths, judge scores, statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from notaverage.metrics import (
    Interval,
    bootstrap_ci,
    crossing_ambiguity,
    distance_from_pixel_path,
    relative_recon_blend_distance,
    judge_confidence,
    judge_entropy,
    nearest_neighbors,
    paired_difference_ci,
    seed_ci,
    step_unevenness,
    step_sizes,
)


def _two_digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((28, 28), dtype=np.float32), rng.random((28, 28), dtype=np.float32)


# --- paths -----------------------------------------------------------------------------------


def test_step_unevenness_of_an_evenly_spaced_ramp_is_zero():
    a, b = _two_digits()
    t = np.linspace(0.0, 1.0, 10)[:, None, None]
    path = ((1 - t) * a + t * b).astype(np.float32)
    assert step_unevenness(path) == pytest.approx(0.0, abs=1e-6)


def test_step_unevenness_of_a_single_jump_is_one_minus_one_over_steps():
    a, b = _two_digits()
    path = np.stack([a] * 5 + [b] * 5)  # 10 images, 9 steps, all change in step 5
    assert step_unevenness(path) == pytest.approx(1.0 - 1.0 / 9.0, abs=1e-6)
    assert step_unevenness(path) > 0.5


def test_step_unevenness_of_uneven_steps_matches_formula():
    a, _ = _two_digits()
    path = np.stack([a * 0, a * 0.1, a * 0.2, a * 1.0])  # steps 0.1, 0.1, 0.8 of ‖a‖
    assert step_unevenness(path) == pytest.approx(0.8 - 1.0 / 3.0, abs=1e-6)


def test_step_unevenness_of_a_still_path_is_zero_and_short_paths_are_refused():
    a, _ = _two_digits()
    assert step_unevenness(np.stack([a, a, a])) == 0.0
    with pytest.raises(ValueError):
        step_unevenness(a[None])


def test_step_sizes_are_pixel_l2():
    path = np.zeros((3, 28, 28), dtype=np.float32)
    path[1, 0, :4] = 1.0  # distance 2 from image 0
    assert step_sizes(path) == pytest.approx([2.0, 2.0])


def test_distance_from_pixel_path_is_per_step_l2():
    a, b = _two_digits()
    latent = np.stack([a, b, a])
    pixel = np.stack([a, a, a])
    expected = [0.0, np.linalg.norm((b - a).astype(np.float64)), 0.0]
    assert distance_from_pixel_path(latent, pixel) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        distance_from_pixel_path(latent, pixel[:2])


def test_crossing_is_interpolated_between_the_two_steps():
    p_a = np.array([1.0, 0.8, 0.6, 0.2, 0.0])
    p_b = np.array([0.0, 0.1, 0.2, 0.5, 0.9])  # p_a − p_b: 1, .7, .4, −.3, −.9
    c = crossing_ambiguity(p_a, p_b)
    s = 0.4 / 0.7
    assert c.crossed and c.n_crossings == 1
    assert c.t_index == pytest.approx(2 + s)
    assert c.t == pytest.approx((2 + s) / 4)
    assert c.sum_prob == pytest.approx((1 - s) * 0.8 + s * 0.7)
    assert c.gap == 0.0


def test_crossing_on_an_exact_tie_and_several_crossings():
    c = crossing_ambiguity([0.7, 0.3, 0.1], [0.2, 0.3, 0.8])
    assert c.crossed and c.t_index == pytest.approx(1.0) and c.sum_prob == pytest.approx(0.6)
    wobble = crossing_ambiguity([0.6, 0.4, 0.6, 0.4], [0.4, 0.6, 0.4, 0.6])
    assert wobble.n_crossings == 3 and wobble.t_index == pytest.approx(0.5)


def test_no_crossing_reports_the_closest_step():
    c = crossing_ambiguity([0.9, 0.6, 0.5, 0.7], [0.05, 0.2, 0.4, 0.1])
    assert not c.crossed and c.n_crossings == 0
    assert c.t_index == 2.0 and c.t == pytest.approx(2 / 3)
    assert c.gap == pytest.approx(0.1) and c.sum_prob == pytest.approx(0.9)


# --- nearest neighbours (MNIST cases live in test_metrics_mnist.py) ---------------------------


def test_nearest_neighbors_edge_cases():
    reference = np.eye(4, dtype=np.float32)
    d, i = nearest_neighbors(np.zeros((0, 4), dtype=np.float32), reference, k=2)
    assert d.shape == (0, 2) and i.shape == (0, 2)
    d, i = nearest_neighbors(np.array([[0.9, 0.1, 0.0, 0.0]], dtype=np.float32), reference, k=4)
    assert i[0, :2].tolist() == [0, 1] and np.all(np.diff(d[0]) >= 0)
    with pytest.raises(ValueError):
        nearest_neighbors(reference, reference, k=5)
    with pytest.raises(ValueError):
        nearest_neighbors(np.zeros((1, 3)), reference)


# --- judge scores ----------------------------------------------------------------------------


def test_judge_confidence_and_entropy():
    probs = np.full((2, 10), 0.1)
    probs[1] = np.eye(10)[3]
    assert judge_confidence(probs) == pytest.approx([0.1, 1.0])
    assert judge_entropy(probs) == pytest.approx([math.log(10), 0.0])
    half = np.zeros((1, 10))
    half[0, :2] = 0.5
    assert judge_entropy(half) == pytest.approx([math.log(2)])


# --- statistics ------------------------------------------------------------------------------


def test_bootstrap_ci_covers_the_true_mean_with_the_right_width():
    values = np.random.default_rng(1).normal(3.0, 1.0, size=400)
    iv = bootstrap_ci(values, n_boot=2000, seed=0)
    assert iv.contains(3.0)
    assert iv.estimate == pytest.approx(values.mean())
    assert iv.width == pytest.approx(2 * 1.96 / math.sqrt(400), rel=0.15)
    assert iv.method == "bootstrap over 400 values, 2000 resamples"
    estimate, low, high = iv
    assert low < estimate < high


def test_bootstrap_ci_coverage_is_near_nominal():
    rng = np.random.default_rng(2)
    hits = [bootstrap_ci(rng.exponential(2.0, 60), n_boot=500, seed=i).contains(2.0) for i in range(200)]
    assert 0.85 <= np.mean(hits) <= 0.99


def test_bootstrap_ci_accepts_a_statistic_without_axis():
    values = np.arange(101, dtype=float)
    iv = bootstrap_ci(values, statistic=lambda v: float(np.percentile(v, 50)), n_boot=300)
    assert iv.estimate == 50.0 and iv.contains(50.0)


def test_paired_difference_ci_excludes_zero_only_for_a_real_difference():
    rng = np.random.default_rng(3)
    base = rng.normal(0, 5, 300)  # large shared per-pair variation cancels in the difference
    shifted = paired_difference_ci(base + 0.3 + rng.normal(0, 0.5, 300), base)
    same = paired_difference_ci(base + rng.normal(0, 0.5, 300), base)
    assert shifted.excludes(0.0) and shifted.entirely_above(0.0)
    assert not same.excludes(0.0)
    assert "300 pairs" in shifted.method


def test_seed_ci_matches_scipy_t_interval():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    iv = seed_ci(values)
    low, high = scipy_stats.t.interval(0.95, 4, loc=3.0, scale=scipy_stats.sem(values))
    assert (iv.low, iv.high) == pytest.approx((low, high))
    assert iv.high - 3.0 == pytest.approx(2.7764451 * math.sqrt(2.5) / math.sqrt(5))
    assert iv.method == "t over 5 seeds"
    with pytest.raises(ValueError):
        seed_ci([1.0])


def test_interval_comparisons():
    a = Interval(5.0, 4.0, 6.0, "t over 5 seeds")
    b = Interval(2.0, 1.0, 3.0, "t over 5 seeds")
    c = Interval(3.5, 2.5, 4.5, "t over 5 seeds")
    assert a.entirely_above(b) and b.entirely_below(a)
    assert not a.entirely_above(c) and a.overlaps(c)
    assert a.excludes(0.0) and not a.excludes(5.5)
    assert a.as_dict()["method"] == "t over 5 seeds"


def test_relative_recon_blend_distance_known_answers():
    a, b = _two_digits()
    t = np.linspace(0.0, 1.0, 5)[:, None, None]
    blend = ((1 - t) * a + t * b).astype(np.float32)
    snap = np.stack([a, a, a, b, b]).astype(np.float32)  # the midpoint is A itself
    paths = np.stack([blend, snap])
    d = relative_recon_blend_distance(paths, np.stack([a, a]), np.stack([b, b]))
    assert d[0] == pytest.approx(0.0, abs=1e-6)  # an affine decoder's path is the blend
    assert d[1] == pytest.approx(0.5, abs=1e-6)  # |A - (A + B)/2| / |A - B|
