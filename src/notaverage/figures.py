"""Pictures for the faces (CLI, report): matplotlib on the Agg backend, written atomically.

Slide figures are 16 x 9 inches at 120 dpi, i.e. 1920x1080 pixels, laid out by matplotlib's
constrained layout; tests/test_figures.py renders each at its default and largest options and
checks that no piece of text overlaps another or leaves the canvas. Under every digit a line says
what the network that scores it reads ("top 0 .91": class 0, probability 0.91), then p(A), p(B).
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from notaverage.fileio import atomic_write_bytes
from notaverage.outpath import picture_format
from notaverage.png import figure_bytes, figure_png

__all__ = ["an", "figure_png", "save_figure", "show_digit", "safe_text", "blend_figure", "neighbour_figure",
           "hybrid_figure", "traversal_figure", "latent_map_figure", "SLIDE"]

SLIDE = {"figsize": (16, 9), "dpi": 120}  # 1920x1080
ROW_TITLES = {
    "vae": "VAE\nlatent path",
    "pixel": "pixel\naverage",
    "linear": "linear (PCA)\nlatent path",
}
CLASS_COLOURS = plt.get_cmap("tab10")
SURPRISE = "#c0392b"  # the top class is neither A nor B


def an(label: int) -> str:
    """A digit read aloud takes its article: "an 8", "a 9"."""
    return f"an {label}" if label == 8 else f"a {label}"


def save_figure(fig, path: str | Path) -> Path:
    """Write a figure in the format its extension names (.png, .jpg, .svg, .pdf), atomically."""
    return atomic_write_bytes(path, figure_bytes(fig, picture_format(path)))


def slide(rows: int, cols: int, **kwargs):
    """A 1920x1080 figure with a grid of axes and constrained layout."""
    return plt.subplots(rows, cols, squeeze=False, layout="constrained", **SLIDE, **kwargs)


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    from matplotlib import font_manager, ft2font

    font = ft2font.FT2Font(font_manager.findfont(plt.rcParams["font.sans-serif"][0]))
    return frozenset(font.get_charmap())


def safe_text(text: str) -> str:
    """Text the default font can draw: a character it lacks (九 in a file name) becomes its escape
    (\\u4e5d) instead of an empty box and two matplotlib warnings."""
    glyphs = _glyphs()
    return "".join(c if ord(c) in glyphs or c in "\n\t" else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _wrap(text: str, width: int = 175) -> str:
    return "\n".join(textwrap.fill(part, width) for part in text.split("\n"))


def _headings(fig, title: str, caption: str | list[str] = "") -> None:
    fig.suptitle(_wrap(safe_text(title), 110), fontsize=15)
    lines = [caption] if isinstance(caption, str) else list(caption)
    if any(lines):
        fig.supxlabel(_wrap(safe_text("\n".join(x for x in lines if x))), fontsize=11, ha="center")


def show_digit(ax, image: np.ndarray) -> None:
    """A digit on an axis: grey, clipped to [0, 1], no ticks or frame."""
    ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _label_size(cols: int) -> float:
    return 11 if cols <= 9 else 9.5 if cols <= 12 else 8.5


def score_label(p: np.ndarray, class_a: int, class_b: int) -> tuple[str, bool]:
    """'top 0 .91\\np9 .05\\np2 .01' and whether the top class is neither A nor B."""
    top = int(np.argmax(p))
    text = f"top {top} {p[top]:.2f}\np{class_a} {p[class_a]:.2f}\np{class_b} {p[class_b]:.2f}"
    return text, top not in (class_a, class_b)


def score_legend(scorer: str, class_a: int, class_b: int) -> str:
    return (f"Under each image, the {scorer}: top = the class it reads and its probability (red when neither "
            f"{class_a} nor {class_b}); p{class_a} = its probability of {an(class_a)} (A's class), "
            f"p{class_b} = of {an(class_b)} (B's class).")


def blend_figure(paths: dict[str, np.ndarray], probs: dict[str, np.ndarray], class_a: int, class_b: int,
                 title: str, caption: str | list[str] = "", scorer: str = "classifier"):
    """Rows: one path each. Under each image, the scorer's top class, p(A class) and p(B class)."""
    steps = len(next(iter(paths.values())))
    fig, axes = slide(len(paths), steps)
    size = _label_size(steps)
    for row, (name, images) in enumerate(paths.items()):
        for col in range(steps):
            ax = axes[row, col]
            show_digit(ax, images[col])
            text, surprise = score_label(probs[name][col], class_a, class_b)
            ax.set_xlabel(text, fontsize=size, color=SURPRISE if surprise else "black", linespacing=1.1)
            if row == 0:
                ax.set_title(f"t={col / (steps - 1):.2f}", fontsize=size)
        axes[row, 0].set_ylabel(ROW_TITLES.get(name, name), fontsize=13, rotation=0, ha="right", va="center")
    legend = score_legend(scorer, class_a, class_b) + " t = share of the way from A to B."
    _headings(fig, title, [legend, *([caption] if isinstance(caption, str) else caption)])
    return fig


