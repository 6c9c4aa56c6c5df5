"""How good is a generative model as a model of digits: likelihood bound and Fréchet distance."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

EncodeFn = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
DecodeLogitsFn = Callable[[torch.Tensor], torch.Tensor]
LogPriorFn = Callable[[torch.Tensor], torch.Tensor]

_LOG_2PI = math.log(2.0 * math.pi)


def dynamic_binarize(images: np.ndarray, seed: int) -> np.ndarray:
    """Binary digits drawn pixel by pixel: 1 with probability equal to the pixel intensity.

    The Bernoulli likelihood is only a likelihood on {0, 1} data, so NLLs are reported on a
    binarised test set. It is binarised ONCE with a fixed seed and reused, so every model and every
    run is scored on the same binary digits. Returns float32 in {0, 1}, same shape as `images`.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.size and (images.min() < 0.0 or images.max() > 1.0):
        raise ValueError("pixel intensities must lie in [0, 1] to be used as probabilities")
    rng = np.random.default_rng(seed)
    return (rng.random(images.shape) < images).astype(np.float32)


def _gaussian_log_density(x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    # log N(x; mu, diag(exp(logvar))) summed over the last axis.
    return -0.5 * (_LOG_2PI + logvar + (x - mu).pow(2) * torch.exp(-logvar)).sum(dim=-1)


def _standard_normal_log_density(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * (_LOG_2PI + z.pow(2)).sum(dim=-1)


def _log_weights(
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    decode_logits_fn: DecodeLogitsFn,
    n_samples: int,
    generator: torch.Generator,
    log_prior_fn: LogPriorFn | None = None,
) -> torch.Tensor:
    """log p(x|z) + log p(z) − log q(z|x) for n_samples draws z ~ q(z|x): (n_samples, B)."""
    b, dim = mu.shape
    eps = torch.randn((n_samples, b, dim), generator=generator).to(mu)
    z = mu + torch.exp(0.5 * logvar) * eps
    log_q = _gaussian_log_density(z, mu, logvar)
    log_prior = _standard_normal_log_density(z) if log_prior_fn is None else log_prior_fn(z)
    logits = decode_logits_fn(z.reshape(n_samples * b, dim)).reshape(n_samples, b, -1)
    target = x.reshape(1, b, -1).expand_as(logits)
    log_px = -F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(dim=-1)
    return log_px + log_prior - log_q


def iwae_nll(
    encode_fn: EncodeFn,
    decode_logits_fn: DecodeLogitsFn,
    binary_images: np.ndarray,
    k: int = 500,
    batch_size: int = 20,
    sample_chunk: int = 100,
    seed: int = 0,
    device: str | torch.device = "cpu",
    log_prior_fn: LogPriorFn | None = None,
) -> np.ndarray:
    """Importance-weighted estimate of −log p(x) in nats per image (Burda et al. 2016).

    −log (1/k) Σ_j p(x|z_j) p(z_j) / q(z_j|x), z_j ~ q(z|x) = N(mu, diag(exp(logvar))), prior
    N(0, I) unless `log_prior_fn(z)` gives log p(z) (a learned prior), Bernoulli decoder. It
    upper-bounds the true NLL and tightens as k grows (k=1 is the negative ELBO). `encode_fn(x)`
    takes (B, 1, 28, 28) float tensors and returns (mu, logvar) of shape (B, D);
    `decode_logits_fn(z)` maps (B', D) to Bernoulli logits (B', 1, 28, 28). Put the model in eval
    mode first. The k samples are drawn `sample_chunk` at a time, so memory
    holds batch_size × sample_chunk decoded images. Returns (N,) float64.
    """
    images = np.asarray(binary_images, dtype=np.float32)
    if not np.isin(images, (0.0, 1.0)).all():
        raise ValueError("iwae_nll needs binary images; use dynamic_binarize first")
    generator = torch.Generator().manual_seed(seed)
    out = np.empty(len(images), dtype=np.float64)
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = torch.from_numpy(images[start : start + batch_size]).reshape(-1, 1, 28, 28).to(device)
            mu, logvar = encode_fn(x)
            chunks = []
            for done in range(0, k, sample_chunk):
                n = min(sample_chunk, k - done)
                log_w = _log_weights(x, mu, logvar, decode_logits_fn, n, generator, log_prior_fn)
                chunks.append(log_w.double())
            log_w = torch.cat(chunks, dim=0)
            log_px = torch.logsumexp(log_w, dim=0) - math.log(k)
            out[start : start + len(x)] = (-log_px).cpu().numpy()
    return out


def model_iwae_nll(model, binary_images: np.ndarray, **kwargs) -> np.ndarray:
    """`iwae_nll` of a VAE with the torch face (`encode_t`, `decode_logits_t`, and `log_prior_t`
    when its prior is not N(0, I)); keyword arguments as for `iwae_nll`."""
    return iwae_nll(model.encode_t, model.decode_logits_t, binary_images,
                    log_prior_fn=getattr(model, "log_prior_t", None), **kwargs)


def gaussian_stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of features (N, D), in float64 (np.cov, N−1 normalisation)."""
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 2 or len(feats) < 2:
        raise ValueError(f"expected features of shape (N>=2, D), got {feats.shape}")
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def frechet_distance_from_stats(mu_a: np.ndarray, cov_a: np.ndarray,
                                mu_b: np.ndarray, cov_b: np.ndarray) -> float:
    """‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½), as in the reference FID code.

    The trace of the square root is taken as Σ √λ over the eigenvalues λ of the symmetric
    Σ_a^½ Σ_b Σ_a^½, which has the eigenvalues of Σ_a Σ_b. That is exact for singular covariances
    (fewer samples than dimensions, pixels that never vary), where `scipy.linalg.sqrtm(Σ_a Σ_b)` of
    the reference code warns and loses accuracy. Eigenvalues within rounding of zero are set to 0.
    """
    mu_a, mu_b = np.atleast_1d(mu_a), np.atleast_1d(mu_b)
    cov_a, cov_b = np.atleast_2d(cov_a), np.atleast_2d(cov_b)
    diff = mu_a - mu_b
    root_a = _psd_sqrt(cov_a)
    trace_sqrt = np.sqrt(_rank_aware(np.linalg.eigvalsh(root_a @ cov_b @ root_a))).sum()
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)


def _rank_aware(values: np.ndarray) -> np.ndarray:
    """Eigenvalues of a PSD matrix with those within rounding error of 0 (either sign) set to 0."""
    tolerance = len(values) * np.finfo(np.float64).eps * max(float(np.abs(values).max(initial=0.0)), 1e-300)
    return np.where(values > tolerance, values, 0.0)


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """The symmetric square root of a covariance matrix."""
    values, vectors = np.linalg.eigh((cov + cov.T) / 2)
    return (vectors * np.sqrt(_rank_aware(values))) @ vectors.T


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D), (M, D).

    This is a Fréchet distance in OUR judge's feature space (the notaverage classifier), not
    Inception-FID (Heusel et al. 2017): it ranks our own models against each other and cannot be
    compared with published FID numbers.
    """
    return frechet_distance_from_stats(*gaussian_stats(feats_a), *gaussian_stats(feats_b))
