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
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pid.device import resolve_device
from pid.distribution import Distribution
from pid.errors import SolverError
from pid.estimators._terms import result_from_redundancy
from pid.estimators.newton import (
    SMALL_SYSTEM,
    maximize_conditional_entropy,
    schur_fallback_fits,
    schur_numbers,
    solves_matrix_free,
)
from pid.information import conditional_entropy
from pid.result import PIDResult

if TYPE_CHECKING:
    import scipy.sparse as sp
    import torch

DEFAULT_SOLVER = "CLARABEL"

#: Largest certified duality gap, in bits, accepted by default.
DEFAULT_TOLERANCE_BITS = 1e-5

#: Clarabel settings for a second solve when the default one is not certified within tol_bits.
REFINED_CLARABEL_OPTIONS = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}

#: Marginal residual at which the projection of the solver's answer stops.
PROJECTION_TOLERANCE = 1e-13
#: Largest marginal residual of a projected answer that is used (summation rounding on large
#: tables can keep it above PROJECTION_TOLERANCE); one further off is dropped.
ACCEPTED_RESIDUAL = 1e-10


@dataclass(frozen=True)
class FeasibleCells:
    """The cells (x1, x2, y) of Delta_p that may carry mass, and the linear maps on them.

    A cell can be non-zero only where both ``p(x1, y) > 0`` and ``p(x2, y) > 0``, so only
    those cells become variables.

    Attributes
    ----------
    x1, x2, y : ndarray of int
        Coordinates of each feasible cell.
    x1_y_row, x2_y_row : ndarray of int
        Index of each cell's ``(x1, y)`` and ``(x2, y)`` entry among the non-zero entries of
        ``p(x1, y)`` and ``p(x2, y)``.
    x1_y_map, x2_y_map : sparse matrix
        Sum the cells into those non-zero entries.
    x1_y_target, x2_y_target : ndarray
        Those non-zero entries of ``p(x1, y)`` and ``p(x2, y)``.
    p_x1 : ndarray
        ``p(x1)``.
    pair : ndarray of int
        Index of each cell's ``(x1, x2)`` pair; cells are sorted by pair.
    pair_map : sparse matrix
        Sums the cells into ``q(x1, x2)`` over the pairs that have a feasible cell.
    """

    x1: np.ndarray
    x2: np.ndarray
    y: np.ndarray
    x1_y_row: np.ndarray
    x2_y_row: np.ndarray
    x1_y_map: sp.csr_matrix
    x2_y_map: sp.csr_matrix
    x1_y_target: np.ndarray
    x2_y_target: np.ndarray
    p_x1: np.ndarray
    pair: np.ndarray
    pair_map: sp.csr_matrix

    @classmethod
    def of(cls, dist: Distribution) -> FeasibleCells:
        """The feasible cells of ``Delta_p`` for a distribution ``p``."""
        p1, p2 = dist.p_x1_y, dist.p_x2_y
        x1, x2, y = np.nonzero((p1[:, None, :] > 0) & (p2[None, :, :] > 0))
        x1_y_row, x1_y_target = _nonzero_index(p1, x1, y)
        x2_y_row, x2_y_target = _nonzero_index(p2, x2, y)
        _, pair = np.unique(x1 * dist.shape[1] + x2, return_inverse=True)
        pair = pair.ravel()
        return cls(
            x1=x1,
            x2=x2,
            y=y,
            x1_y_row=x1_y_row,
            x2_y_row=x2_y_row,
            x1_y_map=_indicator(x1_y_row, len(x1_y_target)),
            x2_y_map=_indicator(x2_y_row, len(x2_y_target)),
            x1_y_target=x1_y_target,
            x2_y_target=x2_y_target,
            p_x1=p1.sum(axis=1),
            pair=pair,
            pair_map=_indicator(pair, pair.max() + 1),
        )

    @property
    def size(self) -> int:
        """Number of feasible cells."""
        return len(self.y)

    def marginal_residual(self, q: np.ndarray) -> float:
        """Largest absolute violation of the two marginal constraints."""
        return float(
            max(
                np.max(np.abs(self.x1_y_map @ q - self.x1_y_target)),
                np.max(np.abs(self.x2_y_map @ q - self.x2_y_target)),
            )
        )

    def project(self, q: np.ndarray, max_iter: int = 10_000) -> np.ndarray:
        """Rescale ``q`` onto Delta_p by iterative proportional fitting.

        Alternately scales each ``(x1, y)`` row and each ``(x2, y)`` column of every label's
        slice to its target mass (Sinkhorn scaling), which keeps the support of ``q`` and
        converges linearly from a nearly feasible start such as a solver's answer.
        """
        q = q.copy()
        for _ in range(max_iter):
            q *= _ratio(self.x1_y_target, self.x1_y_map @ q)[self.x1_y_row]
            q *= _ratio(self.x2_y_target, self.x2_y_map @ q)[self.x2_y_row]
            if self.marginal_residual(q) <= PROJECTION_TOLERANCE:
                break
        return q

    def entropy_upper_bound_bits(self, lam: np.ndarray, mu: np.ndarray) -> float:
        """A certified upper bound on ``max_{q in Delta_p} H_q(Y|X1,X2)`` from any multipliers.

        With ``theta_c = lam[x1_c, y_c] + mu[x2_c, y_c]`` and ``g_k`` the log-sum-exp of
        ``theta`` over pair ``k``'s cells, every ``q`` in Delta_p satisfies
        ``H_q <= sum_k q_k g_k - lam . p(x1, y) - mu . p(x2, y)`` (Gibbs' inequality for each
        pair's conditional). Shifting ``lam[x1, :]`` down by ``s(x1) = max_k g_k`` over the
        pairs of ``x1`` makes every ``g_k <= 0`` and gives the bound
        ``-lam . p(x1, y) - mu . p(x2, y) + sum_x1 s(x1) p(x1)``, in bits. It holds for any
        ``lam``, ``mu``; at the optimal multipliers it equals the optimum (strong duality).
        """
        theta = lam[self.x1_y_row] + mu[self.x2_y_row]
        starts = np.flatnonzero(np.diff(self.pair, prepend=-1))
        peak = np.maximum.reduceat(theta, starts)
        lse = peak + np.log(np.add.reduceat(np.exp(theta - peak[self.pair]), starts))
        shift = np.full(len(self.p_x1), -np.inf)
        np.maximum.at(shift, self.x1[starts], lse)
        used = self.p_x1 > 0  # each such x1 has a feasible cell, so its shift is finite
        bound = -lam @ self.x1_y_target - mu @ self.x2_y_target + shift[used] @ self.p_x1[used]
        return float(bound / np.log(2.0))


