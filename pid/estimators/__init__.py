"""PID estimators: functions to a :class:`~pid.PIDResult`.

Most take a :class:`~pid.Distribution`; those in :data:`SAMPLE_ESTIMATORS` (BATCH) take the
paired samples ``x1, x2, y`` themselves, because they never build the discrete joint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pid.distribution import Distribution
from pid.estimators.batch import batch
from pid.estimators.cvx import cvx, cvx_batch
from pid.estimators.max_entropy import (
    ConditionalMIMinimum,
    MaxEntropyJoint,
    maximize_joint_entropy,
    minimize_conditional_mutual_information,
)
from pid.estimators.measures import coinformation, imin, mmi
from pid.result import PIDResult

#: Estimators by the name used in ``estimate``, ``decompose`` and ``pid compute --estimator``.
ESTIMATORS: dict[str, Callable[..., PIDResult]] = {
    "cvx": cvx,
    "imin": imin,
    "mmi": mmi,
    "coinformation": coinformation,
    "batch": batch,
}

#: Estimators called as ``f(x1, x2, y, **options)`` on samples rather than on a Distribution.
SAMPLE_ESTIMATORS = frozenset({"batch"})


def estimate(dist: Distribution, estimator: str = "cvx", **options: Any) -> PIDResult:
    """Decompose a distribution with the estimator of the given name.

    ``options`` are passed to the estimator (for ``"cvx"``: ``method``, ``tol_bits``, and
    with ``method="cvxpy"`` also ``solver`` and ``solver_options``).
    Estimators of :data:`SAMPLE_ESTIMATORS` need the samples, so they are refused here.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(
            f"estimator {estimator!r} is unknown; choose one of {', '.join(ESTIMATORS)}."
        )
    if estimator in SAMPLE_ESTIMATORS:
        raise ValueError(
            f"estimator {estimator!r} works on samples, not on a Distribution; call "
            f"pid.estimators.{estimator}(x1, x2, y) instead."
        )
    return ESTIMATORS[estimator](dist, **options)


__all__ = [
    "ESTIMATORS",
    "SAMPLE_ESTIMATORS",
    "ConditionalMIMinimum",
    "MaxEntropyJoint",
    "batch",
    "coinformation",
    "cvx",
    "cvx_batch",
    "estimate",
    "imin",
    "maximize_joint_entropy",
    "minimize_conditional_mutual_information",
    "mmi",
]
