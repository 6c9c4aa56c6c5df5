"""leaderboard.html: one row per model (mean and seed spread of every metric), then the blend strips
of the same test pairs for every model, with the pixel average on top. Self-contained (inline PNGs)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from notaverage.figures import figure_png, show_digit  # noqa: E402
from notaverage.fileio import atomic_write_text  # noqa: E402

COLUMNS = [  # key, header, format, what "better" is
    ("nll", "NLL (nats)", "{:.1f}", "lower"),
    ("active_units", "active units", "{:.1f}", "of the latent"),
    ("class_preserving_reconstruction", "class kept", "{:.2f}", "higher"),
    ("midpoint_ratio", "midpoint ratio", "{:.2f}", "1 = as close to data as a real digit"),
    ("pixel_average_ratio", "pixel-average ratio", "{:.2f}", "the same pairs, pixel average"),
    ("midpoint_minus_pixel", "midpoint - pixel", "{:+.2f}", "below 0: more realistic than averaging"),
    ("hybrid_transfer", "9-2 hybrids the judge reads as both", "{:.2f}", "higher"),
    ("c_t", "C_T", "{:.1f}", "far below 0: copying"),
    ("train_seconds", "training s (1 thread)", "{:.0f}", "lower"),
]


STYLE = (
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto}td,th{padding:4px 8px;text-align:right}"
    "td:nth-child(2){text-align:left;font-size:90%}table{border-collapse:collapse}"
    "tr{border-bottom:1px solid #ddd}img{max-width:100%}"
)


def _cell(row: dict, key: str, fmt: str) -> str:
    value, sd = row.get(key), row.get(f"{key}_sd")
    if value is None:
        return "<td>n/a</td>"
    spread = "" if sd is None else f" <small>&plusmn; {fmt.format(sd).lstrip('+')}</small>"
    return f"<td>{fmt.format(value)}{spread}</td>"


def strips_png(strips: dict[str, list], ends: list) -> list[bytes]:
    """One figure per pair: the pixel average of the two real digits, then each model's decoded blend."""
    import matplotlib.pyplot as plt

    ends_array = np.asarray(ends, dtype=np.float32) / 255  # (pairs, 2, 28, 28)
    paths = {name: np.asarray(images, dtype=np.float32) / 255 for name, images in strips.items()}
    steps = next(iter(paths.values())).shape[1]
    figures = []
    for pair, (a, b) in enumerate(ends_array):
        rows = {"pixel average": [(1 - t) * a + t * b for t in np.linspace(0, 1, steps)]}
        rows.update({name: path[pair] for name, path in paths.items()})
        fig, axes = plt.subplots(
            len(rows), steps, figsize=(1.0 * steps + 2.4, 1.05 * len(rows)), squeeze=False
        )
        for r, (name, images) in enumerate(rows.items()):
            for c in range(steps):
                show_digit(axes[r, c], images[c])
            axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        figures.append(figure_png(fig))
    return figures


def write_page(path: Path, result: dict, strips: dict[str, list], ends: list) -> Path:
    head = "".join(
        f"<th title='{html.escape(better)}'>{html.escape(title)}</th>" for _, title, _, better in COLUMNS
    )
    body = "".join(
        f"<tr><th>{html.escape(r['name'])}</th><td>{html.escape(r.get('summary', ''))}</td>"
        + "".join(_cell(r, key, fmt) for key, _, fmt, _ in COLUMNS)
        + "</tr>"
        for r in result["models"]
    )
    images = "".join(
        f"<h3>pair {k + 1}</h3><img alt='blend strips, pair {k + 1}' src='data:image/png;base64,"
        f"{base64.b64encode(png).decode()}'>"
        for k, png in enumerate(strips_png(strips, ends))
    )
    seeds = ", ".join(map(str, result["seeds"]))
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>notaverage zoo</title>
<style>{STYLE}</style></head><body>
<h1>Autoencoder zoo: one budget, one yardstick</h1>
<p>Budget <b>{html.escape(result["budget"])}</b>: {result["limit"] or 60000} training digits,
{result["steps"]} optimiser steps of batch {result["batch_size"]}; seeds {seeds}. Each figure is the mean over
seeds &plusmn; the sample standard deviation across seeds. Ratios are nearest-training-digit distances
over the median for real test digits (1 = as typical as a real digit). How each number is made:
docs/ZOO.md.</p>
<table><thead><tr><th>model</th><th></th>{head}</tr></thead><tbody>{body}</tbody></table>
<h2>Blend strips: the same test pairs, every model (seed 0)</h2>{images}
</body></html>"""
    atomic_write_text(path, page)
    return path
