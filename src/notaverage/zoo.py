"""Train or reuse the models a command needs, by registry name (`models/registry.py`).

A model's cache folder is named by a hash of everything that determines it (name, hyperparameters,
training recipe, data fingerprint, seed), so a second `tour` with the same data and preset finds its
models and retrains nothing. After training, every autoencoder gets the model check
(`metrics/model_check.py`): its figures go into the saved metadata, and a collapsed model is named in
one printed line.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from notaverage import paths
from notaverage.data.mnist import MnistData, as_float
from notaverage.errors import UserError
from notaverage.metrics.model_check import check_autoencoder, collapse_message
from notaverage.models.registry import ABLATION, CHECK_JUDGE, LAB_MODELS, MODELS, spec
from notaverage.presets import MODEL_CHANGES, PRESET_NAMES, PRESETS, TrainConfig
from notaverage.store import (
    CheckpointError,
    CorruptCheckpoint,
    cache_key,
    load_model,
    read_config,
    save_model,
)
from notaverage.training import fit

MODEL_NAMES = LAB_MODELS  # kept for callers of the old name
__all__ = ["ABLATION", "MODEL_NAMES", "TrainedModel", "get_model", "get_models", "describe", "model_folder"]


@dataclass
class TrainedModel:
    name: str
    model: object
    folder: Path
    reused: bool
    meta: dict = field(default_factory=dict)


def preset_names() -> list[str]:
    return sorted(PRESET_NAMES)


def train_config(name: str, preset: str) -> TrainConfig | None:
    recipe = spec(name).recipe
    return None if recipe is None else PRESETS[preset][recipe]


def model_config(name: str, preset: str):
    """The registry's hyperparameters for this model, with the preset's changes
    (`presets.MODEL_CHANGES`) to the fields its config has."""
    entry = spec(name)
    changes = MODEL_CHANGES.get(preset, {}).get(entry.recipe, {})
    return replace(entry.config, **{k: v for k, v in changes.items() if hasattr(entry.config, k)})


def model_folder(name: str, preset: str, data: MnistData, seed: int) -> tuple[Path, dict]:
    recipe = train_config(name, preset)
    payload = {
        "name": name,
        "model": model_config(name, preset).to_dict(),
        "train": recipe.to_dict() if recipe else None,
        "data": data.fingerprint,
        "seed": seed,
    }
    return paths.models_cache_dir() / f"{name}-{preset}-{cache_key(payload)}", payload


def _evaluate(name: str, model, data: MnistData) -> dict:
    """A figure to store beside the weights: test accuracy for classifiers, reconstruction error else."""
    test = as_float(data.test_images)
    if spec(name).labels:
        return {"test_accuracy": float((model.predict(test) == data.test_labels).mean())}
    recon = np.clip(model.decode(model.encode(test)), 0, 1)
    return {"test_recon_mse": float(((recon - test) ** 2).mean())}


def _train(name: str, model, data: MnistData, preset: str, seed: int, state_dir: Path, *,
           resume: bool, progress: bool, log) -> dict:
    config = train_config(name, preset)
    if config is None:
        model.fit(as_float(data.train_images), seed=seed)
        return {}
    config = TrainConfig(**{**config.to_dict(), "seed": config.seed + seed})
    labels = data.train_labels if spec(name).labels else None
    if state_dir.exists() and not resume:
        log(f"note: discarding the interrupted {name} run in {state_dir} (pass --resume to continue it)")
        shutil.rmtree(state_dir)
    return fit(model, as_float(data.train_images), labels, config, state_dir=state_dir, resume=resume,
               desc=f"{name} ({preset})", progress=progress)


def get_model(name: str, data: MnistData, preset: str = "fast", seed: int = 0, *, resume: bool = True,
              retrain: bool = False, progress: bool = True, log=print) -> TrainedModel:
    """Load the cached model, or train it (resuming an interrupted run when `resume`)."""
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}; choose one of: {', '.join(preset_names())}")
    if name not in MODELS:
        raise UserError(f"unknown model {name!r}; choose one of: {', '.join(sorted(MODELS))}")
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
    log(f"training {name} ({preset} preset, training seed {seed}, {len(data.train_labels):,} digits): "
        f"no cached model for these settings")
    # The initial weights are part of what the seed fixes: torch seeds its default generator
    # randomly in every process, so without this two runs of one command train different models.
    recipe = train_config(name, preset)
    torch.manual_seed((recipe.seed if recipe else 0) + seed)
    model = spec(name).build(model_config(name, preset))
    started = time.monotonic()
    state_dir = folder.with_name(folder.name + ".partial")
    history = _train(name, model, data, preset, seed, state_dir, resume=resume, progress=progress, log=log)
    meta = {"train": payload["train"], "data_fingerprint": data.fingerprint, "data_source": data.source,
            "seed": seed, "preset": preset, "history": history,
            "train_seconds": round(time.monotonic() - started, 2), "metrics": _evaluate(name, model, data)}
    if spec(name).autoencoder:
        judge = get_model(CHECK_JUDGE, data, preset, seed, resume=resume, progress=progress, log=log).model
        meta["model_check"] = check_autoencoder(model.encode, model.decode, judge.predict,
                                                as_float(data.test_images), data.test_labels)
        message = collapse_message(name, meta["model_check"])
        if message:
            log(message)
    save_model(folder, model, meta)
    shutil.rmtree(state_dir, ignore_errors=True)
    return TrainedModel(name, model, folder, reused=False, meta=read_config(folder))


def get_models(data: MnistData, names=LAB_MODELS, preset: str = "fast", seed: int = 0, **kwargs) -> dict:
    """The named models, trained or reused, as {name: TrainedModel}."""
    return {name: get_model(name, data, preset, seed, **kwargs) for name in names}


def describe(trained: TrainedModel) -> str:
    how = "reused" if trained.reused else f"trained in {trained.meta.get('train_seconds', 0):.0f} s"
    figures = ", ".join(f"{k} {v:.4f}" for k, v in trained.meta.get("metrics", {}).items())
    check = trained.meta.get("model_check")
    if check:
        figures += (f", active units {check['active_units']}/{check['latent_dim']}, class-preserving "
                    f"reconstruction {check['class_preserving_reconstruction']:.1%}")
    return f"{trained.name:<10} {how:<18} {figures}"
