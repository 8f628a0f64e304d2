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
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from pid.distribution import Distribution
from pid.errors import SolverError
from pid.estimators._terms import result_from_redundancy
from pid.result import PIDResult

DEFAULT_SOLVER = "CLARABEL"


@dataclass(frozen=True)
class FeasibleCells:
    """The cells (x1, x2, y) of Delta_p that may carry mass, and the linear maps on them.

    A cell can be non-zero only where both ``p(x1, y) > 0`` and ``p(x2, y) > 0``, so only
    those cells become variables.

    Attributes
    ----------
    x1, x2, y : ndarray of int
        Coordinates of each feasible cell.
    x1_y_map, x2_y_map : sparse matrix
        Sum the cells into the non-zero entries of ``q(x1, y)`` and ``q(x2, y)``.
    x1_y_target, x2_y_target : ndarray
        Those non-zero entries of ``p(x1, y)`` and ``p(x2, y)``.
    pair_map : sparse matrix
        Sums the cells into ``q(x1, x2)`` over the pairs that have a feasible cell.
    """

    x1: np.ndarray
    x2: np.ndarray
    y: np.ndarray
    x1_y_map: sp.csr_matrix
    x2_y_map: sp.csr_matrix
    x1_y_target: np.ndarray
    x2_y_target: np.ndarray
    pair_map: sp.csr_matrix

    @classmethod
    def of(cls, dist: Distribution) -> FeasibleCells:
        """The feasible cells of ``Delta_p`` for a distribution ``p``."""
        p1, p2 = dist.p_x1_y, dist.p_x2_y
        x1, x2, y = np.nonzero((p1[:, None, :] > 0) & (p2[None, :, :] > 0))
        x1_y_map, x1_y_target = _marginal_map(p1, x1, y)
        x2_y_map, x2_y_target = _marginal_map(p2, x2, y)
        _, pair = np.unique(x1 * dist.shape[1] + x2, return_inverse=True)
        pair_map = _indicator(pair.ravel(), pair.max() + 1)
        return cls(x1, x2, y, x1_y_map, x2_y_map, x1_y_target, x2_y_target, pair_map)

    @property
    def size(self) -> int:
        """Number of feasible cells."""
        return len(self.y)

    def to_table(self, q: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
        """Scatter cell values into a dense (n_x1, n_x2, n_y) table."""
        table = np.zeros(shape)
        table[self.x1, self.x2, self.y] = q
        return table

    def marginal_residual(self, q: np.ndarray) -> float:
        """Largest absolute violation of the two marginal constraints."""
        return float(
            max(
                np.max(np.abs(self.x1_y_map @ q - self.x1_y_target)),
                np.max(np.abs(self.x2_y_map @ q - self.x2_y_target)),
            )
        )

    def conditional_entropy_bits(self, q: np.ndarray) -> float:
        """``H_q(Y | X1, X2)`` in bits for cell values ``q``."""
        q_pair = (self.pair_map.T @ (self.pair_map @ q))[q > 0]
        q_pos = q[q > 0]
        return float(-np.sum(q_pos * np.log2(q_pos / q_pair)))


def cvx(
    dist: Distribution,
    *,
    solver: str = DEFAULT_SOLVER,
    solver_options: dict[str, Any] | None = None,
) -> PIDResult:
    """Exact PID of a discrete distribution (thesis Section 3.2.1, Eqs. 3.1 to 3.5).

    Solves ``max_{q in Delta_p} H_q(Y|X1,X2)`` as the conic program
    ``min sum_c q_c log(q_c / q(x1_c, x2_c))`` over the feasible cells ``c``, subject to
    ``q(x1, y) = p(x1, y)`` and ``q(x2, y) = p(x2, y)``, with cvxpy and an explicitly chosen
    solver (Clarabel by default). The objective is the relative entropy of ``q`` to
    ``q(x1, x2)`` broadcast over ``y``, i.e. ``-H_q(Y|X1,X2)``, which cvxpy recognizes as
    convex through ``rel_entr``.

    Parameters
    ----------
    dist : Distribution
        The joint distribution ``p(x1, x2, y)``.
    solver : str
        A cvxpy solver name that supports the exponential cone; default ``"CLARABEL"``.
    solver_options : dict, optional
        Keyword arguments passed to the solver.

    Returns
    -------
    PIDResult
        R, U1, U2, S in bits, with ``diagnostics`` holding the solver, its status, the largest
        marginal residual of ``q*`` and the solve time in seconds.

    Raises
    ------
    SolverError
        If the solver fails or reports a status other than optimal.
    """
    import cvxpy as cp

    start = time.perf_counter()
    cells = FeasibleCells.of(dist)
    q = cp.Variable(cells.size, nonneg=True)
    q_pair = cells.pair_map.T @ (cells.pair_map @ q)
    problem = cp.Problem(
        cp.Minimize(cp.sum(cp.rel_entr(q, q_pair))),
        [cells.x1_y_map @ q == cells.x1_y_target, cells.x2_y_map @ q == cells.x2_y_target],
    )
    try:
        problem.solve(solver=solver, **(solver_options or {}))
    except cp.error.SolverError as err:
        raise SolverError(f"solver {solver} failed on the CVX problem: {err}") from err
    if problem.status != cp.OPTIMAL:
        raise SolverError(
            f"solver {solver} returned status {problem.status!r} on the CVX problem; "
            "try another solver or tighter solver_options."
        )
    q_star = np.clip(q.value, 0.0, None)
    min_joint_info = dist.entropy_y - cells.conditional_entropy_bits(q_star)
    diagnostics = {
        "solver": solver,
        "status": problem.status,
        "max_marginal_residual": cells.marginal_residual(q_star),
        "solve_time_s": time.perf_counter() - start,
        "n_variables": cells.size,
    }
    redundancy = dist.mi_x1_y + dist.mi_x2_y - min_joint_info
    return result_from_redundancy(dist, redundancy, "cvx", diagnostics)


def _marginal_map(
    p_xy: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Map summing cells into the non-zero entries of ``p_xy``, and those entries."""
    nonzero = p_xy > 0
    row_of = np.full(p_xy.shape, -1)
    row_of[nonzero] = np.arange(np.count_nonzero(nonzero))
    return _indicator(row_of[x, y], int(np.count_nonzero(nonzero))), p_xy[nonzero]


def _indicator(rows: np.ndarray, n_rows: int) -> sp.csr_matrix:
    """Sparse 0/1 matrix with a single one in each column, at row ``rows[col]``."""
    n_cols = len(rows)
    return sp.csr_matrix((np.ones(n_cols), (rows, np.arange(n_cols))), shape=(n_rows, n_cols))
