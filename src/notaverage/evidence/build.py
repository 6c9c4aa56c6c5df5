"""Compute every number of the report from models + data + `notaverage.metrics`.

`gather(models, data, config)` returns `(numbers, figures)`: `numbers` is the JSON-ready dict whose
keys are listed in `JSON_KEYS` (and documented in docs/RESULTS.md); `figures` maps a name to PNG
bytes. Nothing here writes files.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from notaverage import figures as base_figures
from notaverage.data.mnist import MnistData, as_float
from notaverage.evidence import plots, verdicts
from notaverage.evidence.blends import (
    Ruler,
    model_paths,
    path_metrics,
    pixel_paths,
    random_pairs,
    reconstruct,
)
from notaverage.latent import hybrid_search, latent_traversals
from notaverage.metrics import (
    bootstrap_ci,
    data_copying_test,
    dynamic_binarize,
    frechet_distance,
    iwae_nll,
    judge_confidence,
    nearest_training_digits,
    paired_difference_ci,
    reference_nn_median,
)
from notaverage.metrics.stats import Interval

NLL_BINARIZE_SEED = 20_160_601  # the test set is binarised once, with this seed, for every NLL
PATHS = ("vae_lerp", "vae_slerp", "pixel", "linear")


@dataclass
class EvidenceConfig:
    """How much to compute. The defaults fit ~60 s on full MNIST with fast-preset models on 2 cores."""

    n_pairs: int = 1000  # random test pairs of different classes for section (c)
    steps: int = 9  # images per path
    nn_train: int | None = 20_000  # training digits the manifold ratio measures against (None: all)
    n_reference: int = 1000  # held-out real digits defining a ratio of 1
    n_samples: int = 1000  # prior samples for the data-copying test and Frechet distance
    nll_k: int = 100  # IWAE samples per image
    nll_images: int = 500  # binarised test digits scored
    hybrid_pairs: int = 8  # random (A, B) pairs the hybrid finder runs on
    hybrid_classes: tuple[int, int] = (9, 2)
    hybrid_steps: int = 100
    n_boot: int = 2000  # bootstrap resamples (200 for Frechet distances)
    seed: int = 0


def wilson(successes: int, n: int, z: float = 1.959964) -> Interval:
    """Wilson score interval for a proportion."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(float(p), float(centre - half), float(centre + half), f"Wilson score over {n} test digits")


def _iv(x: Interval) -> dict:
    return x.as_dict()


class _Ctx:
    def __init__(self, models: dict, data: MnistData, config: EvidenceConfig):
        self.models, self.data, self.config = models, data, config
        self.rng = np.random.default_rng(config.seed)
        self.train = as_float(data.train_images)
        self.test = as_float(data.test_images)
        # The test set is split at random (MNIST's two halves come from different writers):
        # a reference half defines "typical distance to the data", the other half is measured.
        order = self.rng.permutation(len(self.test))
        half = len(order) // 2
        self.ref_idx, self.eval_idx = order[:half], order[half:]
        n_nn = len(self.train) if config.nn_train is None else min(config.nn_train, len(self.train))
        self.nn_idx = np.sort(self.rng.permutation(len(self.train))[:n_nn])
        nn_train = self.train[self.nn_idx]
        reference = self.test[self.ref_idx[: config.n_reference]]
        self.ruler = Ruler(models["judge"], nn_train, reference_nn_median(reference, nn_train))

    def boot(self, values, statistic=np.median, unit="pairs") -> Interval:
        return bootstrap_ci(values, statistic, n_boot=self.config.n_boot, seed=self.config.seed, unit=unit)

    def paired(self, a, b) -> Interval:
        return paired_difference_ci(a, b, n_boot=self.config.n_boot, seed=self.config.seed)


