"""Pictures for the faces (CLI, report): matplotlib on the Agg backend, written atomically as PNG."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from notaverage.fileio import atomic_write_bytes

ROW_TITLES = {
    "vae": "VAE latent path",
    "pixel": "pixel average",
    "linear": "linear (PCA) latent path",
}
CLASS_COLOURS = plt.get_cmap("tab10")


def figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def save_figure(fig, path: str | Path) -> Path:
    return atomic_write_bytes(path, figure_png(fig))


def show_digit(ax, image: np.ndarray) -> None:
    """A digit on an axis: grey, clipped to [0, 1], no ticks or frame."""
    ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def blend_figure(paths: dict[str, np.ndarray], probs: dict[str, np.ndarray], class_a: int, class_b: int,
                 title: str):
    """Rows: one path each. Under each image, the classifier's p(A class) and p(B class)."""
    steps = len(next(iter(paths.values())))
    fig, axes = plt.subplots(len(paths), steps, figsize=(1.15 * steps + 1.6, 1.55 * len(paths)),
                             squeeze=False)
    ts = np.linspace(0, 1, steps)
    for row, (name, images) in enumerate(paths.items()):
        for col in range(steps):
            ax = axes[row, col]
            show_digit(ax, images[col])
            p = probs[name][col]
            ax.set_xlabel(f"p{class_a}={p[class_a]:.2f}\np{class_b}={p[class_b]:.2f}", fontsize=7)
            if row == 0:
                ax.set_title(f"t={ts[col]:.2f}", fontsize=8)
        axes[row, 0].set_ylabel(ROW_TITLES.get(name, name), fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def neighbour_figure(samples: np.ndarray, neighbours: np.ndarray, distances: np.ndarray, title: str,
                     row_labels: list[str] | None = None, per_row: int = 8):
    """Each generated digit beside its nearest training image, with the pixel distance between them."""
    n = len(samples)
    rows = int(np.ceil(n / per_row))
    fig, axes = plt.subplots(rows, 2 * per_row, figsize=(2 * per_row * 0.8, rows * 1.05), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        r, c = divmod(i, per_row)
        left, right = axes[r, 2 * c], axes[r, 2 * c + 1]
        left.axis("on"), right.axis("on")
        show_digit(left, samples[i])
        show_digit(right, neighbours[i])
        left.set_xlabel("new", fontsize=6)
        right.set_xlabel(f"nearest\nd={distances[i]:.2f}", fontsize=6)
        for spine in right.spines.values():
            spine.set_visible(True), spine.set_color("#999")
        if row_labels and c == 0:
            left.set_ylabel(row_labels[r], fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def latent_map_figure(points: np.ndarray, labels: np.ndarray, title: str):
    """A 2-D projection of the test codes, coloured by class, with the class number at each centre."""
    fig, ax = plt.subplots(figsize=(6.5, 6))
    ax.scatter(points[:, 0], points[:, 1], c=[CLASS_COLOURS(int(k)) for k in labels], s=3, alpha=0.6,
               linewidths=0)
    for digit in range(10):
        mask = labels == digit
        if mask.any():
            cx, cy = np.median(points[mask], axis=0)
            ax.text(cx, cy, str(digit), fontsize=16, weight="bold", ha="center", va="center",
                    color=CLASS_COLOURS(digit), bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("projection 1"), ax.set_ylabel("projection 2")
    fig.tight_layout()
    return fig
