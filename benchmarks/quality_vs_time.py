"""Test NLL after a wall-clock training budget: the project's VAE and recipe against the shared
reference recipe, side by side in one invocation.

    OMP_NUM_THREADS=2 python benchmarks/quality_vs_time.py                        # 1, 3 and 10 minutes
    python benchmarks/quality_vs_time.py --minutes 1 --json quality.json          # one budget
    python benchmarks/quality_vs_time.py --minutes 0.05 --k 10 --n-test 20        # smoke test
    python benchmarks/quality_vs_time.py --minutes 10 --ours-only --lr 3e-3       # an ablation of ours
    python benchmarks/quality_vs_time.py --minutes 10 --preset quality            # the long-budget recipe
    python benchmarks/quality_vs_time.py --minutes 10 --lr 3e-3 --decoder-extra 2 # an ablation of ours

Models
  ours       the registry's "vae" (`models/registry.py`) with a preset's VAE recipe (`presets.py`:
             batch, peak learning rate, and its `MODEL_CHANGES`; `--preset`, default "fast", the one
             `tour` trains; "quality" is the recipe for long budgets), trained from scratch for each
             budget, with the learning rate warmed up over the first 100 steps and decayed by a
             cosine in *elapsed time* to zero at the end of the budget (in `notaverage train` the
             same cosine runs over a step budget). It uses the product's fused Adam
             (`training.make_optimizer`); `--lr` replaces the peak learning rate, `--decoder-extra N`
             gives its decoder N more 3x3 convolutions at 14x14 (`VAEConfig.decoder_extra`; fast has
             none, quality two).
  reference  written here from the description of `../shared/bench/anchor_vae.py conv` (not imported,
             so this works on any clone): two stride-2 convs (32, 64 channels, SiLU) + dense 256,
             z = 32, mirrored decoder, Adam 1e-3 constant, batch 128, no schedule, no tricks. It trains
             once and is evaluated when its training time reaches each budget, as the shared script does.
Both train on full MNIST (or whatever `--data-dir` holds), dynamically binarised (a fresh Bernoulli
draw of every batch), Bernoulli decoder (ours with its learned mixture prior, the reference with
N(0, I)), 2 torch threads, denormal floats flushed
to zero (importing `notaverage.models` does that for the whole process). Training time counts only
the training steps; evaluation is not counted. The two are interleaved budget by budget, so load from
other jobs on the machine falls on both alike (it still changes the absolute figures: say so).

Test NLL: the importance-weighted bound (Burda et al. 2016) with k samples (default 500) on the first
`--n-test` test digits (default 500), binarised once with torch.Generator seed 1 (the shared script's
protocol). `--json PATH` writes {"results": [{"model", "minutes", "nll", "epochs", ...}]}.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from notaverage.data.mnist import as_float, load_mnist
from notaverage.fileio import atomic_write_text
from notaverage.metrics import model_iwae_nll
from notaverage.models.reference_vae import ReferenceVAE
from notaverage.models.vae import ConvVAE
from notaverage.presets import PRESETS
from notaverage.training import make_optimizer
from notaverage.zoo import model_config


class Trainer:
    """Adam on dynamically binarised batches, stepped until a training-time mark is reached.

    `schedule` None keeps the learning rate constant; else the budget in seconds over which it warms
    up for 100 steps and decays by a cosine in elapsed training time to zero. `ema` > 0 keeps an
    exponential moving average of the weights, which is what gets evaluated.
    """

    def __init__(self, model: nn.Module, images: torch.Tensor, lr: float, batch: int, seed: int,
                 schedule: float | None = None, ema: float = 0.0, clock=time.perf_counter,
                 fast: bool = False):
        torch.manual_seed(seed)
        self.clock = clock
        self.model, self.images, self.lr, self.batch = model, images, lr, batch
        self.schedule, self.ema = schedule, ema
        if fast:  # the product's training path (`training.fit`): fused Adam
            self.optimizer = make_optimizer(model, lr)
        else:  # the shared script's plain Adam
            self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.averaged = copy.deepcopy(model) if ema else None
        self.generator = torch.Generator().manual_seed(seed)
        self.order, self.cursor, self.steps, self.seconds = None, 0, 0, 0.0

    def _batch(self) -> torch.Tensor:
        if self.order is None or self.cursor + self.batch > len(self.images):
            self.order, self.cursor = torch.randperm(len(self.images), generator=self.generator), 0
        idx = self.order[self.cursor:self.cursor + self.batch]
        self.cursor += self.batch
        return torch.bernoulli(self.images[idx])

    def train_until(self, seconds: float) -> None:
        self.model.train()
        while self.seconds < seconds:
            started = self.clock()
            if self.schedule:
                warm = min(1.0, (self.steps + 1) / 100)
                fraction = min(1.0, self.seconds / self.schedule)
                for group in self.optimizer.param_groups:
                    group["lr"] = self.lr * warm * 0.5 * (1 + math.cos(math.pi * fraction))
            loss = self.model.loss(self._batch())
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            if self.averaged is not None:
                with torch.no_grad():
                    for avg, p in zip(self.averaged.parameters(), self.model.parameters(), strict=True):
                        avg.lerp_(p, 1.0 - self.ema)
            self.steps += 1
            self.seconds += self.clock() - started

    def evaluated_model(self) -> nn.Module:
        model = self.averaged if self.averaged is not None else self.model
        return model.eval()

    @property
    def epochs(self) -> float:
        return self.steps * self.batch / len(self.images)


def ours(images: torch.Tensor, seconds: float, seed: int, clock, lr: float | None = None,
         decoder_extra: int | None = None, preset: str = "fast") -> Trainer:
    recipe, config = PRESETS[preset]["vae"], model_config("vae", preset)
    if decoder_extra is not None:  # an ablation
        config = replace(config, decoder_extra=decoder_extra)
    return Trainer(ConvVAE(config), images, lr or recipe.lr, recipe.batch_size, seed, schedule=seconds,
                   clock=clock, fast=True)


def reference(images: torch.Tensor, seed: int, clock) -> Trainer:
    return Trainer(ReferenceVAE(), images, 1e-3, 128, seed, clock=clock)


def make_clock(kind: str, threads: int):
    """"wall": seconds of wall time. "cpu": this process's CPU seconds divided by the thread count,
    i.e. what a quiet machine would give in that wall time; far less sensitive to other jobs."""
    if kind == "wall":
        return time.perf_counter
    return lambda: time.process_time() / threads


def test_set(data, n_test: int) -> np.ndarray:
    """The first n test digits, binarised once with torch.Generator seed 1 (the shared script's protocol)."""
    x = torch.from_numpy(as_float(data.test_images[:n_test])).reshape(-1, 784)
    return torch.bernoulli(x, generator=torch.Generator().manual_seed(1)).reshape(-1, 28, 28).numpy()


def score(trainer: Trainer, name: str, minutes: float, binary: np.ndarray, k: int, seed: int) -> dict:
    started = time.monotonic()
    model = trainer.evaluated_model()
    nll = model_iwae_nll(model, binary, k=k, seed=seed)
    row = {"model": name, "minutes": minutes, "nll": round(float(nll.mean()), 3),
           "ci95": round(1.96 * float(nll.std(ddof=1)) / math.sqrt(len(nll)), 3),
           "epochs": round(trainer.epochs, 3), "steps": trainer.steps,
           "images_per_second": round(trainer.steps * trainer.batch / max(trainer.seconds, 1e-9)),
           "train_seconds": round(trainer.seconds, 1)}
    print(f"{minutes:>5g} min  {name:<9} NLL {row['nll']:7.2f} nats (\u00b1{row['ci95']:.2f}, 95% over "
          f"images)  {row['epochs']:.2f} epochs, {row['steps']} steps, {row['images_per_second']} images/s; "
          f"eval {time.monotonic() - started:.0f} s", flush=True)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 3, 10],
                        help="budgets (default 1 3 10)")
    parser.add_argument("--k", type=int, default=500, help="IWAE samples per image (default 500)")
    parser.add_argument("--n-test", type=int, default=500, help="binarised test digits scored (default 500)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $NOTAVERAGE_DATA, ...)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="what a budget's minutes count: wall time (default) or CPU time / threads")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="fast",
                        help="whose VAE recipe and architecture ours uses (default fast, tour's)")
    parser.add_argument("--lr", type=float, default=None,
                        help="peak learning rate of ours (default: the preset's), for ablations")
    parser.add_argument("--decoder-extra", type=int, default=None, metavar="N",
                        help="extra 3x3 convolutions in ours' decoder (default: the preset's)")
    parser.add_argument("--ours-only", action="store_true",
                        help="skip the reference (an ablation of ours; the comparison needs both)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    if args.decoder_extra is not None and args.decoder_extra < 0:
        parser.error(f"--decoder-extra must be 0 or more, got {args.decoder_extra}")
    torch.set_num_threads(args.threads)
    data = load_mnist(args.data_dir, progress=False)
    images = torch.from_numpy(as_float(data.train_images)).reshape(-1, 1, 28, 28)
    binary = test_set(data, args.n_test)
    peak_lr = args.lr or PRESETS[args.preset]["vae"].lr
    decoder_extra = (model_config("vae", args.preset).decoder_extra if args.decoder_extra is None
                     else args.decoder_extra)
    print(f"{data.note}; dynamically binarised; IWAE k={args.k} on the first {len(binary)} test digits "
          f"(binarised with seed 1); {args.threads} threads; {args.clock} clock; ours: the {args.preset} "
          f"recipe, peak learning rate {peak_lr:g}, decoder_extra {decoder_extra}")
    clock = make_clock(args.clock, args.threads)
    results, ref = [], reference(images, args.seed, clock)
    for minutes in sorted(args.minutes):
        trainer = ours(images, minutes * 60, args.seed, clock, peak_lr, decoder_extra, args.preset)
        trainer.train_until(minutes * 60)
        results.append(score(trainer, "ours", minutes, binary, args.k, args.seed))
        if not args.ours_only:
            ref.train_until(minutes * 60)
            results.append(score(ref, "reference", minutes, binary, args.k, args.seed))
    if not args.ours_only:
        print(f"\n{'minutes':>7}  {'ours':>8}  {'reference':>9}  {'ours - ref':>10}")
        for minutes in sorted(args.minutes):
            a, b = (next(r["nll"] for r in results if r["model"] == m and r["minutes"] == minutes)
                    for m in ("ours", "reference"))
            print(f"{minutes:>7g}  {a:>8.2f}  {b:>9.2f}  {a - b:>+10.2f}")
    if args.json:
        atomic_write_text(args.json, json.dumps({"results": results, "k": args.k, "n_test": len(binary),
                                                 "threads": args.threads, "clock": args.clock,
                                                 "ours_preset": args.preset, "ours_peak_lr": peak_lr,
                                                 "ours_decoder_extra": decoder_extra,
                                                 "data": data.note}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
