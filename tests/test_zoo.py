"""`notaverage zoo` on the session's 3,000 digits (judge and classifier reused from the fixtures):
three models, one seed, one short epoch. Known answers: the rows share the pixel-average baseline
(the same pairs), PCA has no NLL and no hybrid search, a VAE's NLL is a positive number of nats."""

from __future__ import annotations

import json
import os
import subprocess
import sys



def test_zoo_writes_a_leaderboard_with_one_row_per_model(small_models, tmp_path):
    out = tmp_path / "zoo"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "notaverage.cli",
            "zoo",
            "--budget",
            "tiny",
            "--models",
            "vae,ae,linear",
            "--seeds",
            "1",
            "--workers",
            "1",
            "--quiet",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),  # NOTAVERAGE_DATA as the fixtures read MNIST (unset on a clone without it)
    )
    assert done.returncode == 0, done.stderr
    board = json.loads((out / "leaderboard.json").read_text())
    rows = {row["name"]: row for row in board["models"]}
    assert list(rows) == ["vae", "ae", "linear"]
    assert len({row["pixel_average_ratio"] for row in rows.values()}) == 1  # the same pairs for every model
    assert rows["linear"]["nll"] is None and rows["linear"]["hybrid_transfer"] is None
    assert rows["ae"]["nll"] is None
    assert 50 < rows["vae"]["nll"] < 550  # nats per digit: below the 784 * log 2 of a coin flip per pixel
    for row in rows.values():
        assert 0 <= row["active_units"] <= row["latent_dim"]
        assert 0 <= row["class_preserving_reconstruction"] <= 1
        assert row["train_seconds"] >= 0
    page = (out / "leaderboard.html").read_text()
    assert all(f"<th>{name}</th>" in page for name in rows) and page.count("data:image/png;base64,") == 3
