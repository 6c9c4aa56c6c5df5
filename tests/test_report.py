"""The report on a tiny run: it completes, its JSON has every documented key, its HTML stands alone."""

from __future__ import annotations

import json
import re

import pytest

from notaverage.evidence import EvidenceConfig
from notaverage.reporting import JSON_KEYS, missing_keys

TINY = EvidenceConfig(n_pairs=60, steps=7, nn_train=None, n_reference=200, n_samples=300, nll_k=10,
                      nll_images=40, hybrid_pairs=3, hybrid_steps=20, n_boot=200, seed=0)


@pytest.fixture(scope="module")
def report(small_mnist, small_models, tmp_path_factory):
    from notaverage.evidence.commands import run_report

    out = tmp_path_factory.mktemp("report")
    return run_report(out, small_mnist, "tiny", 0, progress=False, config=TINY, log=lambda *a: None,
                      controls=True)


def test_report_json_has_every_documented_key(report):
    numbers = json.loads(report["json"].read_text())
    assert missing_keys(numbers) == []
    bootstrapped = 0
    for key in JSON_KEYS:  # every interval is a full interval
        node = numbers
        for part in key.split("."):
            node = node[part]
        if isinstance(node, dict) and "estimate" in node:
            low, estimate, high = node["low"], node["estimate"], node["high"]
            assert low <= high and node["method"], key
            if node["method"].startswith("bootstrap"):
                # A percentile interval need not hold its point estimate, but it is resampled as the
                # config says and stays within one width of it.
                assert f"{TINY.n_boot} resamples" in node["method"], (key, node["method"])
                assert low - (high - low) <= estimate <= high + (high - low), (key, node)
            else:
                assert low <= estimate <= high, (key, node)
            bootstrapped += node["method"].startswith("bootstrap")
    assert bootstrapped >= 3  # the bootstrap branch above is exercised, not skipped
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
    for section in ("Model check", "(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "Controls", "Training seeds"):
        assert section in text
    assert text.index("Model check") < text.index("data:image/png")  # the check comes before any picture


def test_missing_keys_names_what_is_absent():
    assert "schema" in missing_keys({})
    assert missing_keys({"schema": 1}) != []


class _Recomputed(Exception):
    pass


def test_a_changed_metric_forces_the_report_to_be_recomputed(report, small_mnist, tmp_path, monkeypatch):
    """The reuse key holds a hash of the metrics/evidence/report code: same code, reused; one metric
    file changed (in a copy of that code the hash is taken from), computed again."""
    import shutil

    from notaverage.evidence import commands

    out = report["json"].parent
    reused = commands.run_report(out, small_mnist, "tiny", 0, progress=False, config=TINY,
                                 log=lambda *a: None, reuse=True, controls=True)
    assert reused["numbers"] == json.loads(report["json"].read_text())

    code = tmp_path / "notaverage"
    for part in commands.REPORT_CODE:
        source = commands.PACKAGE_DIR / part
        if source.is_dir():
            shutil.copytree(source, code / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            code.mkdir(exist_ok=True)
            shutil.copy(source, code / part)
    monkeypatch.setattr(commands, "PACKAGE_DIR", code)
    before = commands.report_code_fingerprint()

    def recompute(*args, **kwargs):
        raise _Recomputed

    monkeypatch.setattr(commands, "gather", recompute)  # stop where the recomputation would start
    commands.run_report(out, small_mnist, "tiny", 0, progress=False, config=TINY, log=lambda *a: None,
                        reuse=True, controls=True)  # the copy is the same code: still reused

    stats = code / "metrics" / "stats.py"
    changed = stats.read_text().replace("resamples", "bootstrap draws")  # what a metric reports, changed
    assert changed != stats.read_text()
    stats.write_text(changed)
    assert commands.report_code_fingerprint() != before
    with pytest.raises(_Recomputed):
        commands.run_report(out, small_mnist, "tiny", 0, progress=False, config=TINY, log=lambda *a: None,
                            reuse=True, controls=True)


# --- the controls: cheats through the same pipeline must fail the claims they attack -----------


def _status(numbers, control, claim):
    return numbers["controls"][control]["verdicts"][claim]["status"]


def test_every_control_fails_every_claim_it_attacks(report):
    n = json.loads(report["json"].read_text())
    attacked = {"memoriser": ["novelty"], "retrieval": ["blends"], "blur": ["blends", "ablation"],
                "judge_fooler": ["hybrid"]}
    for control, claims in attacked.items():
        assert sorted(n["controls"][control]["verdicts"]) == sorted(claims)
        for claim in claims:
            assert claim in n["verdicts"]  # the report's own verdict keys
            assert _status(n, control, claim) != "supported", (control, claim)


def test_planted_copies_are_read_as_copying_in_both_spaces(report):
    n = report["numbers"]
    copying = n["controls"]["memoriser"]["numbers"]["copying"]
    assert copying["pixel"]["reading"] == "copying" and copying["judge_features"]["reading"] == "copying"
    assert _status(n, "memoriser", "novelty") == "not supported"
    # T is every training digit, and the model's own samples are read on the same scale
    assert n["novelty"]["n_reference_train"] == n["meta"]["n_train"] == 3000
    assert len(n["novelty"]["copying"]["pixel"]["null"]) == TINY.null_draws >= 10


def test_retrieval_fails_blends_through_the_copying_test_of_its_midpoints(report):
    text = report["numbers"]["controls"]["retrieval"]["verdicts"]["blends"]["text"]
    assert _status(report["numbers"], "retrieval", "blends") == "not supported"
    assert "copying" in text


def test_hybrid_is_decided_by_held_out_scorers(report):
    h = report["numbers"]["hybrid"]
    assert [s["name"] for s in h["scorers"]] == ["classifier", "pixel_logistic"]
    assert h["readers"]["judge"]["optimised_against"] and not h["readers"]["classifier"]["optimised_against"]
    shares = [h["readers"][s]["share_equally_both"] for s in ("classifier", "pixel_logistic")]
    assert 0.0 <= h["transfer_rate"] <= min(shares)  # every scorer at once: no more than the strictest


def test_likelihood_is_paired_against_the_reference_recipe_trained_for_as_many_images(report, small_mnist):
    """The reference is trained in the report (no ../shared), for the VAE's training images to within
    one batch, with the recipe's constant 1e-3; its NLL and the paired difference are recomputed here."""
    import torch

    from notaverage.data.mnist import as_float
    from notaverage.evidence.sections import nll_test_set
    from notaverage.metrics import iwae_nll
    from notaverage.models.registry import REFERENCE

    nll = report["numbers"]["quality"]["nll"]
    ref = nll["reference"]
    assert abs(ref["train_images"] - ref["vae_train_images"]) < 128 and ref["train_images"] > 0
    recipe = report["trained"][REFERENCE].meta["train"]
    assert (recipe["lr"], recipe["batch_size"], recipe["schedule"]) == (1e-3, 128, "constant")
    binary = nll_test_set(as_float(small_mnist.test_images), TINY.nll_images)
    per_model = {}
    for name in ("vae", REFERENCE):
        model = report["trained"][name].model
        with torch.no_grad():
            per_model[name] = iwae_nll(model.encode_t, model.decode_logits_t, binary, k=TINY.nll_k,
                                       seed=TINY.seed, log_prior_fn=model.log_prior_t)
    assert ref["nats"]["estimate"] == pytest.approx(per_model[REFERENCE].mean(), rel=1e-5)
    diff = (per_model["vae"] - per_model[REFERENCE]).mean()
    assert nll["vae_minus_reference"]["estimate"] == pytest.approx(diff, rel=1e-4, abs=1e-4)
    assert report["numbers"]["verdicts"]["likelihood"] == nll["verdict"]
