"""The neural estimator (BATCH): PID of large or continuous samples (thesis Section 3.2.2).

:func:`batch` trains a coupling of the two modalities on minibatches
(:mod:`~pid.estimators.neural.coupling`), projected onto the marginal constraints by
log-domain Sinkhorn scaling (:mod:`~pid.estimators.neural.sinkhorn`); settings travel in a
:class:`BatchConfig`. torch is imported when :func:`batch` runs, not with this package.
"""

from pid.estimators.neural.estimator import BatchConfig, batch, empirical_posteriors

__all__ = ["BatchConfig", "batch", "empirical_posteriors"]
