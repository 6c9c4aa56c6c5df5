"""What the explorer's routes call: the models, the precomputed codes and maps, and one method per
request. Numpy in, numpy and plain values out; no HTTP here (app.py holds the routes)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from notaverage import latent
from notaverage.data.mnist import MnistData, as_float
from notaverage.data.preprocess import preprocess_image
from notaverage.errors import ImageError, UserError
from notaverage.latent_map import latent_map
from notaverage.figures import an
from notaverage.metrics.neighbors import nearest_training_digits
from notaverage.png import png_data_url

MAX_DIGITS = 1_000  # drawings and uploads kept for blending (least recently used dropped)
N_NEIGHBOURS = 5
MAX_REFERENCE_CODES = 5_000


class UnknownDigit(UserError):
    """A digit id the server does not hold (never issued, or dropped): HTTP 404."""


@dataclass(frozen=True)
class DigitRecord:
    id: str
    image: np.ndarray  # (28, 28) float32 in [0, 1]
    label: int  # true class (test digits) or the classifier's guess
    name: str
    z_vae: np.ndarray
    z_linear: np.ndarray


def decode_data_url(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        raise ImageError("'image' must be a base64 data URL such as canvas.toDataURL() gives")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("'image' is not valid base64; send canvas.toDataURL() unchanged") from None


class ExplorerService:
    """Models plus everything a frame needs, computed once at startup."""

    def __init__(self, models: dict, data: MnistData, seed: int = 0):
        missing = {"vae", "linear", "classifier", "judge"} - set(models)
        if missing:
            raise ValueError(f"the explorer needs models {sorted(missing)} as well")
        self.vae, self.linear = models["vae"], models["linear"]
        self.classifier, self.judge = models["classifier"], models["judge"]
        self.seed = seed
        self.note = data.note
        self.train = as_float(data.train_images)
        self.train_labels = np.asarray(data.train_labels)
        self.test = as_float(data.test_images)
        self.test_labels = np.asarray(data.test_labels)
        self.test_codes = self.vae.encode(self.test)
        self.test_linear_codes = self.linear.encode(self.test)
        # the discriminant plane, on which every point decodes
        self.map = latent_map(self.vae, data, seed, test_codes=self.test_codes, classifier=self.classifier)
        self.map_points = self.map.points
        self.gaussians = latent.class_code_gaussians(self.vae, self.train, self.train_labels)
        self._digits: OrderedDict[str, DigitRecord] = OrderedDict()
        self._lock = threading.Lock()
        self._search_lock = threading.Lock()
        self.frame_batcher = AsyncBatcher(self.blend_batch)  # used by the web app's event loop
        # real digits' codes: where a hybrid search may go (a sample bounds its per-step cost)
        keep = np.random.default_rng(seed).permutation(len(self.test_codes))[:MAX_REFERENCE_CODES]
        self.reference_codes = self.test_codes[np.sort(keep)]

    # --- digits ----------------------------------------------------------------------------
    def test_digit(self, index: int) -> DigitRecord:
        if not 0 <= index < len(self.test_labels):
            last = len(self.test_labels) - 1
            raise UnknownDigit(f"test:{index} is out of range; use test:0 to test:{last}")
        return DigitRecord(f"test:{index}", self.test[index], int(self.test_labels[index]), f"test:{index}",
                           self.test_codes[index], self.test_linear_codes[index])

    def random_test_digit(self, digit: int, seed: int | None) -> DigitRecord:
        candidates = np.flatnonzero(self.test_labels == digit)
        if len(candidates) == 0:
            raise UserError(f"the test set has no digit {digit}; choose another class")
        rng = np.random.default_rng(seed)
        return self.test_digit(int(rng.choice(candidates)))

    def digit(self, digit_id: str) -> DigitRecord:
        if digit_id.startswith("test:"):
            return self.test_digit(int(digit_id[5:]))
        with self._lock:
            record = self._digits.get(digit_id)
            if record is None:
                raise UnknownDigit(f"unknown digit id {digit_id!r}; encode or upload the digit again")
            self._digits.move_to_end(digit_id)
            return record

    def add_image(self, raw, name: str) -> DigitRecord:
        """Any image (array, PNG bytes) -> an MNIST-style digit, kept under a content-hash id."""
        image = preprocess_image(raw)
        digit_id = "u:" + hashlib.sha256(image.tobytes()).hexdigest()[:16]
        with self._lock:
            if digit_id in self._digits:
                self._digits.move_to_end(digit_id)
                return self._digits[digit_id]
        label = int(self.classifier.predict(image[None])[0])
        record = DigitRecord(digit_id, image, label, f"{name} (looks like {an(label)})",
                             self.vae.encode(image[None])[0], self.linear.encode(image[None])[0])
        with self._lock:
            self._digits[digit_id] = record
            while len(self._digits) > MAX_DIGITS:
                self._digits.popitem(last=False)
        return record

    def add_drawing(self, pixels=None, image: str | None = None, name: str = "drawing") -> DigitRecord:
        raw = np.asarray(pixels, dtype=np.float32) if pixels is not None else decode_data_url(image)
        return self.add_image(raw, name)

    # --- what the routes ask for -----------------------------------------------------------
    def neighbours(self, image: np.ndarray, k: int) -> list[dict]:
        distances, indices = nearest_training_digits(image[None], self.train, k=k)
        return [{"png": png_data_url(self.train[i]), "label": int(self.train_labels[i]), "index": int(i),
                 "distance": float(d)} for d, i in zip(distances[0], indices[0], strict=True)]

    def recognize(self, record: DigitRecord) -> dict:
        probs = self.classifier.predict_proba(record.image[None])[0]
        reconstruction = self.vae.decode(record.z_vae[None])[0]
        return {"probs": [float(p) for p in probs], "label": int(probs.argmax()),
                "reconstruction": png_data_url(reconstruction),
                "neighbours": self.neighbours(record.image, N_NEIGHBOURS)}

    def frames_batch(self, jobs: list[tuple]) -> list[tuple[dict, np.ndarray]]:
        """The three blends for each (a, b, t, mode) from cached codes, the same maths as
        `latent.three_paths`, with one decoder call per model and one judge call for the lot."""
        ts = [np.array([t], dtype=np.float32) for _, _, t, _ in jobs]
        z = np.concatenate([(latent.slerp if mode == "slerp" else latent.lerp)(a.z_vae, b.z_vae, t)
                            for (a, b, _, mode), t in zip(jobs, ts, strict=True)])
        zl = np.concatenate([latent.lerp(a.z_linear, b.z_linear, t)
                             for (a, b, _, _), t in zip(jobs, ts, strict=True)])
        vae = self.vae.decode(z)
        linear = np.clip(self.linear.decode(zl), 0.0, 1.0)
        pixel = np.concatenate([latent.lerp(a.image, b.image, t)
                                for (a, b, _, _), t in zip(jobs, ts, strict=True)])
        probs = self.judge.predict_proba(np.concatenate([vae, pixel, linear])).reshape(3, len(jobs), 10)
        return [({"vae": vae[i], "pixel": pixel[i], "linear": linear[i]}, probs[:, i])
                for i in range(len(jobs))]

    def blend_batch(self, jobs: list[tuple]) -> list[dict]:
        """Slider frames for (a, b, t, mode) jobs, each with the judge's p(A), p(B) per image."""
        out = []
        for (a, b, t, mode), (images, probs) in zip(jobs, self.frames_batch(jobs), strict=True):
            frames = {name: {"png": png_data_url(image), "p_a": float(p[a.label]), "p_b": float(p[b.label])}
                      for (name, image), p in zip(images.items(), probs, strict=True)}
            out.append({"t": t, "mode": mode, "class_a": a.label, "class_b": b.label, "frames": frames})
        return out

    def blend(self, a: DigitRecord, b: DigitRecord, t: float, mode: str) -> dict:
        """One slider frame (the web app batches concurrent frames through `frame_batcher`)."""
        return self.blend_batch([(a, b, t, mode)])[0]

    def curves(self, a: DigitRecord, b: DigitRecord, steps: int, mode: str) -> dict:
        paths = latent.three_paths(self.vae, self.linear, a.image, b.image, steps=steps, mode=mode)
        curves = {}
        for name, images in paths.items():
            probs = self.judge.predict_proba(images)
            curves[name] = {"p_a": probs[:, a.label].round(4).tolist(),
                            "p_b": probs[:, b.label].round(4).tolist()}
        return {"ts": latent.blend_weights(steps).round(4).tolist(), "class_a": a.label, "class_b": b.label,
                "curves": curves}

    def hybrid(self, a: DigitRecord, b: DigitRecord, n_results: int, seed: int) -> dict:
        if a.label == b.label:
            raise UserError(f"A and B are both {a.label}s; a hybrid needs digits of two different classes")
        with self._search_lock:  # the search toggles requires_grad on the shared models
            found = latent.hybrid_search(self.vae, self.judge, a.image, b.image, a.label, b.label,
                                         n_results=n_results, seed=seed, reference_codes=self.reference_codes)
        results = [{"png": png_data_url(r.image), "p_a": r.p_a, "p_b": r.p_b, "t": r.start_t} for r in found]
        return {"method": "hybrid search", "class_a": a.label, "class_b": b.label, "results": results}

    def latent_map(self, n: int) -> dict:
        count = len(self.map_points)
        keep = np.sort(np.random.default_rng(self.seed).permutation(count)[: min(n, count)])
        points = self.map_points[keep]
        lo, hi = self.map_points.min(axis=0), self.map_points.max(axis=0)
        return {"points": points.round(3).tolist(), "labels": self.test_labels[keep].tolist(),
                "indices": keep.tolist(), "bounds": [float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])],
                "plane": self.map.plane.name, "explained": self.map.plane.explained_,
                "knn5_accuracy": self.map.separation, "decode_agreement": self.map.agreement}

    def decode_point(self, x: float, y: float) -> dict:
        code = self.map.plane.inverse_transform(np.array([[x, y]]))
        image = self.vae.decode(code)[0]
        probs = self.classifier.predict_proba(image[None])[0]
        return {"png": png_data_url(image), "probs": [float(p) for p in probs], "label": int(probs.argmax())}

    def sample(self, digit: int, n: int, seed: int) -> dict:
        if digit not in self.gaussians:
            raise UserError(f"the training set has too few {digit}s to sample from; choose another class")
        images, probs = latent.sample_digits(self.vae, self.classifier, self.gaussians, digit, n, seed=seed)
        distances, indices = nearest_training_digits(images, self.train, k=1)
        samples = []
        for image, p, d, i in zip(images, probs, distances[:, 0], indices[:, 0], strict=True):
            neighbour = {"png": png_data_url(self.train[i]), "label": int(self.train_labels[i]),
                         "index": int(i), "distance": float(d)}
            samples.append({"png": png_data_url(image), "p": float(p[digit]), "neighbour": neighbour})
        return {"digit": digit, "samples": samples}

    def info(self) -> dict:
        return {"data": self.note, "test_digits": len(self.test_labels),
                "train_digits": len(self.train_labels), "latent_dim": int(self.test_codes.shape[1]),
                "hybrid": "hybrid search"}


class AsyncBatcher:
    """Coalesces concurrent calls of a batch function `fn(jobs) -> results`: requests that arrive
    while a batch runs (in a worker thread) wait and go together in the next one. One batch at a
    time, so the models never compete with themselves for the two cores."""

    def __init__(self, fn, max_batch: int = 64):
        self.fn, self.max_batch = fn, max_batch
        self._queue: list[tuple] = []
        self._task: asyncio.Task | None = None

    async def submit(self, job):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.append((job, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch:]
            try:
                results = await asyncio.to_thread(self.fn, [job for job, _ in batch])
            except Exception as err:  # noqa: BLE001 - every caller of the batch gets it
                results, error = None, err
            else:
                error = None
            for i, (_, future) in enumerate(batch):
                if future.done():  # the client went away
                    continue
                if error is None:
                    future.set_result(results[i])
                else:
                    future.set_exception(error)
