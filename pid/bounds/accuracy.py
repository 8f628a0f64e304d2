"""Bounds on the best achievable accuracy from mutual information (thesis Theorem 8)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from pid.information import entropy

#: Safety margin on the inverted Fano root, far above the bisection tolerance.
ROOT_MARGIN = 1e-12


def accuracy_lower_bound(information: float, p_y: ArrayLike) -> float:
    """Lowest accuracy of the Bayes classifier when ``I(X;Y) = information`` bits.

    ``max_y p(y|x) >= 2^(-H(Y|X=x))`` and Jensen's inequality give the Feder-Merhav bound
    ``acc >= 2^(-H(Y|X)) = 2^(I - H(Y))``; predicting the most frequent label also gives
    ``acc >= max_y p(y)``. The larger of the two is returned.
    """
    p_y = np.asarray(p_y, dtype=float)
    conditional = max(entropy(p_y) - information, 0.0)
    return float(min(max(2.0 ** (-conditional), p_y.max()), 1.0))


def accuracy_upper_bound(information: float, p_y: ArrayLike) -> float:
    """Highest accuracy of any classifier when ``I(X;Y) <= information`` bits.

    Fano's inequality, ``H(Y|X) <= h(e) + e log2(K - 1)`` for error ``e`` and ``K`` labels, is
    inverted exactly: the right side increases on ``[0, 1 - 1/K]``, so the smallest error
    consistent with ``H(Y|X) >= H(Y) - information`` is its root there, found by bisection.
    The result never exceeds 1.
    """
    p_y = np.asarray(p_y, dtype=float)
    k = int(np.count_nonzero(p_y))
    conditional = entropy(p_y) - information
    if k <= 1 or conditional <= 0:
        return 1.0
    worst = 1.0 - 1.0 / k
    conditional = min(conditional, np.log2(k))

    def fano(error: float) -> float:
        return entropy([error, 1.0 - error]) + error * np.log2(k - 1) - conditional

    if fano(worst) <= 0:
        return 1.0 - worst
    # Round the root down (the error up to 1e-12 less) so bisection never cuts the bound.
    root = brentq(fano, 0.0, worst, xtol=1e-14)
    return float(min(1.0 - max(root - ROOT_MARGIN, 0.0), 1.0))


def accuracy_interval(
    information_low: float, information_high: float, p_y: ArrayLike
) -> tuple[float, float]:
    """Accuracy of the best model when ``I(X1,X2;Y)`` lies in ``[low, high]`` bits."""
    return accuracy_lower_bound(information_low, p_y), accuracy_upper_bound(information_high, p_y)
