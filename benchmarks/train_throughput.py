"""Training throughput of the default VAE: what the CPU-side choices of `training.fit` buy.

    python benchmarks/train_throughput.py adam          # torch's default Adam vs the fused one `fit` uses
    python benchmarks/train_throughput.py denormals     # a convolution's backward, flushing off and on

adam       Two copies of the registry's "vae" (same initial weights, seed 0) train in alternating rounds
           of `--steps` steps on dynamically binarised MNIST batches of 128, 2 torch threads:
             plain    `torch.optim.Adam` with torch's default (for-each) implementation
             product  `training.make_optimizer`: the fused Adam that `fit` uses
           Prints images/s per round and the mean of each. Alternating rounds put machine noise on both.
denormals  A 32->64 stride-2 convolution (the encoder's second layer) on a batch of 128, backward with
           gradients of 1e-3 and of 1e-40 (a denormal float32), in two fresh processes: flushing off, and
           flushing on before torch's worker threads start (what importing `notaverage.models` does).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import torch


def conv_backward_ms(flush: bool) -> None:
    """Run in a fresh process: the setting must come before torch's first parallel operation."""
    torch.set_flush_denormal(flush)
    torch.set_num_threads(2)
    torch.manual_seed(0)
    layer = torch.nn.Conv2d(32, 64, 4, stride=2, padding=1)
    x = torch.randn(128, 32, 14, 14, requires_grad=True)
    y = layer(x)
    for scale in (1e-3, 1e-40):
        grad = torch.full_like(y, scale)
        for _ in range(3):  # warm-up
            torch.autograd.grad(y, [x, layer.weight], grad, retain_graph=True)
        started = time.perf_counter()
        for _ in range(10):
            torch.autograd.grad(y, [x, layer.weight], grad, retain_graph=True)
        ms = (time.perf_counter() - started) / 10 * 1000
        print(f"flush {'on ' if flush else 'off'}  gradient {scale:g}: backward {ms:7.1f} ms", flush=True)


def adam(rounds: int, steps: int, data_dir: str | None) -> None:
    from notaverage.data.mnist import as_float, load_mnist
    from notaverage.models.registry import MODELS
    from notaverage.training import make_optimizer

    torch.set_num_threads(2)
    data = load_mnist(data_dir, progress=False)
    images = torch.from_numpy(as_float(data.train_images)).reshape(-1, 1, 28, 28)
    variants = {}
    for name in ("plain", "product"):
        torch.manual_seed(0)
        model = MODELS["vae"].build()
        if name == "plain":
            variants[name] = (model, torch.optim.Adam(model.parameters(), lr=1e-3))
        else:
            variants[name] = (model, make_optimizer(model, lr=1e-3))
    generator = torch.Generator().manual_seed(0)
    rates: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(rounds):
        for name, (model, optimizer) in variants.items():
            batches = [torch.bernoulli(images[torch.randint(len(images), (128,), generator=generator)])
                       for _ in range(steps)]
            started = time.perf_counter()
            for x in batches:
                loss = model.loss(x)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            rates[name].append(steps * 128 / (time.perf_counter() - started))
        line = "  ".join(f"{n} {r[-1]:,.0f}" for n, r in rates.items())
        print(f"round {round_ + 1}: {line} images/s", flush=True)
    plain, product = (sum(rates[n]) / rounds for n in ("plain", "product"))
    print(f"mean: plain {plain:,.0f}, product {product:,.0f} images/s ({product / plain - 1:+.0%})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["adam", "denormals", "conv-off", "conv-on"])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=100, help="steps per round (default 100)")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $NOTAVERAGE_DATA, ...)")
    args = parser.parse_args(argv)
    if args.what == "adam":
        adam(args.rounds, args.steps, args.data_dir)
    elif args.what == "denormals":
        for flag in ("conv-off", "conv-on"):
            subprocess.run([sys.executable, __file__, flag], check=True)
    else:
        conv_backward_ms(args.what == "conv-on")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
