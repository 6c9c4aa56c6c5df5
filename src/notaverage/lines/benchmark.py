"""Train autoencoders on the lines data and score their interpolations (ACAI's Table 1 protocol).

Protocol (from the paper and the authors' code, brain-research/acai): models see random lines; a
path is 16 images decoded from evenly spaced points (ends included) on the straight segment
between the codes of two random held-out lines; 256 such paths are scored. The latent is small
(64 numbers, the authors' 2x2x16 code for lines). Differences from the paper (fewer training
steps on 2 CPU cores, our layer sizes and rasterizer) are listed in docs/RESULTS.md.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from notaverage.errors import UserError
from notaverage.lines.data import SIZE, from_unit, make_lines, to_unit
from notaverage.lines.metrics import line_scores
from notaverage.models.acai import ACAI, ACAIConfig
from notaverage.models.autoencoder import AEConfig, ConvAutoencoder
from notaverage.models.beta_vae import BetaVAE, BetaVAEConfig
from notaverage.store import MODEL_KINDS, load_model, save_model
from notaverage.sweep import settings_tag
from notaverage.training import TrainConfig, fit

LATENT = 64
STEPS_PER_PATH = 16


@dataclass(frozen=True)
class LinesBudget:
    train_lines: int
    epochs: int
    paths: int
    batch_size: int = 64
    lr: float = 2e-3


BUDGETS = {
    # 512 steps of 64 lines: about 1-3 CPU-minutes per model (the paper trains 2^14 kimg, ~500x more)
    "full": LinesBudget(train_lines=8_192, epochs=4, paths=256),
    "quick": LinesBudget(train_lines=2_048, epochs=2, paths=256),
    "tiny": LinesBudget(train_lines=256, epochs=1, paths=16),  # the tests
}


def _conv(model_cls, config_cls, **overrides) -> tuple:
    return model_cls, config_cls(image_size=SIZE, latent_dim=LATENT, **overrides)


# name -> (model class, its hyperparameters); "pca" is fitted in closed form.
LINE_MODELS = {
    # every network is trained with the Bernoulli likelihood on [0, 1] intensities (the authors use squared
    # error for AE and ACAI: in our short budget it collapsed the plain AE to a blank image; docs/ZOO.md)
    "ae": _conv(ConvAutoencoder, AEConfig),
    "vae": _conv(BetaVAE, BetaVAEConfig, beta=1.0),
    "beta_vae": _conv(BetaVAE, BetaVAEConfig, beta=4.0),
    "acai": _conv(ACAI, ACAIConfig),
    "ae_identity": _conv(ConvAutoencoder, AEConfig, activation="identity"),
    "pca": (None, None),
}
DEFAULT_MODELS = ("ae", "vae", "acai", "beta_vae", "ae_identity", "pca")


@dataclass
class LinesPCAConfig:
    latent_dim: int = LATENT

    def to_dict(self) -> dict:
        return asdict(self)


class LinesPCA:
    """PCA with the same encode/decode face (decode clipped to [0, 1] like a sigmoid decoder)."""

    kind = "lines_pca"

    def __init__(self, config: LinesPCAConfig | None = None):
        self.config = config or LinesPCAConfig()

    def fit(self, images: np.ndarray, seed: int) -> LinesPCA:
        pca = PCA(n_components=self.config.latent_dim, svd_solver="randomized", random_state=seed)
        pca.fit(images.reshape(len(images), -1))
        self.components_ = np.ascontiguousarray(pca.components_, dtype=np.float32)  # (latent, 32 * 32)
        self.mean_ = np.ascontiguousarray(pca.mean_, dtype=np.float32)
        return self

    def encode(self, images: np.ndarray) -> np.ndarray:
        flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
        return (flat - self.mean_) @ self.components_.T

    def decode(self, z: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(z, dtype=np.float32) @ self.components_ + self.mean_, 0, 1).reshape(
            -1, SIZE, SIZE)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"components": self.components_, "mean": self.mean_}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.components_, self.mean_ = state["components"], state["mean"]


# stored kind -> (model class, config class): the registry's kinds plus the lines PCA
LINE_KINDS = {**MODEL_KINDS, LinesPCA.kind: (LinesPCA, LinesPCAConfig)}


def train_line_model(
    name: str, seed: int, budget: LinesBudget, state_dir: Path | None = None, progress: bool = False
):
    """Train one lines model; with `state_dir`, an interrupted training resumes where it stopped."""
    if name not in LINE_MODELS:
        raise UserError(f"unknown lines model {name!r}; choose from {', '.join(LINE_MODELS)}")
    images, _ = make_lines(budget.train_lines, seed=10_000 + seed)
    images = to_unit(images)
    if name == "pca":
        return LinesPCA(LinesPCAConfig()).fit(images, seed), {}
    torch.manual_seed(seed)  # the initial weights
    model_cls, model_config = LINE_MODELS[name]
    model = model_cls(model_config)
    steps = budget.epochs * -(-len(images) // budget.batch_size)  # fit takes a step budget
    config = TrainConfig(steps=steps, batch_size=budget.batch_size, lr=budget.lr, seed=seed)
    history = fit(
        model,
        images,
        None,
        config,
        state_dir=state_dir,
        resume=state_dir is not None,
        desc=f"lines {name}",
        progress=progress,
    )
    return model, history


def save_line_model(model, folder: Path, meta: dict) -> Path:
    """The trained model through the one store: safetensors weights, then config.json with their SHA-256."""
    return save_model(folder, model, meta)


def load_line_model(folder: Path):
    """A saved lines model, its weights checked against their SHA-256 (`store.CorruptCheckpoint` if not)."""
    return load_model(folder, kinds=LINE_KINDS)


def interpolation_paths(model, paths: int, seed: int, steps: int = STEPS_PER_PATH) -> np.ndarray:
    """Decoded straight-line paths between codes of random held-out line pairs, in [-1, 1]."""
    ends, _ = make_lines(2 * paths, seed=20_000 + seed)  # a seed range the training lines never use
    codes = model.encode(to_unit(ends))
    start, stop = codes[:paths], codes[paths:]
    t = np.linspace(0, 1, steps)[None, :, None]
    path_codes = (1 - t) * start[:, None] + t * stop[:, None]
    decoded = model.decode(path_codes.reshape(paths * steps, -1))
    return from_unit(decoded).reshape(paths, steps, SIZE, SIZE)


def lines_cell(
    name: str, seed: int, budget_name: str, checkpoint_dir: Path | None = None, progress: bool = False
) -> dict:
    """One sweep cell: train `name` on lines with `seed`, then score its interpolations."""
    if budget_name not in BUDGETS:
        raise UserError(f"unknown lines budget {budget_name!r}; choose from {', '.join(BUDGETS)}")
    budget = BUDGETS[budget_name]
    started = time.monotonic()
    state_dir = None if checkpoint_dir is None else Path(checkpoint_dir) / "partial"
    model, history = train_line_model(name, seed, budget, state_dir, progress=progress)
    train_seconds = time.monotonic() - started
    if checkpoint_dir is not None:
        save_line_model(model, Path(checkpoint_dir), {"name": name, "seed": seed, "budget": budget_name})
        shutil.rmtree(state_dir, ignore_errors=True)
    scores = line_scores(interpolation_paths(model, budget.paths, seed))
    return {
        "name": name,
        "seed": seed,
        **scores,
        "train_seconds": round(train_seconds, 2),
        "final_loss": (history.get("epoch_losses") or [None])[-1],
    }


def config_tag(name: str, budget_name: str) -> str:
    """A short hash of what determines a cell (hyperparameters, budget), so changed settings never
    reuse an old cell."""
    config = LINE_MODELS[name][1]
    return settings_tag(
        {
            "model": None if config is None else config.to_dict(),
            "budget": asdict(BUDGETS[budget_name]),
            "latent": LATENT,
            "steps_per_path": STEPS_PER_PATH,
        }
    )
