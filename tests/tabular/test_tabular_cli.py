"""The `tabular` command: option errors are one line, --quick writes the documented report."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from notaverage.errors import UserError
from notaverage.tabular import cli

SRC = Path(__file__).resolve().parents[2] / "src"
JSON_KEYS = {"schema", "claim", "config", "datasets", "unavailable", "models", "splits", "settings", "sweeps",
             "verdict", "results", "timing"}
SETTING_KEYS = {"task", "split", "kind", "repeats", "n_train", "n_test", "oracle_rmse", "models",
                "comparison",
                "comparison_log_score", "comparison_plain", "pairs"}
MODEL_KEYS = {"rmse", "crps", "log_score", "coverage90", "width90", "family", "fit_seconds", "failures",
              "singular_fits", "estimation"}
COMPARISON_KEYS = {"metric", "best_linear", "best_boosting", "outcome", "linear", "boosting", "diff",
                   "rel_diff",
                   "t", "p", "p_holm", "p_bh", "ci95"}
VERDICT_KEYS = {"claim", "metric", "alpha", "test", "settings", "wins", "ties", "losses", "by_kind",
                "log_score",
                "plain_lgbm_vs_ols", "losses_detail", "wins_detail", "ties_detail", "text", "by_family"}
OUTCOMES = {"better", "equivalent", "inconclusive", "worse"}


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize("argv, fragment", [
    (["--datasets", "nope"], "unknown dataset 'nope'; choose from: sim, real"),
    (["--datasets", "radon,sleepstudy,Bogus"], "unknown dataset 'Bogus'"),
    (["--datasets", ","], "named nothing"),
    (["--repeats", "1"], "--repeats 1 is out of range"),
    (["--repeats", "five"], "not a whole number"),
    (["--seed", "-3"], "--seed -3 is out of range"),
])
def test_bad_options_raise_one_line_user_errors(argv, fragment, tmp_path):
    with pytest.raises(UserError) as err:
        cli.run(_args(*argv, "--out", str(tmp_path / "out")))
    message = str(err.value)
    assert fragment in message and "\n" not in message
    assert not (tmp_path / "out").exists()  # nothing was run or written


def test_unknown_dataset_lists_every_valid_name():
    with pytest.raises(UserError) as err:
        cli.run(_args("--datasets", "nope"))
    for name in ("sim_all", "sleepstudy", "exam", "hsb", "radon", "insteval", "nlswork", "star", "baltim",
                 "usjoin"):
        assert name in str(err.value)


def test_out_pointing_at_a_file_is_a_user_error(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(UserError, match="is a file"):
        cli.run(_args("--datasets", "radon", "--out", str(target)))


def test_module_entry_point_exits_2_with_one_line():
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "notaverage.tabular", "--datasets", "nope"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown dataset 'nope'" in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_importing_the_package_is_cheap():
    code = ("import sys, notaverage.tabular, notaverage.tabular.cli; "
            "print([m for m in ('pandas', 'lightgbm', 'gpboost', 'statsmodels', 'matplotlib') "
            "if m in sys.modules])")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.filterwarnings("ignore")
def test_quick_run_writes_html_and_json_with_every_documented_key(tmp_path, capsys):
    pytest.importorskip("gpboost")
    out = tmp_path / "report"
    assert cli.run(_args("--quick", "--quiet", "--out", str(out), "--seed", "3")) == 0
    doc = json.loads((out / "tabular.json").read_text())
    assert set(doc) == JSON_KEYS
    assert doc["schema"] == "notaverage.tabular/1" and doc["config"]["seed"] == 3
    assert doc["settings"], "no settings were run"
    splits_seen = set()
    for setting in doc["settings"]:
        assert set(setting) == SETTING_KEYS
        assert set(setting["comparison"]) >= COMPARISON_KEYS
        assert setting["comparison"]["outcome"] in OUTCOMES
        low, high = setting["comparison"]["ci95"]
        assert low <= setting["comparison"]["rel_diff"] <= high
        for name, model in setting["models"].items():
            assert set(model) == MODEL_KEYS, name
        splits_seen.add(setting["split"])
        if setting["kind"] == "simulated":
            assert setting["oracle_rmse"] > 0
    assert splits_seen == {"random", "time", "group", "spatial"}
    assert set(doc["verdict"]) >= VERDICT_KEYS
    assert doc["config"]["equivalence_margin"] == 0.02
    v = doc["verdict"]
    assert v["family"] == "real" and set(v["by_family"]) == {"real", "simulated"}
    real = [s for s in doc["settings"] if s["kind"] == "real"]
    assert v["wins"] + v["ties"] + v["losses"] == v["settings"] == len(real)
    assert v["by_family"]["simulated"]["settings"] == len(doc["settings"]) - len(real)
    html = (out / "tabular.html").read_text()
    assert v["text"].split(" (")[0] in html.replace("&#x27;", "'")
    assert "smoke test, not evidence" in html
    for heading in ("Outcomes per task and split", "Forest plot", "Pre-specified pairs", "Compute per model",
                    "Log score and CRPS", "90 % coverage"):
        assert heading in html, heading
    first = doc["settings"][0]["comparison"]
    assert f"{100 * first['rel_diff']:+.1f}% [{100 * first['ci95'][0]:+.1f}%" in html  # the table's interval
    assert html.count("data:image/png;base64,") >= 3
    assert "http://" not in html and "https://" not in html  # works offline
    printed = capsys.readouterr().out
    assert "tabular.html" in printed and "Verdict computed from the real family" in printed
    assert not list(out.glob(".*.tmp"))  # atomic writes left no temp files
