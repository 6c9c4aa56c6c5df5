"""`hybrid`, `traverse` and `report` end to end through the CLI, on the small_models fixture's
3,000-digit subset, checked against known answers and independent computations."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image
from sklearn.decomposition import PCA

from notaverage.cli import main
from notaverage.data.mnist import as_float

SMALL = ["--limit", "3000", "--preset", "tiny", "--quiet"]  # the models of the small_models fixture


def test_traverse_prints_the_pca_shares_of_the_test_codes(small_models, small_mnist, tmp_path, capsys):
    out = tmp_path / "t.png"
    assert main(["traverse", "--directions", "5", "--images", "7", "--out", str(out), *SMALL]) == 0
    text = capsys.readouterr().out
    printed = [float(x) / 100 for x in re.findall(r"direction \d: ([\d.]+)% of the code variance", text)]
    # Independent: sklearn's PCA of the VAE codes of the same 500 test digits
    codes = small_models["vae"].encode(as_float(small_mnist.test_images))
    expected = PCA(n_components=5).fit(codes).explained_variance_ratio_
    np.testing.assert_allclose(printed, expected, atol=0.0006)  # printed to 0.1 %
    together = float(re.search(r"first 5 together: ([\d.]+)%", text).group(1)) / 100
    assert together == pytest.approx(expected.sum(), abs=0.0006)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > image.height  # 5 rows of 7 images and titles


def test_hybrid_finds_digits_the_judge_reads_as_both(small_models, small_mnist, tmp_path, capsys):
    labels = small_mnist.test_labels
    a, b = int(np.flatnonzero(labels == 9)[0]), int(np.flatnonzero(labels == 2)[0])
    out = tmp_path / "h.png"
    assert main(["hybrid", f"test:{a}", f"test:{b}", "-n", "2", "--search-steps", "60", "--out", str(out),
                 *SMALL]) == 0
    text = capsys.readouterr().out
    rows = re.findall(r"result \d \((meets|below) the bars\): judge p\(9\)=([\d.]+) p\(2\)=([\d.]+);.*"
                      r"started at t=([\d.]+) of the straight latent path, where p\(9\)=([\d.]+) "
                      r"p\(2\)=([\d.]+)", text)
    assert len(rows) == 2, text  # -n 2, each naming the true classes of test digits a and b
    p9, p2, _, start9, start2 = map(float, rows[0][1:])
    # The best one is a hybrid: the judge gives both classes most of its belief, nearly evenly,
    # and nearer to even than where its search started on the straight path
    assert p9 + p2 > 0.6 and abs(p9 - p2) < 0.3, rows
    assert abs(p9 - p2) <= abs(start9 - start2) + 0.01
    met = sum(row[0] == "meets" for row in rows)
    assert f"{met} of 2 results meet" in text or (met == 0 and "no hybrid within" in text)
    # starts are spread evenly over t in [0.15, 0.85]: 8 starts for 2 results
    starts = np.linspace(0.15, 0.85, 8)
    for row in rows:
        assert np.abs(starts - float(row[3])).min() < 0.006, row
    assert text.strip().splitlines()[-1] == str(out) and out.stat().st_size > 1000


def test_hybrid_of_two_digits_of_one_class_is_a_one_line_error(small_models, capsys):
    assert main(["hybrid", "3", "3", *SMALL]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("notaverage: MNIST not found")]
    assert len(lines) == 1 and "different class" in lines[0], err  # besides a fresh clone's data notice


def test_report_command_writes_numbers_that_match_an_independent_count(small_report, small_models,
                                                                       small_mnist):
    out, text = small_report  # `report --limit 3000 --preset tiny --quiet --out OUT`, run once per session
    numbers = json.loads((out / "report.json").read_text())
    # Recognition: the classifier's accuracy on the same 500 test digits, counted here
    predicted = small_models["classifier"].predict(as_float(small_mnist.test_images))
    accuracy = float((predicted == small_mnist.test_labels).mean())
    assert numbers["recognition"]["accuracy"]["estimate"] == pytest.approx(accuracy, abs=1e-9)
    assert numbers["recognition"]["n_test"] == 500
    # Every verdict is printed as computed, and the HTML is where the CLI says
    for verdict in numbers["verdicts"].values():
        assert f"{verdict['claim']}: {verdict['text']}" in text
    assert (out / "report.html").is_file() and str(out / "report.html") in text
