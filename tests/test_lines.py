"""The ACAI lines benchmark: the data's geometry and the two scores, on paths with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from notaverage.lines.data import draw_lines, to_unit, true_lines
from notaverage.lines.metrics import line_scores, nearest_lines, smoothness_scores


def test_lines_start_at_the_centre_and_point_along_their_angle():
    right, up = draw_lines([0.0, np.pi / 2])
    assert right.min() == -1 and right.max() == 1
    rows, cols = np.nonzero(right > 0)
    assert set(rows) == {15, 16} and cols.min() == 16 and cols.max() == 30  # 15 px to the right
    rows, cols = np.nonzero(up > 0)
    assert set(cols) == {15, 16} and rows.min() == 1 and rows.max() == 15  # upwards on screen


def test_every_true_line_is_its_own_nearest_line():
    angles, grid = true_lines()
    picks = np.arange(0, len(angles), 997)
    distances, found = nearest_lines(grid[picks])
    assert np.allclose(distances, 0, atol=1e-12)
    # neighbours 0.0006 rad apart can rasterise identically; either is an exact match
    assert np.abs(found - angles[picks]).max() < 0.003


def test_smoothness_known_answers():
    even = [[0.0, 0.1, 0.2, 0.3]]
    jump = [[0.0, 0.0, 0.0, 1.0]]
    across_zero = [[2 * np.pi - 0.1, 0.0, 0.1]]  # unwrapped: equal steps of 0.1
    assert smoothness_scores(even)[0] == pytest.approx(0, abs=1e-12)
    assert smoothness_scores(jump)[0] == pytest.approx(1 - 1 / 3)
    assert smoothness_scores(across_zero)[0] == pytest.approx(0, abs=1e-9)
    assert np.isnan(smoothness_scores([[1.0, 1.0, 1.0]])[0])  # no rotation: no score


def _rotation_and_fade(n_paths=48, steps=16):
    rng = np.random.default_rng(0)
    start = rng.uniform(0, 2 * np.pi, n_paths)
    turn = rng.choice([-1, 1], n_paths) * rng.uniform(0.5, 3.0, n_paths)  # shorter way round than pi
    t = np.linspace(0, 1, steps)
    rotation = draw_lines((start[:, None] + turn[:, None] * t).ravel()).reshape(n_paths, steps, 32, 32)
    w = t[None, :, None, None]
    fade = (1 - w) * rotation[:, :1] + w * rotation[:, -1:]  # the pixel average of the two end lines
    return rotation, fade


def test_an_ideal_rotation_scores_zero_and_a_pixel_fade_scores_badly():
    rotation, fade = _rotation_and_fade()
    ideal, faded = line_scores(rotation), line_scores(fade)
    assert ideal["mean_distance"] < 1e-4 and ideal["smoothness"] < 0.01
    # a fade keeps the first line's angle, then jumps to the last: smoothness near 1 - 1/15
    assert faded["smoothness"] > 0.8
    assert faded["mean_distance"] > 50 * ideal["mean_distance"]


def test_unscored_paths_count_as_zero_in_the_mean_like_the_authors():
    angles, grid = true_lines()
    jump = grid[[0, 0, 0, 2500]]  # angle 0, 0, 0, then pi/2 in one step
    still = grid[[0, 0, 0, 0]]
    scores = line_scores(np.stack([jump, still]))
    assert scores["unscored_paths"] == 1
    assert scores["smoothness"] == pytest.approx((1 - 1 / 3) / 2)


def test_zoo_networks_start_with_codes_that_tell_lines_apart():
    """The authors' initialiser and leaky ReLU keep the signal's scale: at step 0 the codes of distinct
    lines spread ~0.05 (per-unit sd); torch's default initialisation with ReLU gave ~0.004, and ACAI
    then sat on the one-mean-image plateau in 2 of 3 seeds."""
    from notaverage.lines.benchmark import LINE_MODELS
    from notaverage.lines.data import make_lines

    images = to_unit(make_lines(64, seed=0)[0])
    for name in ("ae", "vae", "acai"):
        model_cls, config = LINE_MODELS[name]
        torch.manual_seed(0)
        spread = model_cls(config).encode(images).std(axis=0).mean()
        assert 0.02 < spread < 1, (name, spread)


@pytest.mark.parametrize("name", ["pca", "ae"])
def test_a_saved_lines_model_loads_exactly_and_a_flipped_byte_is_caught(name, tmp_path):
    import hashlib
    import json

    from notaverage.lines.benchmark import LINE_MODELS, LinesPCA, load_line_model, save_line_model
    from notaverage.store import CorruptCheckpoint

    if name == "pca":  # fitted on 100 lines; the network needs no training to round-trip its weights
        model = LinesPCA().fit(to_unit(draw_lines(np.linspace(0, 6, 100))), seed=0)
    else:
        torch.manual_seed(0)
        model = LINE_MODELS[name][0](LINE_MODELS[name][1]).eval()
    save_line_model(model, tmp_path, {"name": name, "seed": 0})
    weights = tmp_path / "weights.safetensors"
    recorded = json.loads((tmp_path / "config.json").read_text())["weights_sha256"]
    assert recorded == hashlib.sha256(weights.read_bytes()).hexdigest()
    lines = to_unit(draw_lines(np.linspace(0, 3, 8)))
    loaded = load_line_model(tmp_path)
    assert np.array_equal(loaded.decode(loaded.encode(lines)), model.decode(model.encode(lines)))

    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CorruptCheckpoint, match="SHA-256"):
        load_line_model(tmp_path)
