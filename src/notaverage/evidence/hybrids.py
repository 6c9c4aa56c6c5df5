"""Section (d): the hybrid finder's output, read by held-out scorers the finder never optimised
against. A finder is any function (image_a, image_b, class_a, class_b, seed) -> list of images, best
first; the VAE's latent search is one, the judge-fooler control (pixel-space steps) another."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from notaverage.evidence import verdicts
from notaverage.evidence.blends import model_paths, random_pairs
from notaverage.evidence.context import Context, real_digit_bar
from notaverage.evidence.results import HybridDrawing, SectionResult
from notaverage.latent import HybridSettings, hybrid_search
from notaverage.metrics import wilson

Finder = Callable[[np.ndarray, np.ndarray, int, int, int], list]


JUDGE_SEED_STEP = 1000  # extra judges train with seeds seed + 1000, + 2000, ... (no clash with --seeds)


def extra_judges(data, preset: str, seed: int, count: int, progress: bool = False) -> dict:
    """`judge_2` .. `judge_<count>`: the judge's recipe and architecture at other training seeds,
    trained or reused from the cache like every model (the finder's ensemble)."""
    from notaverage.zoo import get_model

    return {f"judge_{k + 1}": get_model("judge", data, preset, seed + k * JUDGE_SEED_STEP,
                                        progress=progress).model for k in range(1, count)}


def finder_judges(ctx: Context) -> list:
    """The judges the finder averages over: the judge, then the other judge seeds in `ctx.models`
    (`judge_2`, `judge_3`, ...: the judge's recipe and architecture, other training seeds)."""
    extra = sorted((k for k in ctx.models if k.startswith("judge_")), key=lambda k: int(k.split("_")[1]))
    return [ctx.judge, *(ctx.models[k] for k in extra)][: ctx.config.hybrid_judges]


def latent_finder(ctx: Context, judges: list | None = None, settings: HybridSettings | None = None) -> Finder:
    """The VAE's hybrid search, made robust: it averages an ensemble of judges over noisy, shifted
    copies of each code (`judges`: default `finder_judges(ctx)`)."""
    vae, cfg = ctx.models["vae"], ctx.config
    judges = judges or finder_judges(ctx)
    reference_codes = vae.encode(ctx.test[ctx.eval_idx[:2000]])
    settings = settings or HybridSettings(n_perturb=cfg.hybrid_perturbations, max_shift=cfg.hybrid_max_shift)

    def find(image_a, image_b, class_a, class_b, seed):
        return hybrid_search(
            vae,
            judges,
            image_a,
            image_b,
            class_a,
            class_b,
            n_results=4,
            steps=cfg.hybrid_steps,
            seed=seed,
            reference_codes=reference_codes,
            settings=settings,
        )

    return find


def _read(scorer_model, images: np.ndarray, class_a: int, class_b: int) -> tuple[np.ndarray, np.ndarray]:
    probs = scorer_model.predict_proba(images)
    return np.abs(probs[:, class_a] - probs[:, class_b]), probs[:, class_a] + probs[:, class_b]


def hybrid_pairs(ctx: Context) -> np.ndarray:
    cfg = ctx.config
    return ctx.eval_idx[
        random_pairs(
            ctx.data.test_labels[ctx.eval_idx], cfg.hybrid_pairs, cfg.seed + 3, classes=cfg.hybrid_classes
        )
    ]


def score_hybrids(
    ctx: Context, best: np.ndarray, all_found: np.ndarray, pairs: np.ndarray, scorers: list
) -> tuple[dict, verdicts.Verdict]:
    """Every reader's view of the best hybrid of each pair; the verdict from the held-out ones."""
    ca, cb = ctx.config.hybrid_classes
    a, b = ctx.test[pairs[:, 0]], ctx.test[pairs[:, 1]]
    pixel_avg = 0.5 * (a + b)

    def boot(x):
        return ctx.boot(x, np.mean, unit=f"{ca}-{cb} pairs")

    readers = {"judge": ctx.judge, **{s.name: s.model for s in scorers}}
    reading, parts, passes = {}, {}, []
    for name, model in readers.items():
        gap, total = _read(model, best, ca, cb)
        bar = real_digit_bar(model, ctx.reference)
        both = (gap <= verdicts.HYBRID_GAP) & (total >= bar)
        reading[name] = {
            "gap": boot(gap).as_dict(),
            "sum": boot(total).as_dict(),
            "sum_bar": bar,
            "share_equally_both": float(both.mean()),
            "optimised_against": name == "judge",
        }
        if name != "judge":
            parts[name] = (boot(gap), boot(total), bar)
            passes.append(both)
    every = np.logical_and.reduce(passes)
    ratios = ctx.ruler.ratio(np.stack([best, pixel_avg]))
    ratio_diff = ctx.paired(ratios[0], ratios[1])
    found_copying = ctx.copying(all_found, "pixel")
    verdict = verdicts.hybrid(parts, ratio_diff, found_copying)
    numbers = {
        "readers": reading,
        "transfer_rate": float(every.mean()),
        "transfer_interval": wilson(int(every.sum()), len(every), unit=f"{ca}-{cb} pairs").as_dict(),
        "ratio": {"hybrid": boot(ratios[0]).as_dict(), "pixel_average": boot(ratios[1]).as_dict()},
        "ratio_hybrid_minus_pixel_average": ratio_diff.as_dict(),
        "copying": found_copying.as_dict(),
    }
    return numbers, verdict


def find_hybrids(ctx: Context, finder: Finder, pairs: np.ndarray):
    """(best image of each pair, every image found, the first pair's results)."""
    ca, cb = ctx.config.hybrid_classes
    best, found, first = [], [], None
    for k, (i, j) in enumerate(pairs):
        results = finder(ctx.test[i], ctx.test[j], ca, cb, ctx.config.seed + k)
        images = [getattr(r, "image", r) for r in results]
        best.append(images[0])
        found.extend(images)
        first = first if first is not None else (i, j, results)
    return np.stack(best), np.stack(found), first


def hybrid(ctx: Context, scorers: list) -> SectionResult:
    cfg, vae = ctx.config, ctx.models["vae"]
    ca, cb = cfg.hybrid_classes
    pairs = hybrid_pairs(ctx)
    best, found, (i, j, results) = find_hybrids(ctx, latent_finder(ctx), pairs)
    numbers, verdict = score_hybrids(ctx, best, found, pairs, scorers)
    a, b = ctx.test[pairs[:, 0]], ctx.test[pairs[:, 1]]
    straight = model_paths(vae, a, b, 3)[:, 1]
    numbers.update(
        {
            "classes": [ca, cb],
            "n_pairs": len(pairs),
            "steps": cfg.hybrid_steps,
            "finder": {
                "optimises": "judge",
                "judges": len(finder_judges(ctx)),
                "perturbations": cfg.hybrid_perturbations,
                "max_shift": cfg.hybrid_max_shift,
                "how": "latent gradient search; the probabilities of the judge (and of other training seeds "
                "of it, when judges > 1) averaged over noisy copies of each code, each shifted by up to "
                "max_shift pixels",
            },
            "scorers": [s.describe() for s in scorers],
            "straight_midpoint": {"ratio": ctx.boot(ctx.ruler.ratio(straight), np.mean).as_dict()},
            "example": [
                {
                    "p_a": r.p_a,
                    "p_b": r.p_b,
                    "realism": r.realism,
                    "prior_logpdf": r.prior_logpdf,
                    "start_t": r.start_t,
                }
                for r in results
            ],
            "verdict": verdict.as_dict(),
        }
    )
    title = f"{ca}-{cb} hybrids from test:{i} and test:{j} (ratio: manifold distance ratio)"
    return SectionResult(numbers, {"hybrid": HybridDrawing(ctx.test[i], ctx.test[j], ca, cb, results, title)})
