"""The CVX program in cvxpy's modelling language, the reference formulation.

``min sum_c q_c log(q_c / q(x1_c, x2_c))`` over the feasible cells ``c`` of Delta_p, subject to
``q(x1, y) = p(x1, y)`` and ``q(x2, y) = p(x2, y)``: the exponential-cone program behind
``cvx(dist, method="cvxpy")``, solved by an explicitly chosen solver (Clarabel by default) and
certified by the same Gibbs bound as the dedicated solver
(:meth:`FeasibleCells.entropy_upper_bound_bits`).
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pid.errors import SolverError
from pid.estimators.exact.certificate import best_feasible

if TYPE_CHECKING:
    import scipy.sparse as sp

    from pid.distribution import Distribution

#: The conic solver used unless another is named.
DEFAULT_SOLVER = "CLARABEL"

#: Clarabel settings for a second solve when the default one is not certified within tol_bits.
REFINED_CLARABEL_OPTIONS = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}

#: Marginal residual at which the projection of the solver's answer stops.
PROJECTION_TOLERANCE = 1e-13


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


@dataclass(frozen=True)
class ConicAnswer:
    """A certified answer of the conic program.

    ``q`` is the best exactly feasible table found, ``entropy_bits`` its ``H(Y|X1,X2)``,
    ``gap_bits`` the certified distance to the optimum, ``status`` the solver's, ``refined``
    whether a second, tighter solve was needed, ``n_variables`` the feasible cells.
    """

    q: np.ndarray
    entropy_bits: float
    gap_bits: float
    status: str
    refined: bool
    n_variables: int


def solve_conic(
    dist: Distribution,
    solver: str | None,
    solver_options: dict[str, Any] | None,
    tol_bits: float,
) -> ConicAnswer:
    """The conic program solved and certified within ``tol_bits``.

    With Clarabel and no ``solver_options``, an answer outside ``tol_bits`` is solved once more
    with tighter tolerances (:data:`REFINED_CLARABEL_OPTIONS`).
    """
    solver = solver or DEFAULT_SOLVER
    cells = FeasibleCells.of(dist)
    attempts = [solver_options or {}]
    if solver == DEFAULT_SOLVER and solver_options is None:
        attempts.append(REFINED_CLARABEL_OPTIONS)
    for options in attempts:
        program = _conic_program(cells, solver, options)
        q_star, lower, gap, status = _certified_solve(dist, cells, program, solver, options)
        if gap <= tol_bits:
            refined = options is REFINED_CLARABEL_OPTIONS
            return ConicAnswer(q_star, lower, gap, status, refined, cells.size)
    raise SolverError(
        f"solver {solver} returned status {status!r} on the CVX problem, but its answer is "
        f"only certified to {gap:.3g} bits, above tol_bits={tol_bits:g}; try other "
        "solver_options or a larger tol_bits."
    )


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
    q_star, lower = best_feasible(dist, q_table)
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
