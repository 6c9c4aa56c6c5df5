"""preprocess_image(): turn any picture of one digit into a 28x28 MNIST-style array.

MNIST's own recipe (LeCun, Cortes, Burges): white ink on black; the digit's bounding box scaled,
aspect ratio kept and antialiased, so that its longer side is 20 px; then placed in a 28x28 field
so that its centre of mass sits at the centre. In row/column index coordinates the real digits'
mass centres average (14.0, 14.0), so that is where ours go.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from notaverage.errors import ImageError

MAX_PIXELS = 40_000_000  # refuse bigger images: decoding them costs too much memory
MAX_FILE_BYTES = 100_000_000
WORK_SIDE = 1024  # larger pictures are shrunk to this before the float work (speed)
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
MIN_CONTRAST = 0.05  # ink must differ from the background by this much, else the image is blank
INK_FLOOR = 0.05  # after normalising, fainter pixels are paper noise, not ink
BOX, SIDE, CENTRE = 20, 28, 14.0


def preprocess_image(image) -> np.ndarray:
    """A PIL image, array (HxW or HxWxC), PNG/JPEG bytes or a path -> float32 (28, 28) in [0, 1]."""
    ink = _ink(_to_gray(image))
    return _centre(_fit_box(_crop(ink)))


# ---------------------------------------------------------------------------------------------
# Any input -> float32 grey levels in [0, 1]


def _to_gray(image) -> np.ndarray:
    if isinstance(image, Image.Image):
        return _from_pil(image)
    if isinstance(image, np.ndarray):
        return _from_array(image)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _from_pil(_decode(bytes(image), "the uploaded data"))
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise ImageError(f"{path} does not exist or is not a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageError(f"{path} is larger than {MAX_FILE_BYTES // 1_000_000} MB; use a smaller image")
        return _from_pil(_decode(path.read_bytes(), str(path)))
    raise ImageError(
        f"cannot read a digit from a {type(image).__name__}; pass a PIL image, an array, PNG/JPEG bytes "
        "or a path"
    )


def _decode(data: bytes, name: str) -> Image.Image:
    try:
        im = Image.open(io.BytesIO(data), formats=FORMATS)
        _check_size(im.width, im.height)  # before decoding the pixels
        im.draft("L", (WORK_SIDE, WORK_SIDE))  # JPEG only: decode straight to a smaller grey image
        im.load()
        im = ImageOps.exif_transpose(im)  # phone photos: honour the camera's rotation flag
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ImageError(f"{name} is not a PNG or JPEG image (it could not be decoded)") from None
    return im


def _check_size(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(f"the image is {width}x{height} pixels, over the {MAX_PIXELS:,}-pixel limit")


def _from_pil(im: Image.Image) -> np.ndarray:
    _check_size(im.width, im.height)
    if im.mode in ("I", "I;16", "I;16B", "F"):  # 16-bit or float greys: let the array code scale them
        return _from_array(np.asarray(im))
    transparent = "A" in im.getbands() or "transparency" in im.info
    im = im.convert("RGBA").convert("LA") if transparent else im.convert("L")
    if max(im.size) > WORK_SIDE:
        im = im.reduce(-(-max(im.size) // WORK_SIDE))  # box-average by an integer factor
    return _from_array(np.asarray(im))


def _from_array(array: np.ndarray) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[0] == 1:  # channel-first single channel, as from a tensor
        a = a[0]
    if a.ndim not in (2, 3) or a.size == 0 or (a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4)):
        raise ImageError(f"an image array must be HxW or HxWxC with 1 to 4 channels, got shape {a.shape}")
    _check_size(a.shape[1], a.shape[0])
    if a.dtype.kind not in "buif":
        raise ImageError(f"an image array must hold numbers, got dtype {a.dtype}")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ImageError("the image array contains NaN or infinite values")
    a = a.astype(np.float32) / _full_scale(a)
    np.clip(a, 0.0, 1.0, out=a)
    if a.ndim == 2:
        return a
    gray = a[..., 0] if a.shape[2] < 3 else a[..., :3] @ np.float32([0.299, 0.587, 0.114])
    alpha = a[..., -1] if a.shape[2] in (2, 4) else None
    return gray if alpha is None else _flatten_alpha(gray, alpha)


def _full_scale(a: np.ndarray) -> float:
    """The value that means 'white' for this array's dtype and range."""
    if a.dtype.kind == "b":
        return 1.0
    if a.dtype == np.uint8:
        return 255.0
    if a.dtype.kind == "f":
        return 1.0 if a.max() <= 1.0 else 255.0
    return 255.0 if a.max() <= 255 else 65535.0


def _flatten_alpha(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Put transparent pixels on whichever of black or white contrasts with the opaque ink."""
    if alpha.min() >= 1.0:
        return gray
    weight = float(alpha.sum())
    ink_is_light = weight > 0 and float((gray * alpha).sum()) / weight >= 0.5
    background = 0.0 if ink_is_light else 1.0
    return gray * alpha + background * (1.0 - alpha)


# ---------------------------------------------------------------------------------------------
# Grey picture -> MNIST digit


def _ink(gray: np.ndarray) -> np.ndarray:
    """White ink on a black background, scaled so the strongest ink is 1."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))  # digits rarely touch the edge; paper does
    lo, hi = float(gray.min()), float(gray.max())
    if background - lo > hi - background:  # background is the light end: dark ink on paper
        gray, background = 1.0 - gray, 1.0 - background
    ink = gray - background
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise ImageError("the image is blank: no digit found (draw or upload one digit)")
    ink /= peak
    ink[ink < INK_FLOOR] = 0.0
    return ink


def _crop(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _fit_box(digit: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 20 px, keeping the aspect ratio; Lanczos antialiases."""
    h, w = digit.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    image = Image.fromarray(np.ascontiguousarray(digit, dtype=np.float32))  # mode "F": no rounding
    small = np.asarray(image.resize(size, Image.Resampling.LANCZOS))
    small = np.clip(small, 0.0, 1.0)  # Lanczos rings slightly below 0 and above 1
    peak = small.max()
    if peak <= 0:
        raise ImageError("the image is blank: no digit found (draw or upload one digit)")
    return small / peak


def _centre(digit: np.ndarray) -> np.ndarray:
    """Paste into 28x28 so the centre of mass lands on (14, 14), to the nearest pixel."""
    h, w = digit.shape
    mass = digit.sum()
    cy = float(digit.sum(axis=1) @ np.arange(h)) / mass
    cx = float(digit.sum(axis=0) @ np.arange(w)) / mass
    top = int(np.clip(round(CENTRE - cy), 0, SIDE - h))  # clip: never push ink off the field
    left = int(np.clip(round(CENTRE - cx), 0, SIDE - w))
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    out[top : top + h, left : left + w] = digit
    return out
