"""The report's evidence: numbers computed from models + data + `notaverage.metrics`, verdicts
computed from those numbers, and the figures that show them."""

from notaverage.evidence.build import EvidenceConfig, gather, wilson

__all__ = ["EvidenceConfig", "gather", "wilson"]
