"""Synergy bounds and predicted accuracy without labeled multimodal data (thesis Chapter 6)."""

from pid.bounds.coupling import coupling_entropy, greedy_coupling_entropy, majorization_meet
from pid.bounds.marginals import PairwiseMarginals
from pid.bounds.max_entropy import (
    ConditionalMIMinimum,
    MaxEntropyJoint,
    MaxEntropyOptions,
    maximize_joint_entropy,
    minimize_conditional_mutual_information,
)
from pid.bounds.synergy import SynergyBounds, disagreement_bound, synergy_bounds

__all__ = [
    "ConditionalMIMinimum",
    "MaxEntropyJoint",
    "MaxEntropyOptions",
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
