"""Compute every number of the report from models + data + `notaverage.metrics`.

`gather(models, data, config)` returns `(numbers, drawings, ruler)`: `numbers` is the JSON-ready dict
whose keys are listed in `report.JSON_KEYS` (documented in docs/RESULTS.md); `drawings` maps a name to
a typed result that `evidence.draw.draw(drawings, models, ruler)` turns into a PNG. Nothing here
draws or writes files.
"""

from __future__ import annotations

import time
from dataclasses import asdict

from notaverage.data.mnist import MnistData
from notaverage.evidence import sections
from notaverage.evidence.ablation import ablation, fit_ppca
from notaverage.evidence.context import Context, EvidenceConfig
from notaverage.evidence.controls import run_controls
from notaverage.evidence.hybrids import hybrid
from notaverage.evidence.model_check import model_check
from notaverage.evidence.scorers import held_out_scorers
from notaverage.evidence.sections import NLL_BINARIZE_SEED, nll_test_set
from notaverage.metrics.stats import Interval

__all__ = [
    "CLAIMS",
    "NLL_BINARIZE_SEED",
    "EvidenceConfig",
    "gather",
    "nll_test_set",
]  # benchmarks use nll_test_set

CLAIMS = ("model_check", "recognition", "novelty", "blends", "hybrid", "ablation", "traversals")


def gather(
    models: dict,
    data: MnistData,
    config: EvidenceConfig | None = None,
    log=print,
    *,
    training: dict | None = None,
    controls: bool = False,
) -> tuple[dict, dict, object]:
    """All sections' numbers (JSON-ready) and drawings (name -> typed result); with `controls`,
    the cheats' verdicts too (`numbers["controls"]`). `training` gives {"images", "seconds"} of
    training per model name (the likelihood section reports both models' budgets)."""
    config = config or EvidenceConfig()
    started = time.monotonic()
    for model in models.values():
        if hasattr(model, "eval"):
            model.eval()
    timings: dict = {}
    ctx = Context(models, data, config, log, timings)
    drawings: dict = {}

    def timed(name, fn, *args):
        t = time.monotonic()
        result = fn(*args)
        timings[name] = round(time.monotonic() - t, 2)
        log(f"  {name}: {timings[name]:.1f} s")
        drawings.update(getattr(result, "drawings", {}))
        return result

    numbers = {"schema": "notaverage-report/2"}
    numbers["model_check"] = timed("model_check", model_check, ctx).numbers
    numbers["recognition"] = timed("recognition", sections.recognition, ctx).numbers
    samples = sections.prior_samples(ctx)
    numbers["novelty"] = timed("novelty", sections.novelty, ctx, samples).numbers
    blends = timed("blends", sections.blends, ctx)
    numbers["blends"] = blends.numbers
    scorers = timed(
        "scorers", held_out_scorers, models, ctx.train, data.train_labels, config.scorer_train, config.seed
    )
    numbers["hybrid"] = timed("hybrid", hybrid, ctx, scorers).numbers
    ppca = timed("ppca", fit_ppca, ctx)
    abl = timed("ablation", ablation, ctx, blends.arrays["pairs"], ppca)
    numbers["ablation"] = abl.numbers
    pixel_mid = Interval(**numbers["blends"]["paths"]["pixel"]["ratio_mid"])
    numbers["traversals"] = timed("traversals", sections.traversals, ctx, pixel_mid).numbers
    numbers["quality"] = timed(
        "quality", sections.quality, ctx, samples, blends.arrays, training or {}
    ).numbers
    numbers["verdicts"] = {k: numbers[k]["verdict"] for k in CLAIMS}
    numbers["verdicts"]["likelihood"] = numbers["quality"]["nll"]["verdict"]
    numbers["verdicts"]["frechet"] = numbers["quality"]["frechet"]["verdict"]
    if controls:
        numbers["controls"] = timed(
            "controls", run_controls, ctx, blends.arrays["raw"], abl.arrays["measures"], scorers, log
        )
    numbers["meta"] = {
        "data": data.note,
        "n_train": len(ctx.train),
        "n_test": len(ctx.test),
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
        "nn_train": len(ctx.nn_idx),
        "reference_median": ctx.ruler.reference_median,
        "n_reference": int(min(config.n_reference, len(ctx.ref_idx))),
        "seconds": round(time.monotonic() - started, 1),
        "timings": timings,
    }
    return numbers, drawings, ctx.ruler
