"""Verdicts: a plain-language line per claim, computed from intervals, never written by hand.

Each function takes the numbers (as `Interval`s or floats) and returns a `Verdict` whose status is
"supported", "not supported" or "inconclusive". Every one can come out against the thesis: the
tests feed numbers that flip it, and the controls (`evidence/controls.py`) must fail the claims
they attack. Every bar is a measured reference passed in (real digits' judge confidence, C_T's
null spread, the reference recipe's NLL); the few constants left are definitions, each with its
reason in docs/METRICS.md, fixed before any result was seen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from notaverage.metrics.novelty import CopyingReading
from notaverage.metrics.stats import Interval

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"

ACCURACY_BAR = 0.95  # "recognises digits": test accuracy at least this (METRICS.md: why)
HYBRID_GAP = 0.2  # "equally an A and a B" means neither class above 0.6 of their sum: a definition
CONFIDENCE_QUANTILE = 0.1  # "reads as a digit": as confident as the 10th percentile of real digits


@dataclass(frozen=True)
class Verdict:
    claim: str
    status: str
    text: str

    def as_dict(self) -> dict:
        return asdict(self)


def _iv(x: Interval) -> str:
    return f"{x.estimate:.3g} [{x.low:.3g}, {x.high:.3g}]"


def combine(claim: str, parts: list[Verdict]) -> Verdict:
    """All parts supported -> supported; any not supported -> not supported; else inconclusive."""
    statuses = [p.status for p in parts]
    status = (
        NOT_SUPPORTED
        if NOT_SUPPORTED in statuses
        else SUPPORTED
        if all(s == SUPPORTED for s in statuses)
        else INCONCLUSIVE
    )
    return Verdict(
        claim, status, f"{status}: " + "; ".join(f"{p.text.split(': ', 1)[-1]} ({p.status})" for p in parts)
    )


def at_least(claim: str, what: str, value: Interval, bar: float) -> Verdict:
    """Supported when the whole interval is at or above `bar`, not supported when all of it is below."""
    if value.low >= bar:
        return Verdict(claim, SUPPORTED, f"{SUPPORTED}: {what} {_iv(value)} is at least {bar:g}")
    if value.high < bar:
        return Verdict(claim, NOT_SUPPORTED, f"{NOT_SUPPORTED}: {what} {_iv(value)} is below {bar:g}")
    return Verdict(claim, INCONCLUSIVE, f"{INCONCLUSIVE}: {what} {_iv(value)} straddles {bar:g}")


def at_most(claim: str, what: str, value: Interval, bar: float) -> Verdict:
    if value.high <= bar:
        return Verdict(claim, SUPPORTED, f"{SUPPORTED}: {what} {_iv(value)} is at most {bar:g}")
    if value.low > bar:
        return Verdict(claim, NOT_SUPPORTED, f"{NOT_SUPPORTED}: {what} {_iv(value)} is above {bar:g}")
    return Verdict(claim, INCONCLUSIVE, f"{INCONCLUSIVE}: {what} {_iv(value)} straddles {bar:g}")


def difference(claim: str, what: str, diff: Interval, expect: str) -> Verdict:
    """A paired difference whose interval must exclude 0 on the `expect` side ("below" or "above")."""
    if expect not in ("below", "above"):
        raise ValueError("expect must be 'below' or 'above'")
    right = diff.high < 0 if expect == "below" else diff.low > 0
    wrong = diff.low > 0 if expect == "below" else diff.high < 0
    if right:
        return Verdict(claim, SUPPORTED, f"{SUPPORTED}: {what} {_iv(diff)} is {expect} 0")
    if wrong:
        other = "above" if expect == "below" else "below"
        return Verdict(claim, NOT_SUPPORTED, f"{NOT_SUPPORTED}: {what} {_iv(diff)} is {other} 0")
    return Verdict(claim, INCONCLUSIVE, f"{INCONCLUSIVE}: {what} {_iv(diff)} includes 0")


def lower_than(claim: str, what_a: str, a: Interval, what_b: str, b: Interval) -> Verdict:
    """Two unpaired intervals: a entirely below b supports, a entirely above b refutes."""
    text = f"{what_a} {_iv(a)} vs {what_b} {_iv(b)}"
    if a.entirely_below(b):
        return Verdict(claim, SUPPORTED, f"{SUPPORTED}: {text} (below)")
    if a.entirely_above(b):
        return Verdict(claim, NOT_SUPPORTED, f"{NOT_SUPPORTED}: {text} (above)")
    return Verdict(claim, INCONCLUSIVE, f"{INCONCLUSIVE}: {text} (intervals overlap)")


# --- the report's claims ---------------------------------------------------------------------------


def recognition(accuracy: Interval) -> Verdict:
    return at_least("the network recognises digits", "test accuracy", accuracy, ACCURACY_BAR)


def copying(claim: str, what: str, reading: CopyingReading, underfit_status: str) -> Verdict:
    """Both readings of C_T: below the null band is copying (not supported); above it is
    underfitting, given `underfit_status` (a claim about novelty alone is not hurt by it)."""
    text = (
        f"{what} C_T {reading.c_t:+.2f} against held-out real digits' {reading.low:+.2f} to "
        f"{reading.high:+.2f} (mean ± 3 sd of {len(reading.null)} draws): "
    )
    if reading.reading == "copying":
        return Verdict(claim, NOT_SUPPORTED, f"{NOT_SUPPORTED}: {text}below, copying")
    if reading.reading == "underfitting":
        return Verdict(
            claim,
            underfit_status,
            f"{underfit_status}: {text}above, underfitting (farther from "
            "the training digits than real digits are; not copies)",
        )
    return Verdict(claim, SUPPORTED, f"{SUPPORTED}: {text}inside, neither copying nor underfitting")


def novelty(
    pixel: CopyingReading, feature: CopyingReading, confidence: Interval, confidence_bar: float
) -> Verdict:
    claim = "the network produces new digits"
    return combine(
        claim,
        [
            copying(claim, "pixel-space", pixel, INCONCLUSIVE),
            copying(claim, "judge-feature-space", feature, INCONCLUSIVE),
            at_least(
                claim,
                "the judge's median confidence on samples (bar: real held-out digits' 10th percentile)",
                confidence,
                confidence_bar,
            ),
        ],
    )


def blends(
    ratio_diff: Interval,
    pixel_distance_diff: Interval,
    confidence_diff: Interval,
    midpoint_copying: CopyingReading,
) -> Verdict:
    claim = "latent blends are not pixel averages"
    return combine(
        claim,
        [
            difference(claim, "midpoint manifold ratio, VAE minus pixel path (paired)", ratio_diff, "below"),
            difference(
                claim,
                "bulge of the midpoint away from the pixel average beyond the endpoints' "
                "reconstruction error, VAE minus linear (paired)",
                pixel_distance_diff,
                "above",
            ),
            difference(
                claim, "midpoint judge confidence, VAE minus pixel path (paired)", confidence_diff, "above"
            ),
            copying(claim, "midpoints' pixel-space", midpoint_copying, SUPPORTED),
        ],
    )


def hybrid(
    scorers: dict[str, tuple[Interval, Interval, float]], ratio_diff: Interval, hybrid_copying: CopyingReading
) -> Verdict:
    """`scorers`: held-out reader name -> (mean |p_A - p_B|, mean p_A + p_B, that reader's bar for
    the sum)."""
    claim = "the finder makes a digit that is equally both"
    parts = []
    for name, (gap, total, bar) in scorers.items():
        parts.append(at_most(claim, f"{name}: |p_A - p_B| of the best hybrid", gap, HYBRID_GAP))
        parts.append(
            at_least(
                claim,
                f"{name}: p_A + p_B of the best hybrid (bar: its real digits' 10th percentile confidence)",
                total,
                bar,
            )
        )
    parts.append(
        difference(claim, "manifold ratio, hybrid minus pixel average (paired)", ratio_diff, "below")
    )
    parts.append(copying(claim, "hybrids' pixel-space", hybrid_copying, SUPPORTED))
    return combine(claim, parts)


def ablation(identity_diff: Interval, ppca_diff: Interval, ratio_diff: Interval) -> Verdict:
    claim = "the nonlinearity makes the difference"
    return combine(
        claim,
        [
            difference(
                claim,
                "midpoint distance from the blend of its own reconstructions, VAE minus "
                "no-activation VAE (Bernoulli/sigmoid link; paired, relative)",
                identity_diff,
                "above",
            ),
            difference(
                claim,
                "the same, VAE minus probabilistic PCA (no nonlinearity, Gaussian link)",
                ppca_diff,
                "above",
            ),
            difference(
                claim, "midpoint manifold ratio, no-activation VAE minus VAE (paired)", ratio_diff, "above"
            ),
        ],
    )


def traversals(traversal_ratio: Interval, pixel_mid_ratio: Interval) -> Verdict:
    return lower_than(
        "the latent directions are digit-shaped primitives",
        "median manifold ratio of traversal images",
        traversal_ratio,
        "that of pixel-average midpoints",
        pixel_mid_ratio,
    )


def likelihood(
    vae_minus_reference: Interval, vae_images: int | None, reference_images: int | None = None
) -> Verdict:
    """Paired per-image NLL difference, VAE minus the reference recipe trained for as many images:
    below 0 supports "as good a density model", above 0 refutes it, an interval holding 0 cannot tell."""
    budget = "equal training images"
    if vae_images and reference_images:
        budget = f"after {vae_images:,} and {reference_images:,} training images"
    return difference(
        "the VAE is a density model of digits at least as good as the reference recipe",
        f"mean per-digit IWAE test NLL difference (nats), VAE minus the reference recipe ({budget})",
        vae_minus_reference,
        "below",
    )


def frechet(vae_fd: Interval, pixel_fd: Interval) -> Verdict:
    return lower_than(
        "latent midpoints are closer to real digits as a set than pixel midpoints",
        "judge-space Frechet distance of VAE midpoints",
        vae_fd,
        "of pixel midpoints",
        pixel_fd,
    )


def model_check(
    active: int, latent_dim: int, preserving: Interval, min_active: int, min_preserving: float
) -> Verdict:
    """Not collapsed: enough active units AND most reconstructions keep their class (judge-read)."""
    claim = "the VAE uses its code (no collapse)"
    units = (
        Verdict(
            claim, SUPPORTED, f"{SUPPORTED}: {active} of {latent_dim} latent units active (bar {min_active})"
        )
        if active >= min_active
        else Verdict(
            claim,
            NOT_SUPPORTED,
            f"{NOT_SUPPORTED}: {active} of {latent_dim} latent units active, below {min_active}: collapsed",
        )
    )
    return combine(
        claim,
        [
            units,
            at_least(
                claim,
                "share of reconstructions the judge reads as the true class",
                preserving,
                min_preserving,
            ),
        ],
    )
