"""Checkpoints: one folder per trained model, `weights.safetensors` + `config.json`.

safetensors holds only tensors, so loading a checkpoint can never run code (no pickle, no
`torch.load`). `config.json` carries a format version, the model kind and its hyperparameters, the
training settings, the data fingerprint, the seed and the SHA-256 of the weights file; it is written
last, so a folder without it is an unfinished save and is never trusted, and a weights file whose hash
does not match is a corrupt one (`CorruptCheckpoint`), never used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file as load_numpy
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import load_file as load_torch
from safetensors.torch import save_file as save_torch

from notaverage.errors import UserError
from notaverage.fileio import atomic_path, atomic_write_text
from notaverage.models.registry import kinds

FORMAT_VERSION = 2  # 2: config.json records weights_sha256; the training state is one file
WEIGHTS = "weights.safetensors"
CONFIG = "config.json"

# kind -> (model class, config class), from the one registry; the classifier and the judge share a class.
MODEL_KINDS = kinds()


class CheckpointError(UserError):
    """A checkpoint folder that is missing, unfinished, from another format version, or corrupt."""


class CorruptCheckpoint(CheckpointError):
    """A finished checkpoint whose weights file is damaged: its SHA-256 or its contents are wrong."""


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
        weights_sha256 = sha256_of(tmp)
    config = {"format_version": FORMAT_VERSION, "kind": model.kind, "model": model.config.to_dict(), **meta,
              "weights_sha256": weights_sha256}
    atomic_write_text(folder / CONFIG, json.dumps(config, indent=2, sort_keys=True))
    return folder


def read_config(folder: str | Path, kinds: dict[str, tuple[type, type]] | None = None) -> dict[str, Any]:
    """config.json of a finished checkpoint, checked for format version and a known model kind
    (`kinds`: kind -> (model class, config class); default the registry's)."""
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise CheckpointError(f"{folder} holds no finished checkpoint (no {CONFIG}); train it again")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"{path} is not valid JSON ({exc.msg}); delete the folder and train again") from None
    if config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has format version {config.get('format_version')!r}, this notaverage reads "
            f"{FORMAT_VERSION}; delete the folder and train again"
        )
    if config.get("kind") not in (MODEL_KINDS if kinds is None else kinds):
        raise CheckpointError(f"{path} names unknown model kind {config.get('kind')!r}")
    return config


def verify_weights(folder: str | Path, config: dict[str, Any]) -> Path:
    """The weights file, after checking it against the SHA-256 that config.json records."""
    path = Path(folder) / WEIGHTS
    try:
        got = sha256_of(path)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise CorruptCheckpoint(f"{path} cannot be read ({why}); delete the folder and train again") from None
    if got != config.get("weights_sha256"):
        raise CorruptCheckpoint(
            f"{path} fails its SHA-256 check ({CONFIG} records {config.get('weights_sha256')}, the file "
            f"hashes to {got}): a corrupt checkpoint; delete the folder and train again"
        )
    return path


def load_model(folder: str | Path, kinds: dict[str, tuple[type, type]] | None = None):
    """Rebuild the model a folder describes and load its weights, after checking their SHA-256
    (strictly: every key must match). A damaged weights file raises `CorruptCheckpoint`.
    `kinds` maps the stored kind to (model class, config class); default the registry's (the lines
    benchmark passes its own, for models outside the registry)."""
    folder = Path(folder)
    kinds = MODEL_KINDS if kinds is None else kinds
    config = read_config(folder, kinds)
    weights = verify_weights(folder, config)
    model_cls, config_cls = kinds[config["kind"]]
    model = model_cls(config_cls(**config["model"]))
    try:
        if isinstance(model, torch.nn.Module):
            model.load_state_dict(load_torch(str(weights)), strict=True)
            model.eval()
        else:
            model.load_state_dict(load_numpy(str(weights)))
    except (SafetensorError, OSError, RuntimeError, KeyError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CorruptCheckpoint(
            f"{weights} cannot be loaded ({first_line}); delete the folder and train again") from None
    model.meta_ = config
    return model


# --- training state, for --resume ------------------------------------------------------------

STATE = "state.safetensors"


def save_training_state(folder: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                        rng_state: torch.Tensor, progress: dict[str, Any]) -> None:
    """Model, Adam moments and RNG state as tensors, counters as JSON in the file's metadata: one
    file, written atomically, so a kill at any moment leaves the previous resume point or the new one."""
    tensors = {f"model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    for index, state in optimizer.state_dict()["state"].items():
        for name, value in state.items():
            tensors[f"optim.{index}.{name}"] = torch.as_tensor(value).contiguous()
    tensors["rng"] = rng_state
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {"format_version": str(FORMAT_VERSION), "progress": json.dumps(progress)}
    with atomic_path(folder / STATE) as tmp:
        save_torch(tensors, str(tmp), metadata=metadata)


def load_training_state(folder: Path, model: torch.nn.Module,
                        optimizer: torch.optim.Optimizer) -> tuple[torch.Tensor, dict[str, Any]] | None:
    """Restore what save_training_state wrote; None when there is nothing usable to resume."""
    try:
        with safe_open(str(folder / STATE), framework="pt") as f:
            metadata = f.metadata() or {}
        if metadata.get("format_version") != str(FORMAT_VERSION):
            return None
        progress = json.loads(metadata["progress"])
        tensors = load_torch(str(folder / STATE))
    except (OSError, json.JSONDecodeError, KeyError, SafetensorError):
        return None
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
    optim_state = optimizer.state_dict()
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            optim_state["state"].setdefault(int(index), {})[name] = value
    optimizer.load_state_dict(optim_state)
    return tensors["rng"], progress
