"""Render the evidence (numbers + figures) as HTML, and write it with its JSON."""

from __future__ import annotations

import html
import json
from pathlib import Path
from string import Template

from notaverage.fileio import atomic_write_text
from notaverage.png import data_url
from notaverage.reporting.schema import CLAIM_KEYS

TEMPLATE = Path(__file__).with_name("template.html")


def _count(value) -> str:
    return "unknown" if value is None else f"{value:,.0f}"


def _iv(d: dict, digits: int = 3) -> str:
    return f"{d['estimate']:.{digits}g} [{d['low']:.{digits}g}, {d['high']:.{digits}g}]"


def _verdict(v: dict) -> str:
    css = v["status"].replace(" ", "-")
    return f'<div class="verdict {css}"><b>{html.escape(v["claim"])}</b>: {html.escape(v["text"])}</div>'


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    return f'<p><img alt="{html.escape(alt)}" src="{data_url(png)}"></p>'


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _section(title: str, claim_text: str, verdict: dict, body: str) -> str:
    return f"<h2>{html.escape(title)}</h2><p>{claim_text}</p>{_verdict(verdict)}{body}"


def _copying(c: dict) -> str:
    return (
        f"C<sub>T</sub> {c['c_t']:+.2f} (held-out real digits: {c['null_low']:+.2f} to {c['null_high']:+.2f} "
        f"over {len(c['null'])} draws; read: <b>{html.escape(c['reading'])}</b>)"
    )


def _first_sections(n: dict, figs: dict) -> list[str]:
    mc = n["model_check"]
    out = [
        _section(
            "Model check: does the VAE use its code?",
            f"{mc['active_units']} of {mc['latent_dim']} latent units active (posterior-mean variance above "
            f"0.01); the judge reads {_iv(mc['class_preserving_interval'])} of {mc['n_images']:,} test "
            "reconstructions as their true class. A collapsed model's pictures below would not show what "
            "a network does.",
            mc["verdict"],
            "",
        )
    ]
    r = n["recognition"]
    out.append(
        _section(
            "(a) It recognises digits",
            f"Classifier accuracy on {r['n_test']:,} test digits, "
            f"{_iv(r['accuracy'], 4)} ({html.escape(r['accuracy']['method'])}).",
            r["verdict"],
            _img(figs.get("confusion"), "confusion matrix"),
        )
    )
    v = n["novelty"]
    nn = v["nearest_train"]
    out.append(
        _section(
            "(b) It produces new digits",
            f"{v['n_samples']:,} samples from the prior against {v['n_test']:,} held-out test digits and "
            f"T = all {v['n_reference_train']:,} training digits (exact nearest neighbours: "
            f"{nn['n_queries']:,} queries in {nn['seconds']:.1f} s). Data-copying test (Meehan et al. "
            f"2020), below the band = copying, above = underfitting: pixel space "
            f"{_copying(v['copying']['pixel'])}; judge feature space "
            f"{_copying(v['copying']['judge_features'])}; blur control (real held-out digits blurred to "
            f"the VAE's reconstruction error, nothing copied), pixel space "
            f"{_copying(v['copying']['blur_matched_real_pixel'])}. Judge median confidence "
            f"{_iv(v['confidence_median'])} (bar {v['confidence_bar']:.3f}: real held-out digits' 10th "
            f"percentile); median manifold ratio {_iv(v['ratio_median'])}.",
            v["verdict"],
            _img(figs.get("samples"), "samples with nearest neighbours"),
        )
    )
    return out


def _blend_section(n: dict, figs: dict) -> str:
    b = n["blends"]
    labels = {
        "confidence_mid": "judge confidence, t=0.5",
        "entropy_mid": "judge entropy (nats), t=0.5",
        "ratio_mid": "manifold ratio, t=0.5 (median)",
        "ratio_interior": "manifold ratio, t=.25/.5/.75 (median)",
        "crossing_sum_prob": "p_A+p_B at the crossing",
        "crossed": "share of paths whose vote crosses",
        "step_unevenness": "pixel-step unevenness (0 = even; not ACAI's Smoothness)",
        "pixel_distance_mid": "distance from the pixel average, t=0.5",
        "pixel_distance_bulge": "same, minus the endpoints' mean distance",
    }
    rows = [
        [label] + [_iv(b["paths"][p][key]) for p in ("vae_lerp", "vae_slerp", "pixel", "linear")]
        for key, label in labels.items()
    ]
    comp = [[k.replace("_", " "), _iv(x)] for k, x in b["comparisons"].items()]
    strips = "".join(_img(figs.get(f"strip_{k}"), "blend strip") for k in range(3))
    return _section(
        "(c) Latent blends are not pixel averages",
        f"{b['n_pairs']:,} random test pairs of different classes (seeded), {b['steps']} images per "
        "path. Means (or medians) with 95% bootstrap intervals over pairs. VAE midpoints' copying "
        f"test: {_copying(b['midpoint_copying'])}.",
        b["verdict"],
        _table(["measure", "VAE lerp", "VAE slerp", "pixel", "linear (PCA)"], rows)
        + _table(["paired difference", "estimate [95%]"], comp)
        + strips,
    )


