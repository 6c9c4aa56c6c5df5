"""Train or reuse the models a command needs. A model's cache folder is named by a hash of
everything that determines it (kind, hyperparameters, training settings, data fingerprint, seed),
so a second `tour` with the same data and preset finds its models and retrains nothing."""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from notaverage import paths
from notaverage.data.mnist import MnistData, as_float
from notaverage.errors import UserError
from notaverage.models.classifier import ClassifierConfig, CNNClassifier
from notaverage.models.linear import LinearConfig, PCAAutoencoder
from notaverage.models.vae import ConvVAE, VAEConfig
from notaverage.store import (
    CheckpointError,
    CorruptCheckpoint,
    cache_key,
    load_model,
    read_config,
    save_model,
)
from notaverage.training import TrainConfig, fit

# The judge differs from the classifier in architecture (3x3 kernels, dense 64) and in seed.
JUDGE = ClassifierConfig(channels=16, kernel=3, hidden=64, dropout=0.1)


def _preset(vae: TrainConfig, classifier: TrainConfig, judge: TrainConfig) -> dict:
    return {
        "vae": (VAEConfig(), vae),
        "vae_identity": (VAEConfig(activation="identity"), vae),  # the same VAE, nonlinearities removed
        "linear": (LinearConfig(), None),
        "classifier": (ClassifierConfig(), classifier),
        "judge": (JUDGE, judge),
    }


# Plain values, nanoGPT style.
PRESETS = {
    "fast": _preset(
        vae=TrainConfig(epochs=3, batch_size=128, lr=2e-3, binarize=True),
        classifier=TrainConfig(epochs=3, batch_size=128, lr=3e-3, shift=2),
        judge=TrainConfig(epochs=1, batch_size=128, lr=3e-3, shift=1, seed=1_000),
    ),
    # For a few thousand digits (--limit, the tests): more passes over less data.
    "tiny": _preset(
        vae=TrainConfig(epochs=15, batch_size=64, lr=2e-3, binarize=True),
        classifier=TrainConfig(epochs=6, batch_size=64, lr=3e-3, shift=2),
        judge=TrainConfig(epochs=6, batch_size=64, lr=3e-3, shift=1, seed=1_000),
    ),
    "quality": _preset(
        vae=TrainConfig(epochs=30, batch_size=128, lr=1e-3, binarize=True),
        classifier=TrainConfig(epochs=10, batch_size=128, lr=2e-3, shift=2),
        judge=TrainConfig(epochs=6, batch_size=128, lr=2e-3, shift=1, seed=1_000),
    ),
}
MODEL_NAMES = ("vae", "linear", "classifier", "judge")  # what the lab commands need
ABLATION = "vae_identity"  # the report's "does nonlinearity make the difference?" model


@dataclass
class TrainedModel:
    name: str
    model: object
    folder: Path
    reused: bool
    meta: dict = field(default_factory=dict)


def preset_names() -> list[str]:
    return sorted(PRESETS)


def model_folder(name: str, preset: str, data: MnistData, seed: int) -> tuple[Path, dict]:
    model_config, train_config = PRESETS[preset][name]
    payload = {
        "name": name,
        "model": model_config.to_dict(),
        "train": train_config.to_dict() if train_config else None,
        "data": data.fingerprint,
        "seed": seed,
    }
    return paths.models_cache_dir() / f"{name}-{preset}-{cache_key(payload)}", payload


def _build(name: str, model_config):
    if name in ("vae", ABLATION):
        return ConvVAE(model_config)
    if name == "linear":
        return PCAAutoencoder(model_config)
    return CNNClassifier(model_config)


def _evaluate(name: str, model, data: MnistData) -> dict:
    """A figure to store beside the weights: test accuracy for classifiers, reconstruction error else."""
    test = as_float(data.test_images)
    if name in ("classifier", "judge"):
        return {"test_accuracy": float((model.predict(test) == data.test_labels).mean())}
    recon = np.clip(model.decode(model.encode(test)), 0, 1)
    return {"test_recon_mse": float(((recon - test) ** 2).mean())}


def get_model(name: str, data: MnistData, preset: str = "fast", seed: int = 0, *, resume: bool = True,
              retrain: bool = False, progress: bool = True, log=print) -> TrainedModel:
    """Load the cached model, or train it (resuming an interrupted run when `resume`)."""
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}; choose one of: {', '.join(preset_names())}")
    folder, payload = model_folder(name, preset, data, seed)
    if not retrain:
        try:
            model = load_model(folder)
            return TrainedModel(name, model, folder, reused=True, meta=model.meta_)
        except CorruptCheckpoint:  # damaged on disk: say so (one line), then train it again below
            print(f"notaverage: the cached {name} model in {folder} is corrupt (its weights fail their "
                  "SHA-256 check); retraining it", file=sys.stderr)
        except CheckpointError:
            pass  # not trained yet, or from another format version: train it below
    model_config, train_config = PRESETS[preset][name]
    log(f"training {name} ({preset} preset, training seed {seed}, {len(data.train_labels):,} digits): "
        f"no cached model for these settings")
    # The initial weights are part of what the seed fixes: torch seeds its default generator
    # randomly in every process, so without this two runs of one command train different models.
    torch.manual_seed((train_config.seed if train_config else 0) + seed)
    model = _build(name, model_config)
    started = time.monotonic()
    train_images = as_float(data.train_images)
    history: dict = {}
    if name == "linear":
        model.fit(train_images, seed=seed)
    else:
        config = TrainConfig(**{**train_config.to_dict(), "seed": train_config.seed + seed})
        labels = data.train_labels if name in ("classifier", "judge") else None
        state_dir = folder.with_name(folder.name + ".partial")
        if state_dir.exists() and not resume:
            log(f"note: discarding the interrupted {name} run in {state_dir} (pass --resume to continue it)")
            shutil.rmtree(state_dir)
        history = fit(model, train_images, labels, config, state_dir=state_dir, resume=resume,
                      desc=f"{name} ({preset})", progress=progress)
    meta = {"train": payload["train"], "data_fingerprint": data.fingerprint, "data_source": data.source,
            "seed": seed, "preset": preset, "history": history,
            "train_seconds": round(time.monotonic() - started, 2), "metrics": _evaluate(name, model, data)}
    save_model(folder, model, meta)
    shutil.rmtree(folder.with_name(folder.name + ".partial"), ignore_errors=True)
    return TrainedModel(name, model, folder, reused=False, meta=read_config(folder))


def get_models(data: MnistData, names=MODEL_NAMES, preset: str = "fast", seed: int = 0, **kwargs) -> dict:
    """The named models, trained or reused, as {name: TrainedModel}."""
    return {name: get_model(name, data, preset, seed, **kwargs) for name in names}


def describe(trained: TrainedModel) -> str:
    how = "reused" if trained.reused else f"trained in {trained.meta.get('train_seconds', 0):.0f} s"
    figures = ", ".join(f"{k} {v:.4f}" for k, v in trained.meta.get("metrics", {}).items())
    return f"{trained.name:<10} {how:<18} {figures}"

