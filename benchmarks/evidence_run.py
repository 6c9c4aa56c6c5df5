"""The evidence part of docs/RESULTS.md: `notaverage report --seeds N --controls`, then its tables.

    NOTAVERAGE_DATA=../shared/data/mnist .venv/bin/python benchmarks/evidence_run.py --seeds 3 \\
        --out /tmp/evidence                      # full MNIST, fast preset, the report's defaults
    ... --limit 3000 --preset tiny --seeds 1 --light   # a small, lighter run (say so in RESULTS.md)

Prints every combined verdict and every control's, and writes OUT/results.md: the verdict table
(with each seed's status and the spread of the headline numbers over seeds), the controls table,
the copying readings, the hybrid readers and the path table, as docs/RESULTS.md shows them. The
numbers are in OUT/report.json. `--light` uses a lighter evaluation (500 pairs and samples, 50
search steps, IWAE k = 50 on 300 digits) for a machine too loaded for the defaults.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from notaverage.evidence import EvidenceConfig
from notaverage.evidence.commands import run_report
from notaverage.fileio import atomic_write_text
from notaverage.lab import load_data

CLAIMS = ("model_check", "recognition", "novelty", "blends", "hybrid", "ablation", "traversals", "likelihood",
          "frechet")


def iv(d: dict, fmt: str = "{:.3g}") -> str:
    return f"{fmt.format(d['estimate'])} [{fmt.format(d['low'])}, {fmt.format(d['high'])}]"


def copying(c: dict) -> str:
    band = f"{c['null_low']:+.2f} to {c['null_high']:+.2f}"
    return f"C_T {c['c_t']:+.2f} (real-digit band {band}: {c['reading']})"


def _readers(h: dict) -> str:
    return "; ".join(
        f"{k}{' (optimised against)' if x['optimised_against'] else ''}: |p_A − p_B| {iv(x['gap'])}, "
        f"p_A + p_B {iv(x['sum'])} (bar {x['sum_bar']:.3f}), equally both {x['share_equally_both']:.0%}"
        for k, x in h["readers"].items())


def verdict_rows(n: dict) -> list[tuple[str, str]]:
    """(claim key, the numbers behind its verdict) for the first training seed."""
    mc, r, nov, b, h, a, t, q = (n[k] for k in ("model_check", "recognition", "novelty", "blends", "hybrid",
                                                "ablation", "traversals", "quality"))
    cmp, fd, nll, ref = b["comparisons"], q["frechet"], q["nll"], q["nll"]["reference"]
    own = ", ".join(f"{k} {m['recon_blend_distance_mid']['estimate']:.3f}" for k, m in a["models"].items())
    ti = h["transfer_interval"]
    transfer = f"{h['transfer_rate']:.0%} [{ti['low']:.0%}, {ti['high']:.0%}]"
    return [
        ("model_check", f"{mc['active_units']} of {mc['latent_dim']} units active; judge reads "
                        f"{iv(mc['class_preserving_interval'])} of {mc['n_images']:,} test reconstructions "
                        "as their class (bars 2 and 0.5)"),
        ("recognition", f"classifier test accuracy {iv(r['accuracy'], '{:.4f}')} ({r['n_test']:,} digits)"),
        ("novelty", f"pixel {copying(nov['copying']['pixel'])}; judge features "
                    f"{copying(nov['copying']['judge_features'])}; T = all {nov['n_reference_train']:,} "
                    f"training digits; judge median confidence {iv(nov['confidence_median'])} vs real "
                    f"digits' 10th percentile {nov['confidence_bar']:.3f}"),
        ("blends", f"ratio VAE − pixel {iv(cmp['ratio_mid_vae_minus_pixel'])}; bulge VAE − linear "
                   f"{iv(cmp['pixel_distance_bulge_vae_minus_linear'])}; confidence VAE − pixel "
                   f"{iv(cmp['confidence_mid_vae_minus_pixel'])}; midpoints "
                   f"{copying(b['midpoint_copying'])}"),
        ("hybrid", f"{_readers(h)}; transfer rate {transfer}; ratio hybrid − pixel average "
                   f"{iv(h['ratio_hybrid_minus_pixel_average'])}; hybrids {copying(h['copying'])}"),
        ("ablation", f"relative distance from own recon blend: {own}; VAE − no-activation "
                     f"{iv(a['recon_blend_distance_mid_vae_minus_identity'])}; VAE − PPCA "
                     f"{iv(a['recon_blend_distance_mid_vae_minus_ppca'])}; midpoint manifold ratio "
                     f"no-activation − VAE {iv(a['ratio_mid_identity_minus_vae'])} (beside it, not in it: "
                     f"the same in judge features {iv(a['feature_ratio_mid_identity_minus_vae'])})"),
        ("traversals", f"traversal ratio {iv(t['ratio_median'])} vs pixel midpoints "
                       f"{iv(b['paths']['pixel']['ratio_mid'])}"),
        ("likelihood", f"IWAE NLL {iv(nll['nats'], '{:.1f}')} nats vs the reference recipe's "
                       f"{iv(ref['nats'], '{:.1f}')} (k={nll['k']}, {nll['n_images']} digits; "
                       f"{ref['train_images']:,} vs {ref['vae_train_images']:,} training images); paired "
                       f"difference {iv(nll['vae_minus_reference'])}"),
        ("frechet", f"judge-space Fréchet: VAE midpoints {iv(fd['vae_midpoints'])}, pixel midpoints "
                    f"{iv(fd['pixel_midpoints'])}; blur-matched single real digits "
                    f"(σ {fd['blur']['sigma_pixels']:.2f} px) {iv(fd['blur_matched_real'])}"),
    ]


def _controls(controls: dict) -> list[str]:
    lines = ["", "| control | " + " | ".join(CLAIMS) + " |", "| --- |" + " --- |" * len(CLAIMS)]
    for name, c in controls.items():
        cells = [c["verdicts"][k]["status"] if k in c["verdicts"] else "—" for k in CLAIMS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    for name, c in controls.items():
        lines += [f"- {name} / {k}: {v['text']}" for k, v in c["verdicts"].items()]
    return lines


def markdown(n: dict) -> str:
    seeds, meta = n["seeds"], n["meta"]
    lines = [f"Training seeds {seeds['training_seeds']}; {meta['data']}; preset {meta['preset']}; report "
             f"compute {meta['seconds']:,.0f} s (first seed); rule: {seeds['rule']}.", "",
             "| claim | verdict | per seed | the numbers behind it (first seed) |",
             "| --- | --- | --- | --- |"]
    for key, numbers in verdict_rows(n):
        v = n["verdicts"][key]
        status = v["status"] if v["status"] == "supported" else f"**{v['status']}**"
        lines.append(f"| {v['claim']} | {status} | {', '.join(seeds['statuses'][key])} | {numbers} |")
    lines += ["", "| headline number | per seed | t interval over seeds |", "| --- | --- | --- |"]
    for key, spread in seeds["spread"].items():
        values = ", ".join(f"{x:.3g}" for x in spread["values"])
        lines.append(f"| `{key}` | {values} | {iv(spread['interval']) if spread['interval'] else '—'} |")
    if n.get("controls"):
        lines += _controls(n["controls"])
    lines += ["", "| path | judge confidence at t=0.5 | manifold ratio at t=0.5 | pixel-step unevenness | "
                  "p(A)+p(B) at the crossing |", "| --- | --- | --- | --- | --- |"]
    for name, p in n["blends"]["paths"].items():
        lines.append(f"| {name} | {iv(p['confidence_mid'])} | {iv(p['ratio_mid'])} | "
                     f"{iv(p['step_unevenness'])} | {iv(p['crossing_sum_prob'])} |")
    lines += ["", f"Timings (s, first seed): {meta['timings']}", f"Config: {meta['config']}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="training digits (default: all)")
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--light", action="store_true", help="a lighter evaluation (see above)")
    parser.add_argument("--out", type=Path, default=Path("notaverage-out/evidence"))
    args = parser.parse_args()
    config = EvidenceConfig(seed=0)
    if args.light:
        config = EvidenceConfig(n_pairs=500, n_samples=500, nll_images=300, nll_k=50, hybrid_steps=50, seed=0)
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
    tables = Path(args.out) / "results.md"
    atomic_write_text(tables, markdown(numbers))
    print(f"done in {time.monotonic() - started:.0f} s; {result['json']}; tables for RESULTS.md: {tables}")


if __name__ == "__main__":
    main()
