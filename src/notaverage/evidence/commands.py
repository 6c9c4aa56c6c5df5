"""What the `hybrid`, `traverse` and `report` commands do, as library functions that write files."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from notaverage import __version__, figures
from notaverage.data.mnist import MnistData, as_float
from notaverage.evidence import plots
from notaverage.evidence.blends import Ruler
from notaverage.evidence.build import EvidenceConfig, gather
from notaverage.evidence.draw import draw
from notaverage.evidence.seeds import combine_seeds
from notaverage.latent import HybridResult, hybrid_search, latent_traversals
from notaverage.metrics import reference_nn_median
from notaverage.store import cache_key
from notaverage.zoo import ABLATION, get_models

REPORT_MODELS = ("vae", "linear", "classifier", "judge", ABLATION)


def _ruler(judge, data: MnistData, n_train: int = 20_000, n_reference: int = 1000, seed: int = 0) -> Ruler:
    rng = np.random.default_rng(seed)
    train = as_float(data.train_images)
    train = train[np.sort(rng.permutation(len(train))[:n_train])]
    test = as_float(data.test_images)
    reference = test[rng.permutation(len(test))[:n_reference]]
    return Ruler(judge, train, reference_nn_median(reference, train))


def write_hybrid(
    models: dict, data: MnistData, a, b, out: Path, n_results: int = 4, steps: int = 100, seed: int = 0
) -> tuple[Path, list[HybridResult], np.ndarray]:
    """Hybrids of digits `a`, `b` (lab.Digit) beside the pixel average and the straight latent midpoint.

    Returns the PNG path, the results, and each result's manifold distance ratio (pixel space).
    """
    vae, judge = models["vae"], models["judge"]
    if a.label == b.label:
        from notaverage.errors import UserError

        raise UserError(f"A and B are both {a.label}s; a hybrid needs two different classes")
    test = as_float(data.test_images)
    reference_codes = vae.encode(test[np.random.default_rng(seed).permutation(len(test))[:2000]])
    results = hybrid_search(
        vae,
        judge,
        a.image,
        b.image,
        a.label,
        b.label,
        n_results=n_results,
        steps=steps,
        seed=seed,
        reference_codes=reference_codes,
    )
    ruler = _ruler(judge, data, seed=seed)
    title = (
        f"{a.name} \u2192 {b.name}: hybrids the judge reads as equally {a.label} and {b.label} "
        f"(ratio: manifold distance ratio, 1 = as close to the data as a real digit)"
    )
    figures.save_figure(
        plots.hybrid_panel(vae, judge, a.image, b.image, a.label, b.label, results, ruler, title), out
    )
    ratios = ruler.ratio(np.stack([r.image for r in results])) if results else np.zeros(0)
    return out, results, ratios


def write_traversals(
    vae, data: MnistData, out: Path, n_directions: int = 8, steps: int = 9, span: float = 2.0
):
    """Rows of decoded images along the principal directions of the test codes. Returns (path, traversal)."""
    test = as_float(data.test_images)
    trav = latent_traversals(vae, test, n_directions=n_directions, steps=steps, span=span)
    title = (
        f"VAE: codes of {len(test):,} test digits, mean \u00b1{span:g}\u03c3 along each principal "
        f"direction (share of code variance at left)"
    )
    figures.save_figure(plots.traversal_figure(trav, title), out)
    return out, trav


def _previous_report(json_path: Path, inputs_key: str) -> dict | None:
    """The numbers of a report already in `json_path` if it was computed from exactly these inputs."""
    try:
        numbers = json.loads(json_path.read_text())
    except (OSError, ValueError):
        return None
    return numbers if numbers.get("meta", {}).get("inputs_key") == inputs_key else None


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
    vae_seconds = float(trained["vae"].meta.get("train_seconds") or 60.0)
    numbers, drawings, ruler = gather(
        models, data, config, log=log, vae_train_seconds=vae_seconds, controls=controls
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
    in `out` computed from the same trained models, data, settings and notaverage version is kept
    as it is (the computation is deterministic); `tour` uses this so that a second tour is quick.
    """
    from notaverage.report import write_report

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
            "version": __version__,
        }
    )
    json_path = Path(out) / "report.json"
    previous = _previous_report(json_path, inputs_key) if reuse and models is None else None
    if previous is not None:
        log(f"report: reusing {json_path} (same models, data and settings)")
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
