"""Where notaverage looks for data and keeps its cache (one place, so every face agrees)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir_from_env() -> Path | None:
    """The folder named by NOTAVERAGE_DATA, if set."""
    value = os.environ.get("NOTAVERAGE_DATA", "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """NOTAVERAGE_CACHE, else $XDG_CACHE_HOME/notaverage, else ~/.cache/notaverage."""
    explicit = os.environ.get("NOTAVERAGE_CACHE", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "notaverage"


def mnist_cache_dir() -> Path:
    return cache_dir() / "mnist"


def models_cache_dir() -> Path:
    return cache_dir() / "models"
