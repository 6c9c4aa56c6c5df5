"""The public Python API: light to import, every function documented with an example."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import notaverage

SRC = Path(__file__).resolve().parents[1] / "src"


def test_import_notaverage_stays_light():
    code = ("import sys, notaverage; notaverage.load_data; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn', 'scipy') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_every_public_function_has_a_docstring_with_an_example():
    names = [name for name in notaverage.__all__ if name != "__version__"]
    assert {"load_data", "get_model", "blend", "sample", "hybrid", "report"} <= set(names)
    for name in names:
        function = getattr(notaverage, name)
        assert inspect.isfunction(function), name
        doc = inspect.getdoc(function) or ""
        assert "Example:" in doc and ">>> " in doc, name
        assert f"{name}(" in doc.split("Example:", 1)[1], name  # the example calls the function itself


def test_an_unknown_name_is_an_attribute_error():
    try:
        notaverage.no_such_function  # noqa: B018
    except AttributeError as err:
        assert "no_such_function" in str(err)
    else:
        raise AssertionError("expected AttributeError")
