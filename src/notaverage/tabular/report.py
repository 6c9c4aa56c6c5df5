"""The benchmark's outputs: a JSON file with stable keys and a self-contained HTML page.

JSON top-level keys (schema "notaverage.tabular/1"):
    schema, claim, config, datasets, unavailable, models, splits, settings, sweeps, verdict,
    results, timing
Each entry of `settings` (and `sweeps`): task, split, kind, repeats, n_train, n_test,
oracle_rmse, models{name: {rmse, crps, log_score, coverage90, width90: {mean, sd}, family,
fit_seconds, failures}}, comparison, comparison_log_score, comparison_plain.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from notaverage.fileio import atomic_write_text
from notaverage.tabular import plots, report_tables
from notaverage.tabular.inference import EQUIVALENCE_MARGIN
from notaverage.tabular.registry import MODEL_NAMES
from notaverage.tabular.scores import METRICS
from notaverage.tabular.task import SPLIT_TEXT

SCHEMA = "notaverage.tabular/1"
JSON_NAME = "tabular.json"
HTML_NAME = "tabular.html"
MODEL_TEXT = {
    "ols": "ordinary least squares on all features",
    "ols_fe": "OLS with a fixed effect (dummy) per top-level group",
    "lmm": "linear mixed model: random intercepts and the task's random slopes (statsmodels MixedLM, REML, "
           "optimisers L-BFGS, BFGS, Powell, CG in turn; GPBoost GPModel with a linear mean, ML, for "
           "crossed/nested factors); singular fits flagged as lme4's isSingular; kriged spatial effect for "
           "unseen locations on spatial tasks",
    "lgbm": "LightGBM on the features, tuned on inner folds (4-configuration grid, early stopping), "
            "split-conformal 90% interval",
    "lgbm_group": "the same with group ids as categorical features",
    "gpboost": "GPBoost: trees (tuned on inner folds, 2-configuration grid) plus the mixed model's random "
               "effects (intercepts for every grouping factor and the task's random slopes), y standardised; "
               "on spatial tasks its own Gaussian process (exponential covariance, parameters by ML with a "
               "linear mean, then held fixed while boosting)",
}
LIMITS = [
    ("Tree tuning is a small fixed grid (LightGBM 4, GPBoost 2 configurations, rounds by early stopping) on "
     "one inner holdout, not an exhaustive search; a larger budget could still move close settings."),
    ("GPBoost's variances are its own and uncalibrated; on spatial tasks its covariance parameters come from "
     "a linear-mean fit and are not re-estimated while boosting."),
    ("The linear mixed model's spatial effect is two-stage kriging of residual location effects, not a joint "
     "spatial mixed model."),
    ("No model captures AR(1) errors or uses a lagged outcome; the linear family has no splines. 'Better' "
     "means better than these linear specifications only."),
    "Simulated tasks have ~1000 rows; the gap on linear truths may shrink with more data (not tested).",
    ("Large tables are subsampled by whole units (stated per dataset). --quick uses 3 repeats and is a "
     "smoke test, not evidence."),
]


def build_document(config: dict, datasets: dict, settings: list[dict], sweeps: list[dict],
                   verdict: dict, results: list[dict], timing: dict, unavailable: list[dict]) -> dict:
    return {
        "schema": SCHEMA,
        "claim": verdict["claim"],
        "config": config,
        "datasets": datasets,
        "unavailable": unavailable,
        "models": {name: {"family": "linear" if name in ("ols", "ols_fe", "lmm") else "boosting",
                          "description": MODEL_TEXT[name]} for name in MODEL_NAMES},
        "splits": dict(SPLIT_TEXT),
        "settings": settings,
        "sweeps": sweeps,
        "verdict": verdict,
        "results": results,
        "timing": timing,
    }


def write(document: dict, out_dir: Path, figures: dict[str, str | None]) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    json_path = atomic_write_text(out_dir / JSON_NAME, json.dumps(_clean(document), indent=1) + "\n")
    html_path = atomic_write_text(out_dir / HTML_NAME, render_html(document, figures))
    return html_path, json_path


def make_figures(settings: list[dict], sweeps: list[dict]) -> dict[str, str | None]:
    return {
        "Forest plot: boosting vs linear regression per setting": plots.forest_figure(settings,
                                                                                      EQUIVALENCE_MARGIN),
        "Error relative to the oracle as each simulated effect is switched on":
            plots.scenario_figure(settings),
        "Error relative to the oracle as one effect's strength grows": plots.sweep_figure(settings + sweeps),
        "Real data: RMSE relative to the best linear model": plots.real_figure(settings),
        "Calibration: coverage of the 90% intervals": plots.coverage_figure(settings),
    }


def _clean(value):
    """JSON has no NaN/inf: write null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _fmt(x, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{digits}g}"


