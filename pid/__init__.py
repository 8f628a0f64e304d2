"""pid: partial information decomposition for multimodal machine learning.

Splits the information two modalities X1, X2 carry about a task Y into redundancy R,
uniqueness U1 and U2, and synergy S, all in bits; :func:`decompose_many` does so for every
pair of more modalities; :mod:`pid.heterogeneity` measures how heterogeneous many modalities
are, by transfer, and groups them for parameter sharing.
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
from pid.many import ManyResult, decompose_many
from pid.posterior import PosteriorOptions
from pid.result import PIDResult
from pid.sampling import SamplingOptions
from pid.version import __version__

__all__ = [
    "ESTIMATORS",
    "Distribution",
    "ManyResult",
    "PIDResult",
    "PosteriorOptions",
    "SamplingOptions",
    "SolverError",
    "__version__",
    "complete_matrix",
    "decompose",
    "decompose_many",
    "estimate",
    "interaction_transfer",
    "measure_heterogeneity",
    "modality_transfer",
    "parameter_groups",
    "sample_pairs",
]
