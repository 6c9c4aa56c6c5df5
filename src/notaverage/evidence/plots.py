"""Figures for the evidence: confusion matrix, hybrids, traversals (matplotlib figures)."""

from __future__ import annotations

import numpy as np

from notaverage.figures import plt, show_digit


def confusion_figure(confusion: np.ndarray, title: str):
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    shown = np.log1p(np.asarray(confusion, dtype=float))
    ax.imshow(shown, cmap="Blues")
    for i in range(10):
        for j in range(10):
            value = int(confusion[i][j])
            if value:
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if shown[i, j] > shown.max() * 0.6 else "black",
                )
    ax.set_xticks(range(10)), ax.set_yticks(range(10))
    ax.set_xlabel("predicted"), ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def _hybrid_panel(images, names, results, class_a, class_b, judge, ruler, title):
    images = list(images) + [r.image for r in results]
    names = list(names) + [f"hybrid {k + 1}" for k in range(len(results))]
    probs = judge.predict_proba(np.stack(images))
    ratios = ruler.ratio(np.stack(images)) if ruler is not None else None
    fig, axes = plt.subplots(1, len(images), figsize=(1.45 * len(images) + 0.5, 2.5), squeeze=False)
    for k, (ax, image, name) in enumerate(zip(axes[0], images, names, strict=True)):
        show_digit(ax, image)
        ax.set_title(name, fontsize=7)
        label = f"p{class_a}={probs[k, class_a]:.2f}\np{class_b}={probs[k, class_b]:.2f}"
        if ratios is not None:
            label += f"\nratio={ratios[k]:.2f}"
        if k >= len(images) - len(results):
            r = results[k - (len(images) - len(results))]
            if np.isfinite(r.realism):
                label += f"\ncode real.={r.realism:.2f}"
        ax.set_xlabel(label, fontsize=6.5)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def hybrid_panel(vae, judge, image_a, image_b, class_a, class_b, results, ruler, title: str):
    """The hybrid figure given the VAE explicitly (the straight latent midpoint needs it)."""
    from notaverage.latent import latent_path

    images = [image_a, image_b, 0.5 * (image_a + image_b), latent_path(vae, image_a, image_b, 3)[1]]
    names = [f"A ({class_a})", f"B ({class_b})", "pixel average", "straight latent midpoint"]
    return _hybrid_panel(images, names, results, class_a, class_b, judge, ruler, title)


def traversal_figure(traversal, title: str):
    n, steps = traversal.images.shape[:2]
    fig, axes = plt.subplots(n, steps, figsize=(1.0 * steps + 2.2, 1.05 * n + 0.6), squeeze=False)
    for r in range(n):
        for c in range(steps):
            show_digit(axes[r, c], traversal.images[r, c])
            if r == 0:
                axes[r, c].set_title(f"{traversal.offsets[c]:+.1f}\u03c3", fontsize=8)
        axes[r, 0].set_ylabel(
            f"dir {r + 1}\n{traversal.variance_ratio[r]:.1%} var",
            fontsize=8,
            rotation=0,
            ha="right",
            va="center",
        )
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
