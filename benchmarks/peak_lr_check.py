"""The default VAE's `fast` recipe at several peak learning rates: test NLL and the model check.

    NOTAVERAGE_DATA=../shared/data/mnist python benchmarks/peak_lr_check.py 1e-2 5e-3 3e-3

For each peak rate: the registry's "vae", the `fast` preset's VAE recipe with only the peak rate
changed (1,407 steps of 128, warm-up, cosine to zero), seed 0, 2 torch threads. Then
- test NLL: IWAE k = 100 on the first 500 test digits, binarised with seed 1 (quality_vs_time's set);
- the model check the tour runs (`metrics.model_check`): active units and class-preserving
  reconstruction of all test digits, read by the project's judge (`fast`, seed 0; trained once and
  cached like any model), whose own accuracy on the test digits (printed first) is its ceiling.
Prints one JSON line per rate.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_vs_time import test_set  # noqa: E402

from notaverage.data.mnist import as_float, load_mnist  # noqa: E402
from notaverage.metrics import model_iwae_nll  # noqa: E402
from notaverage.metrics.model_check import check_autoencoder  # noqa: E402
from notaverage.models.registry import CHECK_JUDGE, MODELS  # noqa: E402
from notaverage.presets import PRESETS  # noqa: E402
from notaverage.training import fit  # noqa: E402
from notaverage.zoo import get_model  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lr", type=float, nargs="+", help="peak learning rates")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $NOTAVERAGE_DATA, ...)")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    data = load_mnist(args.data_dir, progress=False)
    judge = get_model(CHECK_JUDGE, data, "fast", 0, progress=False).model
    train, test = as_float(data.train_images), as_float(data.test_images)
    binary = test_set(data, 500)
    # the ceiling of class-preserving reconstruction: how often the judge reads the originals right
    judge_accuracy = float((judge.predict(test) == data.test_labels).mean())
    print(json.dumps({"judge_accuracy_on_test_digits": round(judge_accuracy, 4)}), flush=True)
    for lr in args.lr:
        torch.manual_seed(0)
        model = MODELS["vae"].build()
        history = fit(model, train, None, dataclasses.replace(PRESETS["fast"]["vae"], lr=lr), progress=False)
        check = check_autoencoder(model.encode, model.decode, judge.predict, test, data.test_labels)
        nll = model_iwae_nll(model, binary, k=100, seed=0)
        print(json.dumps({"peak_lr": lr, "train_seconds": history["seconds"],
                          "images_per_second": history["images_per_second"],
                          "nll_k100": round(float(nll.mean()), 2), **check}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
