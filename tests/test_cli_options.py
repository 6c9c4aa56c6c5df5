"""The CLI's vocabulary, --version, the README table and --out checks: no models, no data, seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from notaverage import __version__
from notaverage.cli import build_parser, main
from notaverage.cli_table import command_table
from notaverage.figures import save_figure

README = Path(__file__).resolve().parents[1] / "README.md"
NO_DATA = ["--data-dir", "/nonexistent/mnist"]  # a check that ran after the data lookup would name this


def run_main(args: list[str], capsys) -> tuple[int, str]:
    """The console script's `main` in this process (no interpreter start per case): (exit code, stderr)."""
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own exit
        code = exc.code
    return code, capsys.readouterr().err


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "notaverage.cli", *args], capture_output=True, text=True,
                          check=False, timeout=60, env=os.environ.copy())


def test_readme_command_table_is_the_parsers():
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- commands: start (python -c 'from notaverage.cli_table import command_table; " \
                 "print(command_table())') -->\n", "\n<!-- commands: end -->"
    assert start in text and end in text, "README lost its generated command table markers"
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table == command_table(), "README command table is stale: regenerate it (command in the marker)"


def test_every_command_and_option_is_in_the_table():
    table = command_table()
    parser = build_parser()
    for name, sub in parser._subparsers._group_actions[0].choices.items():
        assert f"`notaverage {name}" in table
        for action in sub._actions:
            if action.help != "==SUPPRESS==" and action.option_strings != ["-h", "--help"]:
                assert max(action.option_strings or [""], key=len) in table, (name, action.option_strings)


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"notaverage {__version__}"


@pytest.mark.parametrize("args, message", [
    (["blend", "9", "2", "--steps", "5"], "--steps is gone: use --images N"),
    (["traverse", "--steps", "5"], "--steps is gone: use --images N"),
    (["hybrid", "9", "2", "--steps", "5"], "--steps is gone: use --search-steps N"),
    (["blend", "9", "2", "--seed", "3"], "use --pick N to show other digits (no training) or --train-seed N"),
])
def test_old_option_names_say_what_replaced_them(args, message, capsys):
    code, err = run_main([*args, *NO_DATA], capsys)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1


def test_train_seed_help_says_it_trains_and_how_long():
    result = run_cli("blend", "--help")
    flat = " ".join(result.stdout.split())
    assert "TRAINS NEW MODELS: about 1-2 minutes" in flat and "Never retrains" in flat


def test_out_is_checked_before_any_work(tmp_path, capsys):
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("x")
    cases = [
        (["blend", "9", "2", "--out", str(tmp_path / "folder")],
         f"--out {tmp_path / 'folder'} is an existing folder"),
        (["sample", "--digit", "3", "--out", str(tmp_path / "s.bmp")], "'.bmp' is not a picture format"),
        (["blend", "9", "2", "--out", "/proc/foo.png"], "--out /proc/foo.png: cannot write in /proc"),
        (["hybrid", "9", "2", "--out", str(tmp_path / "afile" / "h.png")], "is a file, not a folder"),
        (["tour", "--out", str(tmp_path / "afile")], "is an existing file; give a folder"),
    ]
    for args, message in cases:
        code, err = run_main([*args, *NO_DATA], capsys)
        assert code == 2, (args, err)
        assert message in err and ".tmp" not in err, err
        assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "folder"]  # nothing left behind


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".jpg", b"\xff\xd8\xff"),
                                           (".jpeg", b"\xff\xd8\xff"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_the_format_follows_the_extension(tmp_path, suffix, magic):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    path = save_figure(fig, tmp_path / f"picture{suffix.upper()}")
    assert path.read_bytes().startswith(magic)
