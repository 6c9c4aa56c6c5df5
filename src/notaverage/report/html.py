"""Render the evidence (numbers + figures) as HTML, and write it with its JSON."""

from __future__ import annotations

import html
import json
from pathlib import Path
from string import Template

from notaverage.fileio import atomic_write_text
from notaverage.png import data_url

TEMPLATE = Path(__file__).with_name("template.html")

# Dotted keys every report JSON carries (documented in docs/RESULTS.md). An interval is a dict
# {estimate, low, high, method, level}; a verdict is {claim, status, text}.
JSON_KEYS = (
    "schema",
    "meta.data", "meta.n_train", "meta.n_test", "meta.config", "meta.nn_train", "meta.reference_median",
    "meta.n_reference", "meta.seconds", "meta.timings",
    "recognition.accuracy", "recognition.n_test", "recognition.confusion", "recognition.verdict",
    "novelty.n_samples", "novelty.n_test", "novelty.c_t", "novelty.cells_used", "novelty.confidence_median",
    "novelty.ratio_median", "novelty.verdict",
    "blends.n_pairs", "blends.steps", "blends.comparisons.ratio_mid_vae_minus_pixel",
    "blends.comparisons.ratio_mid_vae_slerp_minus_pixel", "blends.comparisons.ratio_mid_linear_minus_pixel",
    "blends.comparisons.pixel_distance_mid_vae_minus_linear", "blends.comparisons.pixel_distance_bulge_vae_minus_linear",
    "blends.comparisons.confidence_mid_vae_minus_pixel",
    *(f"blends.paths.{p}.{m}" for p in ("vae_lerp", "vae_slerp", "pixel", "linear")
      for m in ("confidence_mid", "confidence_interior", "entropy_mid", "entropy_interior", "ratio_mid",
                "ratio_interior", "crossing_sum_prob", "crossed", "smoothness", "pixel_distance_mid",
                "pixel_distance_interior", "pixel_distance_bulge")),
    "blends.verdict",
    "hybrid.classes", "hybrid.n_pairs", "hybrid.steps", "hybrid.example",
    *(f"hybrid.{r}.{m}" for r in ("hybrid", "pixel_average", "straight_midpoint") for m in ("gap", "sum", "ratio")),
    "hybrid.ratio_hybrid_minus_pixel_average", "hybrid.verdict",
    "ablation.n_pairs",
    *(f"ablation.models.{n}.{m}" for n in ("vae", "vae_identity", "linear")
      for m in ("recon_blend_distance_mid", "ratio_mid", "confidence_mid")),
    "ablation.recon_blend_distance_mid_vae_minus_identity", "ablation.ratio_mid_identity_minus_vae",
    "ablation.verdict",
    "traversals.variance_ratio", "traversals.n_directions", "traversals.span_sigma", "traversals.steps",
    "traversals.ratio_median", "traversals.verdict",
    "quality.nll.nats", "quality.nll.k", "quality.nll.n_images", "quality.nll.binarization", "quality.nll.verdict",
    "quality.frechet.warning", "quality.frechet.n_real", "quality.frechet.prior_samples",
    "quality.frechet.vae_midpoints", "quality.frechet.pixel_midpoints", "quality.frechet.linear_midpoints",
    "quality.frechet.verdict",
    *(f"verdicts.{k}" for k in ("recognition", "novelty", "blends", "hybrid", "ablation", "traversals",
                                "likelihood", "frechet")),
)


def missing_keys(numbers: dict) -> list[str]:
    """The JSON_KEYS absent from `numbers` (empty when the report is complete)."""
    missing = []
    for key in JSON_KEYS:
        node = numbers
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                missing.append(key)
                break
            node = node[part]
    return missing


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


