"""docs/tour.ipynb runs top to bottom in a real Jupyter kernel (nbclient), on the small_models
fixture's data and models (the same --limit 3000, tiny preset, seed 0), and fails on any error. Its
report is the one `notaverage report` wrote for those models (small_report): the notebook reuses it."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from notaverage.data.mnist import as_float

REPO = Path(__file__).resolve().parents[1]


def _text(cell) -> str:
    outputs = cell.get("outputs", [])
    return "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")


def test_the_tour_notebook_runs_and_shows_computed_answers(small_models, small_mnist, small_report, tmp_path,
                                                            monkeypatch):
    shutil.copytree(small_report[0], tmp_path / "notaverage-out" / "report")  # the notebook's folder
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
    test = as_float(small_mnist.test_images)  # the notebook's 500 test digits, counted here
    accuracy = (small_models["classifier"].predict(test) == small_mnist.test_labels).mean()
    assert f"classifier: {accuracy:.1%} of 500 held-out test digits" in text
    assert len(re.findall(r"judge p\(9\) = [\d.]+, p\(2\) = [\d.]+", text)) == 2
    # The verdicts, as the report the notebook found (same models, data, settings, code) computed them
    verdicts = json.loads((small_report[0] / "report.json").read_text())["verdicts"].values()
    assert len(verdicts) >= 8 and all(f"{v['claim']}: {v['text']}\n" in text for v in verdicts)
