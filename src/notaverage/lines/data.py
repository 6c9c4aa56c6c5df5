"""The synthetic lines data of Berthelot et al. (ICLR 2019, section 3), rendered here.

Each image is 32x32, background -1 and line +1 (the authors' [-1, 1] range), showing an
anti-aliased line 2 px wide and (size/2 - 1) = 15 px long that starts at the image centre and
points at an angle drawn uniformly from [0, 2 pi). Angle 0 points right; angles grow
counter-clockwise as the image is displayed (row 0 at the top), as in the authors' code.

The rasterizer is ours: each pixel's value is the fraction of 4x4 sub-pixel samples that fall in
the 2-px-wide rectangle along the segment, mapped to [-1, 1]. The authors draw the same segment
with per-row spans; the difference is a fraction of a pixel at the line's ends.
"""

from __future__ import annotations

import functools

import numpy as np

from notaverage import paths
from notaverage.fileio import atomic_path

SIZE = 32
WIDTH = 2.0
SUPERSAMPLE = 4
RASTER_VERSION = 1  # bump when draw_lines changes, so a cached grid is redrawn
GRID_ANGLES = 10_000  # the "true lines" that Mean Distance searches (as in the authors' evaluation)


def _sample_points(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel sample coordinates (rows, cols), each of shape (size*size, SUPERSAMPLE**2)."""
    offsets = (np.arange(SUPERSAMPLE) + 0.5) / SUPERSAMPLE
    rows = (np.arange(size)[:, None] + offsets[None, :]).reshape(-1)  # (size * S,)
    sub_r, sub_c = np.meshgrid(rows, rows, indexing="ij")
    # regroup to (pixel, sample): pixel (i, j) owns the S x S block starting at (i*S, j*S)
    shape = (size, SUPERSAMPLE, size, SUPERSAMPLE)
    sub_r = sub_r.reshape(shape).transpose(0, 2, 1, 3).reshape(size * size, -1)
    sub_c = sub_c.reshape(shape).transpose(0, 2, 1, 3).reshape(size * size, -1)
    return sub_r, sub_c


def draw_lines(angles: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Images (N, size, size) in [-1, 1] of lines at `angles` (radians), float32."""
    angles = np.atleast_1d(np.asarray(angles, dtype=np.float64))
    sub_r, sub_c = _sample_points(size)
    centre, length = size / 2, size / 2 - 1
    dy, dx = (sub_r - centre).astype(np.float32), (sub_c - centre).astype(np.float32)  # rows grow downwards
    out = np.empty((len(angles), size * size), dtype=np.float32)
    for start in range(0, len(angles), 500):  # chunks bound memory (500 x 1024 x 16 floats)
        chunk = angles[start : start + 500, None, None]
        # the unit vector along the line, in (col, row)
        ux, uy = np.cos(chunk).astype(np.float32), -np.sin(chunk).astype(np.float32)
        along = dx * ux + dy * uy
        across = np.abs(-dx * uy + dy * ux)
        inside = (along >= 0) & (along <= length) & (across <= WIDTH / 2)
        out[start : start + 500] = inside.mean(axis=-1) * 2 - 1
    return out.reshape(-1, size, size)


@functools.lru_cache(maxsize=2)
def true_lines(count: int = GRID_ANGLES, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The grid of true lines: angles k * 2 pi / count and their images. Drawn once per machine (a few
    seconds) and kept in the cache as .npy (read back with allow_pickle=False: never unpickled)."""
    angles = np.linspace(0, 2 * np.pi, count, endpoint=False)
    cached = paths.cache_dir() / "lines" / f"grid-v{RASTER_VERSION}-{count}-{size}-s{SUPERSAMPLE}.npy"
    try:
        images = np.load(cached, allow_pickle=False)
        if images.shape == (count, size, size):
            return angles, images
    except (OSError, ValueError):
        pass  # not drawn yet, or unreadable: draw it below
    images = draw_lines(angles, size)
    try:
        with atomic_path(cached) as tmp, open(tmp, "wb") as handle:
            np.save(handle, images)
    except OSError:
        pass  # a read-only cache only costs the drawing time next run
    return angles, images


def make_lines(count: int, seed: int, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """`count` lines at uniform random angles: (images in [-1, 1], angles). Seeded, so reproducible."""
    angles = np.random.default_rng(seed).uniform(0, 2 * np.pi, count)
    return draw_lines(angles, size), angles


def to_unit(images: np.ndarray) -> np.ndarray:
    """[-1, 1] -> [0, 1], the range our decoders produce (sigmoid outputs)."""
    return (np.asarray(images, dtype=np.float32) + 1) / 2


def from_unit(images: np.ndarray) -> np.ndarray:
    """[0, 1] -> [-1, 1], the range the metrics compare in (as the authors' decoders output)."""
    return np.asarray(images, dtype=np.float32) * 2 - 1
