"""The exact estimator (CVX): certified PID of a discrete distribution.

:func:`cvx` and :func:`cvx_batch` solve ``max_{q in Delta_p} H_q(Y|X1,X2)`` with the
dedicated smoothed-dual Newton solver (:mod:`~pid.estimators.exact.path`, its Newton systems
in :mod:`~pid.estimators.exact.systems`, its certificate in
:mod:`~pid.estimators.exact.certificate`, its memory model in
:mod:`~pid.estimators.exact.memory`), by a dense interior-point method for a small table
alone (:mod:`~pid.estimators.exact.small_table`), or with the conic formulation in cvxpy
(:mod:`~pid.estimators.exact.conic`). Tunables travel in :class:`NewtonOptions`.
"""

from pid.estimators.exact.options import (
    CONIC_TOLERANCE_BITS,
    CVX_METHODS,
    NEWTON_TOLERANCE_BITS,
    NewtonOptions,
)
from pid.estimators.exact.path import maximize_conditional_entropy
from pid.estimators.exact.solve import cvx, cvx_batch

__all__ = [
    "CONIC_TOLERANCE_BITS",
    "CVX_METHODS",
    "NEWTON_TOLERANCE_BITS",
    "NewtonOptions",
    "cvx",
    "cvx_batch",
    "maximize_conditional_entropy",
]
