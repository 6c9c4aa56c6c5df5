"""The zoo's models, by their names in the one registry (`models/registry.py`): adding a model to the
zoo is one file under `models/`, one registry line and its name here."""

from __future__ import annotations

ZOO_MODELS = ("vae", "beta_vae", "cvae", "acai", "ae", "vae_identity", "linear")
