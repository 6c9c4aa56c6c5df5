"""Cheats, run through the same code that scores the models (`notaverage report --controls`).

A claim that a cheat can pass is not evidence. Each control below generates nothing (or only
exploits a reader), and must fail the claims it attacks:

| control | what it does | claims it attacks |
| memoriser | returns training digits: half exact copies, half with N(0, 0.1²) pixel noise | novelty |
| retrieval | each step of the path is the training digit nearest to the pixel blend at that t | blends |
| blur | the pixel blend of the VAE's own reconstructions: the same blur, no latent space | blends, ablation |
| judge_fooler | pixel-space gradient steps from the pixel average against the search judge | hybrid |
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from notaverage.evidence import sections
from notaverage.evidence.ablation import ablation_tests
from notaverage.evidence.blends import path_metrics, pixel_paths, reconstruct
from notaverage.evidence.context import Context
from notaverage.evidence.hybrids import find_hybrids, hybrid_pairs, score_hybrids
from notaverage.latent import _torn_loss
from notaverage.metrics import nearest_training_digits, relative_recon_blend_distance

CONTROLS = {
    "memoriser": (
        "training digits, half exact copies and half with N(0, 0.1\u00b2) pixel noise",
        ("novelty",),
    ),
    "retrieval": ("every path step is the training digit nearest to the pixel blend at that t", ("blends",)),
    "blur": (
        "the pixel blend of the VAE's own reconstructions (the same blur, no latent space)",
        ("blends", "ablation"),
    ),
    "judge_fooler": (
        "pixel-space gradient steps from the pixel average against the search judge",
        ("hybrid",),
    ),
}
NOISE_SIGMA = 0.1


def memoriser_samples(ctx: Context) -> np.ndarray:
    rng = np.random.default_rng(ctx.config.seed + 21)
    copies = ctx.train[rng.choice(len(ctx.train), ctx.config.n_samples, replace=False)].copy()
    half = len(copies) // 2
    copies[half:] = np.clip(copies[half:] + rng.normal(0, NOISE_SIGMA, copies[half:].shape), 0, 1)
    return copies.astype(np.float32)


def retrieval_paths(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(P, steps, 28, 28): the nearest training digit (of the manifold-ratio set) to each pixel-blend step."""
    pixel = pixel_paths(a, b, ctx.config.steps)
    _, idx = nearest_training_digits(pixel.reshape(-1, 28, 28), ctx.ruler.nn_train)
    return ctx.ruler.nn_train[idx[:, 0]].reshape(pixel.shape)


def judge_fooler(ctx: Context, steps: int | None = None, lr: float = 0.01):
    """A finder that never leaves pixel space: Adam on the pixels of the pixel average, against the
    judge's (log p_A − log p_B)² − (log p_A + log p_B), clamped to [0, 1]."""
    judge, steps = ctx.judge, steps or ctx.config.hybrid_steps

    def find(image_a, image_b, class_a, class_b, seed):
        x = (
            torch.as_tensor(0.5 * (image_a + image_b), dtype=torch.float32)[None, None]
            .clone()
            .requires_grad_(True)
        )
        optimizer = torch.optim.Adam([x], lr=lr)
        for p in judge.parameters():
            p.requires_grad_(False)
        try:
            for _ in range(steps):
                loss = _torn_loss(F.log_softmax(judge(x), dim=1), class_a, class_b, 1.0).sum()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    x.clamp_(0.0, 1.0)
        finally:
            for p in judge.parameters():
                p.requires_grad_(True)
        return [x.detach()[0, 0].numpy()]

    return find


def _statuses(verdicts_: dict) -> dict:
    return {claim: v.as_dict() for claim, v in verdicts_.items()}


def run_controls(ctx: Context, blend_raw: dict, ablation_raw: dict, scorers: list, log=print) -> dict:
    """Every control's verdicts on the claims it attacks. `blend_raw`: the pixel and linear paths'
    metrics from section (c); `ablation_raw`: the no-activation VAE's and PPCA's from section (e)."""
    out = {}
    novelty = sections.novelty(ctx, memoriser_samples(ctx), "memoriser")
    out["memoriser"] = {"novelty": novelty.numbers["verdict"], "_copying": novelty.numbers["copying"]}
    log("  control memoriser done")

    pairs, a, b, ca, cb = sections.blend_pairs(ctx)
    pixel = pixel_paths(a, b, ctx.config.steps)
    retrieved = path_metrics(retrieval_paths(ctx, a, b), ca, cb, ctx.ruler, pixel)
    _, verdict = sections.blend_tests(ctx, retrieved, blend_raw["pixel"], blend_raw["linear"])
    out["retrieval"] = {"blends": verdict.as_dict()}
    log("  control retrieval done")

    vae = ctx.models["vae"]
    recon_a, recon_b = reconstruct(vae, a), reconstruct(vae, b)
    blur_path = pixel_paths(recon_a, recon_b, ctx.config.steps)
    blur = path_metrics(blur_path, ca, cb, ctx.ruler, pixel)
    _, blend_verdict = sections.blend_tests(ctx, blur, blend_raw["pixel"], blend_raw["linear"])
    blur["rel"] = relative_recon_blend_distance(blur_path, recon_a, recon_b)
    _, ablation_verdict = ablation_tests(ctx, blur, ablation_raw["vae_identity"], ablation_raw["ppca"])
    out["blur"] = {"blends": blend_verdict.as_dict(), "ablation": ablation_verdict.as_dict()}
    log("  control blur done")

    hybrid_p = hybrid_pairs(ctx)
    best, found, _ = find_hybrids(ctx, judge_fooler(ctx), hybrid_p)
    numbers, verdict = score_hybrids(ctx, best, found, hybrid_p, scorers)
    out["judge_fooler"] = {
        "hybrid": verdict.as_dict(),
        "_judge_share": numbers["readers"]["judge"]["share_equally_both"],
        "_transfer_rate": numbers["transfer_rate"],
    }
    log("  control judge_fooler done")
    return {
        name: {
            "what": CONTROLS[name][0],
            "attacks": list(CONTROLS[name][1]),
            "verdicts": {k: v for k, v in result.items() if not k.startswith("_")},
            "numbers": {k[1:]: v for k, v in result.items() if k.startswith("_")},
        }
        for name, result in out.items()
    }
