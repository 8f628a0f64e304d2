"""Completing a redundancy value into the four PID terms."""

from __future__ import annotations

from typing import Any

from pid.distribution import Distribution
from pid.result import PIDResult


def result_from_redundancy(
    dist: Distribution,
    redundancy: float,
    estimator: str,
    diagnostics: dict[str, Any] | None = None,
) -> PIDResult:
    """Build the PID implied by a redundancy value on the bivariate lattice.

    ``U1 = I(X1;Y) - R``, ``U2 = I(X2;Y) - R`` and ``S = I(X1,X2;Y) - R - U1 - U2``
    (thesis Eqs. 3.1 to 3.3; Williams and Beer's consistency equations).
    """
    mi1, mi2, mi12 = dist.mi_x1_y, dist.mi_x2_y, dist.mi_x1x2_y
    terms = {
        "R": redundancy,
        "U1": mi1 - redundancy,
        "U2": mi2 - redundancy,
        "S": mi12 - mi1 - mi2 + redundancy,
    }
    return PIDResult(
        # Every measure here is non-negative in exact arithmetic; what falls below zero is
        # rounding in the differences (a few 1e-16 bits), not information.
        **{name: max(value, 0.0) for name, value in terms.items()},
        mi_x1_y=mi1,
        mi_x2_y=mi2,
        mi_x1x2_y=mi12,
        estimator=estimator,
        diagnostics=diagnostics or {},
        provenance=_provenance(dist),
    )


def _provenance(dist: Distribution) -> dict[str, Any]:
    n1, n2, ny = dist.shape
    return {"alphabet_sizes": {"x1": n1, "x2": n2, "y": ny}, "n_samples": dist.n_samples}