def _hybrid_section(n: dict, figs: dict) -> str:
    h = n["hybrid"]
    rows = [
        [
            name + (" (optimised against)" if r["optimised_against"] else " (held out)"),
            _iv(r["gap"]),
            _iv(r["sum"]),
            f"{r['sum_bar']:.3f}",
            f"{r['share_equally_both']:.0%}",
        ]
        for name, r in h["readers"].items()
    ]
    scorers = "; ".join(
        f"{html.escape(s['name'])}: {html.escape(s['family'])}, trained on {html.escape(s['trained_on'])}"
        for s in h["scorers"]
    )
    t = h["transfer_interval"]
    return _section(
        f"(d) The {h['classes'][0]}-{h['classes'][1]} hybrid",
        f"The finder ({html.escape(h['finder']['how'])}) optimises the judge, on {h['n_pairs']} random "
        f"{h['classes'][0]}-{h['classes'][1]} test pairs ({h['steps']} steps); the best hybrid of each "
        f"pair. Held-out scorers decide: {scorers}. Transfer rate (share of hybrids every held-out "
        f"scorer reads as equally both): <b>{h['transfer_rate']:.0%}</b> [{t['low']:.0%}, {t['high']:.0%}]. "
        f"Copying test of the hybrids (one cell): {_copying(h['copying'])}.",
        h["verdict"],
        _table(["reader", "|p_A - p_B|", "p_A + p_B", "bar for the sum", "equally both"], rows)
        + _img(figs.get("hybrid"), "hybrids"),
    )


def _later_sections(n: dict, figs: dict) -> list[str]:
    a = n["ablation"]
    rows = [
        [name, a["models"][name]["output_link"]]
        + [
            _iv(a["models"][name][m])
            for m in ("recon_blend_distance_mid", "ratio_mid", "feature_ratio_mid", "confidence_mid")
        ]
        for name in a["models"]
    ]
    out = [
        _section(
            "(e) Nonlinearity makes the difference",
            f"Two ablations on the same {a['n_pairs']:,} pairs: the VAE with every hidden activation removed "
            "(still a sigmoid output), and probabilistic PCA (no nonlinearity, Gaussian output). Distance of "
            "the midpoint from the blend of the model's own reconstructions, relative to the distance "
            "between those reconstructions (0 for an affine decoder). Beside the verdict, not part of it: "
            "the midpoint manifold ratio in the judge's feature space, where a smooth image is not pulled "
            "toward the training digits as it is in pixel L2; no-activation VAE minus VAE "
            f"{_iv(a['feature_ratio_mid_identity_minus_vae'])} (paired).",
            a["verdict"],
            _table(
                [
                    "model",
                    "output link",
                    "relative distance from own recon blend",
                    "manifold ratio",
                    "manifold ratio, judge features",
                    "judge confidence",
                ],
                rows,
            )
            + _img(figs.get("ablation"), "ablation strip"),
        )
    ]
    t = n["traversals"]
    shares = ", ".join(f"{x:.1%}" for x in t["variance_ratio"])
    out.append(
        _section(
            "(f) Primitive shapes",
            f"Principal directions of the test codes, &plusmn;{t['span_sigma']:g}&sigma; around the mean; "
            f"share of code variance per direction: {shares}. Median manifold ratio of the traversal "
            f"images {_iv(t['ratio_median'])}.",
            t["verdict"],
            _img(figs.get("traversals"), "traversals"),
        )
    )
    q = n["quality"]
    fd, ref = q["frechet"], q["nll"]["reference"]
    rows = [
        [k.replace("_", " "), _iv(fd[k])]
        for k in (
            "prior_samples",
            "vae_midpoints",
            "pixel_midpoints",
            "linear_midpoints",
            "blur_matched_real",
        )
    ]
    out.append(
        _section(
            "Generative quality",
            f"IWAE test NLL {_iv(q['nll']['nats'], 4)} nats (k={q['nll']['k']}, "
            f"{q['nll']['n_images']:,} test digits, {html.escape(q['nll']['binarization'])} binarised); "
            f"bar: {html.escape(ref['recipe'])}: {_iv(ref['nats'], 4)} nats on the same digits "
            f"(training images: VAE {_count(ref['vae_train_images'])}, reference "
            f"{_count(ref['train_images'])}; training seconds: VAE {_count(ref['vae_train_seconds'])}, "
            f"reference {_count(ref['train_seconds'])}). Paired difference per digit, VAE minus "
            f"reference: {_iv(q['nll']['vae_minus_reference'], 3)} nats.",
            q["nll"]["verdict"],
            f"<p><b>Warning:</b> {html.escape(fd['warning'])}. Against {fd['n_real']:,} real test "
            "digits:</p>"
            + _table(["set", "Frechet distance [95%]"], rows)
            + _verdict(fd["verdict"])
            + f"<p>Blur-matched control: {html.escape(fd['blur']['what'])} (σ = "
            f"{fd['blur']['sigma_pixels']:.2f} px) score {_iv(fd['blur_matched_real'])}, with no averaging "
            "at all: this distance measures blur as much as blending.</p>",
        )
    )
    return out


