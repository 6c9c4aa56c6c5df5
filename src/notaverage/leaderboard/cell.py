"""One zoo cell: train one model with one seed under a budget, then score it with the report's metrics.

Every model is scored on the same test digits, pairs and judge (trained once, seed 0), so rows
differ only by the model. Metrics and where they come from (library functions, not copies):
- NLL (nats, IWAE bound, `metrics.iwae_nll`): for the models with a Gaussian posterior and the
  N(0, I) prior (VAE, beta-VAE, the no-activation VAE); the conditional VAE's NLL is conditional
  on the class (not comparable) and the deterministic models have none;
- active units and class-preserving reconstruction (the judge reads the reconstruction as the
  digit's label): `metrics.model_check`;
- midpoint realism: the manifold distance ratio of the blend's midpoint (`evidence.blends`), the
  model's median beside the pixel average's, and their paired difference;
- hybrid transfer: 9-2 hybrids searched against the classifier (`latent.hybrid_search`) and read by
  the independent judge: the share it reads as both (|p9 - p2| <= 0.5 and p9 + p2 >= 0.8);
- C_T (`metrics.data_copying_test`, Meehan et al. 2020) of generated digits: prior samples for the
  VAEs, a Gaussian fitted to the training codes for the models without a prior;
- training time (seconds, one torch thread: the sweep runs one job per core).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from notaverage import lab, zoo
from notaverage.data.mnist import as_float
from notaverage.errors import UserError
from notaverage.evidence.blends import Ruler, model_paths, path_metrics, pixel_paths, random_pairs
from notaverage.latent import hybrid_search
from notaverage.leaderboard.budgets import BUDGETS, HYBRID_CLASSES, STRIP_PAIRS, STRIP_STEPS, ZooBudget
from notaverage.leaderboard.models import ZOO_MODELS
from notaverage.metrics import data_copying_test, model_iwae_nll, paired_difference_ci, reference_nn_median
from notaverage.metrics.generative import dynamic_binarize
from notaverage.metrics.model_check import check_autoencoder
from notaverage.store import save_model
from notaverage.models.beta_vae import BetaVAE
from notaverage.models.cvae import ConditionalVAE
from notaverage.models.registry import spec
from notaverage.models.vae import ConvVAE
from notaverage.sweep import settings_tag
from notaverage.training import TrainConfig, fit

NN_TRAIN = 10_000  # training digits the realism ratio measures against (all of them under --quick)


def config_tag(name: str, budget_name: str) -> str:
    """A short hash of the model's hyperparameters and the budget: changed settings make new cells."""
    return settings_tag(
        {
            "model": spec(name).config.to_dict(),
            "budget": asdict(BUDGETS[budget_name]),
            "strips": [STRIP_PAIRS, STRIP_STEPS],
            "hybrid": HYBRID_CLASSES,
        }
    )


def zoo_data(budget: ZooBudget):
    return lab.load_data(None, budget.limit, seed=0, progress=False)


def judges(data, budget: ZooBudget, progress: bool = False) -> tuple:
    """(judge, classifier): trained once per data and budget, then read from the model cache."""
    return tuple(
        zoo.get_model(name, data, budget.judge_preset, seed=0, progress=progress).model
        for name in ("judge", "classifier")
    )


def train(name: str, seed: int, data, budget: ZooBudget, state_dir: Path | None):
    entry = spec(name)
    torch.manual_seed(seed)  # the initial weights
    model = entry.build()
    images = as_float(data.train_images)
    if entry.recipe is None:  # closed form (PCA)
        return model.fit(images, seed=seed)
    config = TrainConfig(
        steps=budget.steps, batch_size=budget.batch_size, lr=budget.lr, seed=seed, binarize=True
    )
    fit(
        model,
        images,
        data.train_labels if entry.labels else None,
        config,
        state_dir=state_dir,
        resume=state_dir is not None,
        desc=f"zoo {name}",
        progress=False,
    )
    return model


def _nll(model, test: np.ndarray, budget: ZooBudget, seed: int) -> float | None:
    if not isinstance(model, ConvVAE | BetaVAE):
        return None
    binary = dynamic_binarize(test[: budget.nll_digits], seed=seed)
    return float(model_iwae_nll(model, binary, k=budget.nll_k, seed=seed).mean())


