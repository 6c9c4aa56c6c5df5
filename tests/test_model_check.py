"""The model check (active units, class-preserving reconstruction) and the one model registry."""

from __future__ import annotations

import numpy as np
import pytest

from notaverage.data.mnist import as_float
from notaverage.metrics.model_check import (
    active_units,
    check_autoencoder,
    class_preserving_reconstruction,
    collapse_message,
)
from notaverage.models.registry import MODELS, kinds
from notaverage.presets import PRESETS


def test_active_units_counts_dimensions_whose_mean_varies_above_the_threshold():
    rng = np.random.default_rng(0)
    # standard deviations 1, 0.2 (variance 0.04) and 0.05 (variance 0.0025): two active, one not
    means = rng.normal(size=(20_000, 3)) * np.array([1.0, 0.2, 0.05])
    assert active_units(means) == 2
    assert active_units(np.full((10, 4), 3.0)) == 0  # a code that ignores its input
    with pytest.raises(ValueError):
        active_units(np.zeros(5))


def test_class_preserving_reconstruction_is_the_matching_fraction():
    assert class_preserving_reconstruction(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == 0.75
    with pytest.raises(ValueError):
        class_preserving_reconstruction(np.array([1, 2]), np.array([1, 2, 3]))


def test_check_flags_a_collapsed_code_and_passes_a_faithful_one(small_mnist):
    images, labels = as_float(small_mnist.test_images[:200]), small_mnist.test_labels[:200]
    lookup = {images[i].tobytes(): labels[i] for i in range(len(images))}

    def predict(batch):  # an oracle that knows each exact test image's label, -1 for anything else
        return np.array([lookup.get(im.tobytes(), -1) for im in batch])

    faithful = check_autoencoder(lambda x: x.reshape(len(x), -1), lambda z: z.reshape(-1, 28, 28),
                                 predict, images, labels)
    expected_units = int((images.reshape(200, -1).astype(np.float64).var(axis=0) > 0.01).sum())
    assert faithful["active_units"] == expected_units
    assert faithful["class_preserving_reconstruction"] == 1.0 and not faithful["collapsed"]
    assert collapse_message("vae", faithful) is None
    mean_image = images.mean(axis=0)
    collapsed = check_autoencoder(lambda x: np.zeros((len(x), 16)),
                                  lambda z: np.repeat(mean_image[None], len(z), 0), predict, images, labels)
    assert collapsed["active_units"] == 0 and collapsed["class_preserving_reconstruction"] == 0.0
    assert collapsed["collapsed"] and "collapsed" in collapse_message("vae", collapsed)


def test_every_registry_entry_builds_loads_by_kind_and_has_a_recipe_in_every_preset():
    for name, entry in MODELS.items():
        model = entry.build()
        assert kinds()[model.kind] == (entry.model_cls, type(entry.config)), name
        for preset in PRESETS.values():
            assert entry.recipe is None or entry.recipe in preset, (name, entry.recipe)


def test_trained_vae_carries_its_check_and_the_figures_are_right(small_mnist, small_models):
    from notaverage import zoo

    meta = zoo.get_model("vae", small_mnist, "tiny", 0, progress=False).meta
    check = meta["model_check"]
    vae, judge = small_models["vae"], small_models["judge"]
    test = as_float(small_mnist.test_images)
    codes = vae.encode(test)
    assert check["active_units"] == int((codes.var(axis=0) > 0.01).sum()) >= 2
    recon_labels = judge.predict(np.clip(vae.decode(codes), 0, 1))
    expected = (recon_labels == small_mnist.test_labels).mean()
    assert check["class_preserving_reconstruction"] == pytest.approx(expected, abs=1e-4)
    assert check["class_preserving_reconstruction"] >= 0.5 and not check["collapsed"]
