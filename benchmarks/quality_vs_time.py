"""Test NLL reached after a wall-clock training budget, for two VAEs side by side.

    OMP_NUM_THREADS=2 python benchmarks/quality_vs_time.py                 # 1, 3 and 10 minutes
    python benchmarks/quality_vs_time.py --minutes 0.1 0.2 --k 20 --n-test 50   # smoke test

Both models train on full MNIST, dynamically binarised (a fresh Bernoulli draw of every batch), with
Adam; for each budget a model is trained from scratch for exactly that many minutes of wall time
(evaluation not counted), with the learning rate decayed by a cosine in *elapsed time* so that every
budget ends annealed. Then the IWAE bound (k samples) on a fixed set of binarised test digits
(`notaverage.evidence.build.nll_test_set`, the report's set) gives the NLL in nats.

Models:
  default-vae  the project's ConvVAE with the fast preset's architecture, Adam lr 2e-3, batch 128
  mlp-vae      the PyTorch example's shape, written here from its description: 784-400-20 encoder,
               20-400-784 decoder, ReLU, Bernoulli logits, Adam lr 1e-3, batch 128

Reference figures on the development machine (2 CPU cores, IWAE-500 on 500 test digits): the MLP
shape reached about 95 nats after 10 epochs (36 s); a plain small conv VAE (z=32) about 90.6 after 3
epochs (50 s) and 85.5 after 10 epochs (3 min). Targets for default-vae: <= 88 nats at 1 minute,
<= 84 at 3, <= 81 at 10. Run it on a quiet machine: other jobs on the cores change every number.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from notaverage.data.mnist import as_float, load_mnist
from notaverage.evidence.build import nll_test_set
from notaverage.metrics import iwae_nll
from notaverage.models.vae import ConvVAE
from notaverage.zoo import PRESETS


class MlpVAE(nn.Module):
    """784-400-20 / 20-400-784 with ReLU: the PyTorch examples' VAE shape."""

    def __init__(self, hidden: int = 400, latent: int = 20):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, hidden), nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.fc3, self.fc4 = nn.Linear(latent, hidden), nn.Linear(hidden, 784)

    def encode_t(self, x):
        h = F.relu(self.fc1(x.reshape(len(x), 784)))
        return self.fc21(h), self.fc22(h)

    def decode_logits_t(self, z):
        return self.fc4(F.relu(self.fc3(z))).reshape(-1, 1, 28, 28)

    def loss(self, x):
        mu, logvar = self.encode_t(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        recon = F.binary_cross_entropy_with_logits(self.decode_logits_t(z), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (recon + kl) / len(x)


def default_vae():
    model_config, train_config = PRESETS["fast"]["vae"]
    return ConvVAE(model_config), train_config.lr, train_config.batch_size


MODELS = {
    "default-vae": default_vae,
    "mlp-vae": lambda: (MlpVAE(), 1e-3, 128),
}


def train_for(build, images: torch.Tensor, seconds: float, seed: int) -> tuple[nn.Module, dict]:
    torch.manual_seed(seed)
    model, lr, batch = build()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    steps, started = 0, time.monotonic()
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), batch):
            elapsed = time.monotonic() - started
            if elapsed >= seconds:
                model.eval()
                return model, {"steps": steps, "epochs": steps * batch / len(images)}
            warm = min(1.0, (steps + 1) / 100)
            for group in optimizer.param_groups:
                group["lr"] = lr * warm * 0.5 * (1 + math.cos(math.pi * elapsed / seconds))
            x = torch.bernoulli(images[order[start:start + batch]])
            loss = model.loss(x)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 3, 10], help="budgets (default 1 3 10)")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--k", type=int, default=500, help="IWAE samples per image (default 500)")
    parser.add_argument("--n-test", type=int, default=500, help="binarised test digits scored (default 500)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $NOTAVERAGE_DATA, ...)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_mnist(args.data_dir, progress=False)
    images = torch.from_numpy(as_float(data.train_images)).reshape(-1, 1, 28, 28)
    binary = nll_test_set(data.test_images, args.n_test)
    print(f"{data.note}; dynamically binarised; IWAE k={args.k} on {len(binary)} binarised test digits; "
          f"{args.threads} threads")
    table = {}
    for minutes in args.minutes:
        for name in args.models:
            model, info = train_for(MODELS[name], images, minutes * 60, args.seed)
            t = time.monotonic()
            with torch.no_grad():
                nll = iwae_nll(model.encode_t, model.decode_logits_t, binary, k=args.k, seed=args.seed)
            se = nll.std(ddof=1) / np.sqrt(len(nll))
            table[(minutes, name)] = float(nll.mean())
            print(f"{minutes:>5g} min  {name:<12} NLL {nll.mean():7.2f} nats (\u00b1{1.96 * se:.2f}, 95% over "
                  f"images)  {info['epochs']:.2f} epochs, {info['steps']} steps; eval {time.monotonic() - t:.0f} s",
                  flush=True)
    print("\nminutes  " + "  ".join(f"{n:>12}" for n in args.models))
    for minutes in args.minutes:
        print(f"{minutes:>7g}  " + "  ".join(f"{table[(minutes, n)]:>12.2f}" for n in args.models))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