#: Methods of :func:`cvx`: the dedicated solver and the cvxpy reference formulation.
METHODS = ("newton", "cvxpy")

#: Certified gap, in bits, at which the dedicated solver stops by default.
NEWTON_TOLERANCE_BITS = 1e-7


def cvx(
    dist: Distribution,
    *,
    method: str = "newton",
    solver: str | None = None,
    solver_options: dict[str, Any] | None = None,
    tol_bits: float | None = None,
    device: str | torch.device | None = None,
) -> PIDResult:
    """Exact PID of a discrete distribution (thesis Section 3.2.1, Eqs. 3.1 to 3.5).

    Solves ``max_{q in Delta_p} H_q(Y|X1,X2)`` (Eq. 3.4 written for the conditional entropy),
    by one of two methods:

    - ``"newton"`` (default): the dedicated smoothed-dual Newton solver of
      :mod:`pid.estimators.newton`, which works on the ``(|X1| + |X2|) |Y|`` dual multipliers;
    - ``"cvxpy"``: the conic program ``min sum_c q_c log(q_c / q(x1_c, x2_c))`` over the
      feasible cells ``c``, subject to ``q(x1, y) = p(x1, y)`` and ``q(x2, y) = p(x2, y)``, with
      cvxpy and an explicitly chosen solver (Clarabel by default); the reference the dedicated
      solver is tested against.

    Either answer is rescaled onto Delta_p exactly and compared with two exactly feasible
    points, ``p`` and the conditional product; the best of the three is ``q*``, so the terms
    are never negative. Multipliers give a certified upper bound on the optimum
    (:meth:`FeasibleCells.entropy_upper_bound_bits`) and ``q*`` a lower bound; their
    difference, ``gap_bits``, bounds the error of each of R, U1, U2 and S, which are affine in
    the optimum once the marginals are fixed.

    Parameters
    ----------
    dist : Distribution
        The joint distribution ``p(x1, x2, y)``.
    method : {"newton", "cvxpy"}
        The solver, as above.
    solver : str, optional
        For ``method="cvxpy"``: a cvxpy solver name that supports the exponential cone;
        default ``"CLARABEL"``.
    solver_options : dict, optional
        For ``method="cvxpy"``: keyword arguments passed to the solver.
    tol_bits : float, optional
        Largest certified gap accepted, in bits: by default 1e-7 for ``"newton"`` and 1e-5
        for ``"cvxpy"``. Every term of the result is within this gap of the exact value. With
        Clarabel and no ``solver_options``, an answer outside it is solved once more with
        tighter tolerances (:data:`REFINED_CLARABEL_OPTIONS`; ``diagnostics["refined"]``).
    device : str or torch.device, optional
        For ``method="newton"``: solve in double-precision torch on this device (``"cuda"``,
        ``"cpu"``, ``"auto"``) instead of numpy, the default.

    Returns
    -------
    PIDResult
        R, U1, U2, S in bits, with ``diagnostics`` holding the solver, its status, the
        certified gap, the largest marginal residual of ``q*``, the solve time in seconds and
        the number of variables.

    Raises
    ------
    ValueError
        If ``method`` is unknown, ``tol_bits`` is negative, ``solver`` or
        ``solver_options`` are given with ``method="newton"``, or ``device`` with
        ``method="cvxpy"``.
    SolverError
        If the solver fails, reports a status other than optimal or optimal-inaccurate, or
        its answer is not certified within ``tol_bits``.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} is unknown; choose one of {', '.join(METHODS)}.")
    if tol_bits is None:
        tol_bits = NEWTON_TOLERANCE_BITS if method == "newton" else DEFAULT_TOLERANCE_BITS
    if method == "newton":
        if solver is not None or solver_options is not None:
            raise ValueError(
                "solver and solver_options choose the conic solver of method='cvxpy'; pass "
                "method='cvxpy' with them, or drop them for the dedicated solver."
            )
        return cvx_batch([dist], tol_bits=tol_bits, device=device)[0]
    if device is not None:
        raise ValueError(
            "device chooses where method='newton' runs; cvxpy solves on the CPU, so drop "
            "device or pass method='newton'."
        )
    _check_tolerance(tol_bits)
    solver = solver or DEFAULT_SOLVER
    start = time.perf_counter()
    cells = FeasibleCells.of(dist)
    attempts = [solver_options or {}]
    if solver == DEFAULT_SOLVER and solver_options is None:
        attempts.append(REFINED_CLARABEL_OPTIONS)
    for options in attempts:
        program = _conic_program(cells, solver, options)
        q_star, lower, gap, status = _certified_solve(dist, cells, program, solver, options)
        if gap <= tol_bits:
            break
    else:
        raise SolverError(
            f"solver {solver} returned status {status!r} on the CVX problem, but its answer is "
            f"only certified to {gap:.3g} bits, above tol_bits={tol_bits:g}; try other "
            "solver_options or a larger tol_bits."
        )
    diagnostics = {
        "method": "cvxpy",
        "solver": solver,
        "status": status,
        "gap_bits": gap,
        "refined": options is REFINED_CLARABEL_OPTIONS,
        "max_marginal_residual": _marginal_residual(dist, q_star),
        "solve_time_s": time.perf_counter() - start,
        "n_variables": cells.size,
    }
    return _result(dist, lower, diagnostics)


def cvx_batch(
    dists: Sequence[Distribution],
    *,
    tol_bits: float = NEWTON_TOLERANCE_BITS,
    device: str | torch.device | None = None,
) -> list[PIDResult]:
    """Exact PIDs of many distributions at once with the dedicated solver.

    Distributions of one shape are stacked and solved together by
    :func:`pid.estimators.newton.maximize_conditional_entropy`, whose arrays carry a batch
    axis (bootstrap resamples, the PIDs of a model zoo); each answer is certified on its own,
    as in :func:`cvx`. ``diagnostics["solve_time_s"]`` is the time of the group's solve
    divided by its size. ``device`` runs the solver in torch on that device (see
    :func:`cvx`); the certificate is checked in numpy either way.
    """
    _check_tolerance(tol_bits)
    if device is not None:
        device = resolve_device(device)
    results: list[PIDResult | None] = [None] * len(dists)
    groups: dict[tuple[int, ...], list[int]] = {}
    for index, dist in enumerate(dists):
        groups.setdefault(dist.shape, []).append(index)
    for shape in groups:
        _check_size(shape, device)
    for indices in groups.values():
        for chunk in _chunks(indices, dists[indices[0]].shape, device):
            _solve_group([dists[i] for i in chunk], tol_bits, device, results, chunk)
    return results  # type: ignore[return-value]


def _check_tolerance(tol_bits: float) -> None:
    if not tol_bits >= 0:
        raise ValueError(f"tol_bits must be a non-negative number of bits, got {tol_bits!r}.")


#: Largest working memory, in numbers, of one problem for the Newton solver on the CPU (4 GB).
NEWTON_MAX_NUMBERS = 5e8
#: Share of a CUDA device's memory that one problem may use there.
CUDA_MEMORY_SHARE = 0.8
#: Numbers a stacked solve holds at most on the CPU (a batch is split into such chunks).
CPU_CHUNK_NUMBERS = 2e7


def _numbers_per_problem(shape: tuple[int, ...]) -> int:
    """Working numbers of one Newton solve, an upper bound on the peak measured (tracemalloc)
    from 5x5x2 to 300x300x10. Matrix-free solves (see
    :data:`pid.estimators.newton.MATRIX_FREE_SIZE`) work on ``(n1, n2)`` arrays and the
    ``ny x ny`` diagonal blocks, and hold at most some seven ``(n1, n2, ny)`` arrays (measured
    6.8 a cell), when the primal point is rounded for a certificate, plus the Schur systems
    they fall back on where those are small enough; the others the Schur systems
    (:func:`pid.estimators.newton.schur_numbers`), the ``(n1, n2, ny)`` arrays of the primal
    point, and for small systems the whole Hessian."""
    n1, n2, ny = shape
    pairs = n1 * n2 * ny
    if solves_matrix_free(shape):
        fallback = schur_numbers(shape) if schur_fallback_fits(shape) else 0
        return 12 * pairs + 4 * (n1 + n2) * ny * ny + fallback
    numbers = schur_numbers(shape) + 10 * pairs
    if (n1 + n2) * ny <= SMALL_SYSTEM:
        numbers += 4 * ((n1 + n2) * ny) ** 2
    return numbers


def _capacity(device: torch.device | None) -> float:
    """Numbers one problem may hold: 4 GB on the CPU, a share of a CUDA device's memory."""
    if device is None or device.type != "cuda":
        return NEWTON_MAX_NUMBERS
    import torch

    return CUDA_MEMORY_SHARE * torch.cuda.get_device_properties(device).total_memory / 8


