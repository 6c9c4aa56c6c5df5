"""Every command end to end on a 3,000-digit subset, plus the bad-argument contract: exit 2, one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from notaverage import lab
from notaverage.cli import main
from notaverage.data.mnist import as_float

SMALL = ["--limit", "3000", "--preset", "tiny", "--quiet"]  # the models of the small_models fixture


# On a clone without MNIST (and offline) every command that loads data first says, in one line, that it
# uses the bundled sample (README); the error a test looks for is the line besides that one.
SAMPLE_NOTICE = "notaverage: MNIST not found"


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith(SAMPLE_NOTICE)]


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "notaverage.cli", *args], capture_output=True, text=True,
                          check=False, timeout=timeout, env=os.environ.copy())


def png_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


def test_train_reuses_cached_models(small_models, capsys):
    assert main(["train", *SMALL]) == 0
    out = capsys.readouterr().out
    assert out.count("reused") == 3, out


def test_blend_writes_one_png_with_three_rows(small_models, tmp_path, capsys):
    out = tmp_path / "blend.png"
    assert main(["blend", "9", "2", "--images", "7", "--out", str(out), *SMALL]) == 0
    assert capsys.readouterr().out.strip().endswith(str(out))
    assert png_size(out) == (1920, 1080)  # a slide


def test_blend_accepts_test_index_and_image_file_of_any_size(small_models, small_mnist, tmp_path, capsys):
    digit = small_mnist.test_images[0]
    big = Image.fromarray(255 - digit).resize((300, 300))  # dark ink on white, ten times larger
    big.save(tmp_path / "mine.jpg")
    out = tmp_path / "b.png"
    assert main(["blend", "test:5", str(tmp_path / "mine.jpg"), "--out", str(out), *SMALL]) == 0
    assert png_size(out) == (1920, 1080)
    # What the command blended: test digit 5 with its true label, and the file read back as test digit 0
    # (a 10x enlarged, inverted JPEG of it), named as the classifier reads digit 0 itself
    first = lab.resolve_digit("test:5", small_mnist, small_models["classifier"])
    assert first.label == small_mnist.test_labels[5]
    assert np.array_equal(first.image, as_float(small_mnist.test_images[5]))
    mine = lab.resolve_digit(str(tmp_path / "mine.jpg"), small_mnist, small_models["classifier"])
    assert np.abs(mine.image - as_float(digit)).mean() < 0.05
    assert mine.label == small_models["classifier"].predict(as_float(digit)[None])[0]


def test_sample_shows_new_digits_beside_neighbours(small_models, tmp_path, capsys):
    out = tmp_path / "s.png"
    assert main(["sample", "--digit", "4", "-n", "16", "--out", str(out), *SMALL]) == 0
    text = capsys.readouterr().out
    assert text.strip().splitlines()[-1] == str(out) and "a real test 4 at median" in text
    median = float(text.split("median pixel distance ")[1].split(" ")[0])
    closest = float(text.split("closest ")[1].split(";")[0])
    assert 0.5 < closest <= median  # a copy of a training digit would be at distance 0


def test_tour_writes_every_picture_and_retrains_and_recomputes_nothing(small_models, small_report, tmp_path,
                                                                      capsys):
    out = tmp_path / "tour"
    shutil.copytree(small_report[0], out / "report")  # what `report` wrote for these models and data
    assert main(["tour", "--out", str(out), *SMALL]) == 0
    for name in ["blend-9-2.png", "blend-4-9.png", "blend-3-8.png", "samples.png", "latent-map.png"]:
        assert png_size(out / name)[0] > 100, name
    text = capsys.readouterr().out
    # all six found in the fixture's cache: vae, linear, classifier, judge, vae_identity, reference_vae
    assert "trained in" not in text and text.count("reused") == 6
    # Same models, data, settings and code as the `report` command's run: its report is kept as it is
    assert "report: reusing" in text and (out / "report" / "report.html").is_file()
    report = (out / "report" / "report.json").read_bytes()
    assert report == (small_report[0] / "report.json").read_bytes()
    verdicts = json.loads(report)["verdicts"].values()
    tail = text.split("what the report found, claim by claim:\n")[1].splitlines()
    assert tail == [f"  {v['claim']}: {v['text']}" for v in verdicts]  # the report's lines, one per claim
    assert len(tail) >= 8


@pytest.mark.parametrize("args, message", [
    (["blend", "9"], "required"),
    (["blend", "9", "x"], "not a digit 0-9, test:N or an existing"),
    (["blend", "9", "test:99999"], "out of range"),
    (["blend", "9", "2", "--images", "1"], "at least 2"),
    (["blend", "9", "2", "--images", "abc"], "not a whole number"),
    (["sample", "--digit", "12"], "not a digit 0-9"),
    (["sample", "--digit", "3", "-n", "0"], "at least 1"),
    (["train", "--preset", "huge"], "invalid choice"),
    (["train", "--train-seed", "-4"], "must be between 0 and"),
    (["tour", "--limit", "50"], "too small"),
    (["frobnicate"], "invalid choice"),
    (["tabular", "--datasets", "nope"], "unknown dataset 'nope'"),
    (["tabular", "--repeats", "1"], "out of range"),
    (["train", "--data-dir", "/nonexistent/mnist"], "/nonexistent/mnist"),
])
def test_bad_arguments_exit_2_with_one_line(small_models, args, message, capsys):
    """In process (the same `main` the console script runs); the next test runs a real process."""
    common = [] if args[0] in ("frobnicate", "tabular") or "--limit" in args else SMALL
    try:
        code = main([*args, *common])
    except SystemExit as exc:  # argparse's own exit, as the console script would see it
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = error_lines(err)
    assert len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err


def test_blend_of_a_non_image_file_is_a_one_line_error(small_models, tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not a picture")
    result = run_cli("blend", "3", str(bogus), *SMALL)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "notes.png is not a PNG or JPEG image" in lines[0], result.stderr
