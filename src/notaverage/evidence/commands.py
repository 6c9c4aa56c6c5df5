"""What the `hybrid`, `traverse` and `report` commands do, as library functions that write files."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from notaverage import figures
from notaverage.data.mnist import MnistData, as_float
from notaverage.errors import UserError
from notaverage.evidence.blends import Ruler
from notaverage.evidence.build import EvidenceConfig, gather
from notaverage.evidence.draw import draw
from notaverage.evidence.hybrids import extra_judges
from notaverage.evidence.seeds import combine_seeds
from notaverage.evidence.context import real_digit_bar, split_test
from notaverage.evidence.verdicts import HYBRID_GAP
from notaverage.latent import hybrid_search, latent_traversals
from notaverage.metrics import reference_nn_median
from notaverage.store import cache_key
from notaverage.models.registry import REPORT_MODELS
from notaverage.zoo import get_models

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# The code that turns trained models into the report's numbers and page: a change to any of it
# must recompute a report rather than reuse one (the package version alone does not move).
REPORT_CODE = ("metrics", "evidence", "reporting", "latent.py")


def report_code_fingerprint() -> str:
    """SHA-256 over the relative path and bytes of every .py/.html file of REPORT_CODE."""
    digest = hashlib.sha256()
    for part in REPORT_CODE:
        base = PACKAGE_DIR / part
        for path in sorted(base.rglob("*")) if base.is_dir() else [base]:
            if path.is_file() and path.suffix in (".py", ".html"):
                digest.update(f"{path.relative_to(PACKAGE_DIR).as_posix()}\0".encode())
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _ruler(judge, data: MnistData, n_train: int = 20_000, n_reference: int = 1000, seed: int = 0) -> Ruler:
    rng = np.random.default_rng(seed)
    train = as_float(data.train_images)
    train = train[np.sort(rng.permutation(len(train))[:n_train])]
    test = as_float(data.test_images)
    reference = test[rng.permutation(len(test))[:n_reference]]
    return Ruler(judge, train, reference_nn_median(reference, train))


@dataclass(frozen=True)
class HybridBars:
    """The report's "equally both" bars for the readers the `hybrid` command shows: each reader's
    |p_A - p_B| at most HYBRID_GAP and p_A + p_B at least its own 10th percentile confidence on
    held-out real digits (the report's reference half of the test set; docs/METRICS.md, "Bars")."""

    judge: float
    classifier: float

    @classmethod
    def measure(cls, models: dict, data: MnistData, seed: int = 0, n_reference: int = 1000) -> HybridBars:
        test = as_float(data.test_images)
        reference = test[split_test(len(test), np.random.default_rng(seed))[0][:n_reference]]
        return cls(*(real_digit_bar(models[name], reference) for name in ("judge", "classifier")))


def _equally_both(probs: np.ndarray, class_a: int, class_b: int, bar: float) -> np.ndarray:
    p_a, p_b = probs[:, class_a], probs[:, class_b]
    return (np.abs(p_a - p_b) <= HYBRID_GAP) & (p_a + p_b >= bar)


def meets_hybrid_bar(judge_probs: np.ndarray, classifier_probs: np.ndarray, class_a: int, class_b: int,
                     bars: HybridBars) -> np.ndarray:
    """Per result: read as equally both by the judge (which the search steers by) AND by the classifier
    (which it never saw), each against its own measured bar."""
    return (_equally_both(judge_probs, class_a, class_b, bars.judge)
            & _equally_both(classifier_probs, class_a, class_b, bars.classifier))


@dataclass(frozen=True)
class HybridReadings:
    """What the `hybrid` command shows of its results: both readers' probabilities and the bars."""

    results: list
    judge: np.ndarray  # (n, 10)
    classifier: np.ndarray  # (n, 10)
    bars: HybridBars
    meets: np.ndarray  # (n,) bool
    ratios: np.ndarray  # (n,) manifold distance ratios


def write_hybrid(models: dict, data: MnistData, a, b, out: Path, n_results: int = 4, steps: int = 100,
                 seed: int = 0, notes: list[str] = ()) -> tuple[Path, HybridReadings]:
    """Hybrids of digits `a`, `b` (lab.Digit) beside the pixel average and the straight latent midpoint,
    titled by how many meet the report's "equally both" bars for the judge and the held-out classifier;
    `notes` go into the caption. Returns the picture's path and the readings."""
    from notaverage.latent import latent_path

    vae, judge, classifier = models["vae"], models["judge"], models["classifier"]
    if a.label == b.label:
        raise UserError(f"A and B are both {a.label}s; a hybrid needs two different classes")
    test = as_float(data.test_images)
    reference_codes = vae.encode(test[np.random.default_rng(seed).permutation(len(test))[:2000]])
    results = hybrid_search(vae, judge, a.image, b.image, a.label, b.label, n_results=n_results, steps=steps,
                            seed=seed, reference_codes=reference_codes)
    bars = HybridBars.measure(models, data)
    ruler = _ruler(judge, data, seed=seed)
    images = [a.image, b.image, 0.5 * (a.image + b.image), latent_path(vae, a.image, b.image, 3)[1],
              *[r.image for r in results]]
    found = np.stack([r.image for r in results])
    readings = HybridReadings(results, judge.predict_proba(found), classifier.predict_proba(found), bars,
                              np.zeros(len(results), bool), ruler.ratio(found))
    meets = meets_hybrid_bar(readings.judge, readings.classifier, a.label, b.label, bars)
    readings = HybridReadings(**{**readings.__dict__, "meets": meets})
    names = [f"A ({a.label})", f"B ({b.label})", "pixel average", "straight latent\nmidpoint",
             *[f"result {k + 1}\n{'meets' if m else 'below'} the bars" for k, m in enumerate(meets)]]
    ratios = ruler.ratio(np.stack(images))
    extras = [[f"ratio {x:.2f}"] for x in ratios]
    for k, r in enumerate(results):
        pc = readings.classifier[k]
        extras[4 + k] += [f"realism {r.realism:.2f}" if np.isfinite(r.realism) else "",
                          f"classifier {pc[a.label]:.2f}/{pc[b.label]:.2f}"]
    met = int(meets.sum())
    if met:
        title = (f"{met} of {len(results)} results read as equally {a.label} and {b.label} by the judge and "
                 f"the held-out classifier: hybrids from the VAE's latent space ({steps} search steps)")
    else:
        title = (f"No hybrid within {steps} search steps: none of {len(results)} results reads as equally "
                 f"{a.label} and {b.label} to both the judge and the held-out classifier")
    ga, gb = f"p{a.label}", f"p{b.label}"
    caption = [f"A = {a.name}, B = {b.name}. Under each image, the judge (the network the search steers "
               f"by). A result meets the bars (the report's) when, for the judge and for the classifier "
               f"(which the search never saw), |{ga} - {gb}| <= {HYBRID_GAP:g} and {ga} + {gb} "
               f"is at least that reader's 10th percentile confidence on real held-out digits "
               f"(judge {bars.judge:.2f}, classifier {bars.classifier:.2f}).",
               figures.score_legend("judge", a.label, b.label),
               "ratio = manifold distance ratio: pixel distance to the nearest training digit over that of "
               "a typical real test digit (1 = as close to real digits as a real digit). realism = code "
               "realism: distance from the result's latent code to the nearest real digit's code, over the "
               f"typical such distance (about 1 = typical). classifier x/y = the held-out classifier's "
               f"p{a.label}/p{b.label}.", *notes]
    probs = judge.predict_proba(np.stack(images))
    fig = figures.hybrid_figure(images, names, probs, a.label, b.label, extras, title, caption)
    figures.save_figure(fig, out)
    return out, readings


def hybrid_lines(a, b, readings: HybridReadings, steps: int) -> list[str]:
    """What `notaverage hybrid` prints: one line per result, then how many meet the bars."""
    lines = []
    for k, r in enumerate(readings.results):
        verdict = "meets the bars" if readings.meets[k] else "below the bars"
        pc = readings.classifier[k]
        lines.append(f"result {k + 1} ({verdict}): judge p({a.label})={r.p_a:.2f} p({b.label})={r.p_b:.2f}; "
                     f"classifier p({a.label})={pc[a.label]:.2f} p({b.label})={pc[b.label]:.2f}; "
                     f"manifold ratio {readings.ratios[k]:.2f}; code realism {r.realism:.2f}; "
                     f"started at t={r.start_t:.2f} "
                     f"of the straight latent path, where p({a.label})={r.start_p_a:.2f} "
                     f"p({b.label})={r.start_p_b:.2f}")
    met = int(readings.meets.sum())
    bars = (f"|p({a.label}) - p({b.label})| <= {HYBRID_GAP:g}, p({a.label}) + p({b.label}) >= "
            f"{readings.bars.judge:.2f} (judge) and {readings.bars.classifier:.2f} (classifier)")
    lines.append(f"{met} of {len(readings.results)} results meet the bars ({bars})" if met else
                 f"no hybrid within {steps} search steps meets the bars ({bars}); try --search-steps "
                 f"{min(4 * steps, 2000)} or --pick 1")
    return lines


def write_traversals(vae, data: MnistData, out: Path, n_directions: int = 8, steps: int = 9,
                     span: float = 2.0, classifier=None):
    """Rows of decoded images along the principal directions of the test codes, with the class the
    classifier reads under each image. Returns (path, traversal)."""
    test = as_float(data.test_images)
    trav = latent_traversals(vae, test, n_directions=n_directions, steps=steps, span=span)
    probs = None
    if classifier is not None:
        probs = classifier.predict_proba(trav.images.reshape(-1, 28, 28)).reshape(*trav.images.shape[:2], 10)
    title = (f"What each principal direction of the VAE's latent codes draws: mean code \u00b1{span:g} "
             f"standard deviations (\u03c3) along it")
    caption = (f"Directions of the codes of {len(test):,} test digits, largest first; left: each one's share "
               f"of the code variance. Under each image, the classifier: top = the class it reads and its "
               f"probability.")
    figures.save_figure(figures.traversal_figure(trav, title, probs, caption), out)
    return out, trav


def _previous_report(json_path: Path, inputs_key: str) -> dict | None:
    """The numbers of a report already in `json_path` if it was computed from exactly these inputs."""
    try:
        numbers = json.loads(json_path.read_text())
    except (OSError, ValueError):
        return None
    return numbers if numbers.get("meta", {}).get("inputs_key") == inputs_key else None


def training_budgets(trained: dict) -> dict:
    """{name: {"images", "seconds"}}: how many training images each model saw (steps x batch) and the
    seconds its training took, from its stored metadata (None for closed-form fits)."""
    budgets = {}
    for name, t in trained.items():
        recipe = t.meta.get("train") or {}
        images = recipe["steps"] * recipe["batch_size"] if "steps" in recipe else None
        budgets[name] = {"images": images, "seconds": t.meta.get("train_seconds")}
    return budgets


def _gather_seed(
    data: MnistData,
    preset: str,
    seed: int,
    progress: bool,
    config: EvidenceConfig,
    models: dict | None,
    controls: bool,
    log,
):
    trained = get_models(data, REPORT_MODELS, preset, seed, progress=progress)
    models = {**{name: t.model for name, t in trained.items()}, **(models or {})}
    models.update(extra_judges(data, preset, seed, config.hybrid_judges, progress))
    numbers, drawings, ruler = gather(
        models, data, config, log=log, training=training_budgets(trained), controls=controls
    )
    return trained, models, numbers, drawings, ruler


def run_report(
    out: Path,
    data: MnistData,
    preset: str = "fast",
    seed: int = 0,
    progress: bool = True,
    config: EvidenceConfig | None = None,
    models: dict | None = None,
    log=print,
    reuse: bool = False,
    seeds: int = 1,
    controls: bool = False,
) -> dict:
    """Train or reuse the report's models, compute the evidence, write report.html + report.json.

    `seeds` > 1 trains and scores the models of training seeds seed .. seed + seeds - 1 (the
    evaluation keeps `config.seed`); a verdict is then supported only if it is for every seed.
    `controls` also runs the cheats (on the first seed's models). With `reuse`, a report already
    in `out` computed from the same trained models, data, settings and report code
    (`report_code_fingerprint`) is kept
    as it is (the computation is deterministic); `tour` uses this so that a second tour is quick.
    """
    from notaverage.reporting import write_report

    started = time.monotonic()
    config = config or EvidenceConfig(seed=seed)
    training_seeds = list(range(seed, seed + seeds))
    trained = get_models(data, REPORT_MODELS, preset, seed, progress=progress)
    inputs_key = cache_key(
        {
            "models": sorted(t.folder.name for t in trained.values()),
            "seeds": training_seeds,
            "controls": controls,
            "config": asdict(config),
            "data": data.fingerprint,
            "code": report_code_fingerprint(),
        }
    )
    json_path = Path(out) / "report.json"
    previous = _previous_report(json_path, inputs_key) if reuse and models is None else None
    if previous is not None:
        log(f"report: reusing {json_path} (same models, data, settings and code)")
        return {
            "html": json_path.with_name("report.html"),
            "json": json_path,
            "numbers": previous,
            "trained": trained,
            "seconds": time.monotonic() - started,
        }
    per_seed, first = [], None
    for k, training_seed in enumerate(training_seeds):
        if seeds > 1:
            log(f"training seed {training_seed} ({k + 1} of {seeds})")
        result = _gather_seed(data, preset, training_seed, progress, config, models, controls and k == 0, log)
        per_seed.append(result[2])
        first = first or result
    trained, models_used, numbers, drawings, ruler = first
    numbers.update(combine_seeds(per_seed, training_seeds))
    numbers["meta"].update(
        {
            "inputs_key": inputs_key,
            "preset": preset,
            "seed": seed,
            "models": {name: {"folder": str(t.folder), "reused": t.reused} for name, t in trained.items()},
        }
    )
    html_path, json_path = write_report(numbers, draw(drawings, models_used, ruler), out)
    return {
        "html": html_path,
        "json": json_path,
        "numbers": numbers,
        "trained": trained,
        "seconds": time.monotonic() - started,
    }
