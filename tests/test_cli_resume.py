"""A real Ctrl-C during `notaverage train`: one line that says how to continue, a resume point on
disk, and `--resume` finishing with a model that loads. In its own file, so that pytest-xdist can run
it beside the rest of the CLI tests (it trains a VAE in a subprocess)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from notaverage.store import load_model


def _read_into(stream, sink: list) -> None:
    while chunk := stream.read1(256) if hasattr(stream, "read1") else stream.read(256):
        sink.append(chunk)


def test_ctrl_c_saves_a_resume_point_and_resume_finishes_with_a_model_that_loads(small_models, tmp_path):
    # A fresh cache holding the session's models but the VAE, so that only the VAE trains here
    session_models = Path(os.environ["NOTAVERAGE_CACHE"]) / "models"
    for folder in session_models.glob("*-tiny-*"):
        if not folder.name.startswith("vae-tiny-") and not folder.name.endswith(".partial"):
            shutil.copytree(folder, tmp_path / "cache" / "models" / folder.name)
    env = {**os.environ, "NOTAVERAGE_CACHE": str(tmp_path / "cache")}
    args = [sys.executable, "-m", "notaverage.cli", "train", "--limit", "3000", "--preset", "tiny"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    errors: list[bytes] = []
    threading.Thread(target=_read_into, args=(process.stderr, errors), daemon=True).start()
    deadline = time.monotonic() + 240
    # Interrupt once the VAE's own bar has drawn a step (bars redraw about once a second in a pipe).
    while not re.search(rb"vae \(tiny\)[^\r\n]*\| *[1-9]\d*/\d+", b"".join(errors)):
        assert process.poll() is None and time.monotonic() < deadline, b"".join(errors)[-500:]
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    message = b"".join(errors).decode()
    assert "run the same command again to continue" in message and "Traceback" not in message
    partial = list((tmp_path / "cache" / "models").glob("vae-tiny-*.partial"))
    assert len(partial) == 1 and (partial[0] / "state.safetensors").is_file()

    resumed = subprocess.run(args + ["--resume", "--quiet"], capture_output=True, text=True, env=env,
                             timeout=600, check=False)
    assert resumed.returncode == 0, resumed.stderr
    folder = partial[0].with_name(partial[0].name.removesuffix(".partial"))
    model = load_model(folder)
    assert model.decode(np.zeros((1, model.config.latent_dim), np.float32)).shape == (1, 28, 28)
    assert not partial[0].exists()  # the resume point is removed once the model is saved
