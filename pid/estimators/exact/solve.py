"""CVX: the exact PID of a discrete distribution by convex optimization (thesis Section 3.2.1).

Bertschinger et al.'s decomposition is read off the single distribution

    q* = argmax_{q in Delta_p} H_q(Y | X1, X2),
    Delta_p = {q >= 0 : q(x1, y) = p(x1, y), q(x2, y) = p(x2, y)},

because every term of Eqs. 3.1 to 3.3 is attained there. With ``I* = I_q*(X1,X2;Y)``:
``R = I(X1;Y) + I(X2;Y) - I*``, ``U1 = I* - I(X2;Y)``, ``U2 = I* - I(X1;Y)`` and
``S = I(X1,X2;Y) - I*``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from pid.backend import resolve_device
from pid.distribution import Distribution, as_distribution
from pid.errors import SolverError
from pid.estimators.exact.certificate import best_feasible, table_residual
from pid.estimators.exact.conic import DEFAULT_SOLVER, ConicAnswer, solve_conic
from pid.estimators.exact.memory import check_size, chunks
from pid.estimators.exact.options import (
    CONIC_TOLERANCE_BITS,
    CVX_METHODS,
    DEFAULT_NEWTON_OPTIONS,
    NEWTON_TOLERANCE_BITS,
    NewtonOptions,
)
from pid.estimators.exact.path import maximize_conditional_entropy
from pid.estimators.exact.small_table import multiplier_count, solve_small_table
from pid.result import PIDResult
from pid.validation import check_instance, check_tolerance

if TYPE_CHECKING:
    import torch


def cvx(
    dist: Distribution,
    *,
    method: str = "newton",
    tol_bits: float | None = None,
    device: str | torch.device | None = None,
    options: NewtonOptions | None = None,
    solver: str | None = None,
    solver_options: dict[str, Any] | None = None,
) -> PIDResult:
    """Exact PID of a discrete distribution (thesis Section 3.2.1, Eqs. 3.1 to 3.5).

    Solves ``max_{q in Delta_p} H_q(Y|X1,X2)`` (Eq. 3.4 written for the conditional entropy),
    by one of two methods:

    - ``"newton"`` (default): the dedicated solver. On the CPU, a table with at most
      ``options.small_multipliers`` multipliers goes to the compiled interior-point method of
      :mod:`pid.estimators.exact.small_table` on its feasible cells; a larger one, or one
      that method does not certify, to the smoothed-dual Newton path of
      :mod:`pid.estimators.exact.path`, which works on the ``(|X1| + |X2|) |Y|`` dual
      multipliers; where the path's certificate still misses ``tol_bits`` (tables whose
      entries span some thirty orders of magnitude), the conic program below answers in its
      place, and ``diagnostics["algorithm"]`` says so;
    - ``"cvxpy"``: the conic program of :mod:`pid.estimators.exact.conic`, with cvxpy and an
      explicitly chosen solver (Clarabel by default); the reference the dedicated solver is
      tested against.

    Either answer is rescaled onto Delta_p exactly and compared with two exactly feasible
    points, ``p`` and the conditional product; the best of the three is ``q*``, so the terms
    are never negative. Multipliers give a certified upper bound on the optimum and ``q*`` a
    lower bound; their difference, ``gap_bits``, bounds the error of each of R, U1, U2 and S,
    which are affine in the optimum once the marginals are fixed.

    Parameters
    ----------
    dist : Distribution
        The joint distribution ``p(x1, x2, y)``.
    method : {"newton", "cvxpy"}
        The solver, as above.
    tol_bits : float, optional
        Largest certified gap accepted, in bits: by default
        :data:`~pid.estimators.exact.options.NEWTON_TOLERANCE_BITS` (1e-7) for ``"newton"`` and
        :data:`~pid.estimators.exact.options.CONIC_TOLERANCE_BITS` (1e-5) for ``"cvxpy"``.
        Every term of the result is within this gap of the exact value.
    device : str or torch.device, optional
        For ``method="newton"``: solve in double-precision torch on this device (``"cuda"``,
        ``"cpu"``, ``"auto"``) instead of numpy, the default.
    options : NewtonOptions, optional
        For ``method="newton"``: the solver's tunables and memory limits.
    solver : str, optional
        For ``method="cvxpy"``: a cvxpy solver name that supports the exponential cone;
        default ``"CLARABEL"``.
    solver_options : dict, optional
        For ``method="cvxpy"``: keyword arguments passed to the solver.

    Returns
    -------
    PIDResult
        R, U1, U2, S in bits, with ``diagnostics`` holding the solver, its status, the
        certified gap, the largest marginal residual of ``q*``, the solve time in seconds and
        the number of variables.

    Raises
    ------
    ValueError
        If ``method`` is unknown, ``tol_bits`` is not positive, or a setting of one method is
        given with the other.
    SolverError
        If the solver fails, reports a status other than optimal or optimal-inaccurate, or
        its answer is not certified within ``tol_bits``.
    """
    dist = as_distribution(dist)
    if method not in CVX_METHODS:
        raise ValueError(f"method {method!r} is unknown; choose one of {', '.join(CVX_METHODS)}.")
    if method == "newton":
        if solver is not None or solver_options is not None:
            raise ValueError(
                "solver and solver_options choose the conic solver of method='cvxpy'; pass "
                "method='cvxpy' with them, or drop them for the dedicated solver."
            )
        tol_bits = NEWTON_TOLERANCE_BITS if tol_bits is None else tol_bits
        return cvx_batch([dist], tol_bits=tol_bits, device=device, options=options)[0]
    if device is not None or options is not None:
        raise ValueError(
            "device and options set up method='newton'; cvxpy solves on the CPU with its own "
            "solver, so drop them or pass method='newton'."
        )
    tol_bits = check_tolerance(CONIC_TOLERANCE_BITS if tol_bits is None else tol_bits)
    start = time.perf_counter()
    answer = solve_conic(dist, solver, solver_options, tol_bits)
    diagnostics = _conic_diagnostics(dist, answer, solver or DEFAULT_SOLVER, start, "cvxpy")
    return _result(dist, answer.entropy_bits, diagnostics)


def cvx_batch(
    dists: Sequence[Distribution],
    *,
    tol_bits: float = NEWTON_TOLERANCE_BITS,
    device: str | torch.device | None = None,
    options: NewtonOptions | None = None,
    progress: bool = False,
) -> list[PIDResult]:
    """Exact PIDs of many distributions at once with the dedicated solver.

    On the CPU, each distribution whose system has at most ``options.small_multipliers``
    multipliers goes to the compiled small-table method of
    :mod:`pid.estimators.exact.small_table` first, one by one. The others, and those it does
    not certify, are stacked by shape and solved together by
    :func:`pid.estimators.exact.path.maximize_conditional_entropy`, whose arrays carry a batch
    axis (bootstrap resamples, the PIDs of a model zoo); each answer is certified on its own,
    as in :func:`cvx`. ``diagnostics["solve_time_s"]`` is the time of a stacked group's solve
    divided by its size. ``device`` runs the solver in torch on that device (see
    :func:`cvx`); the certificate is checked in numpy either way. Shapes too large for the
    memory limits of ``options`` are refused before any solve. ``progress`` shows a bar of
    the distributions solved on standard error.
    """
    from tqdm.auto import tqdm

    tol_bits = check_tolerance(tol_bits)
    if isinstance(dists, Distribution):
        raise ValueError("dists is one Distribution; pass a list of them, e.g. [dist].")
    dists = [as_distribution(d, f"dists[{i}]") for i, d in enumerate(dists)]
    check_instance(options, NewtonOptions, "options")
    options = options or DEFAULT_NEWTON_OPTIONS
    if device is not None:
        device = resolve_device(device)
    for shape in {dist.shape for dist in dists}:
        check_size(shape, device, options)  # any table may end on the path
    results: list[PIDResult | None] = [None] * len(dists)
    groups: dict[tuple[int, ...], list[int]] = {}
    # A disabled tqdm bar would cost some 15 microseconds, a twentieth of a 2x2x2 table's solve.
    bar_or_silent = (
        tqdm(total=len(dists), desc="solving", leave=False, delay=2.0)
        if progress
        else nullcontext(SimpleNamespace(update=lambda n=1: None))
    )
    with bar_or_silent as bar:
        for index, dist in enumerate(dists):
            if device is None and (
                multiplier_count(dist.p_x1_y, dist.p_x2_y) <= options.small_multipliers
            ):
                results[index] = _solve_small(dist, tol_bits, options)
            if results[index] is None:
                groups.setdefault(dist.shape, []).append(index)
            else:
                bar.update()
        for indices in groups.values():
            for chunk in chunks(indices, dists[indices[0]].shape, device, options):
                group = [dists[i] for i in chunk]
                for index, result in zip(
                    chunk, _solve_group(group, tol_bits, device, options), strict=True
                ):
                    results[index] = result
                bar.update(len(chunk))
    return results  # type: ignore[return-value]


def _solve_group(
    group: list[Distribution],
    tol_bits: float,
    device: torch.device | None,
    options: NewtonOptions,
) -> list[PIDResult]:
    """One stacked solve of same-shaped distributions, each answer certified on its own."""
    start = time.perf_counter()
    p1 = np.stack([d.p_x1_y for d in group])
    p2 = np.stack([d.p_x2_y for d in group])
    solution = maximize_conditional_entropy(
        p1, p2, tol_bits=tol_bits, device=device, options=options
    )
    elapsed = (time.perf_counter() - start) / len(group)
    results = []
    for k, dist in enumerate(group):
        q_star, lower = best_feasible(dist, solution.q[k])
        gap = max(float(solution.upper_bits[k]) - lower, 0.0)
        if gap > tol_bits:
            results.append(_conic_fallback(dist, gap, solution.newton_steps, tol_bits, options))
            continue
        diagnostics = {
            "method": "newton",
            "solver": "newton",
            "status": "optimal",
            "gap_bits": gap,
            "max_marginal_residual": table_residual(dist, q_star),
            "newton_steps": solution.newton_steps,
            "algorithm": "smoothed-dual path",
            "device": "numpy" if device is None else str(device),
            "epsilon": float(solution.epsilon[k]),
            "solve_time_s": elapsed,
            "n_variables": int(np.count_nonzero(dist.p_x1_y) + np.count_nonzero(dist.p_x2_y)),
        }
        results.append(_result(dist, lower, diagnostics))
    return results


def _conic_fallback(
    dist: Distribution, path_gap: float, newton_steps: int, tol_bits: float, options: NewtonOptions
) -> PIDResult:
    """The PID by the conic program where the path certified only ``path_gap > tol_bits``.

    Tables whose entries span many orders of magnitude (1e-30 beside 1) can leave the path's
    Newton steps crawling before its certificate closes; on a table of at most
    ``options.conic_fallback_cells`` cells the conic program
    (:func:`pid.estimators.exact.conic.solve_conic`, certified by the same dual bound) is
    tried then, on the CPU, and ``diagnostics`` records the path's gap and steps beside its
    own.
    """
    missed = (
        f"the newton solver certified its answer only to {path_gap:.3g} bits, above "
        f"tol_bits={tol_bits:g}, after {newton_steps} steps"
    )
    if dist.table.size > options.conic_fallback_cells:
        raise SolverError(
            f"{missed}; try a larger tol_bits, or method='cvxpy' (the table's {dist.table.size} "
            f"cells are above options.conic_fallback_cells={options.conic_fallback_cells})."
        )
    start = time.perf_counter()
    try:
        answer = solve_conic(dist, None, None, tol_bits)
    except SolverError as err:
        raise SolverError(f"{missed}, and in its place {err}") from err
    diagnostics = _conic_diagnostics(dist, answer, DEFAULT_SOLVER, start, method="newton")
    diagnostics |= {
        "algorithm": "conic program after the path",
        "path_gap_bits": path_gap,
        "newton_steps": newton_steps,
    }
    return _result(dist, answer.entropy_bits, diagnostics)


def _conic_diagnostics(
    dist: Distribution, answer: ConicAnswer, solver: str, start: float, method: str
) -> dict[str, Any]:
    """The diagnostics of an answer of the conic program, asked for by ``method``."""
    return {
        "method": method,
        "solver": solver,
        "status": answer.status,
        "gap_bits": answer.gap_bits,
        "refined": answer.refined,
        "max_marginal_residual": table_residual(dist, answer.q),
        "solve_time_s": time.perf_counter() - start,
        "n_variables": answer.n_variables,
    }


def _solve_small(dist: Distribution, tol_bits: float, options: NewtonOptions) -> PIDResult | None:
    """The PID by the small-table method (:mod:`pid.estimators.exact.small_table`), or None
    where it is not certified within ``tol_bits`` (or its table strays from the marginals by
    more than ``options.feasible_residual``).

    ``p`` itself and the conditional product are feasible, so their ``H(Y|X1,X2)`` are lower
    bounds too. The method's own point is kept unless it is below one of them (S or R would
    be negative), and the best of the three then (:func:`best_feasible`), so that the terms
    are non-negative as the path's are.
    """
    start = time.perf_counter()
    solution = solve_small_table(dist.p_x1_y, dist.p_x2_y, tol_bits, options)
    if solution is None:
        return None
    residual = table_residual(dist, solution.q)
    if residual > options.feasible_residual:
        return None
    q_star, lower = solution.q, solution.lower_bits
    synergy = lower - (dist.entropy_y - dist.mi_x1x2_y)
    redundancy = dist.mi_x1_y + dist.mi_x2_y - dist.entropy_y + lower
    if min(synergy, redundancy) < 0:
        q_star, lower = best_feasible(dist, solution.q)
    gap = max(solution.upper_bits - lower, 0.0)
    if gap > tol_bits:
        return None
    diagnostics = {
        "method": "newton",
        "solver": "newton",
        "algorithm": "small-table interior point",
        "status": "optimal",
        "gap_bits": gap,
        "max_marginal_residual": residual if q_star is solution.q else 0.0,
        "newton_steps": solution.newton_steps,
        "device": "numpy",
        "solve_time_s": time.perf_counter() - start,
        "n_variables": solution.n_variables,
    }
    return _result(dist, lower, diagnostics)


def _result(dist: Distribution, entropy_bits: float, diagnostics: dict[str, Any]) -> PIDResult:
    """The PID from ``H* = max H_q(Y|X1,X2)``.

    ``I* = H(Y) - H*`` and ``R = I(X1;Y) + I(X2;Y) - I*``.
    """
    min_joint_info = dist.entropy_y - entropy_bits
    redundancy = dist.mi_x1_y + dist.mi_x2_y - min_joint_info
    return PIDResult.from_redundancy(dist, redundancy, "cvx", diagnostics)
