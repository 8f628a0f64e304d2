"""PID estimators: functions from a :class:`~pid.Distribution` to a :class:`~pid.PIDResult`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pid.distribution import Distribution
from pid.estimators.cvx import cvx
from pid.estimators.measures import coinformation, imin, mmi
from pid.result import PIDResult

#: Estimators by the name used in ``estimate``, ``decompose`` and ``pid compute --estimator``.
ESTIMATORS: dict[str, Callable[..., PIDResult]] = {
    "cvx": cvx,
    "imin": imin,
    "mmi": mmi,
    "coinformation": coinformation,
}


def estimate(dist: Distribution, estimator: str = "cvx", **options: Any) -> PIDResult:
    """Decompose a distribution with the estimator of the given name.

    ``options`` are passed to the estimator (for ``"cvx"``: ``solver``, ``solver_options``).
    """
    if estimator not in ESTIMATORS:
        raise ValueError(
            f"estimator {estimator!r} is unknown; choose one of {', '.join(ESTIMATORS)}."
        )
    return ESTIMATORS[estimator](dist, **options)


__all__ = ["ESTIMATORS", "coinformation", "cvx", "estimate", "imin", "mmi"]