def _pair_image(new: np.ndarray, neighbour: np.ndarray) -> np.ndarray:
    """New digit | thin grey bar | nearest training digit, as one image to box together."""
    bar = np.full((28, 2), 0.5, dtype=np.float32)
    return np.concatenate([np.clip(new, 0, 1), bar, np.clip(neighbour, 0, 1)], axis=1)


def neighbour_figure(samples: np.ndarray, neighbours: np.ndarray, distances: np.ndarray, title: str,
                     caption: str = "", row_labels: list[str] | None = None, per_row: int | None = None,
                     probs: np.ndarray | None = None):
    """Each new digit boxed with its nearest training digit; under each box the pixel distance d (and,
    with `probs`, the class the classifier reads). `row_labels`: one per sample (e.g. its class)."""
    n = len(samples)
    per_row = per_row or (min(n, 8) if row_labels is None else int(np.ceil(n / len(set(row_labels)))))
    rows = int(np.ceil(n / per_row))
    fig, axes = slide(rows, per_row)
    size = _label_size(2 * per_row) if rows <= 5 else 9
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        r, c = divmod(i, per_row)
        ax = axes[r, c]
        ax.axis("on")
        show_digit(ax, _pair_image(samples[i], neighbours[i]))
        for spine in ax.spines.values():
            spine.set_visible(True), spine.set_color("#1f77b4"), spine.set_linewidth(2)
        label = f"d={distances[i]:.2f}"
        if probs is not None:
            top = int(np.argmax(probs[i]))
            label = f"top {top} {probs[i, top]:.2f}  {label}"
        ax.set_xlabel(label, fontsize=size)
        if r == 0 and rows <= 5:
            ax.set_title("new | nearest", fontsize=size)
        if row_labels and c == 0:
            ax.set_ylabel(row_labels[i], fontsize=13, rotation=0, ha="right", va="center")
    _headings(fig, title, caption)
    return fig


def hybrid_figure(images: list[np.ndarray], names: list[str], probs: np.ndarray, class_a: int, class_b: int,
                  extras: list[list[str]], title: str, caption: list[str], n_reference: int = 4):
    """Top row: the `n_reference` reference images (A, B, the two midpoints); bottom row: the search
    results. Under each, the judge's reading and any extra lines (manifold ratio, code realism)."""
    n_results = len(images) - n_reference
    cols = max(n_reference, n_results)
    fig, axes = slide(2 if n_results else 1, cols)
    size = _label_size(cols)
    for ax in axes.ravel():
        ax.axis("off")
    for k in range(len(images)):
        ax = axes[0, k] if k < n_reference else axes[1, k - n_reference]
        ax.axis("on")
        show_digit(ax, images[k])
        ax.set_title(names[k], fontsize=size)
        text, surprise = score_label(probs[k], class_a, class_b)
        ax.set_xlabel("\n".join([text, *extras[k]]), fontsize=size, linespacing=1.1,
                      color=SURPRISE if surprise else "black")
    axes[0, 0].set_ylabel("the two digits\nand midpoints", fontsize=13, rotation=0, ha="right", va="center")
    if n_results:
        axes[1, 0].set_ylabel("search\nresults", fontsize=13, rotation=0, ha="right", va="center")
    _headings(fig, title, caption)
    return fig


def traversal_figure(traversal, title: str, probs: np.ndarray | None = None, caption: str = ""):
    """Rows of decoded images along each principal direction; with `probs` (n, steps, 10), the class
    the classifier reads under each image."""
    n, steps = traversal.images.shape[:2]
    fig, axes = slide(n, steps)
    size = _label_size(steps) if n <= 6 else 8.5
    for r in range(n):
        for c in range(steps):
            ax = axes[r, c]
            show_digit(ax, traversal.images[r, c])
            if r == 0:
                ax.set_title(f"{traversal.offsets[c]:+.1f}\u03c3", fontsize=size)
            if probs is not None:
                top = int(np.argmax(probs[r, c]))
                ax.set_xlabel(f"top {top} {probs[r, c, top]:.2f}", fontsize=size)
        axes[r, 0].set_ylabel(f"direction {r + 1}\n{traversal.variance_ratio[r]:.1%} of variance",
                              fontsize=size + 1, rotation=0, ha="right", va="center")
    _headings(fig, title, caption)
    return fig


def latent_map_figure(points: np.ndarray, labels: np.ndarray, title: str):
    """A 2-D projection of the test codes, coloured by class, with the class number at each centre."""
    fig, axes = slide(1, 1)
    ax = axes[0, 0]
    ax.set_aspect("equal", adjustable="datalim")
    ax.scatter(points[:, 0], points[:, 1], c=[CLASS_COLOURS(int(k)) for k in labels], s=3, alpha=0.6,
               linewidths=0)
    for digit in range(10):
        mask = labels == digit
        if mask.any():
            cx, cy = np.median(points[mask], axis=0)
            ax.text(cx, cy, str(digit), fontsize=16, weight="bold", ha="center", va="center",
                    color=CLASS_COLOURS(digit), bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
    ax.set_xlabel("projection 1", fontsize=12), ax.set_ylabel("projection 2", fontsize=12)
    _headings(fig, title)
    return fig