def _recognition(ctx: _Ctx, figs: dict) -> dict:
    pred = ctx.models["classifier"].predict(ctx.test)
    labels = ctx.data.test_labels
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (labels, pred), 1)
    accuracy = wilson(int((pred == labels).sum()), len(labels))
    figs["confusion"] = base_figures.figure_png(plots.confusion_figure(
        confusion, f"classifier on {len(labels):,} test digits"))
    return {"accuracy": _iv(accuracy), "n_test": len(labels), "confusion": confusion.tolist(),
            "verdict": verdicts.recognition(accuracy).as_dict()}


def _novelty(ctx: _Ctx, figs: dict) -> tuple[dict, np.ndarray]:
    vae, cfg = ctx.models["vae"], ctx.config
    z = np.random.default_rng(cfg.seed + 1).standard_normal((cfg.n_samples, vae.config.latent_dim))
    samples = vae.decode(z.astype(np.float32))
    test = ctx.test[ctx.eval_idx[: cfg.n_samples]]
    result = data_copying_test(samples, test, ctx.ruler.nn_train, seed=cfg.seed)
    confidence = ctx.boot(judge_confidence(ctx.ruler.judge.predict_proba(samples)), unit="samples")
    ratios = ctx.ruler.ratio(samples[:200])
    ratio = ctx.boot(ratios, unit="samples")
    d, idx = nearest_training_digits(samples[:24], ctx.ruler.nn_train)
    figs["samples"] = base_figures.figure_png(base_figures.neighbour_figure(
        samples[:24], ctx.ruler.nn_train[idx[:, 0]], d[:, 0],
        "samples from the prior N(0, I) beside their nearest training digit (pixel L2 distance d)"))
    numbers = {"n_samples": cfg.n_samples, "n_test": len(test), "c_t": float(result.c_t),
               "cells_used": int(result.used.sum()), "confidence_median": _iv(confidence),
               "ratio_median": _iv(ratio), "ratio_n_samples": 200,
               "verdict": verdicts.novelty(result.c_t, confidence).as_dict()}
    return numbers, samples


def _blends(ctx: _Ctx, figs: dict) -> tuple[dict, dict, np.ndarray]:
    cfg, m = ctx.config, ctx.models
    pairs = ctx.eval_idx[random_pairs(ctx.data.test_labels[ctx.eval_idx], cfg.n_pairs, cfg.seed + 2)]
    a, b = ctx.test[pairs[:, 0]], ctx.test[pairs[:, 1]]
    ca, cb = ctx.data.test_labels[pairs[:, 0]], ctx.data.test_labels[pairs[:, 1]]
    pixel = pixel_paths(a, b, cfg.steps)
    paths = {"vae_lerp": model_paths(m["vae"], a, b, cfg.steps, "lerp"),
             "vae_slerp": model_paths(m["vae"], a, b, cfg.steps, "slerp"),
             "pixel": pixel,
             "linear": model_paths(m["linear"], a, b, cfg.steps, "lerp", clip=True)}
    raw = {name: path_metrics(p, ca, cb, ctx.ruler, pixel) for name, p in paths.items()}
    summary = {}
    for name, values in raw.items():
        summary[name] = {key: _iv(ctx.boot(v, np.median if key.startswith("ratio") else np.mean))
                         for key, v in values.items() if not key.startswith("_")}
    v, px, lin = raw["vae_lerp"], raw["pixel"], raw["linear"]
    comparisons = {
        "ratio_mid_vae_minus_pixel": ctx.paired(v["ratio_mid"], px["ratio_mid"]),
        "ratio_mid_vae_slerp_minus_pixel": ctx.paired(raw["vae_slerp"]["ratio_mid"], px["ratio_mid"]),
        "ratio_mid_linear_minus_pixel": ctx.paired(lin["ratio_mid"], px["ratio_mid"]),
        "pixel_distance_mid_vae_minus_linear": ctx.paired(v["pixel_distance_mid"], lin["pixel_distance_mid"]),
        "pixel_distance_bulge_vae_minus_linear": ctx.paired(v["pixel_distance_bulge"], lin["pixel_distance_bulge"]),
        "confidence_mid_vae_minus_pixel": ctx.paired(v["confidence_mid"], px["confidence_mid"]),
    }
    verdict = verdicts.blends(comparisons["ratio_mid_vae_minus_pixel"],
                              comparisons["pixel_distance_bulge_vae_minus_linear"],
                              comparisons["confidence_mid_vae_minus_pixel"])
    for k, (ia, ib) in enumerate(pairs[:3]):
        show = {"vae": paths["vae_lerp"][k], "pixel": pixel[k], "linear": paths["linear"][k]}
        probs = {name: ctx.ruler.judge.predict_proba(x) for name, x in show.items()}
        figs[f"strip_{k}"] = base_figures.figure_png(base_figures.blend_figure(
            show, probs, int(ca[k]), int(cb[k]), f"test:{ia} ({ca[k]}) \u2192 test:{ib} ({cb[k]})", scorer="judge"))
    numbers = {"n_pairs": len(pairs), "steps": cfg.steps, "paths": summary,
               "comparisons": {k: _iv(x) for k, x in comparisons.items()},
               "verdict": verdict.as_dict()}
    mids = {name: values["_mid_images"] for name, values in raw.items()}
    return numbers, mids, pairs


