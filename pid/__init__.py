"""pid: partial information decomposition for multimodal machine learning.

Splits the information two modalities X1, X2 carry about a task Y into redundancy R,
uniqueness U1 and U2, and synergy S, all in bits; measures how heterogeneous many modalities
are, by transfer, and groups them for parameter sharing (:mod:`pid.heterogeneity`).
"""

from pid.api import decompose
from pid.distribution import Distribution
from pid.errors import SolverError
from pid.estimators import ESTIMATORS, estimate
from pid.heterogeneity import (
    complete_matrix,
    interaction_transfer,
    measure_heterogeneity,
    modality_transfer,
    parameter_groups,
    sample_pairs,
)
from pid.posterior import PosteriorOptions
from pid.result import PIDResult
from pid.sampling import SamplingOptions
from pid.version import __version__

__all__ = [
    "ESTIMATORS",
    "Distribution",
    "PIDResult",
    "PosteriorOptions",
    "SamplingOptions",
    "SolverError",
    "__version__",
    "complete_matrix",
    "decompose",
    "estimate",
    "interaction_transfer",
    "measure_heterogeneity",
    "modality_transfer",
    "parameter_groups",
    "sample_pairs",
]
