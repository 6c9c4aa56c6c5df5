"""The fit loop: deterministic for a seed, and a resumed run equals an uninterrupted one."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from notaverage.data.mnist import as_float
from notaverage.models.classifier import ClassifierConfig, CNNClassifier
from notaverage.models.vae import ConvVAE, VAEConfig
from notaverage.training import TrainConfig, TrainingInterrupted, cosine_lr, fit

CONFIG = TrainConfig(steps=16, batch_size=32, lr=2e-3, binarize=True)  # 2 epochs of 8 batches


def _images(small_mnist, n=256):
    return as_float(small_mnist.train_images[:n])


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _train_vae(images, config, **kwargs):
    torch.manual_seed(123)  # the same initial weights every time
    model = ConvVAE(VAEConfig(latent_dim=8, channels=8, hidden=32))
    fit(model, images, None, config, progress=False, **kwargs)
    return model


def test_same_seed_same_weights_other_seed_other_weights(small_mnist):
    images = _images(small_mnist)
    first, second = _train_vae(images, CONFIG), _train_vae(images, CONFIG)
    for key, value in _weights(first).items():
        torch.testing.assert_close(value, second.state_dict()[key], rtol=0, atol=0)
    other = _train_vae(images, TrainConfig(**{**CONFIG.to_dict(), "seed": 1}))
    assert not torch.equal(other.state_dict()["to_mu.weight"], first.state_dict()["to_mu.weight"])


DENORMALS_LEFT = """
import sys, torch
if sys.argv[1] == "yes":
    import notaverage.models  # noqa: F401
torch.set_num_threads(2)
x = torch.full((4_000_000,), 1e-39)  # a denormal float32; large, so that both threads take a share
print(int((x * 1.5).count_nonzero()))
"""


@pytest.mark.parametrize("import_models, left", [("no", 4_000_000), ("yes", 0)])
def test_importing_the_models_flushes_denormals_in_every_thread(import_models, left):
    # In a fresh process: worker threads copy the setting only when they start.
    out = subprocess.run([sys.executable, "-c", DENORMALS_LEFT, import_models], capture_output=True,
                         text=True, check=True).stdout
    assert int(out) == left


class _InterruptAt:
    """Wrap a model's loss so that the k-th call raises KeyboardInterrupt, as Ctrl-C would."""

    def __init__(self, model, k):
        self.model, self.k, self.calls = model, k, 0
        self.original = model.loss

    def __call__(self, *args):
        self.calls += 1
        if self.calls == self.k:
            raise KeyboardInterrupt
        return self.original(*args)


def test_resume_continues_exactly_where_the_interruption_stopped(small_mnist, tmp_path):
    images = _images(small_mnist)
    reference = _train_vae(images, CONFIG)

    torch.manual_seed(123)
    model = ConvVAE(VAEConfig(latent_dim=8, channels=8, hidden=32))
    model.loss = _InterruptAt(model, 11)  # step 3 of the second of two 8-batch epochs
    with pytest.raises(TrainingInterrupted, match="--resume"):
        fit(model, images, None, CONFIG, state_dir=tmp_path, progress=False)
    assert (tmp_path / "state.safetensors").is_file()

    torch.manual_seed(999)  # a fresh process would start from other random weights: resume must not care
    resumed = ConvVAE(VAEConfig(latent_dim=8, channels=8, hidden=32))
    history = fit(resumed, images, None, CONFIG, state_dir=tmp_path, resume=True, progress=False)
    assert len(history["epoch_losses"]) == 2
    for key, value in _weights(reference).items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=0, atol=0)


def test_classifier_fit_lowers_the_loss(small_mnist):
    images, labels = _images(small_mnist, 1024), small_mnist.train_labels[:1024]
    torch.manual_seed(0)
    model = CNNClassifier(ClassifierConfig(channels=8, hidden=32))
    config = TrainConfig(steps=64, batch_size=64, lr=3e-3, shift=2)  # 4 epochs of 16 batches
    history = fit(model, images, labels, config, progress=False)
    assert history["epoch_losses"][-1] < 0.6 * history["epoch_losses"][0], history["epoch_losses"]


def test_cosine_schedule_warms_up_then_decays_to_zero():
    lrs = [cosine_lr(1.0, step, 1000) for step in range(1000)]
    assert lrs[0] == pytest.approx(0.01) and max(lrs) == pytest.approx(1.0, abs=1e-3)
    assert lrs[-1] < 1e-4 and np.all(np.diff(lrs[100:]) <= 1e-12)


def test_the_budget_is_steps_whatever_the_data_size(small_mnist):
    """The same step budget on 100 or 256 digits: the same number of optimiser steps, epochs differ."""
    config = TrainConfig(steps=20, batch_size=32, lr=2e-3, binarize=True)
    for n, epochs in ((100, 5.0), (256, 2.5)):  # ceil(100/32) = 4 and 256/32 = 8 batches per epoch
        model = ConvVAE(VAEConfig(latent_dim=4, channels=4, hidden=16))
        history = fit(model, _images(small_mnist, n), None, config, progress=False)
        assert history["steps"] == 20 and history["epochs"] == epochs
        assert len(history["epoch_losses"]) == int(np.ceil(epochs))