def _hybrid(ctx: _Ctx, figs: dict) -> dict:
    cfg, vae, judge = ctx.config, ctx.models["vae"], ctx.models["judge"]
    ca, cb = cfg.hybrid_classes
    pairs = ctx.eval_idx[random_pairs(ctx.data.test_labels[ctx.eval_idx], cfg.hybrid_pairs, cfg.seed + 3,
                                      classes=(ca, cb))]
    reference_codes = vae.encode(ctx.test[ctx.eval_idx[:2000]])
    best, pixel_avg, straight, first = [], [], [], None
    for k, (i, j) in enumerate(pairs):
        results = hybrid_search(vae, judge, ctx.test[i], ctx.test[j], ca, cb, n_results=4,
                                steps=cfg.hybrid_steps, seed=cfg.seed + k, reference_codes=reference_codes)
        best.append(results[0])
        pixel_avg.append(0.5 * (ctx.test[i] + ctx.test[j]))
        straight.append(model_paths(vae, ctx.test[i][None], ctx.test[j][None], 3)[0, 1])
        if first is None:
            first = (i, j, results)
    images = np.stack([r.image for r in best] + pixel_avg + straight)
    ratios = ctx.ruler.ratio(images).reshape(3, -1)
    probs = judge.predict_proba(images).reshape(3, -1, 10)
    gap = np.abs(probs[..., ca] - probs[..., cb])
    total = probs[..., ca] + probs[..., cb]
    boot = lambda x: ctx.boot(x, np.mean, unit=f"{ca}-{cb} pairs")
    rows = {name: {"gap": _iv(boot(gap[r])), "sum": _iv(boot(total[r])), "ratio": _iv(boot(ratios[r]))}
            for r, name in enumerate(("hybrid", "pixel_average", "straight_midpoint"))}
    ratio_diff = ctx.paired(ratios[0], ratios[1])
    verdict = verdicts.hybrid(boot(gap[0]), boot(total[0]), ratio_diff)
    i, j, results = first
    figs["hybrid"] = base_figures.figure_png(plots.hybrid_panel(
        vae, judge, ctx.test[i], ctx.test[j], ca, cb, results, ctx.ruler,
        f"{ca}-{cb} hybrids from test:{i} and test:{j} (ratio: manifold distance ratio)"))
    return {"classes": [ca, cb], "n_pairs": len(pairs), "steps": cfg.hybrid_steps, **rows,
            "ratio_hybrid_minus_pixel_average": _iv(ratio_diff),
            "example": [{"p_a": r.p_a, "p_b": r.p_b, "realism": r.realism, "prior_logpdf": r.prior_logpdf,
                         "start_t": r.start_t, "ratio": float(ctx.ruler.ratio(r.image[None])[0])}
                        for r in results],
            "verdict": verdict.as_dict()}


