"""Pure functions on arrays that measure the claim: no file I/O, no plotting, seeded.

Formulas, reasons and caveats: docs/METRICS.md.
"""

from notaverage.metrics.generative import (
    dynamic_binarize,
    frechet_distance,
    frechet_distance_from_stats,
    gaussian_stats,
    iwae_nll,
    model_iwae_nll,
)
from notaverage.metrics.neighbors import nearest_neighbors, nearest_training_digits
from notaverage.metrics.novelty import (
    DataCopyingResult,
    NeighbourGallery,
    CopyingReading,
    assign_cells,
    copying_null,
    data_copying_test,
    fit_cells,
    mann_whitney_z,
    nearest_neighbour_gallery,
    read_copying,
)
from notaverage.metrics.paths import (
    Crossing,
    crossing_ambiguity,
    distance_from_pixel_path,
    relative_recon_blend_distance,
    step_unevenness,
    step_sizes,
)
from notaverage.metrics.realism import (
    judge_confidence,
    judge_entropy,
    manifold_distance_ratio,
    reference_nn_median,
)
from notaverage.metrics.stats import Interval, bootstrap_ci, paired_difference_ci, seed_ci, wilson

__all__ = [
    "CopyingReading",
    "Crossing",
    "DataCopyingResult",
    "Interval",
    "NeighbourGallery",
    "assign_cells",
    "bootstrap_ci",
    "copying_null",
    "crossing_ambiguity",
    "data_copying_test",
    "distance_from_pixel_path",
    "dynamic_binarize",
    "fit_cells",
    "frechet_distance",
    "frechet_distance_from_stats",
    "gaussian_stats",
    "iwae_nll",
    "model_iwae_nll",
    "judge_confidence",
    "judge_entropy",
    "manifold_distance_ratio",
    "mann_whitney_z",
    "nearest_neighbors",
    "nearest_neighbour_gallery",
    "nearest_training_digits",
    "paired_difference_ci",
    "read_copying",
    "reference_nn_median",
    "relative_recon_blend_distance",
    "seed_ci",
    "step_sizes",
    "step_unevenness",
    "wilson",
]
