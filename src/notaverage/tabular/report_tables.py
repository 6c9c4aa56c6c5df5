"""HTML pieces of the report that summarise decisions: the task x split outcome tables, the
pre-specified pairs, compute per model, and what each score means in plain language."""

from __future__ import annotations

import html
import math

from notaverage.tabular.registry import PAIRS

SPLIT_ORDER = ("random", "time", "group", "spatial")

METRIC_TEXT = [
    ("RMSE (root mean squared error)",
     "How far the point predictions are from the held-out outcomes, in the outcome's own units (square "
     "root of the average squared error). Lower is better. It judges only the mean prediction, and it is "
     "the metric the verdict is computed from: a relative difference of -5 % means boosting's errors were "
     "5 % smaller than linear regression's."),
    ("Log score and CRPS",
     "Both judge the whole predictive distribution, not just its centre. The log score is minus the log "
     "of the predictive density at the outcome that happened: it punishes a confident miss hard and an "
     "honest wide forecast mildly. The CRPS (continuous ranked probability score) is the average distance "
     "between the predictive distribution and the outcome, in the outcome's units; for a forecast with no "
     "spread it equals the absolute error. For both, lower is better. Here each model's distribution is "
     "Gaussian with its own mean and sd."),
    ("90 % coverage",
     "The share of held-out outcomes that fell inside the model's 90 % prediction interval. A calibrated "
     "model covers about 0.90: below means the intervals are too narrow (over-confident), above means they "
     "are wider than needed. Width is reported beside it, since an interval can cover by being wide."),
]


def _pct(x) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{100 * x:+.1f}%"


def _p(x) -> str:
    return "–" if x is None else f"{x:.3g}"


def comparison_cell(c: dict) -> str:
    """Outcome, relative RMSE difference with its 95% interval, and the Holm p-value."""
    if c["outcome"] == "n/a":
        return "<td>–</td>"
    ci = c.get("ci95") or [None, None]
    return (f"<td class='{c['outcome']}'><b>{c['outcome']}</b><br>{_pct(c['rel_diff'])} "
            f"[{_pct(ci[0])}, {_pct(ci[1])}]<br><span class='small'>p<sub>Holm</sub> {_p(c['p_holm'])}; "
            f"{html.escape(str(c['best_boosting']))} vs {html.escape(str(c['best_linear']))}</span></td>")


def outcome_tables(settings: list[dict], margin: float) -> str:
    """One task x split table per family (real first), cells from the main comparison."""
    parts = [f"<h2>Outcomes per task and split</h2><p>Boosting's RMSE relative to linear regression's, "
             f"with its 95 % interval; <b>better</b>/<b>worse</b>: the Holm-adjusted corrected t-test "
             f"rejects equality; <b>equivalent</b>: the Holm-adjusted TOST shows the difference within "
             f"±{100 * margin:g} %; otherwise <b>inconclusive</b>. Models chosen per repeat on inner "
             "validation rows; the cell names the one chosen most often.</p>"]
    for family in ("real", "simulated"):
        mine = [s for s in settings if s["kind"] == family]
        if not mine:
            continue
        splits = [sp for sp in SPLIT_ORDER if any(s["split"] == sp for s in mine)]
        index = {(s["task"], s["split"]): s for s in mine}
        head = "".join(f"<th>{sp}</th>" for sp in splits)
        rows = []
        for task in dict.fromkeys(s["task"] for s in mine):
            cells = "".join(comparison_cell(index[(task, sp)]["comparison"]) if (task, sp) in index
                            else "<td></td>" for sp in splits)
            rows.append(f"<tr><th>{html.escape(task)}</th>{cells}</tr>")
        title = ("Real datasets (the verdict's family)" if family == "real"
                 else "Simulations (mechanism checks with known truth)")
        parts.append(f"<h3>{title}</h3><table><tr><th>task</th>{head}</tr>{''.join(rows)}</table>")
    return "".join(parts)


def pairs_table(settings: list[dict]) -> str:
    """The pre-specified pairs: no selection at all, one linear and one tree model each."""
    head = "".join(f"<th>{html.escape(name.replace('_vs_', ' vs '))}</th>" for name in PAIRS)
    rows = []
    for s in settings:
        cells = "".join(comparison_cell(s["pairs"][name]) for name in PAIRS)
        rows.append(f"<tr><th>{html.escape(s['task'])} / {s['split']} ({s['kind']})</th>{cells}</tr>")
    return ("<h2>Pre-specified pairs</h2><p>Each linear model against the tree model that sees the same "
            "structure, fixed before any run (no selection); Holm within each family and pair.</p>"
            f"<table><tr><th>setting</th>{head}</tr>{''.join(rows)}</table>")


def compute_table(timing: dict) -> str:
    by_model = timing.get("fit_seconds_by_model") or {}
    rows = "".join(f"<tr><td>{html.escape(name)}</td><td>{v['fits']}</td><td>{v['seconds']:.0f}</td>"
                   f"<td>{v['seconds'] / max(v['fits'], 1):.2f}</td></tr>" for name, v in by_model.items())
    return ("<h2>Compute per model</h2><p>Wall seconds on one thread, tuning and the inner-validation refit "
            "included.</p><table><tr><th>model</th><th>fits</th><th>total s</th><th>s per fit</th></tr>"
            f"{rows}</table>")


def metrics_html() -> str:
    return "<h2>What the scores mean</h2>" + "".join(
        f"<p><b>{html.escape(title)}.</b> {html.escape(text)}</p>" for title, text in METRIC_TEXT)
