"""One VAE variant, trained for a CPU-time budget and scored: the ablation rows of docs/RESULTS.md.

    python benchmarks/vae_ablation.py NAME CPU_MINUTES K 'JSON'
    python benchmarks/vae_ablation.py ref 2 100 '{"ref": true}'
    python benchmarks/vae_ablation.py cos3e3 2 100 '{"model": {"channels": 32, "latent_dim": 32,
        "hidden": 256, "activation": "silu"}, "lr": 3e-3, "cosine": true}'

JSON keys: "bias_init" (the output layer's bias starts at the mean pixel's logit), "ref" (the reference
recipe of quality_vs_time.py) or "model" (VAEConfig fields), "lr",
"batch" (default 128), "cosine" (warm-up + cosine decay to zero over the budget), "ema" (weight EMA
decay). One torch thread, budget on the CPU clock (this process's CPU seconds), so that several
variants run side by side on a loaded machine get the same compute each; 2 CPU-minutes on one thread
stand for 1 minute on 2 cores. Scored with IWAE-K on the first 500 test digits (binarised with seed 1).
Prints one JSON line: NLL, steps, epochs, images per CPU-second, active units (on 2,000 test digits).
"""

import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_vs_time import ReferenceVAE, Trainer, make_clock, test_set  # noqa: E402

from notaverage.data.mnist import as_float, load_mnist  # noqa: E402
from notaverage.metrics import model_iwae_nll  # noqa: E402
from notaverage.metrics.model_check import active_units  # noqa: E402
from notaverage.models.vae import ConvVAE, VAEConfig  # noqa: E402


def main() -> int:
    name, minutes, k, variant = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
    torch.set_num_threads(1)
    data = load_mnist(None, progress=False)
    images = torch.from_numpy(as_float(data.train_images)).reshape(-1, 1, 28, 28)
    model = ReferenceVAE() if variant.get("ref") else ConvVAE(VAEConfig(**variant["model"]))
    if variant.get("bias_init"):  # start the decoder's output at the mean image's logits
        mean = images.mean(0).clamp(1e-3, 1 - 1e-3).reshape(-1)
        with torch.no_grad():
            model.decoder[-1].bias.fill_(float(torch.logit(mean).mean()))
    seconds = minutes * 60
    trainer = Trainer(model, images, variant.get("lr", 1e-3), variant.get("batch", 128), 0,
                      schedule=seconds if variant.get("cosine") else None, ema=variant.get("ema", 0.0),
                      clock=make_clock("cpu", 1))
    started = time.time()
    trainer.train_until(seconds)
    model = trainer.evaluated_model()
    nll = model_iwae_nll(model, test_set(data, 500), k=k, seed=0)
    with torch.no_grad():
        codes = model.encode_t(torch.from_numpy(as_float(data.test_images[:2000])).reshape(-1, 1, 28, 28))[0]
    print(json.dumps({"name": name, "minutes": minutes, "nll": round(float(nll.mean()), 2),
                      "steps": trainer.steps, "epochs": round(trainer.epochs, 2),
                      "img_per_cpu_s": round(trainer.steps * trainer.batch / trainer.seconds),
                      "au": active_units(codes.numpy()), "wall": round(time.time() - started)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
