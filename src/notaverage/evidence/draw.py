"""Pictures of the report, drawn from the sections' typed results (`evidence/results.py`)."""

from __future__ import annotations

from notaverage import figures
from notaverage.evidence import plots
from notaverage.evidence.results import (
    BlendDrawing,
    ConfusionDrawing,
    HybridDrawing,
    NeighbourDrawing,
    TraversalDrawing,
)


def _figure(drawing, models: dict, ruler):
    if isinstance(drawing, ConfusionDrawing):
        return plots.confusion_figure(drawing.confusion, drawing.title)
    if isinstance(drawing, NeighbourDrawing):
        return figures.neighbour_figure(drawing.images, drawing.neighbours, drawing.distances, drawing.title)
    if isinstance(drawing, BlendDrawing):
        probs = {name: ruler.judge.predict_proba(row) for name, row in drawing.rows.items()}
        return figures.blend_figure(
            drawing.rows, probs, drawing.class_a, drawing.class_b, drawing.title, scorer="judge"
        )
    if isinstance(drawing, HybridDrawing):
        return plots.hybrid_panel(
            models["vae"],
            ruler.judge,
            drawing.image_a,
            drawing.image_b,
            drawing.class_a,
            drawing.class_b,
            drawing.results,
            ruler,
            drawing.title,
        )
    if isinstance(drawing, TraversalDrawing):
        return plots.traversal_figure(drawing.traversal, drawing.title)
    raise TypeError(f"no picture for {type(drawing).__name__}")


def draw(drawings: dict[str, object], models: dict, ruler) -> dict[str, bytes]:
    """name -> PNG bytes for every drawing."""
    return {name: figures.figure_png(_figure(d, models, ruler)) for name, d in drawings.items()}
