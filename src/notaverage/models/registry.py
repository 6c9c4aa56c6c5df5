"""The one table of models: a name maps to its model class, its hyperparameters and how it trains.

Everything that needs a model by name reads this table: the cache and training code (`zoo`), the
checkpoint loader (`store`), the CLI, the report and the web app. A new model is one new file under
`models/` (its class has a `kind` and a config dataclass with `to_dict()`) plus one line here.

How a model trains is its `recipe`: a key into `presets.PRESETS[preset]`, which gives the optimiser
step budget, batch size and learning rate; `None` means a closed-form fit, `model.fit(images, seed)`.
Every other model trains in `training.fit`, which calls `model.loss(x)` (or `model.loss(x, y)` when
`labels` is set) on each batch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from notaverage.models.acai import ACAI, ACAIConfig
from notaverage.models.autoencoder import AEConfig, ConvAutoencoder
from notaverage.models.beta_vae import BetaVAE, BetaVAEConfig
from notaverage.models.classifier import ClassifierConfig, CNNClassifier
from notaverage.models.linear import LinearConfig, PCAAutoencoder
from notaverage.models.cvae import ConditionalVAE, CVAEConfig
from notaverage.models.reference_vae import ReferenceVAE, ReferenceVAEConfig
from notaverage.models.vae import ConvVAE, VAEConfig


@dataclass(frozen=True)
class ModelSpec:
    model_cls: type
    config: Any  # hyperparameters: an instance of the model's config dataclass
    recipe: str | None  # key into presets.PRESETS[preset]; None: closed-form `model.fit(images, seed)`
    labels: bool = False  # trained on (image, label) pairs
    summary: str = ""

    def build(self, config=None):
        """The model with these hyperparameters, or with `config` (a preset's changes: `zoo.model_config`)."""
        return self.model_cls(self.config if config is None else config)

    @property
    def autoencoder(self) -> bool:
        """Has encode/decode: gets the model check (active units, class-preserving reconstruction)."""
        return hasattr(self.model_cls, "encode") and hasattr(self.model_cls, "decode")


# The judge differs from the classifier in architecture (3x3 kernels, dense 64) and in seed (its recipe).
JUDGE = ClassifierConfig(channels=16, kernel=3, hidden=64, dropout=0.1)

# The default VAE, chosen by measurement (docs/RESULTS.md, ablation tables). Full covariances in its
# mixture prior: 0.6-0.9 nats at 1-3 minutes for about 4 % of the throughput.
VAE = VAEConfig(latent_dim=32, channels=32, hidden=256, activation="silu", decoder_extra=0,
                prior_components=100, prior_covariance="full")

MODELS: dict[str, ModelSpec] = {
    "vae": ModelSpec(ConvVAE, VAE, "vae", summary="the generative model every picture shows"),
    # N(0, I), not the mixture: a mixture prior makes the generative model a mixture of linear
    # models, a nonlinearity the ablation must not keep (and with it the no-activation network
    # diverged to NaN on one training seed of three at peak 1e-2)
    "vae_identity": ModelSpec(ConvVAE, replace(VAE, activation="identity", prior_components=0), "vae",
                              summary="the same VAE with every nonlinearity removed, its prior N(0, I) "
                                      "(the report's ablation)"),
    # the same latent size as the VAE, so the comparison is like for like
    "linear": ModelSpec(PCAAutoencoder, LinearConfig(latent_dim=VAE.latent_dim), None,
                        summary="PCA: the linear control"),
    "classifier": ModelSpec(CNNClassifier, ClassifierConfig(), "classifier", labels=True,
                            summary="recognises digits in `blend`, `sample` and the explorer"),
    "judge": ModelSpec(CNNClassifier, JUDGE, "judge", labels=True,
                       summary="an independent recogniser the metrics trust"),
    # the zoo (`notaverage zoo`): each in its own file, the default VAE's layout
    "beta_vae": ModelSpec(BetaVAE, BetaVAEConfig(beta=4.0), "vae",
                          summary="beta-VAE, beta = 4: less rate, more distortion"),
    "cvae": ModelSpec(ConditionalVAE, CVAEConfig(), "vae", labels=True,
                      summary="conditional VAE: the decoder takes the class"),
    "acai": ModelSpec(ACAI, ACAIConfig(), "vae", summary="ACAI: a critic makes decoded blends look real"),
    "ae": ModelSpec(ConvAutoencoder, AEConfig(), "vae", summary="plain autoencoder: no prior, no KL"),
    "reference_vae": ModelSpec(ReferenceVAE, ReferenceVAEConfig(), "reference",
                               summary="the shared reference recipe: the report's likelihood bar"),
}

LAB_MODELS = ("vae", "linear", "classifier", "judge")  # what the lab commands and the explorer need
ABLATION = "vae_identity"  # the report's "does nonlinearity make the difference?" model
REFERENCE = "reference_vae"  # the likelihood verdict's bar, trained for as many images as the VAE
REPORT_MODELS = (*LAB_MODELS, ABLATION, REFERENCE)
CHECK_JUDGE = "judge"  # whose reading of a reconstruction counts in the model check


def spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; the registry has: {', '.join(sorted(MODELS))}") from None


def kinds() -> dict[str, tuple[type, type]]:
    """Stored `kind` -> (model class, config class), for loading a checkpoint by what it says it is."""
    return {s.model_cls.kind: (s.model_cls, type(s.config)) for s in MODELS.values()}
