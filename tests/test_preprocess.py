"""preprocess_image(): real MNIST digits survive being blown up, inverted and pasted on paper."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from notaverage.data.preprocess import preprocess_image
from notaverage.errors import ImageError, UserError


def on_paper(digit: np.ndarray) -> np.ndarray:
    """A 28x28 MNIST digit scaled x5 and pasted, dark ink, off-centre on a white 300x360 page."""
    big = np.asarray(Image.fromarray(digit).resize((140, 140), Image.Resampling.BILINEAR))
    page = np.full((300, 360), 255, dtype=np.uint8)
    page[40:180, 190:330] = 255 - big
    return page


def encoded(array: np.ndarray, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **options)
    return buffer.getvalue()


def correlation(a, b) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    return (x.sum(1) @ np.arange(28)) / x.sum(), (x.sum(0) @ np.arange(28)) / x.sum()


def box_side(x: np.ndarray) -> int:
    rows, cols = np.flatnonzero(x.any(1)), np.flatnonzero(x.any(0))
    return max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.test_images[:40]


def test_a_pasted_inverted_digit_round_trips(digits):
    scores = []
    for digit in digits:
        out = preprocess_image(on_paper(digit))
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0
        cy, cx = centre_of_mass(out)
        assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
        assert 19 <= box_side(out > 0) <= 21
        scores.append(correlation(out, digit))
    # A 1-px difference in where the mass centre rounds to costs some digits a lot; most match.
    assert scores[0] > 0.9 and np.median(scores) > 0.95 and np.mean(scores) > 0.9


@pytest.mark.parametrize("kind", ["uint8", "float", "rgb", "rgba", "pil", "png", "jpeg", "path"])
def test_every_input_kind_gives_the_same_digit(digits, kind, tmp_path):
    page = on_paper(digits[0])
    rgb = np.repeat(page[..., None], 3, axis=2)
    inputs = {
        "uint8": lambda: page,
        "float": lambda: page.astype(np.float64) / 255,
        "rgb": lambda: rgb,
        "rgba": lambda: np.dstack([rgb, np.full(page.shape, 255, np.uint8)]),
        "pil": lambda: Image.fromarray(rgb),
        "png": lambda: encoded(page),
        "jpeg": lambda: encoded(rgb, "JPEG", quality=85),
        "path": lambda: tmp_path / "digit.png",
    }
    (tmp_path / "digit.png").write_bytes(encoded(page))
    out = preprocess_image(inputs[kind]())
    assert correlation(out, preprocess_image(page)) > (0.95 if kind == "jpeg" else 0.999)


def test_ink_polarity_does_not_matter(digits):
    page = on_paper(digits[1])
    assert correlation(preprocess_image(page), preprocess_image(255 - page)) > 0.999


def test_transparent_background_with_light_or_dark_ink(digits):
    ink = np.asarray(Image.fromarray(digits[2]).resize((140, 140)))
    white_strokes = np.dstack([np.full((140, 140, 3), 255, np.uint8), ink])
    black_strokes = np.dstack([np.zeros((140, 140, 3), np.uint8), ink])
    a, b = preprocess_image(encoded(white_strokes)), preprocess_image(encoded(black_strokes))
    assert correlation(a, b) > 0.999 and correlation(a, digits[2]) > 0.9


def test_a_canvas_drawing_is_fast():
    canvas = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(canvas).line([(90, 60), (190, 60), (120, 230)], fill=255, width=18)
    png, array = encoded(np.asarray(canvas)), np.asarray(canvas)
    out = preprocess_image(png)
    assert out.max() == pytest.approx(1.0) and box_side(out > 0) == 20
    start = time.perf_counter()
    for _ in range(20):
        preprocess_image(array)
        preprocess_image(png)
    assert (time.perf_counter() - start) / 40 < 0.05  # a few ms in practice; loose for busy machines


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_a_big_photo_is_shrunk_first(digits, mode):
    small = on_paper(digits[3])
    big = Image.fromarray(small).resize((3000, 2500)).convert(mode)
    assert correlation(preprocess_image(big), preprocess_image(small)) > 0.95


@pytest.mark.parametrize(
    "image",
    [np.zeros((280, 280), np.uint8), np.full((50, 60), 255, np.uint8), np.full((64, 64, 3), 0.5)],
    ids=["black", "white", "grey"],
)
def test_a_blank_image_is_an_image_error(image):
    with pytest.raises(ImageError, match="blank"):
        preprocess_image(image)
    with pytest.raises(ImageError, match="blank"):
        preprocess_image(encoded(np.asarray(image * (255 if image.dtype.kind == "f" else 1), np.uint8)))


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size but holds one short row of pixels: cheap, opens, cannot decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\x00" * 11)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "image, message",
    [
        (b"this is not an image at all", "not a PNG or JPEG"),
        (b"", "not a PNG or JPEG"),
        ("no/such/file.png", "does not exist"),
        (_png_header(100, 100), "not a PNG or JPEG"),  # truncated
        (_png_header(10_000, 5_000), "pixel limit"),
        (np.broadcast_to(np.uint8(0), (7000, 7000)), "pixel limit"),
        (np.full((28, 28), np.nan), "NaN"),
        (np.zeros((3, 28, 28)), "shape"),
        (np.zeros((0, 0)), "shape"),
        (np.array([["a"]]), "numbers"),
        (12345, "cannot read a digit from a int"),
    ],
    ids=[
        "text",
        "empty",
        "missing",
        "truncated",
        "huge-png",
        "huge-array",
        "nan",
        "batch",
        "empty-array",
        "strings",
        "int",
    ],
)
def test_bad_input_is_a_one_line_image_error(image, message):
    with pytest.raises(ImageError, match=message) as err:
        preprocess_image(image)
    assert isinstance(err.value, UserError) and "\n" not in str(err.value)


def test_a_non_image_file_is_named(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("hello")
    with pytest.raises(ImageError, match="notes.png is not a PNG or JPEG"):
        preprocess_image(path)


def test_a_phone_photo_is_turned_upright(digits):
    page = Image.fromarray(on_paper(digits[4]))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    page.transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", quality=90, exif=exif)
    assert correlation(preprocess_image(buffer.getvalue()), preprocess_image(np.asarray(page))) > 0.95
