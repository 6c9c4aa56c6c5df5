"""The report on a tiny run: it completes, its JSON has every documented key, its HTML stands alone."""

from __future__ import annotations

import json
import re

import pytest

from notaverage.evidence import EvidenceConfig
from notaverage.report import JSON_KEYS, missing_keys

TINY = EvidenceConfig(n_pairs=60, steps=7, nn_train=None, n_reference=200, n_samples=300, nll_k=10,
                      nll_images=40, hybrid_pairs=3, hybrid_steps=20, n_boot=200, seed=0)


@pytest.fixture(scope="module")
def report(small_mnist, small_models, tmp_path_factory):
    from notaverage.evidence.commands import run_report

    out = tmp_path_factory.mktemp("report")
    return run_report(out, small_mnist, "tiny", 0, progress=False, config=TINY, log=lambda *a: None)


def test_report_json_has_every_documented_key(report):
    numbers = json.loads(report["json"].read_text())
    assert missing_keys(numbers) == []
    assert numbers["blends"]["n_pairs"] == 60
    for key in JSON_KEYS:  # every interval is a full interval
        node = numbers
        for part in key.split("."):
            node = node[part]
        if isinstance(node, dict) and "estimate" in node:
            assert node["low"] <= node["estimate"] <= node["high"] or node["method"].startswith("bootstrap"), key
            assert node["method"]
    for verdict in numbers["verdicts"].values():
        assert verdict["status"] in ("supported", "not supported", "inconclusive")
        assert verdict["text"].startswith(verdict["status"])


def test_report_numbers_are_sane(report):
    n = report["numbers"]
    assert 0.8 < n["recognition"]["accuracy"]["estimate"] <= 1.0
    assert sum(map(sum, n["recognition"]["confusion"])) == n["recognition"]["n_test"]
    shares = n["traversals"]["variance_ratio"]
    assert shares == sorted(shares, reverse=True) and sum(shares) <= 1.0 + 1e-9
    # The pixel path's distance from the pixel average is zero by construction.
    assert n["blends"]["paths"]["pixel"]["pixel_distance_mid"]["estimate"] == pytest.approx(0.0, abs=1e-6)
    assert n["quality"]["nll"]["k"] == 10 and n["quality"]["nll"]["nats"]["estimate"] > 50


def test_report_html_is_self_contained(report):
    text = report["html"].read_text()
    assert text.count("data:image/png;base64,") >= 6
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "not Inception-FID" in text
    for section in ("(a)", "(b)", "(c)", "(d)", "(e)", "(f)"):
        assert section in text


def test_missing_keys_names_what_is_absent():
    assert "schema" in missing_keys({})
    assert missing_keys({"schema": 1}) != []
