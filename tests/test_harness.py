"""The test harness itself: under CI=true a skipped test (a missing input) fails the run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

SKIPPING = '''
import pytest

def test_needs_something_missing():
    pytest.skip("canonical MNIST files not found")

def test_fine():
    assert 1 + 1 == 2
'''


@pytest.mark.parametrize("ci, code, summary", [("", 0, "1 passed, 1 skipped"),
                                               ("true", 1, "1 failed, 1 passed")])
def test_a_skip_fails_the_run_only_under_ci(tmp_path, ci, code, summary):
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_x.py").write_text(SKIPPING)
    env = {**os.environ, "CI": ci}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == code, proc.stdout
    assert summary in proc.stdout, proc.stdout
    if ci:
        assert "skipped under CI=true (not allowed): canonical MNIST files not found" in proc.stdout
