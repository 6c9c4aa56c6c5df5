"""The zoo's entries: a name, how to build the model, and whether it trains on labels.

The default VAE, its no-activation ablation and PCA are the report's own models; the others each
live in one file under `models/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notaverage.models.acai import ACAI, ACAIConfig
from notaverage.models.autoencoder import AEConfig, ConvAutoencoder
from notaverage.models.beta_vae import BetaVAE, BetaVAEConfig
from notaverage.models.cvae import ConditionalVAE, CVAEConfig
from notaverage.models.linear import LinearConfig, PCAAutoencoder
from notaverage.models.vae import ConvVAE, VAEConfig


@dataclass(frozen=True)
class ZooEntry:
    model_cls: type
    config: Any
    labels: bool = False  # trained on (image, label) pairs
    closed_form: bool = False  # fitted by model.fit(images, seed), no optimiser
    summary: str = ""

    def build(self):
        return self.model_cls(self.config)


ZOO = {
    "vae": ZooEntry(ConvVAE, VAEConfig(), summary="the default VAE (the baseline)"),
    "beta_vae": ZooEntry(
        BetaVAE, BetaVAEConfig(beta=4.0), summary="beta-VAE, beta = 4: more rate, less distortion"
    ),
    "cvae": ZooEntry(
        ConditionalVAE, CVAEConfig(), labels=True, summary="conditional VAE: the decoder takes the class"
    ),
    "acai": ZooEntry(ACAI, ACAIConfig(), summary="ACAI: a critic makes blends look real"),
    "ae": ZooEntry(ConvAutoencoder, AEConfig(), summary="plain autoencoder: no prior, no KL"),
    "vae_identity": ZooEntry(
        ConvVAE, VAEConfig(activation="identity"), summary="the default VAE with every nonlinearity removed"
    ),
    "linear": ZooEntry(PCAAutoencoder, LinearConfig(), closed_form=True, summary="PCA: the linear model"),
}
