"""The digit lab's commands as library functions: each takes plain values, writes its pictures
and returns what it wrote. The CLI (and the report) are thin shells over these."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from notaverage import figures
from notaverage.figures import an
from notaverage.data.mnist import MnistData, as_float, load_mnist
from notaverage.data.preprocess import preprocess_image
from notaverage.errors import UserError
from notaverage.latent import class_code_gaussians, sample_digits, three_paths
from notaverage.latent_map import latent_map
from notaverage.metrics.neighbors import nearest_training_digits
from notaverage.metrics.realism import reference_nn_median
from notaverage.zoo import get_models

TOUR_BLENDS = [(9, 2), (4, 9), (3, 8)]  # the 9-2 of the mission, then two other classic neighbours
TOUR_SAMPLES = 6  # new digits per class in the tour's samples picture (10 rows of 6 pairs fit a slide)


@dataclass
class Digit:
    """A digit to blend: its image, its class (true label, or the classifier's guess) and a name."""

    image: np.ndarray
    label: int
    name: str
    note: str = ""  # one line when the VAE's reconstruction reads as another class
    pick: int | None = None  # set when the pair rule chose this digit (a class was asked for)


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


def _file_spec(spec: str, which: str) -> tuple[Path, int | None]:
    """`me.png` or `me.png:9` (the image's true class)."""
    match = re.fullmatch(r"(.+):(\d)", spec)
    if match and not Path(spec).expanduser().is_file():
        path, label = Path(match.group(1)).expanduser(), int(match.group(2))
    else:
        path, label = Path(spec).expanduser(), None
    if not path.is_file():
        raise UserError(f"{which}: {spec!r} is not a digit 0-9, test:N or an existing PNG/JPEG file "
                        f"(optionally FILE:LABEL, e.g. me.png:9)")
    return path, label


def resolve_digit(spec: str, data: MnistData, classifier, seed: int = 0, which: str = "A") -> Digit:
    """`7` (a test digit of class 7, drawn with `seed`), `test:123` (test index 123), or an image file,
    optionally `FILE:LABEL` to state its true class (else the classifier's reading is used)."""
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
    path, label = _file_spec(spec, which)
    image = preprocess_image(path)
    if label is not None:
        return Digit(image, label, f"{figures.safe_text(path.name)} (labelled {label})")
    label = int(classifier.predict(image[None])[0])
    return Digit(image, label, f"{figures.safe_text(path.name)} (reads as {an(label)})")


# --- the default pair ------------------------------------------------------------------------------
# Rule (README, docs/DESIGN.md): for a class, walk its test digits in a fixed seeded order (seed 0
# for A, 1 for B) and keep those that the classifier reads as their class both as drawn and as the
# VAE reconstructs them; --pick N takes the N-th kept digit of each (0 = the first). The rule looks
# only at the two end digits, never at any blend of them, so it cannot choose a flattering midpoint.

def readable_order(data: MnistData, digit: int, models: dict, which: int, need: int) -> np.ndarray:
    """The first `need` test indices of class `digit`, in the rule's seeded order, that pass the rule."""
    order = np.random.default_rng([digit, which]).permutation(np.flatnonzero(data.test_labels == digit))
    kept: list[np.ndarray] = []
    for start in range(0, len(order), 256):
        chunk = order[start:start + 256]
        images = as_float(data.test_images[chunk])
        recon = np.clip(models["vae"].decode(models["vae"].encode(images)), 0, 1)
        ok = (models["classifier"].predict(images) == digit) & (models["classifier"].predict(recon) == digit)
        kept.append(chunk[ok])
        if sum(len(k) for k in kept) >= need:
            break
    return np.concatenate(kept)[:need] if kept else np.zeros(0, dtype=int)


def _picked(spec: str, data: MnistData, models: dict, pick: int, which: int) -> Digit:
    digit = int(spec)
    kept = readable_order(data, digit, models, which, pick + 1)
    if len(kept) <= pick:
        raise UserError(f"--pick {pick}: only {len(kept)} test {digit}s pass the pair rule; use --pick "
                        f"0 to {max(len(kept) - 1, 0)}")
    index = int(kept[pick])
    return Digit(as_float(data.test_images[index]), digit, f"{digit} (test:{index})", pick=pick)


def pair_line(a: Digit, b: Digit) -> str:
    """The sentence that says how the digits were chosen and how to get others, or "" for given ones."""
    picked = [d for d in (a, b) if d.pick is not None]
    if not picked:
        return ""
    pick = picked[0].pick
    which = " and ".join(d.name for d in picked)
    return (f"{which}: pick {pick} of the pair rule (test digits the classifier reads correctly, drawn and "
            f"as the VAE reconstructs them; no blend is looked at). Another: --pick {pick + 1}.")


def _reconstruction_note(digit: Digit, models: dict) -> Digit:
    """One line when the VAE's reconstruction of a given digit reads as another class."""
    recon = np.clip(models["vae"].decode(models["vae"].encode(digit.image[None])), 0, 1)
    read, drawn = (int(x) for x in models["classifier"].predict(np.concatenate([recon, digit.image[None]])))
    if read != digit.label:
        digit.note = (f"note: the VAE reconstructs {digit.name} as {an(read)}, not {an(digit.label)}: "
                      f"its row shows the model's limits, not the claim")
    elif drawn != digit.label:  # only when a FILE:LABEL disagrees with the classifier
        digit.note = f"note: the classifier reads {digit.name} itself as {an(drawn)}, not {an(digit.label)}"
    return digit


def resolve_pair(spec_a: str, spec_b: str, data: MnistData, models: dict,
                 pick: int = 0) -> tuple[Digit, Digit]:
    """A and B by the pair rule for class specs; test:N and files as given (with a note when the
    VAE's reconstruction of one reads as another class)."""
    out = []
    for which, spec in enumerate((str(spec_a).strip(), str(spec_b).strip())):
        name = "AB"[which]
        if re.fullmatch(r"\d", spec):
            out.append(_picked(spec, data, models, pick, which))
        else:
            digit = resolve_digit(spec, data, models["classifier"], pick, name)
            out.append(_reconstruction_note(digit, models))
    return out[0], out[1]


def blend(vae, linear, classifier, a: Digit, b: Digit, steps: int = 9, mode: str = "lerp"):
    """The three paths from A to B and the classifier's probabilities along each."""
    paths = three_paths(vae, linear, a.image, b.image, steps=steps, mode=mode)
    probs = {name: classifier.predict_proba(images) for name, images in paths.items()}
    return paths, probs


def write_blend(models: dict, a: Digit, b: Digit, out: Path, images: int = 9,
                mode: str = "lerp") -> tuple[Path, list[str]]:
    """The blend picture; returns its path and the lines it carries that the CLI also prints (how
    the pair was chosen, and any reconstruction note)."""
    paths, probs = blend(models["vae"], models["linear"], models["classifier"], a, b, images, mode)
    walk = "great-circle (slerp)" if mode == "slerp" else "straight-line"
    title = f"From {a.name} to {b.name}: three ways to go between two digits ({walk} latent paths)"
    notes = [line for line in (pair_line(a, b), a.note, b.note) if line]
    fig = figures.blend_figure(paths, probs, a.label, b.label, title, notes)
    return figures.save_figure(fig, out), notes


def _sample_pictures(out: Path, count: int) -> list[Path]:
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{k + 1}{out.suffix}") for k in range(count)]


def write_samples(models: dict, data: MnistData, digits: list[int], n: int, out: Path, seed: int = 0,
                  gaussians: dict | None = None, per_picture: int = 40,
                  progress: bool = False) -> tuple[list[Path], dict]:
    """New digits of each class, each boxed with its nearest training digit, `per_picture` to a
    picture (more are split into out-1.png, out-2.png, ...). Returns the paths and distances."""
    from notaverage.progress import progress_bar

    vae, classifier = models["vae"], models["classifier"]
    train = as_float(data.train_images)
    if gaussians is None:
        gaussians = class_code_gaussians(vae, train, data.train_labels)
    samples, labels = [], []
    for digit in digits:
        images, _ = sample_digits(vae, classifier, gaussians, digit, n, seed=seed + digit)
        samples.append(images)
        labels += [digit] * len(images)
    samples = np.concatenate(samples)
    distances = np.empty(len(samples), np.float32)
    indices = np.empty(len(samples), np.int64)
    for start in progress_bar(range(0, len(samples), 256), desc="nearest training digits", unit="batch",
                      disable=not progress or len(samples) <= 256):
        d, i = nearest_training_digits(samples[start:start + 256], train, k=1)
        distances[start:start + 256], indices[start:start + 256] = d[:, 0], i[:, 0]
    test_of_class = np.flatnonzero(np.isin(data.test_labels, digits))[:500]
    typical = reference_nn_median(as_float(data.test_images[test_of_class]), train)
    which = str(digits[0]) if len(digits) == 1 else "digit"
    paths = _sample_pictures(out, int(np.ceil(len(samples) / per_picture)))
    for k, path in enumerate(paths):
        part = slice(k * per_picture, (k + 1) * per_picture)
        part_of = f" (picture {k + 1} of {len(paths)})" if len(paths) > 1 else ""
        title = (f"New {'digits' if len(digits) > 1 else f'{digits[0]}s'} drawn by the VAE, each boxed with "
                 f"its nearest training digit{part_of}")
        caption = (f"d = pixel distance (L2) to the nearest of {len(train):,} training digits; 0 would be a "
                   f"copy. Typical for a real test {which}: d = {typical:.2f} (median). Under each box, the "
                   f"classifier: top = the class it reads and its probability. Sample seed {seed} (--pick).")
        fig = figures.neighbour_figure(samples[part], train[indices[part]], distances[part], title, caption,
                                       [str(x) for x in labels[part]] if len(digits) > 1 else None,
                                       probs=classifier.predict_proba(samples[part]))
        figures.save_figure(fig, path)
    return paths, {"min_distance": float(distances.min()), "median_distance": float(np.median(distances)),
                   "typical_distance": typical}


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
             progress: bool = True, log=print, pick: int = 0) -> dict:
    """Train or reuse every model, write the blends (pairs by the pair rule, `pick`), samples and
    latent map into `out`, then the report (`out/report/report.html` and `report.json`)."""
    started = time.monotonic()
    data = load_data(data_dir, limit, seed, progress)
    log(f"data: {data.note}")
    trained = get_models(data, ("vae", "linear", "classifier"), preset, seed, progress=progress)
    models = {name: t.model for name, t in trained.items()}
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for class_a, class_b in TOUR_BLENDS:
        a, b = resolve_pair(str(class_a), str(class_b), data, models, pick)
        name = f"blend-{class_a}-{class_b}"
        files[name.replace("-", "_")], _ = write_blend(models, a, b, out / f"{name}.png")
    samples, sample_stats = write_samples(models, data, list(range(10)), TOUR_SAMPLES, out / "samples.png",
                                          pick, per_picture=10 * TOUR_SAMPLES)
    files["samples"] = samples[0]
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
