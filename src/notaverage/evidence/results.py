"""Typed results of the report's sections: the numbers (JSON-ready) and what to draw from them.

Sections compute; `evidence/draw.py` draws. A section never makes a picture, so the controls and
the extra seeds run the same computation without paying for figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ConfusionDrawing:
    confusion: np.ndarray
    title: str


@dataclass
class NeighbourDrawing:
    images: np.ndarray  # (N, 28, 28)
    neighbours: np.ndarray  # (N, 28, 28), the nearest training digit of each
    distances: np.ndarray  # (N,)
    title: str


@dataclass
class BlendDrawing:
    rows: dict[str, np.ndarray]  # row name -> (steps, 28, 28)
    class_a: int
    class_b: int
    title: str


@dataclass
class HybridDrawing:
    image_a: np.ndarray
    image_b: np.ndarray
    class_a: int
    class_b: int
    results: list  # latent.HybridResult, best first
    title: str


@dataclass
class TraversalDrawing:
    traversal: object  # latent.Traversal
    title: str


@dataclass
class SectionResult:
    """One section: `numbers` goes into report.json under the section's key, `drawings` become PNGs."""

    numbers: dict
    drawings: dict[str, object] = field(default_factory=dict)
    arrays: dict[str, object] = field(default_factory=dict)  # arrays passed on to later sections and controls
