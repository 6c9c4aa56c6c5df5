"""The evidence part of docs/RESULTS.md: `notaverage report --seeds N --controls` with a lighter
evaluation (fewer pairs, samples and search steps) for a machine too loaded for the defaults.

    NOTAVERAGE_DATA=../shared/data/mnist .venv/bin/python benchmarks/evidence_run.py \\
        --limit 3000 --preset tiny --seeds 3 --out /tmp/evidence

Prints every combined verdict and every control's; the numbers are in OUT/report.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from notaverage.evidence import EvidenceConfig
from notaverage.evidence.commands import run_report
from notaverage.lab import load_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="training digits (default: all)")
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--search-steps", type=int, default=50)
    parser.add_argument("--perturbations", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("notaverage-out/evidence"))
    args = parser.parse_args()
    config = EvidenceConfig(n_pairs=args.pairs, n_samples=args.samples, nll_images=300, nll_k=50,
                            hybrid_steps=args.search_steps, hybrid_perturbations=args.perturbations,
                            seed=0)
    started = time.monotonic()
    data = load_data(None, args.limit, 0, progress=False)
    result = run_report(args.out, data, args.preset, 0, progress=False, config=config, seeds=args.seeds,
                        controls=True)
    numbers = result["numbers"]
    for key, verdict in numbers["verdicts"].items():
        print(f"{key}: {verdict['text']}")
    for name, control in numbers["controls"].items():
        for claim, verdict in control["verdicts"].items():
            print(f"control {name} on {claim}: {verdict['status']}")
    print(f"hybrid transfer rate (seed 0): {numbers['hybrid']['transfer_rate']:.2f}")
    print(f"done in {time.monotonic() - started:.0f} s; {result['json']}")


if __name__ == "__main__":
    main()
