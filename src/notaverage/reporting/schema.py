"""What every report.json carries: the claims and the dotted keys (docs/RESULTS.md,
"JSON keys"), and a check that names what a report lacks."""

from __future__ import annotations

CLAIM_KEYS = (
    "model_check",
    "recognition",
    "novelty",
    "blends",
    "hybrid",
    "ablation",
    "traversals",
    "likelihood",
    "frechet",
)
COPYING = ("c_t", "null", "null_low", "null_high", "reading")

# Dotted keys every report JSON carries (documented in docs/RESULTS.md). An interval is a dict
# {estimate, low, high, method, level}; a verdict is {claim, status, text}.
JSON_KEYS = (
    "schema",
    "meta.data",
    "meta.n_train",
    "meta.n_test",
    "meta.config",
    "meta.nn_train",
    "meta.reference_median",
    "meta.n_reference",
    "meta.seconds",
    "meta.timings",
    "model_check.active_units",
    "model_check.latent_dim",
    "model_check.class_preserving_reconstruction",
    "model_check.class_preserving_interval",
    "model_check.collapsed",
    "model_check.verdict",
    "recognition.accuracy",
    "recognition.n_test",
    "recognition.confusion",
    "recognition.verdict",
    "novelty.n_samples",
    "novelty.n_test",
    "novelty.n_reference_train",
    "novelty.c_t",
    *(f"novelty.copying.{space}.{k}" for space in ("pixel", "judge_features", "blur_matched_real_pixel")
      for k in COPYING),
    "novelty.nearest_train.seconds",
    "novelty.nearest_train.median_distance",
    "novelty.confidence_median",
    "novelty.confidence_bar",
    "novelty.ratio_median",
    "novelty.verdict",
    "blends.n_pairs",
    "blends.steps",
    "blends.comparisons.ratio_mid_vae_minus_pixel",
    "blends.comparisons.ratio_mid_vae_slerp_minus_pixel",
    "blends.comparisons.ratio_mid_linear_minus_pixel",
    "blends.comparisons.pixel_distance_mid_vae_minus_linear",
    "blends.comparisons.pixel_distance_bulge_vae_minus_linear",
    "blends.comparisons.confidence_mid_vae_minus_pixel",
    *(
        f"blends.paths.{p}.{m}"
        for p in ("vae_lerp", "vae_slerp", "pixel", "linear")
        for m in (
            "confidence_mid",
            "confidence_interior",
            "entropy_mid",
            "entropy_interior",
            "ratio_mid",
            "ratio_interior",
            "crossing_sum_prob",
            "crossed",
            "step_unevenness",
            "pixel_distance_mid",
            "pixel_distance_interior",
            "pixel_distance_bulge",
        )
    ),
    *(f"blends.midpoint_copying.{k}" for k in COPYING),
    "blends.verdict",
    "hybrid.classes",
    "hybrid.n_pairs",
    "hybrid.steps",
    "hybrid.finder",
    "hybrid.scorers",
    "hybrid.transfer_rate",
    "hybrid.transfer_interval",
    "hybrid.example",
    "hybrid.ratio.hybrid",
    "hybrid.ratio.pixel_average",
    *(
        f"hybrid.readers.{r}.{m}"
        for r in ("judge", "classifier", "pixel_logistic")
        for m in ("gap", "sum", "sum_bar", "share_equally_both")
    ),
    *(f"hybrid.copying.{k}" for k in COPYING),
    "hybrid.ratio_hybrid_minus_pixel_average",
    "hybrid.verdict",
    "ablation.n_pairs",
    *(
        f"ablation.models.{n}.{m}"
        for n in ("vae", "vae_identity", "ppca", "linear")
        for m in ("output_link", "recon_blend_distance_mid", "ratio_mid", "feature_ratio_mid",
                  "confidence_mid")
    ),
    "ablation.recon_blend_distance_mid_vae_minus_identity",
    "ablation.recon_blend_distance_mid_vae_minus_ppca",
    "ablation.ratio_mid_identity_minus_vae",
    "ablation.feature_ratio_mid_identity_minus_vae",
    "ablation.verdict",
    "traversals.variance_ratio",
    "traversals.n_directions",
    "traversals.span_sigma",
    "traversals.steps",
    "traversals.ratio_median",
    "traversals.verdict",
    "quality.nll.nats",
    "quality.nll.k",
    "quality.nll.n_images",
    "quality.nll.binarization",
    "quality.nll.reference",
    "quality.nll.vae_minus_reference",
    "quality.nll.verdict",
    "quality.frechet.warning",
    "quality.frechet.n_real",
    "quality.frechet.prior_samples",
    "quality.frechet.vae_midpoints",
    "quality.frechet.pixel_midpoints",
    "quality.frechet.linear_midpoints",
    "quality.frechet.blur_matched_real",
    "quality.frechet.blur",
    "quality.frechet.verdict",
    *(f"verdicts.{k}" for k in CLAIM_KEYS),
    "seeds.training_seeds",
    "seeds.statuses",
    "seeds.spread",
    "seeds.rule",
)


def missing_keys(numbers: dict) -> list[str]:
    """The JSON_KEYS absent from `numbers` (empty when the report is complete)."""
    missing = []
    for key in JSON_KEYS:
        node = numbers
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                missing.append(key)
                break
            node = node[part]
    return missing
