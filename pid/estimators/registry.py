"""The estimators by name, and :func:`estimate`, which checks their options before calling.

Each estimator is a function to a :class:`~pid.PIDResult`. Most take a
:class:`~pid.Distribution`; those in :data:`SAMPLE_ESTIMATORS` (BATCH) take the paired samples
``x1, x2, y`` themselves, because they never build the discrete joint. An option an estimator
does not take is refused with a sentence naming it, never ignored.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from pid.distribution import Distribution
from pid.estimators.exact import cvx
from pid.estimators.measures import coinformation, imin, mmi
from pid.estimators.neural import batch
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


def estimator_options(estimator: str) -> tuple[str, ...]:
    """The keyword options the named estimator takes (``seed`` included for sample ones)."""
    check_estimator(estimator)
    return keyword_options(ESTIMATORS[estimator])


@functools.cache
def keyword_options(function: Callable[..., PIDResult]) -> tuple[str, ...]:
    """The keyword-only parameters of an estimator function (read once per function: its
    signature does not change, and reading it costs more than a small table's solve)."""
    parameters = inspect.signature(function).parameters.values()
    return tuple(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)


def check_estimator(estimator: str) -> None:
    """Refuse an unknown estimator name, listing the known ones."""
    if not isinstance(estimator, str) or estimator not in ESTIMATORS:
        raise ValueError(
            f"estimator {estimator!r} is unknown; choose one of {', '.join(ESTIMATORS)}."
        )


def check_options(estimator: str, options: Mapping[str, Any]) -> None:
    """Refuse options the named estimator does not take, with the ones it does."""
    accepted = estimator_options(estimator)
    unknown = [name for name in options if name not in accepted]
    if unknown:
        takes = f"its options are {', '.join(accepted)}" if accepted else "it takes no options"
        raise ValueError(
            f"estimator {estimator!r} does not use {', '.join(map(repr, unknown))}; {takes}."
        )


def estimate(dist: Distribution, estimator: str = "cvx", **options: Any) -> PIDResult:
    """Decompose a distribution with the estimator of the given name.

    ``options`` are passed to the estimator (for ``"cvx"``: ``method``, ``tol_bits``,
    ``device``, ``options`` and, with ``method="cvxpy"``, ``solver`` and ``solver_options``);
    one it does not take is refused. Estimators of :data:`SAMPLE_ESTIMATORS` need the samples,
    so they are refused here.
    """
    check_estimator(estimator)
    if estimator in SAMPLE_ESTIMATORS:
        raise ValueError(
            f"estimator {estimator!r} works on samples, not on a Distribution; call "
            f"pid.decompose(x1, x2, y, estimator={estimator!r}) instead."
        )
    check_options(estimator, options)
    return ESTIMATORS[estimator](dist, **options)
