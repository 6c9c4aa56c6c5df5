"""Request and response bodies of the explorer's JSON API: every limit a request must respect lives
here, so FastAPI rejects bad input (shape, type, range, NaN) before any model runs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_DATA_URL = 700_000  # characters of a base64 image data URL (about 500 kB of PNG)
MAX_SAMPLES = 16
MAX_STEPS = 101
MAP_LIMIT = 1_000.0  # |x|, |y| of a map point: far beyond any code, still a finite decode

Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)]
Row = Annotated[list[Unit], Field(min_length=28, max_length=28)]
Pixels = Annotated[list[Row], Field(min_length=28, max_length=28,
                                    description="28 rows of 28 grey levels in [0, 1], white ink on black")]
DataUrl = Annotated[str, Field(min_length=22, max_length=MAX_DATA_URL,
                               pattern=r"^data:image/[a-z+.-]+;base64,",
                               description="a PNG/JPEG image as a base64 data URL, e.g. canvas.toDataURL()")]
Digit = Annotated[int, Field(ge=0, le=9, strict=True, description="a digit class, 0-9")]
Seed = Annotated[int, Field(ge=0, lt=2**31, strict=True)]
DigitId = Annotated[str, Field(max_length=40, pattern=r"^(test:\d{1,6}|u:[0-9a-f]{16})$",
                               description="an id from /api/encode, /api/upload or /api/recognize")]
Mode = Literal["lerp", "slerp"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Drawing(Strict):
    """A drawing or image: exactly one of `pixels` and `image`. Preprocessed like `notaverage blend`."""

    pixels: Pixels | None = None
    image: DataUrl | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.pixels is None) == (self.image is None):
            raise ValueError("send exactly one of 'pixels' (28x28 floats) and 'image' (a data URL)")
        return self


class EncodeIn(Strict):
    """A digit to blend: a test digit (`index`, or a random one of class `digit`) or a drawing."""

    source: Literal["test", "drawing"]
    digit: Digit | None = None
    index: Annotated[int, Field(ge=0, lt=1_000_000, strict=True)] | None = None
    seed: Seed | None = None
    pixels: Pixels | None = None
    image: DataUrl | None = None

    @model_validator(mode="after")
    def _consistent(self):
        if self.source == "test":
            if (self.digit is None) == (self.index is None):
                raise ValueError("for source 'test' send exactly one of 'digit' (0-9) and 'index'")
            if self.pixels is not None or self.image is not None:
                raise ValueError("source 'test' takes no 'pixels' or 'image'; use source 'drawing'")
        else:
            if (self.pixels is None) == (self.image is None):
                raise ValueError("for source 'drawing' send exactly one of 'pixels' and 'image'")
            if self.digit is not None or self.index is not None:
                raise ValueError("source 'drawing' takes no 'digit' or 'index'; use source 'test'")
        return self


class Pair(Strict):
    a: DigitId
    b: DigitId
    mode: Mode = "lerp"


class BlendIn(Pair):
    t: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True, description="0 is A, 1 is B")]


class CurvesIn(Pair):
    steps: Annotated[int, Field(ge=2, le=MAX_STEPS, strict=True)] = 41


class HybridIn(Strict):
    """The search starts from the straight (lerp) path between the two codes, so it takes no mode."""

    a: DigitId
    b: DigitId
    n_results: Annotated[int, Field(ge=1, le=8, strict=True)] = 4
    seed: Seed = 0


class DecodeIn(Strict):
    x: Annotated[float, Field(ge=-MAP_LIMIT, le=MAP_LIMIT, allow_inf_nan=False, strict=True)]
    y: Annotated[float, Field(ge=-MAP_LIMIT, le=MAP_LIMIT, allow_inf_nan=False, strict=True)]


class SampleIn(Strict):
    digit: Digit
    n: Annotated[int, Field(ge=1, le=MAX_SAMPLES, strict=True)] = 8
    seed: Seed = 0


# --- responses -------------------------------------------------------------------------------
Png = Annotated[str, Field(description="a 28x28 greyscale PNG as a data URL")]


class DigitOut(BaseModel):
    id: str
    label: int
    name: str
    png: Png


class Neighbour(BaseModel):
    png: Png
    label: int
    index: int
    distance: float


class RecognizeOut(BaseModel):
    digit: DigitOut
    probs: list[float]
    label: int
    reconstruction: Png
    neighbours: list[Neighbour]


class Frame(BaseModel):
    png: Png
    p_a: float
    p_b: float


class BlendOut(BaseModel):
    t: float
    mode: str
    class_a: int
    class_b: int
    frames: dict[str, Frame]


class Curve(BaseModel):
    p_a: list[float]
    p_b: list[float]


class CurvesOut(BaseModel):
    ts: list[float]
    class_a: int
    class_b: int
    curves: dict[str, Curve]


class HybridResult(BaseModel):
    png: Png
    p_a: float
    p_b: float
    t: float | None = None


class HybridOut(BaseModel):
    method: str
    class_a: int
    class_b: int
    results: list[HybridResult]


class MapOut(BaseModel):
    points: list[list[float]]
    labels: list[int]
    indices: list[int]
    bounds: list[float]
    plane: str  # "linear discriminant plane"
    explained: float  # share of the between-class variance the plane shows
    knn5_accuracy: dict[str, float]  # 5-NN test accuracy in 2-D: {"lda": this plane, "pca": principal plane}
    decode_agreement: dict[str, float]  # share of test digits whose map point decodes to their class


class DecodeOut(BaseModel):
    png: Png
    probs: list[float]
    label: int


class Sample(BaseModel):
    png: Png
    p: float
    neighbour: Neighbour


class SampleOut(BaseModel):
    digit: int
    samples: list[Sample]


class InfoOut(BaseModel):
    data: str
    test_digits: int
    train_digits: int
    latent_dim: int
    hybrid: str
