"""Verdicts: a plain-language line per claim, computed from intervals, never written by hand.

Each function takes the numbers (as `Interval`s or floats) and returns a `Verdict` whose status is
"supported", "not supported" or "inconclusive". Every one can come out against the thesis: the
tests feed numbers that flip it. Thresholds are module constants, documented in docs/RESULTS.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from notaverage.metrics.stats import Interval

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"

ACCURACY_BAR = 0.95  # "recognises digits": test accuracy at least this
COPYING_C_T = -3.0  # Meehan et al.: C_T below this means data copying
CONFIDENT = 0.8  # "reads as a digit": judge confidence at least this
HYBRID_GAP = 0.2  # "equally an A and a B": |p_A - p_B| below this
HYBRID_SUM = 0.8  # "and clearly both": p_A + p_B above this
NLL_BAR = 100.0  # nats; a VAE worse than this is not a usable density model of MNIST


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
    status = (NOT_SUPPORTED if NOT_SUPPORTED in statuses else
              SUPPORTED if all(s == SUPPORTED for s in statuses) else INCONCLUSIVE)
    return Verdict(claim, status, f"{status}: " + "; ".join(f"{p.text.split(': ', 1)[-1]} ({p.status})"
                                                        for p in parts))


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


def novelty(c_t: float, confidence: Interval) -> Verdict:
    claim = "the network produces new digits"
    if c_t < COPYING_C_T:
        copy = Verdict(claim, NOT_SUPPORTED, f"{NOT_SUPPORTED}: data-copying C_T {c_t:.2f} is below "
                                             f"{COPYING_C_T:g} (samples sit closer to training digits than real ones)")
    else:
        copy = Verdict(claim, SUPPORTED, f"{SUPPORTED}: data-copying C_T {c_t:.2f} is not below {COPYING_C_T:g}")
    return combine(claim, [copy, at_least(claim, "the judge's median confidence on samples", confidence,
                                          CONFIDENT)])


def blends(ratio_diff: Interval, pixel_distance_diff: Interval, confidence_diff: Interval) -> Verdict:
    claim = "latent blends are not pixel averages"
    return combine(claim, [
        difference(claim, "midpoint manifold ratio, VAE minus pixel path (paired)", ratio_diff, "below"),
        difference(claim, "bulge of the midpoint away from the pixel average beyond the endpoints' "
                          "reconstruction error, VAE minus linear (paired)", pixel_distance_diff, "above"),
        difference(claim, "midpoint judge confidence, VAE minus pixel path (paired)", confidence_diff, "above"),
    ])


def hybrid(gap: Interval, total: Interval, ratio_diff: Interval) -> Verdict:
    claim = "the finder makes a digit that is equally both"
    return combine(claim, [
        at_most(claim, "judge |p_A - p_B| of the best hybrid", gap, HYBRID_GAP),
        at_least(claim, "judge p_A + p_B of the best hybrid", total, HYBRID_SUM),
        difference(claim, "manifold ratio, hybrid minus pixel average (paired)", ratio_diff, "below"),
    ])


def ablation(recon_distance_diff: Interval, ratio_diff: Interval) -> Verdict:
    claim = "the nonlinearity makes the difference"
    return combine(claim, [
        difference(claim, "midpoint distance from the blend of its own reconstructions, VAE minus "
                          "no-activation VAE (paired, relative)", recon_distance_diff, "above"),
        difference(claim, "midpoint manifold ratio, no-activation VAE minus VAE (paired)", ratio_diff, "above"),
    ])


def traversals(traversal_ratio: Interval, pixel_mid_ratio: Interval) -> Verdict:
    return lower_than("the latent directions are digit-shaped primitives",
                      "median manifold ratio of traversal images", traversal_ratio,
                      "that of pixel-average midpoints", pixel_mid_ratio)


def likelihood(nll: Interval) -> Verdict:
    return at_most("the VAE is a density model of digits", "IWAE test NLL (nats)", nll, NLL_BAR)


def frechet(vae_fd: Interval, pixel_fd: Interval) -> Verdict:
    return lower_than("latent midpoints are closer to real digits as a set than pixel midpoints",
                      "judge-space Frechet distance of VAE midpoints", vae_fd,
                      "of pixel midpoints", pixel_fd)
