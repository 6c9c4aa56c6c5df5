"""What the pictures and messages say, end to end on the small models: the pair rule, --pick without
training, FILE:LABEL and the reconstruction note, caps and splits, honest hybrid counts."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from notaverage import lab
from notaverage.cli import CAPS, main
from notaverage.data.mnist import as_float

SMALL = ["--limit", "3000", "--preset", "tiny", "--quiet"]  # the models of the small_models fixture


def _passes_rule(index: int, digit: int, data, models) -> bool:
    image = as_float(data.test_images[index])[None]
    recon = np.clip(models["vae"].decode(models["vae"].encode(image)), 0, 1)
    return data.test_labels[index] == digit and models["classifier"].predict(image)[0] == digit \
        and models["classifier"].predict(recon)[0] == digit


def test_pair_rule_picks_readable_digits_and_pick_gives_another_pair(small_models, small_mnist):
    first = lab.resolve_pair("9", "2", small_mnist, small_models, pick=0)
    again = lab.resolve_pair("9", "2", small_mnist, small_models, pick=0)
    second = lab.resolve_pair("9", "2", small_mnist, small_models, pick=1)
    indices = [int(re.search(r"test:(\d+)", d.name).group(1)) for d in (*first, *second)]
    assert [d.name for d in first] == [d.name for d in again]  # a rule, not a draw
    assert indices[:2] != indices[2:]
    for index, digit in zip(indices, [9, 2, 9, 2], strict=True):
        assert _passes_rule(index, digit, small_mnist, small_models)
    # the pick-th kept digit of the seeded order: the first candidates it skipped all fail the rule
    order = np.random.default_rng([9, 0]).permutation(np.flatnonzero(small_mnist.test_labels == 9))
    skipped = order[:list(order).index(indices[0])]
    assert not any(_passes_rule(int(i), 9, small_mnist, small_models) for i in skipped)


def test_pick_never_trains_and_says_how_to_get_another_pair(small_models, tmp_path, capsys):
    assert main(["blend", "9", "2", "--pick", "3", "--out", str(tmp_path / "b.svg"), *SMALL]) == 0
    out = capsys.readouterr().out
    assert "training" not in out and "pick 3 of the pair rule" in out and "Another: --pick 4." in out
    assert (tmp_path / "b.svg").read_text().startswith("<?xml")


def test_file_label_is_used_and_a_misread_reconstruction_is_said(small_models, small_mnist, tmp_path, capsys):
    nine, _ = lab.resolve_pair("9", "2", small_mnist, small_models)  # its reconstruction reads as a 9
    path = tmp_path / "\u4e5d.png"
    Image.fromarray((nine.image * 255).astype(np.uint8)).save(path)
    digit = lab.resolve_digit(f"{path}:8", small_mnist, small_models["classifier"])
    assert digit.label == 8 and "labelled 8" in digit.name and "\\u4e5d.png" in digit.name
    assert main(["blend", f"{path}:8", "2", "--out", str(tmp_path / "b.png"), *SMALL]) == 0
    out = capsys.readouterr().out
    assert "as a 9, not an 8" in out and "model's limits" in out


def test_large_requests_are_capped_or_split_with_one_line(small_models, tmp_path, capsys):
    assert main(["blend", "9", "2", "--images", "40", "--out", str(tmp_path / "b.png"), *SMALL]) == 0
    assert f"--images 40 would not read on a slide; using {CAPS['images']}" in capsys.readouterr().out
    n = CAPS["samples_per_picture"] + 3
    assert main(["sample", "--digit", "7", "-n", str(n), "--out", str(tmp_path / "s.png"), *SMALL]) == 0
    out = capsys.readouterr().out
    assert f"split into 2 pictures of at most {CAPS['samples_per_picture']}" in out
    assert sorted(p.name for p in tmp_path.glob("s*.png")) == ["s-1.png", "s-2.png"]


def test_hybrid_counts_what_meets_the_bar(small_models, small_mnist, tmp_path, capsys):
    assert main(["hybrid", "9", "2", "-n", "3", "--search-steps", "2", "--out", str(tmp_path / "h.png"),
                 *SMALL]) == 0
    lines = capsys.readouterr().out.splitlines()
    met = sum("(meets the bars)" in line for line in lines)
    assert sum(line.startswith("result ") for line in lines) == 3
    summary = lines[-2]
    # the bars are the report's, measured: each reader's 10th percentile confidence on real digits
    from notaverage.evidence.context import real_digit_bar, split_test
    from notaverage.evidence.verdicts import CONFIDENCE_QUANTILE

    test = as_float(small_mnist.test_images)
    reference = test[split_test(len(test), np.random.default_rng(0))[0][:1000]]
    conf = small_models["classifier"].predict_proba(reference).max(axis=1)
    bar = real_digit_bar(small_models["classifier"], reference)
    assert bar == pytest.approx(np.quantile(conf, CONFIDENCE_QUANTILE)) and 0.5 < bar < 1.0
    assert f"and {bar:.2f} (classifier)" in summary
    assert summary.startswith(f"{met} of 3 results meet the bars (" if met else
                              "no hybrid within 2 search steps meets the bars (")
    assert summary.endswith(")" if met else "try --search-steps 8 or --pick 1")
