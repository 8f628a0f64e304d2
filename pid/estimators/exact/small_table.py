"""Small tables: a dense primal-dual interior-point method on the feasible cells of Delta_p.

On a table of a few hundred cells the path of :mod:`pid.estimators.exact.path` spends its time
in the overhead of its array calls, not in arithmetic. Here the problem is solved in the
primal, on the ``N`` feasible cells ``c = (x1, x2, y)`` (those with ``p(x1, y) > 0`` and
``p(x2, y) > 0``) flattened into one vector sorted by pair::

    min  f(q) = sum_c q_c log(q_c / Q(x1_c, x2_c))   (= -H_q(Y|X1,X2), nats)
    s.t. A q = b,  q >= 0,

where ``Q`` sums the cells of a pair and ``A q = b`` are the marginals ``q(x1, y) = p(x1, y)``
and ``q(x2, y) = p(x2, y)`` over the non-zero entries, less one ``(x2, y)`` row of each label
(implied by the others). With multipliers ``nu`` (``lam`` on the ``(x1, y)`` rows, ``mu`` on the
``(x2, y)`` ones) and slacks ``s >= 0``, the perturbed optimality conditions are::

    log(q_c / Q) - (A^T nu)_c - s_c = 0,   A q = b,   q_c s_c = tau.

Each iteration takes a Newton step on them, with ``tau = mean(q s) sigma`` and Mehrotra's
``sigma = (mu_aff / mean(q s))^3`` from the affine step (``tau = 0``) taken as far as the
orthant allows; it backtracks on the barrier merit ``f(q) - tau sum_c log q_c`` and keeps
``q`` and ``s`` inside the orthant. The step is affine in ``tau``, so one solve serves both.
Eliminating ``s`` leaves ``W dq - A^T dnu = tau / q - grad f + A^T nu`` with
``W = Hess f + diag(s / q)``, which is block diagonal by pair: ``W_k = diag(d) - 1 1^T / Q_k``
with ``d = (1 + s) / q``, inverted in closed form by Sherman and Morrison. So each step is one
dense (Cholesky) solve of ``A W^-1 A^T``, of the size of the multipliers, and a few vector
operations.

The start is the conditional product ``p(x1, y) p(x2, y) / p(y)``, which is exactly feasible
and positive on every feasible cell; steps keep ``A q = b`` up to rounding, and the answer is
moved back onto the marginals (:func:`pid.estimators.exact.interior_point.restore`) and
certified by the dual bound of :mod:`pid.estimators.exact.certificate` written on the
flattened cells (:func:`pid.estimators.exact.interior_point.gibbs_bounds`). The iterations
run as compiled loops (:mod:`pid.estimators.exact.interior_point`); where numba is not
installed, every table goes to the path.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache

import numpy as np

from pid.estimators.exact.options import NewtonOptions
from pid.information import LN2

#: Support patterns whose cells are kept for the next table of that support (a few integers
#: per cell).
KEPT_PATTERNS = 16


@dataclass(frozen=True)
class CellSystem:
    """The feasible cells of a table, sorted by pair, and the marginal rows ``A`` they enter.

    Attributes
    ----------
    shape : tuple of int
        ``(n1, n2, ny)``.
    cells : tuple of three int arrays
        ``(x1, x2, y)`` of each feasible cell, in row-major order (so by pair).
    pair_starts : int array
        Index of each pair's first cell, followed by the number of cells.
    pair_of : int array
        The pair of each cell.
    row_starts : int array
        Index, among the pairs, of each ``x1``'s first pair, followed by the number of pairs.
    row_mass : array
        ``p(x1)`` of each ``x1`` that has a pair.
    targets : array, shape (m,)
        ``b``: the marginals' non-zero entries, less one ``(x2, y)`` entry per label.
    lam_rows, mu_rows : boolean arrays, shapes (n1, ny) and (n2, ny)
        The entries of ``lam`` and ``mu`` the rows of ``A`` stand for, in row-major order.
    lam_index, mu_index : int arrays
        The row of ``A`` of each cell's ``(x1, y)`` and ``(x2, y)`` marginal entries (``-1``
        for the ``(x2, y)`` entry left out).
    """

    shape: tuple[int, int, int]
    cells: tuple[np.ndarray, np.ndarray, np.ndarray]
    pair_starts: np.ndarray
    pair_of: np.ndarray
    row_starts: np.ndarray
    row_mass: np.ndarray
    targets: np.ndarray
    lam_rows: np.ndarray
    mu_rows: np.ndarray
    lam_index: np.ndarray
    mu_index: np.ndarray

    @classmethod
    def of(cls, p_x1_y: np.ndarray, p_x2_y: np.ndarray) -> CellSystem:
        """The cells and marginal rows of ``Delta_p`` for the marginals ``p(x1, y)``, ``p(x2, y)``.

        They depend on the marginals' supports alone, so the system of the support pattern
        (:func:`_pattern_system`, kept for :data:`KEPT_PATTERNS` patterns) is taken with the
        marginals' own ``b`` and ``p(x1)``.
        """
        lam_rows, free2 = p_x1_y > 0, p_x2_y > 0
        pattern = _pattern_system(lam_rows.tobytes(), free2.tobytes(), *p_x1_y.shape, len(free2))
        return pattern.with_marginals(p_x1_y, p_x2_y)

    def with_marginals(self, p_x1_y: np.ndarray, p_x2_y: np.ndarray) -> CellSystem:
        """This system with ``row_mass`` and ``targets`` of the marginals ``p(x1, y)`` and
        ``p(x2, y)``, which have its supports."""
        row_x1 = self.cells[0][self.pair_starts[self.row_starts[:-1]]]
        return replace(
            self,
            row_mass=p_x1_y.sum(axis=1)[row_x1],
            targets=np.concatenate([p_x1_y[self.lam_rows], p_x2_y[self.mu_rows]]),
        )

    @classmethod
    def build(cls, p_x1_y: np.ndarray, p_x2_y: np.ndarray) -> CellSystem:
        """:meth:`of`, built from scratch."""
        (n1, ny), n2 = p_x1_y.shape, p_x2_y.shape[0]
        lam_rows, free2 = p_x1_y > 0, p_x2_y > 0
        x1, x2, y = np.nonzero(lam_rows[:, None, :] & free2[None, :, :])
        pair = x1 * n2 + x2
        new_pair = np.empty(len(pair), dtype=bool)
        new_pair[0] = True
        np.not_equal(pair[1:], pair[:-1], out=new_pair[1:])
        pair_starts = np.flatnonzero(new_pair)
        first_x1 = x1[pair_starts]
        new_row = np.empty(len(first_x1), dtype=bool)
        new_row[0] = True
        np.not_equal(first_x1[1:], first_x1[:-1], out=new_row[1:])
        row_starts = np.flatnonzero(new_row)
        mu_rows = free2.copy()
        mu_rows[np.argmax(free2, axis=0), np.arange(ny)] = False  # implied by the others
        index = np.full((n1 + n2, ny), -1)
        n_lam = int(lam_rows.sum())
        index[:n1][lam_rows] = np.arange(n_lam)
        index[n1:][mu_rows] = np.arange(n_lam, n_lam + int(mu_rows.sum()))
        return cls(
            shape=(n1, n2, ny),
            cells=(x1, x2, y),
            pair_starts=np.append(pair_starts, len(x1)),
            pair_of=np.cumsum(new_pair) - 1,
            row_starts=np.append(row_starts, len(pair_starts)),
            row_mass=np.empty(0),
            targets=np.empty(0),
            lam_rows=lam_rows,
            mu_rows=mu_rows,
            lam_index=index[x1, y],
            mu_index=index[n1 + x2, y],
        ).with_marginals(p_x1_y, p_x2_y)

    def table(self, q: np.ndarray) -> np.ndarray:
        """The flattened cells ``q`` as an ``(n1, n2, ny)`` table, zero off the feasible cells."""
        table = np.zeros(self.shape)
        table[self.cells] = q
        return table


@lru_cache(maxsize=KEPT_PATTERNS)
def _pattern_system(lam_support: bytes, x2_support: bytes, n1: int, ny: int, n2: int) -> CellSystem:
    """The :class:`CellSystem` of the 0/1 marginals of the supports ``p(x1, y) > 0`` and
    ``p(x2, y) > 0`` (given as the bytes of boolean ``(n1, ny)`` and ``(n2, ny)`` arrays),
    its arrays read-only since they are shared."""
    lam_rows = np.frombuffer(lam_support, dtype=bool).reshape(n1, ny)
    free2 = np.frombuffer(x2_support, dtype=bool).reshape(n2, ny)
    system = CellSystem.build(lam_rows.astype(float), free2.astype(float))
    for field in fields(system):
        value = getattr(system, field.name)
        for array in value if isinstance(value, tuple) else (value,):
            if isinstance(array, np.ndarray):
                array.setflags(write=False)
    return system


@dataclass(frozen=True)
class SmallSolution:
    """The answer of :func:`solve_small_table`.

    ``q`` is the table, ``lower_bits`` its ``H_q(Y|X1,X2)``, ``upper_bits`` the certified
    bound of :func:`pid.estimators.exact.interior_point.gibbs_bounds` on the optimum,
    ``newton_steps`` the iterations taken and ``n_variables`` the feasible cells.
    """

    q: np.ndarray
    lower_bits: float
    upper_bits: float
    newton_steps: int
    n_variables: int

    @property
    def gap_bits(self) -> float:
        """Certified gap, in bits."""
        return max(self.upper_bits - self.lower_bits, 0.0)


def multiplier_count(p_x1_y: np.ndarray, p_x2_y: np.ndarray) -> int:
    """The size ``m`` of the method's system ``A W^-1 A^T``: the non-zero entries of
    ``p(x1, y)`` and ``p(x2, y)``, less one per label that has any (an entry implied by the
    others). A step costs about ``m^3 / 6`` multiplications."""
    labels = int(np.count_nonzero(p_x1_y.any(axis=0)))
    return int(np.count_nonzero(p_x1_y)) + int(np.count_nonzero(p_x2_y)) - labels


def solve_small_table(
    p_x1_y: np.ndarray, p_x2_y: np.ndarray, tol_bits: float, options: NewtonOptions
) -> SmallSolution | None:
    """``max_{q in Delta_p} H_q(Y|X1,X2)`` by the interior-point method of the module
    docstring, certified within ``tol_bits``; ``None`` where it is not certified within
    ``options.small_iterations`` iterations (nor ``options.max_steps``), a step fails, or the
    loops are not compiled, so that the caller falls back to the path of
    :mod:`pid.estimators.exact.path`.

    The objective is symmetric in X1 and X2, so a table with more non-zero entries in
    ``p(x2, y)`` than in ``p(x1, y)`` is solved with the two swapped: the ``lam`` rows, whose
    part of the system is block diagonal (one block per value of the first modality), are
    then the larger group, and the factorization skips their zeros; the ``mu`` rows couple
    to every ``lam`` row and stay dense.
    """
    from pid.estimators.exact import interior_point  # numba, imported on the first table

    if not interior_point.COMPILED:
        return None
    if np.count_nonzero(p_x2_y) > np.count_nonzero(p_x1_y):
        swapped = solve_small_table(p_x2_y, p_x1_y, tol_bits, options)
        return None if swapped is None else replace(swapped, q=swapped.q.transpose(1, 0, 2))
    system = CellSystem.of(p_x1_y, p_x2_y)
    x1, x2, y = system.cells
    start = p_x1_y[x1, y] * p_x2_y[x2, y] / p_x1_y.sum(axis=0)[y]
    certified, q, lower, upper, steps = interior_point.solve(
        start,
        system.lam_index,
        system.mu_index,
        system.pair_starts,
        system.pair_of,
        system.row_starts,
        system.row_mass,
        system.targets,
        tol_bits * LN2,
        min(options.small_iterations, options.max_steps),
    )
    if not certified:
        return None
    return SmallSolution(system.table(q), lower / LN2, upper / LN2, steps, len(q))
