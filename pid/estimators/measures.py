"""Other redundancy measures, for comparison with Bertschinger et al.'s PID.

Each one fixes the redundancy R and completes U1, U2 and S from the consistency equations
of the bivariate lattice (:meth:`pid.PIDResult.from_redundancy`).
"""

from __future__ import annotations

import numpy as np

from pid.distribution import Distribution, as_distribution
from pid.result import PIDResult


def imin(dist: Distribution) -> PIDResult:
    """Williams and Beer's ``I_min`` redundancy.

    ``I_min = sum_y p(y) min_i I(Y=y; X_i)`` with the specific information
    ``I(Y=y; X_i) = sum_{x_i} p(x_i|y) log2(p(y|x_i) / p(y))``, i.e. the KL divergence of
    ``p(x_i|y)`` from ``p(x_i)``.
    """
    dist = as_distribution(dist)
    p_y = dist.p_y
    support = p_y > 0
    specific = [_specific_information(p_xy)[support] for p_xy in (dist.p_x1_y, dist.p_x2_y)]
    redundancy = float(np.sum(p_y[support] * np.minimum(*specific)))
    return PIDResult.from_redundancy(dist, redundancy, "imin")


def mmi(dist: Distribution) -> PIDResult:
    """Minimum mutual information redundancy, ``R = min(I(X1;Y), I(X2;Y))``."""
    dist = as_distribution(dist)
    return PIDResult.from_redundancy(dist, min(dist.mi_x1_y, dist.mi_x2_y), "mmi")


def coinformation(dist: Distribution) -> PIDResult:
    """Co-information split by sign: ``R = max(I(X1;X2;Y), 0)``, ``S = max(-I(X1;X2;Y), 0)``.

    Positive co-information counts as redundancy and negative as synergy (thesis Section
    3.1.2), so that ``R - S = I(X1;X2;Y)``. The unique terms are then ``I(Xi;Y|Xj)`` when the
    co-information is positive and ``I(Xi;Y)`` otherwise; all four are non-negative.
    """
    dist = as_distribution(dist)
    return PIDResult.from_redundancy(dist, max(dist.co_information, 0.0), "coinformation")


def _specific_information(p_xy: np.ndarray) -> np.ndarray:
    """``I(Y=y; X) = sum_x p(x|y) log2(p(x|y) / p(x))`` for each y (0 where p(y) = 0)."""
    p_x = p_xy.sum(axis=1, keepdims=True)
    p_y = p_xy.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p_xy > 0, p_xy * np.log2(p_xy / (p_x * p_y)), 0.0)
        return np.where(p_y[0] > 0, terms.sum(axis=0) / p_y[0], 0.0)
