"""One fit loop for every torch model: seeded, with a progress bar, periodic checkpoints and resume.

Determinism: the data order of epoch e comes from a generator seeded with (seed, e), and the global
torch RNG (dropout, the VAE's noise, dynamic binarisation, shifts) is seeded once and saved in every
checkpoint. A resumed run therefore continues exactly where the interrupted one stopped.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from notaverage.errors import UserError
from notaverage.progress import progress_bar
from notaverage.presets import TrainConfig
from notaverage.store import load_training_state, save_training_state


class TrainingInterrupted(UserError):
    """Raised after Ctrl-C / SIGTERM once the resume point is saved."""


@contextlib.contextmanager
def deferred_interrupts():
    """While training, Ctrl-C and SIGTERM only raise a flag that the loop checks between steps, so
    a resume point never falls in the middle of a step (which would break exact resumption)."""
    requested: list[int] = []
    if threading.current_thread() is not threading.main_thread():  # signals go to the main thread
        yield requested
        return
    previous = {sig: signal.signal(sig, lambda signum, frame: requested.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cosine_lr(base_lr: float, step: int, total_steps: int) -> float:
    """Short linear warm-up, then cosine decay to zero: a function of the step, so resume needs no state."""
    warmup = min(100, total_steps // 10)
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total_steps - warmup)
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * progress))


def random_shift(x: torch.Tensor, max_shift: int) -> torch.Tensor:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift], filling with black."""
    batch, size = len(x), x.shape[-1]
    padded = F.pad(x, (max_shift,) * 4)
    dy = torch.randint(0, 2 * max_shift + 1, (batch,))
    dx = torch.randint(0, 2 * max_shift + 1, (batch,))
    grid = torch.arange(size)
    rows = (dy[:, None] + grid)[:, :, None]
    cols = (dx[:, None] + grid)[:, None, :]
    return padded[torch.arange(batch)[:, None, None], 0, rows, cols].unsqueeze(1)


def make_optimizer(model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    """Adam, fused into one kernel per step: the same update in fewer passes over memory, about 9 %
    more images/s for the VAE on 2 CPU cores (docs/RESULTS.md, "Throughput")."""
    return torch.optim.Adam(model.parameters(), lr=lr, fused=True)


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(x_all: torch.Tensor, idx: torch.Tensor, config: TrainConfig) -> torch.Tensor:
    x = x_all[idx]
    if config.shift:
        x = random_shift(x, config.shift)
    if config.binarize:
        x = torch.bernoulli(x)
    return x


def fit(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray | None, config: TrainConfig, *,
        state_dir: Path | None = None, resume: bool = False, desc: str = "train",
        progress: bool = True) -> dict:
    """Train `model` on float images (N, H, W) for `config.steps` optimiser steps. Returns a small
    history dict (the mean loss of every epoch, the last one possibly partial).

    The budget is in steps, not epochs, so a 10,000-digit sample gets as much training as full MNIST.
    `model.loss(x)` (generative) or `model.loss(x, y)` (classifier) gives the mean loss of a batch.
    With `state_dir`, a resume point is written every `checkpoint_seconds` and on interruption.
    """
    side = np.shape(images)[-2:]  # 28x28 MNIST, or the lines benchmark's 32x32
    x_all = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).reshape(-1, 1, *side)
    y_all = None if labels is None else torch.from_numpy(np.asarray(labels, dtype=np.int64))
    n = len(x_all)
    steps_per_epoch = math.ceil(n / config.batch_size)
    total_steps = config.steps

    torch.manual_seed(config.seed)
    optimizer = make_optimizer(model, config.lr)
    step, losses, epoch_sum, epoch_count = 0, [], 0.0, 0
    if resume and state_dir is not None:
        restored = load_training_state(state_dir, model, optimizer)
        if restored is not None:
            rng_state, saved = restored
            torch.set_rng_state(rng_state)
            step, losses = saved["step"], saved["epoch_losses"]
            epoch_sum, epoch_count = saved["epoch_sum"], saved["epoch_count"]
    first_step = step

    def checkpoint() -> None:
        if state_dir is not None:
            save_training_state(state_dir, model, optimizer, rng_at_step_start,
                                {"step": step, "epoch_losses": losses,
                                 "epoch_sum": epoch_sum, "epoch_count": epoch_count})

    model.train()
    bar = progress_bar(total=total_steps, initial=step, desc=desc, unit="batch", disable=not progress,
               dynamic_ncols=True, leave=False)
    last_save = started = time.monotonic()
    rng_at_step_start = torch.get_rng_state()  # saved, so a resumed step redraws the same noise
    order, order_epoch = None, -1
    try:
        with deferred_interrupts() as interrupt_requested:
            while step < total_steps:
                epoch, batch_index = divmod(step, steps_per_epoch)
                if epoch != order_epoch:  # data order: a function of (seed, epoch), so resume needs no state
                    order = torch.randperm(n, generator=_generator(config.seed * 1000 + epoch))
                    order_epoch = epoch
                # Snapshot first, then check: a resume point stores `step` with the RNG state at
                # the start of that same step (checking first saved the previous step's state).
                rng_at_step_start = torch.get_rng_state()
                if interrupt_requested:  # between steps: the state below is consistent
                    raise KeyboardInterrupt
                idx = order[batch_index * config.batch_size:(batch_index + 1) * config.batch_size]
                x = _batch(x_all, idx, config)
                for group in optimizer.param_groups:
                    group["lr"] = (config.lr if config.schedule == "constant"
                                   else cosine_lr(config.lr, step, total_steps))
                loss = model.loss(x) if y_all is None else model.loss(x, y_all[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                epoch_sum, epoch_count = epoch_sum + loss.item(), epoch_count + 1
                bar.update(1)
                bar.set_postfix_str(f"epoch {epoch + 1} loss {loss.item():.3f}")
                if batch_index == steps_per_epoch - 1 or step == total_steps:
                    losses.append(round(epoch_sum / epoch_count, 4))
                    epoch_sum, epoch_count = 0.0, 0
                if time.monotonic() - last_save > config.checkpoint_seconds:
                    rng_at_step_start = torch.get_rng_state()
                    checkpoint()
                    last_save = time.monotonic()
    except KeyboardInterrupt:
        checkpoint()
        bar.close()
        where = f" (resume point saved in {state_dir})" if state_dir is not None else ""
        raise TrainingInterrupted(
            f"training of {desc} interrupted at step {step}/{total_steps}{where}; "
            f"run the same command again to continue (with `train`, add --resume)"
        ) from None
    bar.close()
    model.eval()
    seconds = time.monotonic() - started
    return {"epoch_losses": losses, "steps": total_steps, "epochs": round(total_steps / steps_per_epoch, 2),
            "seconds": round(seconds, 2),
            "images_per_second": round((step - first_step) * config.batch_size / max(seconds, 1e-9))}