def _samples(model, train: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    if isinstance(model, ConditionalVAE):
        return np.concatenate([model.sample_class(d, n // 10 + 1, seed + d) for d in range(10)])[:n]
    if isinstance(model, ConvVAE):
        return model.decode(model.sample_codes(n, seed=seed + 1))
    if isinstance(model, BetaVAE):
        return model.decode(rng.standard_normal((n, model.config.latent_dim)).astype(np.float32))
    codes = model.encode(train[:5000])  # no prior: a Gaussian fitted to the training codes
    z = rng.multivariate_normal(codes.mean(axis=0), np.cov(codes, rowvar=False), size=n)
    return np.clip(model.decode(z.astype(np.float32)), 0, 1)


def _hybrid_transfer(model, classifier, judge, test, labels, budget: ZooBudget, seed: int) -> float | None:
    if not hasattr(model, "decode_logits_t"):
        return None  # the search needs a differentiable decoder (PCA has none here)
    ca, cb = HYBRID_CLASSES
    pairs = random_pairs(labels, budget.hybrid_pairs, seed=3, classes=HYBRID_CLASSES)
    reference = model.encode(test[:500])
    found = [
        hybrid_search(
            model,
            classifier,
            test[i],
            test[j],
            ca,
            cb,
            n_results=1,
            steps=budget.hybrid_steps,
            seed=seed + k,
            reference_codes=reference,
        )[0].image
        for k, (i, j) in enumerate(pairs)
    ]
    probs = judge.predict_proba(np.stack(found))
    both = (np.abs(probs[:, ca] - probs[:, cb]) <= 0.5) & (probs[:, ca] + probs[:, cb] >= 0.8)
    return float(both.mean())


def _realism(model, ruler: Ruler, test, labels, budget: ZooBudget) -> tuple[dict, np.ndarray]:
    pairs = random_pairs(labels, budget.pairs, seed=2)  # the same pairs for every model and seed
    a, b = test[pairs[:, 0]], test[pairs[:, 1]]
    ca, cb = labels[pairs[:, 0]], labels[pairs[:, 1]]
    pixel = pixel_paths(a, b, STRIP_STEPS)
    paths = model_paths(model, a, b, STRIP_STEPS, clip=True)
    ours = path_metrics(paths, ca, cb, ruler, pixel)["ratio_mid"]
    average = path_metrics(pixel, ca, cb, ruler)["ratio_mid"]
    diff = paired_difference_ci(ours, average, np.median, n_boot=500)
    numbers = {
        "midpoint_ratio": float(np.median(ours)),
        "pixel_average_ratio": float(np.median(average)),
        "midpoint_minus_pixel": diff.estimate,
        "midpoint_minus_pixel_low": diff.low,
        "midpoint_minus_pixel_high": diff.high,
    }
    ends = np.stack([a[:STRIP_PAIRS], b[:STRIP_PAIRS]], axis=1)  # the real digits at both ends
    return numbers, paths[:STRIP_PAIRS], ends


def zoo_cell(name: str, seed: int, budget_name: str, checkpoint_dir: Path | None = None) -> dict:
    if name not in ZOO_MODELS:
        raise UserError(f"unknown zoo model {name!r}; choose from {', '.join(ZOO_MODELS)}")
    budget = BUDGETS[budget_name]
    data = zoo_data(budget)
    judge, classifier = judges(data, budget)
    started = time.monotonic()
    state_dir = None if checkpoint_dir is None else Path(checkpoint_dir) / "partial"
    model = train(name, seed, data, budget, state_dir)
    train_seconds = time.monotonic() - started
    if checkpoint_dir is not None:
        save_model(Path(checkpoint_dir), model, {"name": name, "seed": seed, "budget": budget_name})
    if isinstance(model, torch.nn.Module):
        model.eval()
    train_images, test, labels = as_float(data.train_images), as_float(data.test_images), data.test_labels
    nn_train = train_images[:NN_TRAIN]
    ruler = Ruler(judge, nn_train, reference_nn_median(test[-budget.eval_digits // 2 :], nn_train))
    check = check_autoencoder(
        model.encode, model.decode, judge.predict, test[: budget.eval_digits], labels[: budget.eval_digits]
    )
    realism, strips, ends = _realism(model, ruler, test, labels, budget)
    samples = _samples(model, train_images, budget.samples, seed)
    copying = data_copying_test(samples, test[: budget.samples], nn_train, seed=seed)
    return {
        "name": name,
        "seed": seed,
        "nll": _nll(model, test, budget, seed),
        "active_units": check["active_units"],
        "latent_dim": check["latent_dim"],
        "class_preserving_reconstruction": check["class_preserving_reconstruction"],
        **realism,
        "hybrid_transfer": _hybrid_transfer(model, classifier, judge, test, labels, budget, seed),
        "c_t": float(copying.c_t),
        "train_seconds": round(train_seconds, 2),
        "strips": np.round(strips * 255).astype(np.uint8).tolist(),  # blend strips, for the page
        "strip_ends": np.round(ends * 255).astype(np.uint8).tolist(),
    }
