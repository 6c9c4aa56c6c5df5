"""SIGKILL at 5 random points of a cached model's training: every run resumes from the last resume
point the killed one wrote, the model cache never holds a half-written model, and the model finally
saved is bit for bit the one an uninterrupted run saves. Bundled sample, so it runs on any clone."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from safetensors import safe_open

from notaverage.store import load_model, read_config

REPO = Path(__file__).resolve().parents[1]
KILL_SEED = 2026  # the 5 kill points are drawn from random.Random(KILL_SEED)

# The tiny-preset VAE on 128 sample digits, cut to 30 steps (2 batches x 15 epochs), through the same
# get_model a command uses, with a resume point after every step (so kills also land mid-save).
# Each training step prints "call N" (N counts the steps of this process) just before it runs.
CHILD = textwrap.dedent("""
    from dataclasses import replace
    import notaverage.zoo as zoo
    from notaverage.data import load_sample

    real_fit = zoo.fit

    def fit(model, images, labels, config, **kwargs):
        config = replace(config, steps=30, checkpoint_seconds=0.0)
        if model.kind != "vae":  # the judge of the model check that follows: trained, not counted
            return real_fit(model, images, labels, config, **kwargs)
        loss, calls = model.loss, [0]

        def counted(*args):
            calls[0] += 1
            print(f"call {calls[0]}", flush=True)
            return loss(*args)

        model.loss = counted
        return real_fit(model, images, labels, config, **kwargs)

    zoo.fit = fit
    data = load_sample().subset(128, 100, seed=0)
    trained = zoo.get_model("vae", data, "tiny", seed=0, resume=True, progress=False)
    print("done", trained.folder, flush=True)
""")


def _start(tmp_path: Path, cache: Path) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    # One thread: with several, MKL may pick its thread count by machine load, which changes the
    # order of float sums, so two uninterrupted runs of this VAE can already differ in the last bits.
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NOTAVERAGE_CACHE": str(cache),
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, str(script)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _resume_step(models: Path) -> int:
    """The step the resume point on disk would continue from (0 when there is none)."""
    states = list(models.glob("vae-tiny-*.partial/state.safetensors"))
    if not states:
        return 0
    with safe_open(str(states[0]), framework="pt") as f:  # a whole file, or the kill was before the first
        return json.loads(f.metadata()["progress"])["step"]


def _assert_no_half_model(models: Path) -> None:
    """A model folder with its completion marker must load (SHA-256 checked); without it, it is unused."""
    for folder in models.glob("vae-tiny-*"):
        if not folder.name.endswith(".partial") and (folder / "config.json").is_file():
            load_model(folder)


def test_sigkill_at_five_random_points_resumes_from_the_last_checkpoint(tmp_path):
    reference = _start(tmp_path, tmp_path / "reference-cache")  # uninterrupted, alongside
    rng = random.Random(KILL_SEED)
    cache = tmp_path / "cache"
    models = cache / "models"
    resumed_from = 0
    for kill in range(5):
        child = _start(tmp_path, cache)
        target, delay = rng.randint(2, 5), rng.uniform(0.0, 0.05)
        deadline = time.monotonic() + 300  # generous: the suite may share a busy machine
        while (line := child.stdout.readline().strip()) != f"call {target}":
            assert line and time.monotonic() < deadline, (kill, line, child.stderr.read() if not line else "")
        time.sleep(delay)  # somewhere inside step `target`, its resume point save or the next step
        child.kill()
        rest, err = child.communicate(timeout=60)
        assert child.returncode == -9, err
        steps_started = max([target, *map(int, re.findall(r"call (\d+)", rest))])
        _assert_no_half_model(models)
        saved = _resume_step(models)
        # Resumed where the previous run's resume point was: the last step started may be unfinished,
        # and the one before may have been killed while its resume point was being written.
        assert resumed_from + steps_started - 2 <= saved <= resumed_from + steps_started, (kill, saved)
        resumed_from = saved

    child = _start(tmp_path, cache)
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, err
    folder = Path(out.split("done ", 1)[1].strip())
    assert not folder.with_name(folder.name + ".partial").exists()
    load_model(folder)

    ref_out, err = reference.communicate(timeout=600)
    assert reference.returncode == 0, err
    total_steps = len(re.findall(r"call \d+", ref_out))
    assert total_steps == 30
    assert len(re.findall(r"call \d+", out)) == total_steps - resumed_from  # went on from the last point
    ref_folder = Path(ref_out.split("done ", 1)[1].strip())
    assert ref_folder.name == folder.name
    # The same weights, byte for byte, as the uninterrupted run (config.json holds their SHA-256),
    # and the same per-epoch losses (a resume point saved at an epoch's end must not lose that epoch).
    got, expected = read_config(folder), read_config(ref_folder)
    assert got["weights_sha256"] == expected["weights_sha256"]
    assert got["history"]["epoch_losses"] == expected["history"]["epoch_losses"]
