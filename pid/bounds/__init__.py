"""Synergy bounds and predicted accuracy without labeled multimodal data (thesis Chapter 6)."""

from pid.bounds.coupling import coupling_entropy, greedy_coupling_entropy, majorization_meet
from pid.bounds.marginals import PairwiseMarginals
from pid.bounds.synergy import SynergyBounds, disagreement_bound, synergy_bounds
from pid.estimators.max_entropy import (
    ConditionalMIMinimum,
    MaxEntropyJoint,
    maximize_joint_entropy,
    minimize_conditional_mutual_information,
)

__all__ = [
    "ConditionalMIMinimum",
    "MaxEntropyJoint",
    "PairwiseMarginals",
    "SynergyBounds",
    "coupling_entropy",
    "disagreement_bound",
    "greedy_coupling_entropy",
    "majorization_meet",
    "maximize_joint_entropy",
    "minimize_conditional_mutual_information",
    "synergy_bounds",
]
