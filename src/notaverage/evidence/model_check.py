"""The report's first section: is the VAE's code used at all? A collapsed VAE (its decoder ignores
z) draws one blurry average digit whatever the code, and nothing it draws shows what a network does.
The figures come from `metrics.model_check`; the verdict from its collapse bars."""

from __future__ import annotations


from notaverage.evidence import verdicts
from notaverage.evidence.context import Context
from notaverage.evidence.results import SectionResult
from notaverage.metrics import wilson
from notaverage.metrics.model_check import MIN_ACTIVE_UNITS, MIN_CLASS_PRESERVING, check_autoencoder


def model_check(ctx: Context) -> SectionResult:
    images = ctx.test[ctx.eval_idx]
    labels = ctx.data.test_labels[ctx.eval_idx]
    vae = ctx.models["vae"]
    check = check_autoencoder(vae.encode, vae.decode, ctx.judge.predict, images, labels)
    kept = int(round(check["class_preserving_reconstruction"] * len(images)))
    interval = wilson(kept, len(images))
    verdict = verdicts.model_check(
        check["active_units"], check["latent_dim"], interval, MIN_ACTIVE_UNITS, MIN_CLASS_PRESERVING
    )
    numbers = {
        "active_units": check["active_units"],
        "latent_dim": check["latent_dim"],
        "class_preserving_reconstruction": check["class_preserving_reconstruction"],
        "class_preserving_interval": interval.as_dict(),
        "n_images": len(images),
        "collapsed": bool(check["collapsed"]),
        "bars": {"min_active_units": MIN_ACTIVE_UNITS, "min_class_preserving": MIN_CLASS_PRESERVING},
        "verdict": verdict.as_dict(),
    }
    return SectionResult(numbers)
