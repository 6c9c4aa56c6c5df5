"""Do the hybrid finder's results transfer to readers it never saw? Finder variants side by side.

    NOTAVERAGE_DATA=../shared/data/mnist python benchmarks/hybrid_transfer.py --limit 3000 --preset tiny

Each variant runs the report's hybrid section code (`evidence.hybrids`: the same random 9-2 test
pairs, the same held-out scorers, the same "equally both" bars) with another finder setting, and
prints the transfer rate (the share of pairs whose best hybrid every held-out scorer reads as equally
both, Wilson interval) and each reader's share and mean p9 + p2. Variants:

  single     the judge alone, one copy of each code (the finder before issue 9)
  perturbed  the judge averaged over 4 noisy codes (sigma 0.1) and a one-pixel shift (the last report)
  ensemble   3 judges (the judge and two more training seeds of it) x 4 noisy codes, each copy its
             own shift of up to 2 pixels

The extra judges are trained (or reused from the cache) like every model, with the judge's recipe.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from notaverage.evidence.context import Context, EvidenceConfig
from notaverage.evidence.hybrids import extra_judges, find_hybrids, hybrid_pairs, latent_finder, score_hybrids
from notaverage.evidence.scorers import held_out_scorers
from notaverage.fileio import atomic_write_text
from notaverage.lab import load_data
from notaverage.latent import HybridSettings
from notaverage.zoo import get_models

VARIANTS = {
    "single": (1, HybridSettings(n_perturb=1)),
    "perturbed": (1, HybridSettings(n_perturb=4, max_shift=1)),
    "ensemble": (3, HybridSettings(n_perturb=4, max_shift=2)),
}
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=3000, help="training digits (default 3000)")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--seed", type=int, default=0, help="training and evaluation seed (default 0)")
    parser.add_argument("--pairs", type=int, default=8, help="random 9-2 test pairs (default 8)")
    parser.add_argument("--steps", type=int, default=100, help="search steps (default 100)")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="comma-separated, of: " + ", ".join(VARIANTS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--json", type=Path, default=None, metavar="PATH")
    args = parser.parse_args(argv)
    data = load_data(args.data_dir, args.limit, args.seed, progress=False)
    names = args.variants.split(",")
    trained = get_models(data, ("vae", "classifier", "judge"), args.preset, args.seed)
    models = {k: t.model for k, t in trained.items()}
    models.update(extra_judges(data, args.preset, args.seed, max(VARIANTS[n][0] for n in names), True))
    config = EvidenceConfig(hybrid_pairs=args.pairs, hybrid_steps=args.steps, n_boot=500, seed=args.seed,
                            nn_train=None)
    ctx = Context(models, data, config, log=lambda *a: None)
    scorers = held_out_scorers(models, ctx.train, data.train_labels, config.scorer_train, config.seed)
    pairs = hybrid_pairs(ctx)
    print(f"{data.note}; {args.preset} preset, seed {args.seed}; {len(pairs)} random 9-2 test pairs, "
          f"{args.steps} search steps; held-out scorers: {', '.join(s.name for s in scorers)}")
    rows = []
    for name in names:
        n_judges, settings = VARIANTS[name]
        judges = [models["judge"], *(models[f"judge_{k + 1}"] for k in range(1, n_judges))]
        started = time.monotonic()
        best, found, _ = find_hybrids(ctx, latent_finder(ctx, judges, settings), pairs)
        numbers, verdict = score_hybrids(ctx, best, found, pairs, scorers)
        readers = {r: {"share": v["share_equally_both"], "sum": v["sum"]["estimate"],
                       "gap": v["gap"]["estimate"], "sum_bar": v["sum_bar"]}
                   for r, v in numbers["readers"].items()}
        row = {"variant": name, "judges": n_judges, "settings": vars(settings),
               "transfer_rate": numbers["transfer_rate"],
               "transfer_interval": numbers["transfer_interval"], "readers": readers,
               "verdict": verdict.status, "seconds": round(time.monotonic() - started, 1)}
        rows.append(row)
        iv = row["transfer_interval"]
        print(f"{name:<10} transfer {row['transfer_rate']:.0%} [{iv['low']:.0%}, {iv['high']:.0%}]  "
              + "  ".join(f"{r}: share {v['share']:.0%}, p9+p2 {v['sum']:.2f} (bar {v['sum_bar']:.2f}), "
                          f"|p9-p2| {v['gap']:.2f}" for r, v in readers.items())
              + f"  ({row['seconds']:.0f} s)", flush=True)
    if args.json:
        atomic_write_text(args.json, json.dumps({"data": data.note, "pairs": len(pairs), "steps": args.steps,
                                                 "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