def _check_size(shape: tuple[int, ...], device: torch.device | None) -> None:
    """Refuse, before any solve, a shape whose Newton systems exceed :func:`_capacity`."""
    capacity = _capacity(device)
    if _numbers_per_problem(shape) > capacity:
        n1, n2, ny = shape
        where = "" if device is None else f" on {device}"
        raise ValueError(
            f"a {n1} x {n2} x {ny} distribution needs more than {capacity * 8 / 1e9:.0f} GB"
            f"{where} in the newton solver's Newton systems; use fewer clusters per modality "
            "(n_clusters), a CUDA device with more memory (device='cuda'), or method='cvxpy'."
        )


def _chunks(
    indices: list[int], shape: tuple[int, ...], device: torch.device | None
) -> list[list[int]]:
    """Split a group into stacked solves of at most :data:`CPU_CHUNK_NUMBERS` numbers on the
    CPU, of a quarter of the device's capacity on CUDA."""
    budget = CPU_CHUNK_NUMBERS if device is None or device.type != "cuda" else _capacity(device) / 4
    size = max(1, int(budget // _numbers_per_problem(shape)))
    return [indices[i : i + size] for i in range(0, len(indices), size)]


def _solve_group(
    group: list[Distribution],
    tol_bits: float,
    device: str | torch.device | None,
    results: list,
    indices: list[int],
) -> None:
    start = time.perf_counter()
    p1 = np.stack([d.p_x1_y for d in group])
    p2 = np.stack([d.p_x2_y for d in group])
    solution = maximize_conditional_entropy(p1, p2, tol_bits=tol_bits, device=device)
    elapsed = (time.perf_counter() - start) / len(group)
    for k, (index, dist) in enumerate(zip(indices, group, strict=True)):
        q_star, lower = _best_feasible(dist, solution.q[k])
        gap = max(float(solution.upper_bits[k]) - lower, 0.0)
        if gap > tol_bits:
            raise SolverError(
                f"the newton solver certified its answer only to {gap:.3g} bits, above "
                f"tol_bits={tol_bits:g}, after {solution.newton_steps} steps; try a larger "
                "tol_bits or method='cvxpy'."
            )
        diagnostics = {
            "method": "newton",
            "solver": "newton",
            "status": "optimal",
            "gap_bits": gap,
            "max_marginal_residual": _marginal_residual(dist, q_star),
            "newton_steps": solution.newton_steps,
            "device": "numpy" if device is None else str(device),
            "epsilon": float(solution.epsilon[k]),
            "solve_time_s": elapsed,
            "n_variables": int(np.count_nonzero(dist.p_x1_y) + np.count_nonzero(dist.p_x2_y)),
        }
        results[index] = _result(dist, lower, diagnostics)


def _result(dist: Distribution, entropy_bits: float, diagnostics: dict[str, Any]) -> PIDResult:
    """The PID from ``H* = max H_q(Y|X1,X2)``.

    ``I* = H(Y) - H*`` and ``R = I(X1;Y) + I(X2;Y) - I*``.
    """
    min_joint_info = dist.entropy_y - entropy_bits
    redundancy = dist.mi_x1_y + dist.mi_x2_y - min_joint_info
    return result_from_redundancy(dist, redundancy, "cvx", diagnostics)


def _certified_solve(
    dist: Distribution,
    cells: FeasibleCells,
    program: _ConicProgram,
    solver: str,
    options: dict[str, Any],
) -> tuple[np.ndarray, float, float, str]:
    """One solve: the best exactly feasible ``q*``, its entropy, the certified gap, the status."""
    q_value, (lam, mu), status = program.solve(cells, solver, options)
    q_table = np.zeros(dist.shape)
    q_table[cells.x1, cells.x2, cells.y] = cells.project(np.clip(q_value, 0.0, None))
    q_star, lower = _best_feasible(dist, q_table)
    # Whatever cvxpy's sign convention for equality multipliers, any multipliers give a bound.
    upper = min(cells.entropy_upper_bound_bits(s * lam, s * mu) for s in (1.0, -1.0))
    return q_star, lower, max(upper - lower, 0.0), status


class _ConicProgram:
    """The CVX program for one support pattern, compiled once, with the marginals as parameters.

    Distributions whose ``p(x1, y)`` and ``p(x2, y)`` have the same zero pattern share their
    feasible cells and hence the whole conic program; only the right-hand sides of the two
    marginal constraints change. cvxpy keeps the canonicalization of a parametrized problem,
    so repeated solves (bootstrap resamples, many distributions) skip recompilation. The
    cache holds one program per pattern, solver and options (:func:`_conic_program`).
    """

    def __init__(self, cells: FeasibleCells) -> None:
        import cvxpy as cp

        self.q = cp.Variable(cells.size, nonneg=True)
        self.x1_y_target = cp.Parameter(len(cells.x1_y_target), nonneg=True)
        self.x2_y_target = cp.Parameter(len(cells.x2_y_target), nonneg=True)
        q_pair = cells.pair_map.T @ (cells.pair_map @ self.q)
        self.problem = cp.Problem(
            cp.Minimize(cp.sum(cp.rel_entr(self.q, q_pair))),
            [
                cells.x1_y_map @ self.q == self.x1_y_target,
                cells.x2_y_map @ self.q == self.x2_y_target,
            ],
        )

    def solve(
        self, cells: FeasibleCells, solver: str, options: dict[str, Any]
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], str]:
        """Solve for the targets of ``cells``.

        Returns ``q``, the multipliers of the two marginal constraints and the solver's status,
        which is ``optimal`` or ``optimal_inaccurate`` (the caller certifies the latter).
        """
        import cvxpy as cp

        self.x1_y_target.value = cells.x1_y_target
        self.x2_y_target.value = cells.x2_y_target
        try:
            with warnings.catch_warnings():
                # An inaccurate answer is certified or refused by the caller, not warned about.
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                self.problem.solve(solver=solver, **options)
        except cp.error.SolverError as err:
            raise SolverError(f"solver {solver} failed on the CVX problem: {err}") from err
        constraints = self.problem.constraints
        multipliers = tuple(c.dual_value for c in constraints)
        usable = self.q.value is not None and all(m is not None for m in multipliers)
        if self.problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or not usable:
            raise SolverError(
                f"solver {solver} returned status {self.problem.status!r} on the CVX problem; "
                "try another solver or other solver_options."
            )
        return self.q.value, multipliers, self.problem.status


#: Compiled programs by support pattern, least recently used first.
_PROGRAMS: OrderedDict[tuple[bytes, str, str], _ConicProgram] = OrderedDict()
_PROGRAMS_KEPT = 16


def _conic_program(cells: FeasibleCells, solver: str, options: dict[str, Any]) -> _ConicProgram:
    """The compiled program for the support pattern of ``cells`` (built on first use).

    cvxpy keeps the solver object, settings included, with a compiled problem, so each
    combination of solver and options gets its own program.
    """
    pattern = b"|".join(a.astype(np.int64).tobytes() for a in (cells.x1, cells.x2, cells.y))
    key = (pattern, solver, repr(sorted(options.items())))
    if key in _PROGRAMS:
        _PROGRAMS.move_to_end(key)
    else:
        _PROGRAMS[key] = _ConicProgram(cells)
        if len(_PROGRAMS) > _PROGRAMS_KEPT:
            _PROGRAMS.popitem(last=False)
    return _PROGRAMS[key]


def _best_feasible(dist: Distribution, q: np.ndarray) -> tuple[np.ndarray, float]:
    """The best of a table ``q[x1, x2, y]`` and two points of Delta_p known in closed form.

    ``p`` itself and the conditional product ``p(x1, y) p(x2, y) / p(y)`` are exactly
    feasible. Beating ``p`` makes ``S >= 0`` and beating the conditional product (whose
    co-information is ``I(X1;X2) >= 0``) makes ``R >= 0``; any feasible point makes
    ``U1, U2 >= 0``. So the returned terms are non-negative whatever the solver's accuracy.
    ``q`` competes only if it meets the marginals to :data:`ACCEPTED_RESIDUAL`. Returns the
    winner and its ``H(Y|X1,X2)`` in bits.
    """
    p_y = np.where(dist.p_y > 0, dist.p_y, 1.0)
    candidates = [dist.table, dist.p_x1_y[:, None, :] * dist.p_x2_y[None, :, :] / p_y]
    if _marginal_residual(dist, q) <= ACCEPTED_RESIDUAL:
        candidates.append(q)
    entropies = [conditional_entropy(c.reshape(-1, dist.shape[2])) for c in candidates]
    best = int(np.argmax(entropies))
    return candidates[best], entropies[best]


def _marginal_residual(dist: Distribution, q: np.ndarray) -> float:
    """Largest violation by a table ``q`` of the marginals ``p(x1, y)`` and ``p(x2, y)``."""
    return float(
        max(
            np.max(np.abs(q.sum(axis=1) - dist.p_x1_y)),
            np.max(np.abs(q.sum(axis=0) - dist.p_x2_y)),
        )
    )


def _ratio(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """``target / current``, with 1 where ``current`` is zero (nothing to rescale)."""
    return np.divide(target, current, out=np.ones_like(target), where=current > 0)


def _nonzero_index(p_xy: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each cell's ``(x, y)`` among the non-zero entries of ``p_xy``, and those entries."""
    nonzero = p_xy > 0
    index_of = np.full(p_xy.shape, -1)
    index_of[nonzero] = np.arange(np.count_nonzero(nonzero))
    return index_of[x, y], p_xy[nonzero]


def _indicator(rows: np.ndarray, n_rows: int) -> sp.csr_matrix:
    """Sparse 0/1 matrix with a single one in each column, at row ``rows[col]``."""
    import scipy.sparse as sp

    n_cols = len(rows)
    return sp.csr_matrix((np.ones(n_cols), (rows, np.arange(n_cols))), shape=(n_rows, n_cols))