def _sections(n: dict, figs: dict) -> str:
    out = []
    r = n["recognition"]
    out.append(_section("(a) It recognises digits", f"Classifier accuracy on {r['n_test']:,} test digits, "
                        f"{_iv(r['accuracy'], 4)} ({html.escape(r['accuracy']['method'])}).", r["verdict"],
                        _img(figs.get("confusion"), "confusion matrix")))
    v = n["novelty"]
    out.append(_section("(b) It produces new digits",
                        f"{v['n_samples']:,} samples from the prior against {v['n_test']:,} held-out test digits: "
                        f"data-copying C<sub>T</sub> = {v['c_t']:.2f} over {v['cells_used']} cells (Meehan et al. "
                        f"2020; below &minus;3 means copying); judge median confidence "
                        f"{_iv(v['confidence_median'])}; median manifold ratio {_iv(v['ratio_median'])} "
                        f"(first {v['ratio_n_samples']} samples).", v["verdict"],
                        _img(figs.get("samples"), "samples with nearest neighbours")))
    b = n["blends"]
    labels = {"confidence_mid": "judge confidence, t=0.5", "entropy_mid": "judge entropy (nats), t=0.5",
              "ratio_mid": "manifold ratio, t=0.5 (median)", "ratio_interior": "manifold ratio, t=.25/.5/.75 (median)",
              "crossing_sum_prob": "p_A+p_B at the crossing", "crossed": "share of paths whose vote crosses",
              "smoothness": "ACAI smoothness (0 = even)", "pixel_distance_mid": "distance from the pixel average, t=0.5",
              "pixel_distance_bulge": "same, minus the endpoints' mean distance"}
    rows = [[label] + [_iv(b["paths"][p][key]) for p in ("vae_lerp", "vae_slerp", "pixel", "linear")]
            for key, label in labels.items()]
    comp = [[k.replace("_", " "), _iv(x)] for k, x in b["comparisons"].items()]
    strips = "".join(_img(figs.get(f"strip_{k}"), "blend strip") for k in range(3))
    out.append(_section("(c) Latent blends are not pixel averages",
                        f"{b['n_pairs']:,} random test pairs of different classes (seeded), {b['steps']} images per "
                        "path. Means (or medians) with 95% bootstrap intervals over pairs.", b["verdict"],
                        _table(["measure", "VAE lerp", "VAE slerp", "pixel", "linear (PCA)"], rows)
                        + _table(["paired difference", "estimate [95%]"], comp) + strips))
    h = n["hybrid"]
    rows = [[name.replace("_", " ")] + [_iv(h[name][m]) for m in ("gap", "sum", "ratio")]
            for name in ("hybrid", "pixel_average", "straight_midpoint")]
    out.append(_section(f"(d) The {h['classes'][0]}-{h['classes'][1]} hybrid",
                        f"The finder on {h['n_pairs']} random {h['classes'][0]}-{h['classes'][1]} test pairs "
                        f"({h['steps']} gradient steps); the best hybrid of each pair.", h["verdict"],
                        _table(["image", "|p_A - p_B|", "p_A + p_B", "manifold ratio"], rows)
                        + _img(figs.get("hybrid"), "hybrids")))
    a = n["ablation"]
    rows = [[name] + [_iv(a["models"][name][m]) for m in ("recon_blend_distance_mid", "ratio_mid", "confidence_mid")]
            for name in ("vae", "vae_identity", "linear")]
    out.append(_section("(e) Nonlinearity makes the difference",
                        f"The same VAE trained with every activation removed (vae_identity), on the same "
                        f"{a['n_pairs']:,} pairs. Distance of the midpoint from the blend of the model's own "
                        "reconstructions, relative to the distance between those reconstructions.", a["verdict"],
                        _table(["model", "relative distance from own recon blend", "manifold ratio",
                                "judge confidence"], rows) + _img(figs.get("ablation"), "ablation strip")))
    t = n["traversals"]
    shares = ", ".join(f"{x:.1%}" for x in t["variance_ratio"])
    out.append(_section("(f) Primitive shapes",
                        f"Principal directions of the test codes, &plusmn;{t['span_sigma']:g}&sigma; around the mean; "
                        f"share of code variance per direction: {shares}. Median manifold ratio of the traversal "
                        f"images {_iv(t['ratio_median'])}.", t["verdict"], _img(figs.get("traversals"), "traversals")))
    q = n["quality"]
    fd = q["frechet"]
    rows = [[k.replace("_", " "), _iv(fd[k])] for k in ("prior_samples", "vae_midpoints", "pixel_midpoints",
                                                        "linear_midpoints")]
    out.append(_section("Generative quality",
                        f"IWAE test NLL {_iv(q['nll']['nats'], 4)} nats (k={q['nll']['k']}, "
                        f"{q['nll']['n_images']:,} test digits, {html.escape(q['nll']['binarization'])} binarised; "
                        "the VAE is trained on dynamically binarised MNIST).", q["nll"]["verdict"],
                        f"<p><b>Warning:</b> {html.escape(fd['warning'])}. Against {fd['n_real']:,} real test "
                        "digits:</p>" + _table(["set", "Frechet distance [95%]"], rows) + _verdict(fd["verdict"])))
    return "\n".join(out)


def render_html(numbers: dict, figs: dict) -> str:
    meta = numbers["meta"]
    summary = "".join(_verdict(v) for v in numbers["verdicts"].values())
    note = (f"{html.escape(meta['data'])}. Manifold ratios against {meta['nn_train']:,} training digits "
            f"(seeded random subset when fewer than the training set), with a ratio of 1 set by the median "
            f"distance of {meta['n_reference']:,} held-out test digits ({meta['reference_median']:.3f}). "
            f"Computed in {meta['seconds']:.0f} s. Every interval is 95%.")
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        meta=note, summary=summary, sections=_sections(numbers, figs))


def write_report(numbers: dict, figs: dict, out_dir: str | Path) -> tuple[Path, Path]:
    """Write report.html and report.json into `out_dir`; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = atomic_write_text(out_dir / "report.json", json.dumps(numbers, indent=2, sort_keys=False) + "\n")
    html_path = atomic_write_text(out_dir / "report.html", render_html(numbers, figs))
    return html_path, json_path
