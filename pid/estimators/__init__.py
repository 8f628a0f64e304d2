"""PID estimators: functions to a :class:`~pid.PIDResult`.

- :mod:`~pid.estimators.exact`: CVX, the certified exact decomposition of a discrete joint.
- :mod:`~pid.estimators.neural`: BATCH, a neural approximation that works on samples.
- :mod:`~pid.estimators.measures`: other redundancy measures, for comparison.
- :mod:`~pid.estimators.registry`: the estimators by name and :func:`estimate`.
"""

from pid.estimators.exact import NewtonOptions, cvx, cvx_batch
from pid.estimators.measures import coinformation, imin, mmi
from pid.estimators.neural import BatchConfig, batch
from pid.estimators.registry import (
    ESTIMATORS,
    SAMPLE_ESTIMATORS,
    check_estimator,
    check_options,
    estimate,
    estimator_options,
)

__all__ = [
    "ESTIMATORS",
    "SAMPLE_ESTIMATORS",
    "BatchConfig",
    "NewtonOptions",
    "batch",
    "check_estimator",
    "check_options",
    "coinformation",
    "cvx",
    "cvx_batch",
    "estimate",
    "estimator_options",
    "imin",
    "mmi",
]
