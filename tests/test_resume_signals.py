"""Resume under real signals: a training process gets a real SIGINT, resumes, and ends bit-identical
to an uninterrupted run. The digits are the bundled sample, so this runs on any clone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import torch
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[1]

# The child trains a small VAE on 256 sample digits, 2 epochs of 8 batches (binarised, so every
# step draws from the torch RNG). With a step number in argv it prints "ready" after that many
# steps and slows each later step to 0.2 s, so the parent's SIGINT lands while the loop runs.
TRAINER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np, torch
    from safetensors.torch import save_file
    from notaverage.data import as_float, load_sample
    from notaverage.models.vae import ConvVAE, VAEConfig
    from notaverage.training import TrainConfig, TrainingInterrupted, fit

    mode, state_dir, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    ready_at = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    images = as_float(load_sample().train_images[:256])
    config = TrainConfig(steps=16, batch_size=32, lr=2e-3, binarize=True, checkpoint_seconds=1e9)
    torch.manual_seed(123 if mode != "resume" else 999)  # resume must not depend on the fresh init
    model = ConvVAE(VAEConfig(latent_dim=8, channels=8, hidden=32))
    loss, calls = model.loss, [0]

    def slow_after_ready(*args):
        calls[0] += 1
        if ready_at and calls[0] == ready_at:
            print("ready", flush=True)
        if ready_at and calls[0] >= ready_at:
            time.sleep(0.2)
        return loss(*args)

    model.loss = slow_after_ready
    try:
        fit(model, images, None, config, state_dir=state_dir if mode != "reference" else None,
            resume=mode == "resume", progress=False)
    except TrainingInterrupted as exc:
        print(exc, file=sys.stderr)
        sys.exit(3)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, out)
""")


def _python(tmp_path: Path, *args: str, **popen) -> subprocess.Popen:
    script = tmp_path / "trainer.py"
    script.write_text(TRAINER)
    # One thread, so float sums keep one order whatever the machine load (see test_kill_resume.py)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, str(script), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def test_real_sigint_then_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    state = tmp_path / "state"
    reference = _python(tmp_path, "reference", str(state), str(tmp_path / "reference.safetensors"))

    interrupted = _python(tmp_path, "train", str(state), str(tmp_path / "never.safetensors"), "6")
    assert interrupted.stdout.readline().strip() == "ready"
    interrupted.send_signal(signal.SIGINT)  # a real Ctrl-C, delivered while step 6 runs
    _, err = interrupted.communicate(timeout=60)
    assert interrupted.returncode == 3, err
    assert "interrupted at step" in err and "resume point saved" in err, err
    stopped_at = int(err.split("interrupted at step ")[1].split("/")[0])
    assert 6 <= stopped_at < 16  # a real mid-run stop: the resumed run has steps left to replay
    assert not (tmp_path / "never.safetensors").exists()

    resumed = _python(tmp_path, "resume", str(state), str(tmp_path / "resumed.safetensors"))
    for proc in (resumed, reference):
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err

    expected = load_file(str(tmp_path / "reference.safetensors"))
    got = load_file(str(tmp_path / "resumed.safetensors"))
    assert got.keys() == expected.keys()
    different = [k for k in expected if not torch.equal(got[k], expected[k])]
    assert different == [], f"resumed weights differ from the uninterrupted run in {different}"
