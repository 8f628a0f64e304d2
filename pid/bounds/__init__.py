"""Synergy bounds and predicted accuracy without labeled multimodal data (thesis Chapter 6)."""

from pid.bounds.coupling import coupling_entropy, greedy_coupling_entropy, majorization_meet
from pid.bounds.marginals import PairwiseMarginals
from pid.bounds.synergy import (
    SynergyBounds,
    disagreement_bound,
    max_entropy_with_pairwise_marginals,
    synergy_bounds,
)

__all__ = [
    "PairwiseMarginals",
    "SynergyBounds",
    "coupling_entropy",
    "disagreement_bound",
    "greedy_coupling_entropy",
    "majorization_meet",
    "max_entropy_with_pairwise_marginals",
    "synergy_bounds",
]