def _ablation(ctx: _Ctx, figs: dict, pairs: np.ndarray) -> dict:
    cfg, m = ctx.config, ctx.models
    a, b = ctx.test[pairs[:, 0]], ctx.test[pairs[:, 1]]
    ca, cb = ctx.data.test_labels[pairs[:, 0]], ctx.data.test_labels[pairs[:, 1]]
    mid = cfg.steps // 2
    out, mids = {}, {}
    for name in ("vae", "vae_identity", "linear"):
        model = m[name]
        path = model_paths(model, a, b, cfg.steps, clip=True)
        recon_blend = pixel_paths(reconstruct(model, a), reconstruct(model, b), cfg.steps)
        scale = np.linalg.norm((recon_blend[:, 0] - recon_blend[:, -1]).reshape(len(a), -1), axis=1)
        rel = np.linalg.norm((path[:, mid] - recon_blend[:, mid]).reshape(len(a), -1), axis=1) / np.maximum(scale, 1e-6)
        metrics = path_metrics(path, ca, cb, ctx.ruler)
        mids[name] = (rel, metrics["ratio_mid"])
        out[name] = {"recon_blend_distance_mid": _iv(ctx.boot(rel, np.mean)),
                     "ratio_mid": _iv(ctx.boot(metrics["ratio_mid"])),
                     "confidence_mid": _iv(ctx.boot(metrics["confidence_mid"], np.mean))}
        if name == "vae_identity":
            k = 0
            show = {"no-activation VAE": path[k], "blend of its reconstructions": recon_blend[k],
                    "VAE": model_paths(m["vae"], a[:1], b[:1], cfg.steps)[0]}
            probs = {n: ctx.ruler.judge.predict_proba(x) for n, x in show.items()}
            figs["ablation"] = base_figures.figure_png(base_figures.blend_figure(
                show, probs, int(ca[k]), int(cb[k]), "the same VAE without activations, beside the VAE",
                scorer="judge"))
    recon_diff = ctx.paired(mids["vae"][0], mids["vae_identity"][0])
    ratio_diff = ctx.paired(mids["vae_identity"][1], mids["vae"][1])
    return {"n_pairs": len(pairs), "models": out,
            "recon_blend_distance_mid_vae_minus_identity": _iv(recon_diff),
            "ratio_mid_identity_minus_vae": _iv(ratio_diff),
            "verdict": verdicts.ablation(recon_diff, ratio_diff).as_dict()}


def _traversals(ctx: _Ctx, figs: dict, pixel_mid_ratio: Interval) -> dict:
    trav = latent_traversals(ctx.models["vae"], ctx.test, n_directions=8, steps=9)
    ratios = ctx.ruler.ratio(trav.images)
    ratio = ctx.boot(ratios.ravel(), unit="traversal images")
    figs["traversals"] = base_figures.figure_png(plots.traversal_figure(
        trav, f"VAE: decoded codes along the principal directions of the {len(ctx.test):,} test codes"))
    return {"variance_ratio": [float(x) for x in trav.variance_ratio], "n_directions": len(trav.sigmas),
            "span_sigma": 2.0, "steps": len(trav.offsets), "ratio_median": _iv(ratio),
            "verdict": verdicts.traversals(ratio, pixel_mid_ratio).as_dict()}


def _frechet(ctx: _Ctx, a: np.ndarray, b: np.ndarray, n_boot: int = 200) -> Interval:
    fa, fb = (ctx.ruler.judge.features(x).astype(np.float64) for x in (a, b))
    rng = np.random.default_rng(ctx.config.seed)
    boots = [frechet_distance(fa[rng.integers(0, len(fa), len(fa))], fb[rng.integers(0, len(fb), len(fb))])
             for _ in range(n_boot)]
    low, high = np.quantile(boots, [0.025, 0.975])
    return Interval(frechet_distance(fa, fb), float(low), float(high),
                    f"bootstrap over {len(fa)} and {len(fb)} images, {n_boot} resamples")