def _controls_section(n: dict) -> str:
    if "controls" not in n:
        return ""
    rows = []
    for name, c in n["controls"].items():
        cells = [c["verdicts"][k]["status"] if k in c["verdicts"] else "—" for k in CLAIM_KEYS]
        rows.append([f"{name}: {c['what']}"] + cells)
    texts = "".join(
        f"<p class='note'><b>{html.escape(name)}, {html.escape(k)}</b>: {html.escape(v['text'])}</p>"
        for name, c in n["controls"].items()
        for k, v in c["verdicts"].items()
    )
    return (
        "<h2>Controls: cheats through the same pipeline</h2><p>Each control generates nothing (or only "
        "exploits a reader); it must fail the claims it attacks. A control that passes a claim means the "
        "metric behind it must change.</p>" + _table(["control"] + list(CLAIM_KEYS), rows) + texts
    )


def _seeds_section(n: dict) -> str:
    s = n["seeds"]
    head = ["number"] + [f"seed {k}" for k in s["training_seeds"]] + ["mean [95% t over seeds]"]
    rows = [
        [key] + [f"{v:.4g}" for v in x["values"]] + [_iv(x["interval"]) if x["interval"] else "—"]
        for key, x in s["spread"].items()
    ]
    status_rows = [[k] + st for k, st in s["statuses"].items()]
    return (
        f"<h2>Training seeds</h2><p>{len(s['training_seeds'])} training seed(s); {html.escape(s['rule'])}. "
        "Pictures and section numbers above are from the first seed.</p>"
        + _table(["claim"] + [f"seed {k}" for k in s["training_seeds"]], status_rows)
        + _table(head, rows)
    )


def _sections(n: dict, figs: dict) -> str:
    out = (
        _first_sections(n, figs)
        + [_blend_section(n, figs), _hybrid_section(n, figs)]
        + _later_sections(n, figs)
    )
    return "\n".join(out + [_controls_section(n), _seeds_section(n)])


def render_html(numbers: dict, figs: dict) -> str:
    meta = numbers["meta"]
    summary = "".join(_verdict(v) for v in numbers["verdicts"].values())
    note = (
        f"{html.escape(meta['data'])}. Manifold ratios against {meta['nn_train']:,} training digits "
        f"(seeded random subset when fewer than the training set), with a ratio of 1 set by the median "
        f"distance of {meta['n_reference']:,} held-out test digits ({meta['reference_median']:.3f}). "
        f"Computed in {meta['seconds']:.0f} s. Every interval is 95%."
    )
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        meta=note, summary=summary, sections=_sections(numbers, figs)
    )


def write_report(numbers: dict, figs: dict, out_dir: str | Path) -> tuple[Path, Path]:
    """Write report.html and report.json into `out_dir`; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = atomic_write_text(
        out_dir / "report.json", json.dumps(numbers, indent=2, sort_keys=False) + "\n"
    )
    html_path = atomic_write_text(out_dir / "report.html", render_html(numbers, figs))
    return html_path, json_path
