"""notaverage: see, and measure, that a neural network does not average its inputs.

The Python API (documented in `notaverage.api`, walked through in docs/tour.ipynb):

    load_data, pick_digit, get_model, blend, sample, hybrid, report

They are loaded on first use, so `import notaverage` does not import torch.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["load_data", "pick_digit", "get_model", "blend", "sample", "hybrid", "report", "__version__"]


def __getattr__(name: str):
    if name in __all__:
        from notaverage import api

        return getattr(api, name)
    raise AttributeError(f"module 'notaverage' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
