"""The one place that turns pictures into bytes: matplotlib figures (PNG, JPEG, SVG, PDF), digit
arrays (small greyscale PNGs for the explorer) and base64 data URLs for the HTML pages."""

from __future__ import annotations

import base64
import io

import numpy as np


def figure_bytes(fig, fmt: str = "png", dpi: float | None = None, tight: bool = False) -> bytes:
    """Render a matplotlib figure in `fmt` and close it. `tight` crops to the drawn content (for
    pages); without it the canvas keeps the figure's size (slides: 16 x 9 in at 120 dpi = 1920x1080)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi or fig.dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return buffer.getvalue()


def figure_png(fig, dpi: float = 110) -> bytes:
    """A figure as PNG bytes cropped to its content, for embedding in a page."""
    return figure_bytes(fig, "png", dpi=dpi, tight=True)


def image_png(image: np.ndarray) -> bytes:
    """A (H, W) float image in [0, 1] as a greyscale PNG (fast compression: a digit is ~400 bytes)."""
    from PIL import Image

    pixels = (np.clip(np.asarray(image, dtype=np.float32), 0, 1) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    """PNG bytes as a data URL, so an HTML page or JSON answer carries its pictures inline."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def png_data_url(image: np.ndarray) -> str:
    """A digit array as a PNG data URL (what the explorer's JSON answers carry)."""
    return data_url(image_png(image))
