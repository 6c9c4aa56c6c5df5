"""The digit lab's commands as library functions: each takes plain values, writes its pictures
and returns what it wrote. The CLI (and the report) are thin shells over these."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from notaverage import figures
from notaverage.data.mnist import MnistData, as_float, load_mnist
from notaverage.data.preprocess import preprocess_image
from notaverage.errors import UserError
from notaverage.latent import class_code_gaussians, sample_digits, three_paths
from notaverage.latent_map import latent_map
from notaverage.metrics.neighbors import nearest_training_digits
from notaverage.zoo import get_models

TOUR_BLENDS = [(9, 2), (4, 9), (3, 8)]  # the 9-2 of the mission, then two other classic neighbours


@dataclass
class Digit:
    """A digit to blend: its image, its class (true label, or the classifier's guess) and a name."""

    image: np.ndarray
    label: int
    name: str


def load_data(data_dir=None, limit: int | None = None, seed: int = 0, progress: bool = True) -> MnistData:
    """MNIST by the usual lookup order; `limit` keeps that many training digits and a sixth as many
    test digits (at least 100)."""
    data = load_mnist(data_dir, progress=progress)
    if limit is not None:
        if limit < 100:
            raise UserError(f"--limit {limit} is too small; use at least 100 training digits")
        if limit < len(data.train_labels):
            data = data.subset(limit, max(100, min(len(data.test_labels), limit // 6)), seed=seed)
    return data


def resolve_digit(spec: str, data: MnistData, classifier, seed: int = 0, which: str = "A") -> Digit:
    """`7` (a test digit of class 7), `test:123` (test index 123) or a path to a PNG/JPEG image."""
    spec = str(spec).strip()
    if re.fullmatch(r"\d", spec):
        digit = int(spec)
        candidates = np.flatnonzero(data.test_labels == digit)
        if len(candidates) == 0:
            raise UserError(f"{which}: the test set has no digit {digit}")
        # A and B draw from separate streams, so `blend 3 3` blends two different 3s
        index = int(np.random.default_rng([seed, 0 if which == "A" else 1]).choice(candidates))
        return Digit(as_float(data.test_images[index]), digit, f"{digit} (test:{index})")
    match = re.fullmatch(r"test:(\d+)", spec)
    if match:
        index = int(match.group(1))
        if index >= len(data.test_labels):
            raise UserError(f"{which}: test:{index} is out of range; the test set has "
                            f"{len(data.test_labels)} digits (test:0 to test:{len(data.test_labels) - 1})")
        return Digit(as_float(data.test_images[index]), int(data.test_labels[index]), f"test:{index}")
    path = Path(spec).expanduser()
    if not path.is_file():
        raise UserError(f"{which}: {spec!r} is not a digit 0-9, test:N or an existing PNG/JPEG file")
    image = preprocess_image(path)
    label = int(classifier.predict(image[None])[0])
    return Digit(image, label, f"{path.name} (looks like a {label})")


def blend(vae, linear, classifier, a: Digit, b: Digit, steps: int = 9, mode: str = "lerp"):
    """The three paths from A to B and the classifier's probabilities along each."""
    paths = three_paths(vae, linear, a.image, b.image, steps=steps, mode=mode)
    probs = {name: classifier.predict_proba(images) for name, images in paths.items()}
    return paths, probs


def write_blend(models: dict, a: Digit, b: Digit, out: Path, steps: int = 9, mode: str = "lerp") -> Path:
    paths, probs = blend(models["vae"], models["linear"], models["classifier"], a, b, steps, mode)
    title = f"{a.name}  \u2192  {b.name}   ({mode}; under each image: classifier p(A class), p(B class))"
    return figures.save_figure(figures.blend_figure(paths, probs, a.label, b.label, title), out)


def write_samples(models: dict, data: MnistData, digits: list[int], n: int, out: Path, seed: int = 0,
                  gaussians: dict | None = None) -> tuple[Path, dict]:
    """New digits of each class beside their nearest training digit; returns the path and distances."""
    vae, classifier = models["vae"], models["classifier"]
    train = as_float(data.train_images)
    if gaussians is None:
        gaussians = class_code_gaussians(vae, train, data.train_labels)
    samples, labels = [], []
    for digit in digits:
        images, _ = sample_digits(vae, classifier, gaussians, digit, n, seed=seed + digit)
        samples.append(images), labels.append(f"{digit}")
    samples = np.concatenate(samples)
    distances, indices = nearest_training_digits(samples, train, k=1)
    title = (f"new digits (left) beside their nearest training digit (right), pixel L2 distance d; "
             f"seed {seed}")
    fig = figures.neighbour_figure(samples, train[indices[:, 0]], distances[:, 0], title,
                                   row_labels=labels if n == 8 else None, per_row=min(8, n))
    figures.save_figure(fig, out)
    return out, {"min_distance": float(distances.min()), "median_distance": float(np.median(distances))}


def write_latent_map(vae, data: MnistData, out: Path, seed: int = 0, classifier=None) -> tuple[Path, dict]:
    """The test digits' codes on the discriminant plane; returns the path and each plane's 5-NN class
    separation and decode agreement (`latent_map` says how they are measured)."""
    lmap = latent_map(vae, data, seed, classifier=classifier)
    lda, pca = lmap.separation["lda"], lmap.separation["pca"]
    title = (f"VAE codes of {len(lmap.labels):,} test digits on their linear discriminant plane\n"
             f"(fitted on training codes; every point decodes). 5-NN class accuracy in 2-D: "
             f"{lda:.1%} here, {pca:.1%} on the principal plane")
    figures.save_figure(figures.latent_map_figure(lmap.points, lmap.labels, title), out)
    return out, {"plane": lmap.plane.name, "knn5_accuracy": lmap.separation,
                 "decode_agreement": lmap.agreement}


def run_tour(out: Path, data_dir=None, limit: int | None = None, seed: int = 0, preset: str = "fast",
             progress: bool = True, log=print) -> dict:
    """Train or reuse every model, write the blends, samples and latent map into `out`, then the report
    (`out/report/report.html` and `report.json`)."""
    started = time.monotonic()
    data = load_data(data_dir, limit, seed, progress)
    log(f"data: {data.note}")
    trained = get_models(data, ("vae", "linear", "classifier"), preset, seed, progress=progress)
    models = {name: t.model for name, t in trained.items()}
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for class_a, class_b in TOUR_BLENDS:
        a = resolve_digit(str(class_a), data, models["classifier"], seed, "A")
        b = resolve_digit(str(class_b), data, models["classifier"], seed, "B")
        files[f"blend_{class_a}_{class_b}"] = write_blend(models, a, b, out / f"blend-{class_a}-{class_b}.png")
    files["samples"], sample_stats = write_samples(models, data, list(range(10)), 8, out / "samples.png", seed)
    files["latent_map"], map_stats = write_latent_map(models["vae"], data, out / "latent-map.png", seed,
                                                      models["classifier"])
    from notaverage.evidence.commands import run_report  # the tour ends with the measured evidence

    log("report: measuring every claim")
    report = run_report(out / "report", data, preset, seed, progress, log=log, reuse=True)
    files["report"], files["report_json"] = report["html"], report["json"]
    for name, model in report["trained"].items():  # the report's extra models; keep how the first were had
        trained.setdefault(name, model)
    verdicts = list(report["numbers"]["verdicts"].values())  # what the report concluded, claim by claim
    return {"data": data, "trained": trained, "files": files, "samples": sample_stats, "map": map_stats,
            "verdicts": verdicts, "seconds": time.monotonic() - started}
