"""Slide-ready pictures: each figure at its default and its largest options is 1920x1080, and no piece
of text overlaps another or leaves the canvas (matplotlib's own text extents). Synthetic digits and
probabilities: the layout does not depend on the models, so these run in seconds."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from notaverage import figures
from notaverage.cli import CAPS
from notaverage.png import figure_bytes

RNG = np.random.default_rng(0)


def digits(*shape: int) -> np.ndarray:
    return RNG.random((*shape, 28, 28)).astype(np.float32)


def probs(*shape: int) -> np.ndarray:
    p = RNG.random((*shape, 10))
    return p / p.sum(axis=-1, keepdims=True)


def texts_and_canvas(fig):
    """Every non-empty text the figure actually draws, with its pixel box, and the canvas box.
    (Recorded while drawing: tick labels outside the axis limits exist but are not drawn.)"""
    drawn = []
    draw = Text.draw

    def record(text, renderer):
        draw(text, renderer)
        if text.get_visible() and text.get_text().strip():
            drawn.append((text.get_text(), text.get_window_extent(renderer)))

    with mock.patch.object(Text, "draw", record):
        fig.canvas.draw()
    return drawn, fig.bbox


def assert_slide_ready(fig):
    boxes, canvas = texts_and_canvas(fig)
    assert (round(canvas.width), round(canvas.height)) == (1920, 1080)
    assert len(boxes) > 3
    for text, box in boxes:
        assert box.x0 >= -0.5 and box.y0 >= -0.5 and box.x1 <= canvas.width + 0.5 and \
            box.y1 <= canvas.height + 0.5, f"{text!r} leaves the canvas: {box}"
    for i, (text_a, a) in enumerate(boxes):
        for text_b, b in boxes[i + 1:]:
            overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_w <= 0.5 or overlap_h <= 0.5, f"{text_a!r} overlaps {text_b!r}"


def blend(images: int, caption=()):
    paths = {name: digits(images) for name in ("vae", "pixel", "linear")}
    return figures.blend_figure(paths, {name: probs(images) for name in paths}, 9, 2,
                                "From 9 (test:8404) to 2 (test:5099): three ways to go between two digits "
                                "(straight-line latent paths)", caption)


def samples(n: int, classes: int = 1):
    labels = [str(k * classes // n) for k in range(n)] if classes > 1 else None
    caption = "d = pixel distance (L2) to the nearest of 60,000 training digits; 0 would be a copy. " * 2
    title = "New 4s drawn by the VAE, each boxed with its nearest training digit (picture 1 of 10)"
    return figures.neighbour_figure(digits(n), digits(n), RNG.random(n) * 9, title, caption, labels,
                                    probs=probs(n))


def traversal(directions: int, images: int):
    trav = SimpleNamespace(images=digits(directions, images), offsets=np.linspace(-2, 2, images),
                           variance_ratio=np.full(directions, 0.123))
    return figures.traversal_figure(trav, "What each principal direction of the VAE's latent codes draws",
                                    probs(directions, images), "Directions of the codes of 10,000 digits")


def hybrid(n: int):
    count = 4 + n
    names = ["A (9)", "B (2)", "pixel average", "straight latent\nmidpoint",
             *[f"result {k + 1}\nbelow the bars" for k in range(n)]]
    extras = [["ratio 1.23"]] * 4 + [["ratio 1.23", "realism 0.98", "classifier 0.45/0.47"]] * n
    title = "No hybrid found within 2000 search steps: none of 8 results reads as equally 9 and 2"
    caption = ["A = 9 (test:8404), B = 2 (test:5099). " * 3, figures.score_legend("judge", 9, 2)]
    return figures.hybrid_figure(list(digits(count)), names, probs(count), 9, 2, extras, title, caption)


def latent_map():
    points = RNG.normal(size=(2000, 2)) * 3 + np.repeat(RNG.normal(size=(10, 2)) * 8, 200, axis=0)
    return figures.latent_map_figure(points, np.repeat(np.arange(10), 200),
                                     "VAE codes of 10,000 test digits on their linear discriminant plane\n"
                                     "(fitted on training codes; every point decodes)")


CASES = {
    "latent map": latent_map,
    "blend default": lambda: blend(9),
    "blend 2 images": lambda: blend(2, ["note: the VAE reconstructs mine.png (labelled 9) as an 8, not a 9"]),
    "blend at the cap": lambda: blend(CAPS["images"], ["Pair 12 by the pair rule. Another pair: --pick 13."]),
    "sample default": lambda: samples(16),
    "sample 1": lambda: samples(1),
    "sample at the cap": lambda: samples(CAPS["samples_per_picture"]),
    "tour samples": lambda: samples(60, classes=10),
    "traverse default": lambda: traversal(8, 9),
    "traverse at the caps": lambda: traversal(CAPS["directions"], CAPS["images"]),
    "traverse 1x2": lambda: traversal(1, 2),
    "hybrid default": lambda: hybrid(4),
    "hybrid none found": lambda: hybrid(0),
    "hybrid at the cap": lambda: hybrid(CAPS["hybrids"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_figure_is_slide_ready(name):
    assert_slide_ready(CASES[name]())


def test_written_png_is_1920_by_1080(tmp_path):
    path = tmp_path / "b.png"
    path.write_bytes(figure_bytes(blend(9)))
    with Image.open(path) as image:
        assert image.size == (1920, 1080)


def test_the_checker_catches_an_overlap():
    fig = blend(9)
    fig.text(0.5, 0.5, "a long line of text drawn straight over the digits")
    fig.text(0.5, 0.5, "and another on top of it")
    with pytest.raises(AssertionError, match="overlaps"):
        assert_slide_ready(fig)


def test_non_latin_file_names_draw_without_warnings(recwarn):
    title = figures.safe_text("\u4e5d.png (reads as a 9)")
    assert title == "\\u4e5d.png (reads as a 9)"
    figures.figure_png(blend(3, [title]))
    assert not [w for w in recwarn if "missing from" in str(w.message) or "Glyph" in str(w.message)]
