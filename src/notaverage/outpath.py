"""Check an `--out` path before any work, so that a bad one fails in a second with a message that
names the user's path (never a temporary file), instead of after the models have run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from notaverage.errors import UserError

# Picture formats matplotlib writes by itself (JPEG through Pillow, a core dependency).
PICTURE_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg", ".pdf": "pdf"}


def picture_format(path: str | os.PathLike) -> str:
    """The matplotlib format name for a picture path, from its extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in PICTURE_FORMATS:
        shown = f"'{suffix}'" if suffix else "no extension"
        raise UserError(f"--out {path}: {shown} is not a picture format this tool writes; end the name in "
                        f".png, .jpg, .svg or .pdf")
    return PICTURE_FORMATS[suffix]


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _check_writable_folder(path: Path, folder: Path) -> None:
    """The folder that will hold `path` (or its nearest existing ancestor) must take a new file."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise UserError(f"--out {path}: {existing} is a file, not a folder; choose another location")
    try:  # os.access says yes to root even on /proc; only a real file proves a folder is writable
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise UserError(f"--out {path}: cannot write in {existing} ({err.strerror or err}); choose a folder "
                        f"you can write to") from None


def check_picture_out(path: str | os.PathLike) -> Path:
    """A picture file to be written: not an existing folder, a known format, a writable folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise UserError(f"--out {path} is an existing folder; give a file name, e.g. {path / 'picture.png'}")
    picture_format(path)
    _check_writable_folder(path, path.parent)
    return path


def check_folder_out(path: str | os.PathLike) -> Path:
    """A folder to be filled (tour, report): not an existing file, and writable."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise UserError(f"--out {path} is an existing file; give a folder (it is created if missing)")
    _check_writable_folder(path, path)
    return path
