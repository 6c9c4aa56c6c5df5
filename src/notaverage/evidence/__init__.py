"""The report's evidence: numbers computed from models + data + `notaverage.metrics`, verdicts
computed from those numbers, the controls that must fail them, and the figures that show them."""

from notaverage.evidence.build import CLAIMS, gather
from notaverage.evidence.context import EvidenceConfig

__all__ = ["CLAIMS", "EvidenceConfig", "gather"]
