"""The README's command table, generated from the `notaverage` argument parser itself.

    python -c 'from notaverage.cli_table import command_table; print(command_table())'

tests/test_cli_options.py checks that the README holds exactly this, so the two cannot drift.
"""

from __future__ import annotations

import argparse

from notaverage.cli import CAPS, build_parser


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _option_text(action: argparse.Action) -> str:
    name = max(action.option_strings, key=len)
    return name if action.nargs == 0 else f"{name} {action.metavar or action.dest.upper()}"


COMMON = ("--data-dir", "--preset", "--limit", "--train-seed", "--quiet", "--out", "--pick", "--help")


def command_table(parser: argparse.ArgumentParser | None = None) -> str:
    """The README's command table and the options and caps below it, as markdown."""
    parser = parser or build_parser()
    helps = {a.dest: a.help for a in parser._subparsers._group_actions[0]._choices_actions}
    rows = ["| command | its own options | what it does |", "| --- | --- | --- |"]
    for name, sub in _subparsers(parser).items():
        positionals = " ".join(a.metavar or a.dest for a in sub._actions if not a.option_strings)
        options = [_option_text(a) for a in sub._actions if a.option_strings and a.help != argparse.SUPPRESS
                   and not set(a.option_strings) & set(COMMON)]
        shown = ", ".join(f"`{o}`" for o in options)
        extra = [f"`{o}`" for o in ("--pick", "--out") if o in sub._option_string_actions]
        rows.append(f"| `notaverage {name}{' ' + positionals if positionals else ''}` | "
                    f"{', '.join(x for x in [shown, *extra] if x)} | {helps[name]} |".replace("  ", " "))
    rows += ["", "Options of the digit commands (all but `tabular`; `--pick` where listed above, `--out` for "
             "pictures and folders):", "", "| option | meaning |", "| --- | --- |"]
    blend = _subparsers(parser)["blend"]
    for option in COMMON[:-1]:
        action = blend._option_string_actions[option]
        rows.append(f"| `{_option_text(action)}` | {action.help} |".replace("%%", "%"))
    rows += ["", "Caps (larger requests print a one-line note and are capped, or split into several files):",
             "",
             f"`--images` {CAPS['images']}; `traverse --directions` {CAPS['directions']}; `hybrid -n` "
             f"{CAPS['hybrids']}; `hybrid --search-steps` {CAPS['search_steps']}; `sample -n` "
             f"{CAPS['samples_per_picture']} per picture (more go to `NAME-1.png`, `NAME-2.png`, ...), "
             f"{CAPS['samples']} in all."]
    return "\n".join(rows)
