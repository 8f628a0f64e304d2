"""One-line entry points."""

from __future__ import annotations

from typing import Any

from numpy.typing import ArrayLike

from pid.distribution import Distribution
from pid.estimators import estimate
from pid.result import PIDResult


def decompose(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, *, estimator: str = "cvx", **options: Any
) -> PIDResult:
    """PID of paired samples of discrete codes: how X1 and X2 inform Y, in bits.

    Builds the empirical joint ``p(x1, x2, y)`` (:meth:`Distribution.from_samples`) and
    decomposes ``I(X1,X2;Y) = R + U1 + U2 + S`` with the named estimator (thesis Eqs. 3.1 to
    3.3 for the default ``"cvx"``). ``U1`` belongs to ``x1``.

    >>> import numpy as np, pid
    >>> x1 = np.array([0, 0, 1, 1]); x2 = np.array([0, 1, 0, 1])
    >>> round(pid.decompose(x1, x2, x1 ^ x2).S, 6)
    1.0
    """
    return estimate(Distribution.from_samples(x1, x2, y), estimator, **options)
