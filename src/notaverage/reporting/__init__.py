"""The report: one self-contained HTML file (images embedded as base64 PNG, no external resources)
and a JSON file beside it carrying every number under the keys in `JSON_KEYS`."""

from notaverage.reporting.html import render_html, write_report
from notaverage.reporting.schema import JSON_KEYS, missing_keys

__all__ = ["JSON_KEYS", "missing_keys", "render_html", "write_report"]
