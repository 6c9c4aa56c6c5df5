"""Checkpoints: one folder per trained model, `weights.safetensors` + `config.json`.

safetensors holds only tensors, so loading a checkpoint can never run code (no pickle, no
`torch.load`). `config.json` carries a format version, the model kind and its hyperparameters, the
training settings, the data fingerprint and the seed; it is written last, so a folder without it is
an unfinished save and is never trusted.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.numpy import load_file as load_numpy
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import load_file as load_torch
from safetensors.torch import save_file as save_torch

from notaverage.errors import UserError
from notaverage.fileio import atomic_path, atomic_write_text
from notaverage.models.registry import kinds

FORMAT_VERSION = 1
WEIGHTS = "weights.safetensors"
CONFIG = "config.json"

# kind -> (model class, config class), from the one registry; the classifier and the judge share a class.
MODEL_KINDS = kinds()


class CheckpointError(UserError):
    """A checkpoint folder that is missing, unfinished, from another format version, or corrupt."""


def cache_key(payload: dict[str, Any]) -> str:
    """A short stable hash of everything that determines a trained model."""
    text = json.dumps({"format_version": FORMAT_VERSION, **payload}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def save_model(folder: str | Path, model, meta: dict[str, Any]) -> Path:
    """Write weights, then config.json (the completion marker), each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / WEIGHTS) as tmp:
        if isinstance(model, torch.nn.Module):
            save_torch({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp))
        else:
            save_numpy(model.state_dict(), str(tmp))
    config = {"format_version": FORMAT_VERSION, "kind": model.kind, "model": model.config.to_dict(), **meta}
    atomic_write_text(folder / CONFIG, json.dumps(config, indent=2, sort_keys=True))
    return folder


def read_config(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise CheckpointError(f"{folder} holds no finished checkpoint (no {CONFIG}); train it again")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc.msg}); delete the folder and train again")
    if config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has format version {config.get('format_version')!r}, this notaverage reads "
            f"{FORMAT_VERSION}; delete the folder and train again"
        )
    if config.get("kind") not in MODEL_KINDS:
        raise CheckpointError(f"{path} names unknown model kind {config.get('kind')!r}")
    return config


def load_model(folder: str | Path):
    """Rebuild the model a folder describes and load its weights (strictly: every key must match)."""
    folder = Path(folder)
    config = read_config(folder)
    model_cls, config_cls = MODEL_KINDS[config["kind"]]
    model = model_cls(config_cls(**config["model"]))
    try:
        if isinstance(model, torch.nn.Module):
            model.load_state_dict(load_torch(str(folder / WEIGHTS)), strict=True)
            model.eval()
        else:
            model.load_state_dict(load_numpy(str(folder / WEIGHTS)))
    except (SafetensorError, OSError, RuntimeError, KeyError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"{folder / WEIGHTS} cannot be loaded ({first_line}); delete the folder and train again")
    model.meta_ = config
    return model


# --- training state, for --resume ------------------------------------------------------------

def save_training_state(folder: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                        rng_state: torch.Tensor, progress: dict[str, Any]) -> None:
    """Model, Adam moments and RNG state as tensors; counters as JSON. Written atomically."""
    tensors = {f"model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    for index, state in optimizer.state_dict()["state"].items():
        for name, value in state.items():
            tensors[f"optim.{index}.{name}"] = torch.as_tensor(value).contiguous()
    tensors["rng"] = rng_state
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "state.safetensors") as tmp:
        save_torch(tensors, str(tmp))
    atomic_write_text(folder / "progress.json", json.dumps({"format_version": FORMAT_VERSION, **progress}))


def load_training_state(folder: Path, model: torch.nn.Module,
                        optimizer: torch.optim.Optimizer) -> tuple[torch.Tensor, dict[str, Any]] | None:
    """Restore what save_training_state wrote; None when there is nothing usable to resume."""
    try:
        progress = json.loads((folder / "progress.json").read_text())
        tensors = load_torch(str(folder / "state.safetensors"))
    except (OSError, json.JSONDecodeError, SafetensorError):
        return None
    if progress.get("format_version") != FORMAT_VERSION:
        return None
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
    optim_state = optimizer.state_dict()
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            optim_state["state"].setdefault(int(index), {})[name] = value
    optimizer.load_state_dict(optim_state)
    return tensors["rng"], progress

