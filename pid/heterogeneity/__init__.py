"""Modality and interaction heterogeneity by transfer, and parameter groups (HighMMT, thesis
Chapter 9).

- :func:`modality_transfer`, :func:`interaction_transfer`: ``d(X_i; X_j)`` and
  ``d(X_i, X_j; X_k, X_l)`` from unimodal and crossmodal transfer (Eqs. 9.1-9.8).
- :func:`sample_pairs`, :func:`complete_matrix`, :func:`complete_distances`: a random ``O(M)``
  sample of entries and a low-rank completion of the rest; :class:`AdaptiveDesign` and
  :func:`informative_pairs` measure in rounds, where the completion is least determined.
- :func:`linkage_tree`, :func:`parameter_groups`: agglomerative clustering into ``k`` groups.
- :func:`measure_heterogeneity`: all of it, from samples of M modalities to the groups.

The transfer measurements train models (torch, imported when they run).
"""

from pid.heterogeneity.completion import (
    AdaptiveDesign,
    complete_distances,
    complete_matrix,
    informative_pairs,
    sample_pairs,
)
from pid.heterogeneity.groups import LINKAGES, linkage_tree, parameter_groups
from pid.heterogeneity.measure import Heterogeneity, measure_heterogeneity
from pid.heterogeneity.transfer import (
    FINE_TUNE,
    TransferMatrix,
    check_modalities,
    interaction_transfer,
    modality_transfer,
)

__all__ = [
    "FINE_TUNE",
    "LINKAGES",
    "AdaptiveDesign",
    "Heterogeneity",
    "TransferMatrix",
    "check_modalities",
    "complete_distances",
    "complete_matrix",
    "informative_pairs",
    "interaction_transfer",
    "linkage_tree",
    "measure_heterogeneity",
    "modality_transfer",
    "parameter_groups",
    "sample_pairs",
]
