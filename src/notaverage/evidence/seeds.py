"""Several training seeds: a verdict is "supported" only if it is supported for every seed.

The evaluation (pairs, samples, bootstrap) keeps one seed, so seeds differ only in how the models
were trained. Each headline number is shown per seed, with a t interval over seeds (`seed_ci`).
"""

from __future__ import annotations

from notaverage.evidence.verdicts import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED
from notaverage.metrics import seed_ci

# Headline numbers whose spread across seeds the report shows: dotted path in report.json.
SPREAD = (
    "model_check.active_units",
    "model_check.class_preserving_reconstruction",
    "recognition.accuracy.estimate",
    "novelty.copying.pixel.c_t",
    "novelty.copying.judge_features.c_t",
    "novelty.confidence_median.estimate",
    "blends.comparisons.ratio_mid_vae_minus_pixel.estimate",
    "blends.comparisons.pixel_distance_bulge_vae_minus_linear.estimate",
    "blends.comparisons.confidence_mid_vae_minus_pixel.estimate",
    "blends.midpoint_copying.c_t",
    "hybrid.transfer_rate",
    "ablation.recon_blend_distance_mid_vae_minus_identity.estimate",
    "ablation.ratio_mid_identity_minus_vae.estimate",
    "ablation.feature_ratio_mid_identity_minus_vae.estimate",
    "quality.nll.nats.estimate",
    "quality.nll.vae_minus_reference.estimate",
    "quality.frechet.vae_midpoints.estimate",
    "quality.frechet.pixel_midpoints.estimate",
)


def lookup(numbers: dict, dotted: str):
    node = numbers
    for part in dotted.split("."):
        node = node[part]
    return node


def combined_status(statuses: list[str]) -> str:
    """Supported only if supported for every seed; not supported if not supported for every seed."""
    if all(s == SUPPORTED for s in statuses):
        return SUPPORTED
    if all(s == NOT_SUPPORTED for s in statuses):
        return NOT_SUPPORTED
    return INCONCLUSIVE


def combine_seeds(per_seed: list[dict], training_seeds: list[int]) -> dict:
    """The `seeds` section and the combined `verdicts` from each seed's report numbers."""
    verdicts, by_claim = {}, {}
    for claim, first in per_seed[0]["verdicts"].items():
        statuses = [n["verdicts"][claim]["status"] for n in per_seed]
        status = combined_status(statuses)
        by_seed = ", ".join(f"seed {s}: {st}" for s, st in zip(training_seeds, statuses, strict=True))
        text = (
            first["text"]
            if len(per_seed) == 1
            else f"{status} ({by_seed}); seed {training_seeds[0]}: {first['text']}"
        )
        verdicts[claim] = {"claim": first["claim"], "status": status, "text": text}
        by_claim[claim] = statuses
    spread = {}
    for key in SPREAD:
        values = [float(lookup(n, key)) for n in per_seed]
        spread[key] = {"values": values, "interval": seed_ci(values).as_dict() if len(values) > 1 else None}
    return {
        "verdicts": verdicts,
        "seeds": {
            "training_seeds": training_seeds,
            "statuses": by_claim,
            "spread": spread,
            "rule": "supported only if supported for every seed; not supported if so for every seed; "
            "else inconclusive",
        },
    }
