"""The three models and their checkpoints, on known answers."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file as load_torch

from notaverage.data.mnist import as_float
from notaverage.latent import blend_weights, latent_path, lerp, pixel_blend
from notaverage.models.linear import PCAAutoencoder
from notaverage.models.vae import ConvVAE, VAEConfig
from notaverage.store import FORMAT_VERSION, CheckpointError, CorruptCheckpoint, load_model, save_model


def test_pca_latent_blend_is_the_pixel_blend_of_reconstructions(small_mnist):
    """The identity behind the linear baseline: decode(lerp(z_a, z_b)) == lerp(decode(z_a), decode(z_b))."""
    images = as_float(small_mnist.train_images)
    model = PCAAutoencoder().fit(images, seed=0)
    a, b = as_float(small_mnist.test_images[:2])
    recon_a, recon_b = model.decode(model.encode(np.stack([a, b])))
    path = latent_path(model, a, b, steps=11)
    np.testing.assert_allclose(path, pixel_blend(recon_a, recon_b, steps=11), atol=1e-5)
    # ...and it really is a reconstruction, not the identity map: the codes are 16 numbers.
    assert model.encode(a[None]).shape == (1, 16)
    assert np.abs(recon_a - a).mean() > 0.01


def test_vae_path_is_not_a_pixel_blend_of_its_reconstructions(small_models, small_mnist):
    """The contrast the identity above sets up: the VAE's decoder is not affine."""
    vae = small_models["vae"]
    a, b = as_float(small_mnist.test_images[:2])
    recon_a, recon_b = vae.decode(vae.encode(np.stack([a, b])))
    path = latent_path(vae, a, b, steps=9)
    gap = np.abs(path[4] - pixel_blend(recon_a, recon_b, steps=9)[4]).mean()
    assert gap > 0.01


def test_vae_reconstructs_better_than_the_mean_image(small_models, small_mnist):
    test = as_float(small_mnist.test_images)
    mean_image = as_float(small_mnist.train_images).mean(axis=0)
    recon = small_models["vae"].decode(small_models["vae"].encode(test))
    vae_mse = ((recon - test) ** 2).mean()
    mean_mse = ((mean_image[None] - test) ** 2).mean()
    assert vae_mse < 0.6 * mean_mse, (vae_mse, mean_mse)


@pytest.mark.parametrize("name", ["classifier", "judge"])
def test_quick_classifiers_are_far_above_chance(small_models, small_mnist, name):
    predicted = small_models[name].predict(as_float(small_mnist.test_images))
    accuracy = (predicted == small_mnist.test_labels).mean()
    assert accuracy > 0.85, accuracy


def test_lerp_endpoints_and_midpoint():
    a, b = np.zeros(4, np.float32), np.ones(4, np.float32)
    path = lerp(a, b, blend_weights(5))
    np.testing.assert_array_equal(path[0], a)
    np.testing.assert_array_equal(path[-1], b)
    np.testing.assert_allclose(path[2], 0.5)


@pytest.mark.parametrize("name", ["vae", "linear", "classifier"])
def test_checkpoint_round_trip_gives_identical_outputs(small_models, small_mnist, tmp_path, name):
    model = small_models[name]
    save_model(tmp_path / name, model, {"seed": 0})
    loaded = load_model(tmp_path / name)
    x = as_float(small_mnist.test_images[:8])
    if name == "classifier":
        np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
    else:
        np.testing.assert_array_equal(loaded.decode(loaded.encode(x)), model.decode(model.encode(x)))


def test_weights_are_safetensors_not_pickle(tmp_path):
    save_model(tmp_path, ConvVAE(VAEConfig(latent_dim=4)), {})
    raw = (tmp_path / "weights.safetensors").read_bytes()
    header_length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + header_length])  # a safetensors file is a JSON header, then bytes
    assert "to_mu.weight" in header
    assert raw[:2] != b"\x80\x04"  # no pickle protocol marker
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["format_version"] == FORMAT_VERSION and config["model"]["latent_dim"] == 4
    assert config["weights_sha256"] == hashlib.sha256(raw).hexdigest()


def _flip_a_byte_in_the_middle(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one weight: still a valid safetensors file
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_the_weights_is_a_corrupt_checkpoint(tmp_path):
    save_model(tmp_path, ConvVAE(VAEConfig(latent_dim=4)), {})
    _flip_a_byte_in_the_middle(tmp_path / "weights.safetensors")
    load_torch(str(tmp_path / "weights.safetensors"))  # safetensors itself cannot tell
    with pytest.raises(CorruptCheckpoint, match="SHA-256") as err:
        load_model(tmp_path)
    assert str(tmp_path / "weights.safetensors") in str(err.value) and "\n" not in str(err.value)


def test_a_corrupt_cached_model_is_retrained_with_a_one_line_notice(tmp_path, monkeypatch, capsys):
    from notaverage.data import load_sample
    from notaverage.zoo import get_model

    monkeypatch.setenv("NOTAVERAGE_CACHE", str(tmp_path))
    data = load_sample().subset(300, 100, seed=0)
    first = get_model("linear", data, "tiny", seed=0, progress=False)
    weights = first.folder / "weights.safetensors"
    good = weights.read_bytes()
    _flip_a_byte_in_the_middle(weights)
    again = get_model("linear", data, "tiny", seed=0, progress=False)
    err = capsys.readouterr().err
    assert not again.reused and err.count("\n") == 1 and "corrupt" in err and str(first.folder) in err
    assert weights.read_bytes() == good  # retrained (PCA is deterministic) and saved whole again
    assert get_model("linear", data, "tiny", seed=0, progress=False).reused


def test_corrupt_or_foreign_checkpoints_give_one_line_errors(tmp_path):
    save_model(tmp_path, ConvVAE(VAEConfig(latent_dim=4)), {})
    weights = tmp_path / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # truncated
    with pytest.raises(CorruptCheckpoint, match="train again") as err:
        load_model(tmp_path)
    assert "\n" not in str(err.value)

    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "format_version": 99}))
    with pytest.raises(CheckpointError, match="format version 99"):
        load_model(tmp_path)

    (tmp_path / "config.json").unlink()
    with pytest.raises(CheckpointError, match="no finished checkpoint"):
        load_model(tmp_path)


def test_identity_ablation_vae_is_affine_in_z():
    """With activations removed the decoder is affine before the sigmoid: logits of a blend are the
    blend of logits. The report's ablation rests on this."""
    torch.manual_seed(0)
    vae = ConvVAE(VAEConfig(activation="identity"))
    z = torch.randn(2, 16)
    with torch.no_grad():
        mid = vae.decode_logits_t(0.5 * (z[0] + z[1])[None])[0]
        ends = vae.decode_logits_t(z)
    torch.testing.assert_close(mid, 0.5 * (ends[0] + ends[1]), atol=1e-4, rtol=1e-4)
