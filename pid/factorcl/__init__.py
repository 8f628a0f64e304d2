"""FactorCL: contrastive learning of shared and unique information (thesis Chapter 4).

Standard multimodal contrastive learning keeps only what both modalities share. FactorCL
learns factorized representations ``Z_S1, Z_S2`` (shared) and ``Z_U1, Z_U2`` (unique),
capturing task-relevant information with InfoNCE lower bounds and removing task-irrelevant
information with NCE-CLUB upper bounds, supervised by labels or self-supervised through
multimodal augmentations.

- :func:`train` and :class:`ContrastiveModel`: FactorCL-SUP/SSL, OurCL-SUP/SSL, SimCLR,
  Cross+Self, SupCon; :class:`CriticSettings`: how FactorCL's critics are trained.
- :mod:`pid.factorcl.estimators`: ``infonce``, ``nce_club`` and ``mi_bounds``.
- :mod:`pid.factorcl.augment`: unimodal and unique augmentations.
- :func:`linear_probe`, :func:`latent_information`: evaluation; :func:`probe`: what each
  representation holds about labels and latents (``pid factorcl probe``).
- :func:`shared_unique`, :func:`correlated_gaussians`: synthetic data.

torch is imported with this subpackage, not with ``pid``.
"""

from pid.factorcl.estimators import infonce, mi_bounds, nce_club
from pid.factorcl.evaluate import latent_information, linear_probe
from pid.factorcl.objectives import CriticSettings
from pid.factorcl.probing import probe
from pid.factorcl.synthetic import correlated_gaussians, shared_unique
from pid.factorcl.training import METHODS, ContrastiveModel, train

__all__ = [
    "METHODS",
    "ContrastiveModel",
    "CriticSettings",
    "correlated_gaussians",
    "infonce",
    "latent_information",
    "linear_probe",
    "mi_bounds",
    "nce_club",
    "probe",
    "shared_unique",
    "train",
]
