"""Progress bars: at most about one redraw a second when the output is not a terminal."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

from tqdm import tqdm

from notaverage.progress import progress_bar

SRC = Path(__file__).resolve().parents[1] / "src" / "notaverage"


def _redraws(bar_class, seconds: float = 2.5) -> int:
    """Drive a bar as the fit loop does (an update and a new postfix per step) into a log-like
    stream for `seconds`; count the redraws tqdm wrote."""
    log = io.StringIO()  # not a terminal
    bar = bar_class(total=10**9, file=log, desc="train")
    end = time.monotonic() + seconds
    step = 0
    while time.monotonic() < end:
        step += 1
        bar.update(1)
        bar.set_postfix_str(f"loss {1 / step:.3f}")
        time.sleep(0.002)
    bar.close()
    return log.getvalue().count("\r")


def test_a_bar_in_a_log_redraws_about_once_a_second():
    assert _redraws(progress_bar) <= 2.5 + 3  # one a second, plus the first and the closing draw
    assert _redraws(tqdm) > 50  # plain tqdm redraws on every postfix: what this guards against


def test_every_bar_in_the_package_is_the_helper():
    calls = [f"{path.relative_to(SRC)}: {line.strip()}"
             for path in SRC.rglob("*.py") if path.name != "progress.py"
             for line in path.read_text().splitlines() if re.search(r"\btqdm\b", line)]
    assert calls == []