def nll_test_set(test_images: np.ndarray, n_images: int) -> np.ndarray:
    """The binarised test digits every NLL is scored on: a seeded random `n_images` of the test set,
    binarised once with NLL_BINARIZE_SEED (the report and the benchmark share it)."""
    test = as_float(test_images)
    order = np.random.default_rng(NLL_BINARIZE_SEED).permutation(len(test))[:n_images]
    return dynamic_binarize(test[np.sort(order)], seed=NLL_BINARIZE_SEED)


def _quality(ctx: _Ctx, samples: np.ndarray, mids: dict) -> dict:
    cfg, vae = ctx.config, ctx.models["vae"]
    binary = nll_test_set(ctx.test, cfg.nll_images)
    vae.eval()
    with torch.no_grad():
        nll = iwae_nll(vae.encode_t, vae.decode_logits_t, binary, k=cfg.nll_k, seed=cfg.seed)
    nll_iv = ctx.boot(nll, np.mean, unit="images")
    real = ctx.test[ctx.eval_idx[: cfg.n_samples]]
    fd = {"prior_samples": _frechet(ctx, samples, real), "vae_midpoints": _frechet(ctx, mids["vae_lerp"], real),
          "pixel_midpoints": _frechet(ctx, mids["pixel"], real),
          "linear_midpoints": _frechet(ctx, mids["linear"], real)}
    return {"nll": {"nats": _iv(nll_iv), "k": cfg.nll_k, "n_images": len(binary),
                    "binarization": f"dynamic, once, seed {NLL_BINARIZE_SEED}",
                    "verdict": verdicts.likelihood(nll_iv).as_dict()},
            "frechet": {"warning": "Frechet distance in OUR judge's feature space, not Inception-FID; "
                                   "comparable only within this report",
                        "n_real": len(real), **{k: _iv(x) for k, x in fd.items()},
                        "verdict": verdicts.frechet(fd["vae_midpoints"], fd["pixel_midpoints"]).as_dict()}}


def gather(models: dict, data: MnistData, config: EvidenceConfig | None = None, log=print) -> tuple[dict, dict]:
    """All sections' numbers (JSON-ready) and figures (name -> PNG bytes)."""
    config = config or EvidenceConfig()
    started = time.monotonic()
    for model in models.values():
        if hasattr(model, "eval"):
            model.eval()
    ctx, figs, timings = _Ctx(models, data, config), {}, {}

    def timed(name, fn, *args):
        t = time.monotonic()
        result = fn(*args)
        timings[name] = round(time.monotonic() - t, 2)
        log(f"  {name}: {timings[name]:.1f} s")
        return result

    numbers = {"schema": "notaverage-report/1"}
    numbers["recognition"] = timed("recognition", _recognition, ctx, figs)
    numbers["novelty"], samples = timed("novelty", _novelty, ctx, figs)
    numbers["blends"], mids, pairs = timed("blends", _blends, ctx, figs)
    numbers["hybrid"] = timed("hybrid", _hybrid, ctx, figs)
    numbers["ablation"] = timed("ablation", _ablation, ctx, figs, pairs)
    pixel_mid = Interval(**numbers["blends"]["paths"]["pixel"]["ratio_mid"])
    numbers["traversals"] = timed("traversals", _traversals, ctx, figs, pixel_mid)
    numbers["quality"] = timed("quality", _quality, ctx, samples, mids)
    numbers["meta"] = {"data": data.note, "n_train": len(ctx.train), "n_test": len(ctx.test),
                       "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
                       "nn_train": len(ctx.nn_idx), "reference_median": ctx.ruler.reference_median,
                       "n_reference": int(min(config.n_reference, len(ctx.ref_idx))),
                       "seconds": round(time.monotonic() - started, 1), "timings": timings}
    numbers["verdicts"] = {k: numbers[k]["verdict"] for k in
                           ("recognition", "novelty", "blends", "hybrid", "ablation", "traversals")}
    numbers["verdicts"]["likelihood"] = numbers["quality"]["nll"]["verdict"]
    numbers["verdicts"]["frechet"] = numbers["quality"]["frechet"]["verdict"]
    return numbers, figs