def render_html(doc: dict, figures: dict[str, str | None]) -> str:
    e = html.escape
    v = doc["verdict"]
    parts = [(f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>notaverage tabular benchmark</title><style>{CSS}</style></head><body>"),
             "<h1>Do boosted trees beat linear regression on human-systems data?</h1>",
             f"<p class='claim'>Claim under test: “{e(doc['claim'])}”.</p>",
             _banner(doc),
             f"<div class='verdict'><h2>Verdict</h2><p>{e(v['text'])}</p></div>",
             report_tables.outcome_tables(doc["settings"], doc["config"].get("equivalence_margin",
                                                                              EQUIVALENCE_MARGIN)),
             report_tables.metrics_html(),
             _config_html(doc)]
    for title, png in figures.items():
        if png:
            parts.append(f"<h2>{e(title)}</h2><img alt='{e(title)}' src='data:image/png;base64,{png}'>")
    parts.append(report_tables.pairs_table(doc["settings"]))
    parts.append(report_tables.compute_table(doc["timing"]))
    parts.append("<h2>Results per setting</h2><p>Mean (sd) over repeats; lower is better except coverage "
                 "(target 0.90). Bold: the best linear and the best boosting model.</p>")
    parts.extend(_setting_html(s) for s in doc["settings"])
    if doc["sweeps"]:
        parts.append("<h2>Effect-strength sweeps (random split)</h2>")
        parts.extend(_setting_html(s) for s in doc["sweeps"])
    parts.append(_datasets_html(doc))
    parts.append("<h2>Limitations</h2><ul>" + "".join(f"<li>{e(t)}</li>" for t in LIMITS) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _banner(doc: dict) -> str:
    if not doc["config"]["quick"]:
        return ""
    return ("<div class='banner'><b>Quick run: a smoke test, not evidence.</b> Fewer datasets, smaller "
            f"simulations, {doc['config']['repeats']} repeats and a reduced tuning budget: it checks that "
            "the "
            "pipeline runs end to end. Its outcomes carry almost no power; run without --quick for the "
            "benchmark.</div>")


def _config_html(doc: dict) -> str:
    c, t = doc["config"], doc["timing"]
    rows = [("mode", "quick" if c["quick"] else "full"), ("seed", c["seed"]), ("repeats", c["repeats"]),
            ("tasks", ", ".join(c["tasks"])), ("wall time", f"{t['wall_seconds']:.0f} s"),
            ("packages", ", ".join(f"{k} {v}" for k, v in c["versions"].items()))]
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    splits = "".join(f"<li><b>{k}</b>: {html.escape(v)}</li>" for k, v in doc["splits"].items())
    models = "".join(f"<li><b>{k}</b> ({m['family']}): {html.escape(m['description'])}</li>"
                     for k, m in doc["models"].items())
    return (f"<h2>Setup</h2><table class='kv'>{body}</table><h3>Splits</h3><ul>{splits}</ul>"
            f"<h3>Models</h3><ul>{models}</ul>")


def _setting_html(s: dict) -> str:
    c = s["comparison"]
    best = {c["best_linear"], c["best_boosting"]}
    oracle = s.get("oracle_rmse")
    head = "".join(f"<th>{m}</th>" for m in ("model",) + METRICS + ("fit s",))
    if oracle:
        head = head.replace("<th>crps</th>", "<th>rmse/oracle</th><th>crps</th>")
    rows = []
    for name in ("oracle",) + MODEL_NAMES:
        m = s["models"].get(name)
        if m is None:
            continue
        cells = [f"<td>{'<b>' + name + '</b>' if name in best else name}</td>"]
        for metric in METRICS:
            mean, sd = m[metric]["mean"], m[metric]["sd"]
            cells.append(f"<td>{_fmt(mean)} ({_fmt(sd, 2)})</td>")
            if metric == "rmse" and oracle:
                cells.append(f"<td>{_fmt(None if mean is None else mean / oracle)}</td>")
        cells.append(f"<td>{_fmt(m['fit_seconds'], 2)}</td>")
        if m["failures"]:
            cells.append(f"<td class='fail'>{html.escape('; '.join(m['failures']))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    outcome = (f"{c['outcome']}: {c['best_boosting']} vs {c['best_linear']}, "
               f"{_fmt(None if c['rel_diff'] is None else 100 * c['rel_diff'])}% RMSE, p = {_fmt(c['p'], 2)}")
    return (f"<h3>{html.escape(s['task'])} / {s['split']} <span class='{c['outcome']}'>{html.escape(outcome)}"
            f"</span></h3><p class='small'>n_train ≈ {s['n_train']:.0f}, n_test ≈ {s['n_test']:.0f}, "
            f"{s['repeats']} repeats</p><table><tr>{head}</tr>{''.join(rows)}</table>")


def _datasets_html(doc: dict) -> str:
    keys = ("source", "target", "features", "grouping", "human_system", "subsample", "n_rows")
    head = "".join(f"<th>{k}</th>" for k in ("name",) + keys)
    rows = "".join("<tr><td>" + html.escape(name) + "</td>"
                   + "".join(f"<td>{html.escape(str(meta.get(k, '')))}</td>" for k in keys) + "</tr>"
                   for name, meta in doc["datasets"].items())
    missing = "".join(f"<li>{html.escape(u['name'])}: {html.escape(u['reason'])}</li>"
                      for u in doc["unavailable"])
    return (f"<h2>Datasets</h2><table>{'<tr>' + head + '</tr>'}{rows}</table>"
            + (f"<p>Not available offline:</p><ul>{missing}</ul>" if missing else ""))


CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.4em 0 1.2em;font-size:.85em}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.banner{background:#fff4ce;border:2px solid #c9a100;padding:.5em 1em;margin:1em 0}
.verdict{background:#f4f4f8;border-left:4px solid #446;padding:.2em 1em}
.claim{font-style:italic} .small{font-size:.8em;color:#555;margin:0}
.better{color:#1a7f37} .worse{color:#b3261e} .equivalent{color:#1f5fbf} .inconclusive{color:#666}
.fail{color:#b3261e}
img{max-width:100%} h3{margin-bottom:.2em;font-size:1em}
"""
