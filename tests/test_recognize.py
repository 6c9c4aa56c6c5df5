"""`notaverage recognize`: real test digits written as PNG files come back with the classifier's own
answer and their true label; a corrupt file among good ones is one stderr line and exit 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from notaverage.cli import main
from notaverage.data.mnist import as_float
from notaverage.data.preprocess import preprocess_image

SMALL = ["--limit", "3000", "--preset", "tiny", "--quiet"]  # the models of the small_models fixture


def png(image: np.ndarray, scale: int = 1) -> bytes:
    """A (28, 28) digit as PNG bytes, dark ink on white paper like a scan (`scale` times larger)."""
    im = Image.fromarray(255 - np.round(image * 255).astype(np.uint8), "L")
    im = im.resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR) if scale > 1 else im
    buffer = io.BytesIO()
    im.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clear_digits(small_models, small_mnist, tmp_path_factory):
    """One test digit per class that the judge (not the classifier under test) reads with p > 0.99,
    written as a 4x enlarged PNG: (paths, true labels)."""
    test = as_float(small_mnist.test_images)
    judged = small_models["judge"].predict_proba(test)
    folder = tmp_path_factory.mktemp("digits")
    paths, labels = [], []
    for digit in range(10):
        index = next(i for i in np.flatnonzero(small_mnist.test_labels == digit) if judged[i, digit] > 0.99)
        path = folder / f"digit-{digit}.png"
        path.write_bytes(png(test[index], scale=4))
        paths.append(path), labels.append(digit)
    return paths, labels


def test_json_gives_the_classifiers_answer_and_the_true_label(small_models, clear_digits, capsys):
    paths, labels = clear_digits
    assert main(["recognize", *map(str, paths), "--json", *SMALL]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = small_models["classifier"].predict_proba(np.stack([preprocess_image(p) for p in paths]))
    assert [r["file"] for r in out] == [str(p) for p in paths]
    assert [r["digit"] for r in out] == labels == expected.argmax(axis=1).tolist()
    probs = np.array([r["probs"] for r in out])
    assert probs.shape == (10, 10) and np.allclose(probs, expected, atol=1e-5)


def test_text_lists_the_top_three_probabilities(clear_digits, capsys):
    paths, labels = clear_digits
    assert main(["recognize", str(paths[7]), *SMALL]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{paths[7]}: 7   (7: ") and line.count("%") == 3


def test_a_corrupt_file_among_good_ones_and_stdin(clear_digits, tmp_path):
    paths, _ = clear_digits
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(paths[3].read_bytes()[:60])  # a PNG cut short
    files = [str(paths[2]), str(corrupt), "-", str(tmp_path / "missing.png"), str(paths[5])]
    result = subprocess.run([sys.executable, "-m", "notaverage.cli", "recognize", *files, "--json", *SMALL],
                            input=paths[8].read_bytes(), capture_output=True, timeout=300,
                            env=os.environ.copy())
    assert result.returncode == 2
    # besides the one-line notice of a clone without MNIST that the bundled sample is used
    errors = [line for line in result.stderr.decode().splitlines()
              if not line.startswith("notaverage: MNIST not found")]
    assert len(errors) == 2 and "Traceback" not in result.stderr.decode()
    assert str(corrupt) in errors[0] and "missing.png" in errors[1]
    out = json.loads(result.stdout)
    assert [(r["file"], r["digit"]) for r in out] == [(str(paths[2]), 2), ("-", 8), (str(paths[5]), 5)]
