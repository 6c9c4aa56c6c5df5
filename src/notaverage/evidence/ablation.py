"""Section (e): does the nonlinearity make the difference? Two ablations, each with its output link:

- `vae_identity`: the VAE with every hidden activation removed and its prior N(0, I) (the default
  VAE's mixture prior would make it a mixture of linear models), still decoding through a sigmoid
  (Bernoulli output): linear but for the output link;
- probabilistic PCA: no nonlinearity at all, Gaussian output (identity link).

The measure: how far a model's latent midpoint is from the pixel blend of its own two
reconstructions, relative to the distance between those reconstructions (0 for any affine decoder).

Beside the verdict, not part of it (its parts were fixed before this reading was added): the
midpoint manifold ratio in the judge's feature space, because pixel L2 can put a smooth image
closer to many training digits than a sharp one (docs/METRICS.md, "Blur, not copying").
"""

from __future__ import annotations

import numpy as np

from notaverage.evidence import verdicts
from notaverage.evidence.blends import model_paths, path_metrics, reconstruct
from notaverage.evidence.context import Context
from notaverage.evidence.results import BlendDrawing, SectionResult
from notaverage.metrics import nearest_training_digits, relative_recon_blend_distance
from notaverage.models.ppca import ProbabilisticPCA

LINKS = {  # the VAE's hidden activation is read from its config (`output_link`)
    "vae_identity": "Bernoulli (sigmoid), no hidden activations",
    "ppca": "Gaussian (identity), no nonlinearity at all",
    "linear": "none (PCA, affine decoder; the control)",
}


def output_link(name: str, model) -> str:
    if name == "vae":
        activation = getattr(getattr(model, "config", None), "activation", "nonlinear")
        return f"Bernoulli (sigmoid), {activation} hidden layers"
    return LINKS[name]


def fit_ppca(ctx: Context) -> ProbabilisticPCA:
    """Probabilistic PCA on the manifold-ratio subset of the training digits (seeded; a second or two)."""
    return ProbabilisticPCA().fit(ctx.ruler.nn_train, seed=ctx.config.seed)


def feature_ratio(ctx: Context, images: np.ndarray) -> np.ndarray:
    """The manifold ratio in the judge's penultimate-layer features: distance to the nearest of the
    manifold-ratio training digits over the median of that distance for held-out real digits. The
    features are the copying test's (embedded once per report), taken at the same digits as the
    pixel ratio's."""
    if "feature_ratio" not in ctx._copying:
        embed, train_all, _, pool, _ = ctx._space("feature")
        train = train_all[ctx.nn_idx]  # ruler.nn_train is train[nn_idx]
        reference = pool[: len(ctx.reference)]  # ctx.reference is test[ref_idx[:n_reference]]
        distances, _ = nearest_training_digits(reference, train, k=1)
        ctx._copying["feature_ratio"] = (embed, train, float(np.median(distances[:, 0])))
    embed, train, median = ctx._copying["feature_ratio"]
    distances, _ = nearest_training_digits(embed(images), train, k=1)
    return distances[:, 0].astype(np.float64) / median


def model_measures(ctx: Context, model, a, b, ca, cb) -> tuple[np.ndarray, dict]:
    path = model_paths(model, a, b, ctx.config.steps, clip=True)
    rel = relative_recon_blend_distance(path, reconstruct(model, a), reconstruct(model, b))
    measures = path_metrics(path, ca, cb, ctx.ruler)
    return path, {"rel": rel, **measures, "feature_ratio_mid": feature_ratio(ctx, measures["_mid_images"])}


def ablation_tests(ctx: Context, tested: dict, identity: dict, ppca: dict) -> tuple[dict, verdicts.Verdict]:
    diffs = {
        "recon_blend_distance_mid_vae_minus_identity": ctx.paired(tested["rel"], identity["rel"]),
        "recon_blend_distance_mid_vae_minus_ppca": ctx.paired(tested["rel"], ppca["rel"]),
        "ratio_mid_identity_minus_vae": ctx.paired(identity["ratio_mid"], tested["ratio_mid"]),
    }
    verdict = verdicts.ablation(
        diffs["recon_blend_distance_mid_vae_minus_identity"],
        diffs["recon_blend_distance_mid_vae_minus_ppca"],
        diffs["ratio_mid_identity_minus_vae"],
    )
    return diffs, verdict


def ablation(ctx: Context, pairs: np.ndarray, ppca: ProbabilisticPCA) -> SectionResult:
    a, b = ctx.test[pairs[:, 0]], ctx.test[pairs[:, 1]]
    ca, cb = ctx.data.test_labels[pairs[:, 0]], ctx.data.test_labels[pairs[:, 1]]
    models = {
        "vae": ctx.models["vae"],
        "vae_identity": ctx.models["vae_identity"],
        "ppca": ppca,
        "linear": ctx.models["linear"],
    }
    paths, measures = {}, {}
    for name, model in models.items():
        paths[name], measures[name] = model_measures(ctx, model, a, b, ca, cb)
    diffs, verdict = ablation_tests(ctx, measures["vae"], measures["vae_identity"], measures["ppca"])
    diffs["feature_ratio_mid_identity_minus_vae"] = ctx.paired(  # beside the verdict, not part of it
        measures["vae_identity"]["feature_ratio_mid"], measures["vae"]["feature_ratio_mid"]
    )
    out = {
        name: {
            "output_link": output_link(name, models[name]),
            "recon_blend_distance_mid": ctx.boot(m["rel"], np.mean).as_dict(),
            "ratio_mid": ctx.boot(m["ratio_mid"]).as_dict(),
            "feature_ratio_mid": ctx.boot(m["feature_ratio_mid"]).as_dict(),
            "confidence_mid": ctx.boot(m["confidence_mid"], np.mean).as_dict(),
        }
        for name, m in measures.items()
    }
    rows = {
        "VAE": paths["vae"][0],
        "no hidden activations (sigmoid link)": paths["vae_identity"][0],
        "probabilistic PCA (Gaussian link)": paths["ppca"][0],
    }
    drawing = BlendDrawing(rows, int(ca[0]), int(cb[0]), "the VAE beside its two ablations")
    return SectionResult(
        {
            "n_pairs": len(pairs),
            "models": out,
            **{k: x.as_dict() for k, x in diffs.items()},
            "verdict": verdict.as_dict(),
        },
        {"ablation": drawing},
        {"measures": measures},
    )
