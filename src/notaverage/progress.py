"""The one progress bar of the package: tqdm, with a calm rate when nobody is watching live.

In a terminal tqdm redraws up to ten times a second, which is right there. In a log file, a CI job
or a pipe every redraw is another line-like record, so when stderr is not a terminal a bar redraws
at most once a second; and a postfix change (say, the loss after every step) never forces a redraw
of its own, it shows at the next one.
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

NON_TERMINAL_INTERVAL_S = 1.0


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class progress_bar(tqdm):  # noqa: N801 - used like the tqdm function it stands for
    """`tqdm(...)` with the rate rule above; every argument is tqdm's.

    >>> for _ in progress_bar(range(3), desc="demo", disable=True):
    ...     pass
    """

    def __init__(self, *args, **kwargs):
        if not _is_terminal(kwargs.get("file") or sys.stderr):
            kwargs.setdefault("mininterval", NON_TERMINAL_INTERVAL_S)
        super().__init__(*args, **kwargs)

    def set_postfix_str(self, s: str = "", refresh: bool = False) -> None:
        super().set_postfix_str(s, refresh=refresh)

    def set_postfix(self, ordered_dict=None, refresh: bool = False, **kwargs) -> None:
        super().set_postfix(ordered_dict, refresh=refresh, **kwargs)
