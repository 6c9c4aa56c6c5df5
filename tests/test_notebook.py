"""docs/tour.ipynb runs top to bottom in a real Jupyter kernel (nbclient), on the small_models
fixture's data and models (the same --limit 3000, tiny preset, seed 0), and fails on any error."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def _text(cell) -> str:
    outputs = cell.get("outputs", [])
    return "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")


def test_the_tour_notebook_runs_and_shows_computed_answers(small_models, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "agg")  # no display; figures still render into the outputs
    notebook = nbformat.read(REPO / "docs" / "tour.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises on any cell error
    text = "\n".join(_text(cell) for cell in notebook.cells if cell.cell_type == "code")
    # The linear model's latent midpoint is the pixel blend of its ends: a known answer, to rounding
    gap = float(re.search(r"linear midpoint vs the average of its two ends: max \|difference\| (\S+)",
                          text).group(1))
    assert gap < 1e-4, gap
    assert re.search(r"classifier: \d+\.\d% of 500 held-out test digits", text)
    assert len(re.findall(r"judge p\(9\) = [\d.]+, p\(2\) = [\d.]+", text)) == 2
    assert text.count(": supported") + text.count(": not supported") + text.count(": inconclusive") >= 5
