"""What the `hybrid`, `traverse` and `report` commands do, as library functions that write files."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from notaverage import figures
from notaverage.data.mnist import MnistData, as_float
from notaverage.evidence import plots
from notaverage.evidence.blends import Ruler
from notaverage.evidence.build import EvidenceConfig, gather
from notaverage.latent import HybridResult, hybrid_search, latent_traversals
from notaverage.metrics import reference_nn_median
from notaverage.store import cache_key
from notaverage.zoo import ABLATION, get_models

REPORT_MODELS = ("vae", "linear", "classifier", "judge", ABLATION)
PACKAGE_DIR = Path(__file__).resolve().parents[1]
# The code that turns trained models into the report's numbers and page: a change to any of it
# must recompute a report rather than reuse one (the package version alone does not move).
REPORT_CODE = ("metrics", "evidence", "report", "latent.py")


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


def write_hybrid(models: dict, data: MnistData, a, b, out: Path, n_results: int = 4, steps: int = 100,
                 seed: int = 0) -> tuple[Path, list[HybridResult], np.ndarray]:
    """Hybrids of digits `a`, `b` (lab.Digit) beside the pixel average and the straight latent midpoint.

    Returns the PNG path, the results, and each result's manifold distance ratio (pixel space).
    """
    vae, judge = models["vae"], models["judge"]
    if a.label == b.label:
        from notaverage.errors import UserError
        raise UserError(f"A and B are both {a.label}s; a hybrid needs two different classes")
    test = as_float(data.test_images)
    reference_codes = vae.encode(test[np.random.default_rng(seed).permutation(len(test))[:2000]])
    results = hybrid_search(vae, judge, a.image, b.image, a.label, b.label, n_results=n_results, steps=steps,
                            seed=seed, reference_codes=reference_codes)
    ruler = _ruler(judge, data, seed=seed)
    title = (f"{a.name} \u2192 {b.name}: hybrids the judge reads as equally {a.label} and {b.label} "
             f"(ratio: manifold distance ratio, 1 = as close to the data as a real digit)")
    figures.save_figure(plots.hybrid_panel(vae, judge, a.image, b.image, a.label, b.label, results, ruler,
                                           title), out)
    ratios = ruler.ratio(np.stack([r.image for r in results])) if results else np.zeros(0)
    return out, results, ratios


def write_traversals(vae, data: MnistData, out: Path, n_directions: int = 8, steps: int = 9,
                     span: float = 2.0):
    """Rows of decoded images along the principal directions of the test codes. Returns (path, traversal)."""
    test = as_float(data.test_images)
    trav = latent_traversals(vae, test, n_directions=n_directions, steps=steps, span=span)
    title = (f"VAE: codes of {len(test):,} test digits, mean \u00b1{span:g}\u03c3 along each principal "
             f"direction (share of code variance at left)")
    figures.save_figure(plots.traversal_figure(trav, title), out)
    return out, trav


def _previous_report(json_path: Path, inputs_key: str) -> dict | None:
    """The numbers of a report already in `json_path` if it was computed from exactly these inputs."""
    try:
        numbers = json.loads(json_path.read_text())
    except (OSError, ValueError):
        return None
    return numbers if numbers.get("meta", {}).get("inputs_key") == inputs_key else None


def run_report(out: Path, data: MnistData, preset: str = "fast", seed: int = 0, progress: bool = True,
               config: EvidenceConfig | None = None, models: dict | None = None, log=print,
               reuse: bool = False) -> dict:
    """Train or reuse the report's models, compute the evidence, write report.html + report.json.

    With `reuse`, a report already in `out` computed from the same trained models, data, settings
    and report code (`report_code_fingerprint`) is kept as it is (the computation is deterministic,
    so it would come out the same); `tour` uses this so that a second tour is quick.
    """
    from notaverage.report import write_report

    started = time.monotonic()
    trained = get_models(data, REPORT_MODELS, preset, seed, progress=progress)
    config = config or EvidenceConfig(seed=seed)
    inputs_key = cache_key({"models": sorted(t.folder.name for t in trained.values()),
                            "config": asdict(config), "data": data.fingerprint,
                            "code": report_code_fingerprint()})
    json_path = Path(out) / "report.json"
    previous = _previous_report(json_path, inputs_key) if reuse and models is None else None
    if previous is not None:
        log(f"report: reusing {json_path} (same models, data, settings and code)")
        return {"html": json_path.with_name("report.html"), "json": json_path, "numbers": previous,
                "trained": trained, "seconds": time.monotonic() - started}
    models = {**{name: t.model for name, t in trained.items()}, **(models or {})}
    numbers, figs = gather(models, data, config, log=log)
    numbers["meta"]["inputs_key"] = inputs_key
    numbers["meta"]["preset"] = preset
    numbers["meta"]["seed"] = seed
    numbers["meta"]["models"] = {name: {"folder": str(t.folder), "reused": t.reused} for name, t in trained.items()}
    html_path, json_path = write_report(numbers, figs, out)
    return {"html": html_path, "json": json_path, "numbers": numbers, "trained": trained,
            "seconds": time.monotonic() - started}
