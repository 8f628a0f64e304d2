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
and positive on every feasible cell; steps keep ``A q = b`` up to rounding. The answer is
certified by :func:`gibbs_gap_bits`, the dual bound of :mod:`pid.estimators.exact.certificate`
written on the flattened cells (the batched functions there cost more than a small table's
whole solve).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from functools import lru_cache

import numpy as np
from scipy.linalg import lapack

from pid.estimators.exact.options import NewtonOptions
from pid.information import LN2

#: Fraction of the way to the boundary of the orthant that a step may go.
TO_BOUNDARY = 0.995

#: The certificate is evaluated once the complementarity gap ``q . s`` is within this factor
#: of the tolerance: the bound's ``max_x2 g`` term often closes the rest.
CERTIFY_WITHIN = 10.0

#: Relative rounding of the barrier merit that a line search tolerates.
MERIT_ROUNDING = 1e-13

#: Support patterns whose cells and constraints are kept for the next table of that support
#: (at most ``small_cells`` cells each, a few MB at worst).
KEPT_PATTERNS = 16


@dataclass(frozen=True)
class CellSystem:
    """The feasible cells of a table, sorted by pair, and the marginal constraints on them.

    Attributes
    ----------
    shape : tuple of int
        ``(n1, n2, ny)``.
    cells : tuple of three int arrays
        ``(x1, x2, y)`` of each feasible cell, in row-major order (so by pair).
    pair_starts : int array
        Index of each pair's first cell; ``np.add.reduceat`` over them sums pairs.
    pair_of : int array
        The pair of each cell.
    row_starts : int array
        Index, among the pairs, of each ``x1``'s first pair.
    row_mass : array
        ``p(x1)`` of each ``x1`` that has a pair.
    constraints : array, shape (m, N)
        ``A``: which marginal rows each cell enters.
    targets : array, shape (m,)
        ``b``: the marginals' non-zero entries, less one ``(x2, y)`` entry per label.
    lam_rows, mu_rows : boolean arrays, shapes (n1, ny) and (n2, ny)
        The entries of ``lam`` and ``mu`` the rows of ``A`` stand for, in row-major order.
    kkt_entries, kkt_cells : int arrays
        Where each cell's weight ``w_c`` lands in ``sum_c w_c a_c a_c^T`` (``m x m``, flat)
        followed by ``A diag(w) E`` (``m x pairs``, ``E`` the cells' pair indicators), and
        which cell each entry takes it from: one ``np.bincount`` assembles both.
    """

    shape: tuple[int, int, int]
    cells: tuple[np.ndarray, np.ndarray, np.ndarray]
    pair_starts: np.ndarray
    pair_of: np.ndarray
    row_starts: np.ndarray
    row_mass: np.ndarray
    constraints: np.ndarray
    targets: np.ndarray
    lam_rows: np.ndarray
    mu_rows: np.ndarray
    kkt_entries: np.ndarray
    kkt_cells: np.ndarray

    @classmethod
    def of(cls, p_x1_y: np.ndarray, p_x2_y: np.ndarray) -> CellSystem:
        """The cells and constraints of ``Delta_p`` for the marginals ``p(x1, y)``, ``p(x2, y)``.

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
        row_x1 = self.cells[0][self.pair_starts[self.row_starts]]
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
        m = n_lam + int(mu_rows.sum())
        constraints = np.zeros((m, len(x1)))
        columns = np.arange(len(x1))
        lam_index = index[x1, y]
        constraints[lam_index, columns] = 1.0
        mu_index = index[n1 + x2, y]
        kept = mu_index >= 0
        constraints[mu_index[kept], columns[kept]] = 1.0
        pair_of = np.cumsum(new_pair) - 1
        lam_kept, mu_kept = lam_index[kept], mu_index[kept]
        kkt_entries = np.concatenate(
            [
                lam_index * (m + 1),
                mu_kept * (m + 1),
                lam_kept * m + mu_kept,
                mu_kept * m + lam_kept,
                m * m + lam_index * len(pair_starts) + pair_of,
                m * m + mu_kept * len(pair_starts) + pair_of[kept],
            ]
        )
        kept_cells = columns[kept]
        kkt_cells = np.concatenate(
            [columns, kept_cells, kept_cells, kept_cells, columns, kept_cells]
        )
        return cls(
            shape=(n1, n2, ny),
            cells=(x1, x2, y),
            pair_starts=pair_starts,
            pair_of=pair_of,
            row_starts=row_starts,
            row_mass=np.empty(0),
            constraints=constraints,
            targets=np.empty(0),
            lam_rows=lam_rows,
            mu_rows=mu_rows,
            kkt_entries=kkt_entries,
            kkt_cells=kkt_cells,
        ).with_marginals(p_x1_y, p_x2_y)

    def multipliers(self, nu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``lam`` and ``mu`` as ``(n1, ny)`` and ``(n2, ny)`` arrays (zero off the rows)."""
        n1, n2, ny = self.shape
        lam, mu = np.zeros((n1, ny)), np.zeros((n2, ny))
        n_lam = int(self.lam_rows.sum())
        lam[self.lam_rows] = nu[:n_lam]
        mu[self.mu_rows] = nu[n_lam:]
        return lam, mu

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
    bound of :func:`gibbs_gap_bits` on the optimum, ``newton_steps`` the iterations taken and
    ``n_variables`` the feasible cells.
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


@dataclass(frozen=True)
class NewtonSystem:
    """The perturbed optimality conditions of the module docstring, linearized at ``(q, s)``.

    ``residual`` is ``grad f - A^T nu``; ``scale`` is ``diag(W)^-1 = q / (1 + s)``;
    ``pair_inverse`` is ``1 / (Q - 1^T diag(W)^-1 1) = 1 / sum_pair scale s`` by pair, so that
    ``W^-1 v = scale v + scale (pair_inverse sum_pair scale v)``; ``kkt`` is ``A W^-1 A^T``;
    ``infeasible`` is ``b - A q``.
    """

    system: CellSystem
    q: np.ndarray
    s: np.ndarray
    residual: np.ndarray
    scale: np.ndarray
    pair_inverse: np.ndarray
    kkt: np.ndarray
    infeasible: np.ndarray

    @classmethod
    def at(cls, system: CellSystem, q: np.ndarray, s: np.ndarray, residual: np.ndarray):
        """The system at cells ``q``, slacks ``s`` and dual residual ``grad f - A^T nu``."""
        a, starts = system.constraints, system.pair_starts
        m, pairs = len(a), len(starts)
        scale = q / (1.0 + s)
        pair_inverse = 1.0 / np.add.reduceat(scale * s, starts)
        blocks = np.bincount(system.kkt_entries, scale[system.kkt_cells], minlength=m * (m + pairs))
        kkt = blocks[: m * m].reshape(m, m)
        pair_columns = blocks[m * m :].reshape(m, pairs)
        kkt += (pair_columns * pair_inverse) @ pair_columns.T
        return cls(system, q, s, residual, scale, pair_inverse, kkt, system.targets - a @ q)

    def solve_w(self, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``W^-1 v`` (Sherman and Morrison pair by pair), for ``v`` of shape ``(N, k)``,
        written to ``out`` if given."""
        scaled = self.scale[:, None] * v
        pairs = np.add.reduceat(scaled, self.system.pair_starts)
        pairs *= self.pair_inverse[:, None]
        pairs = pairs[self.system.pair_of]
        pairs *= self.scale[:, None]
        return np.add(pairs, scaled, out=out)

    def directions(self) -> np.ndarray:
        """The Newton steps ``(dq, ds, dnu)`` towards ``q s = 0`` and their change per unit of
        the target ``tau`` of ``q s = tau``, stacked as the two columns of a ``(2N + m, 2)``
        array: the step is linear in ``tau``, so one solve with two right-hand sides gives
        both, and ``dq + tau dq'`` (and so on) is one sum.

        ``A W^-1 A^T dnu = b - A q - A W^-1 r`` and ``dq = W^-1 (r + A^T dnu)``, with
        ``r = tau / q - residual``; ``ds = (tau - s (q + dq)) / q``.
        """
        a, n = self.system.constraints, len(self.q)
        steps = np.empty((2 * n + len(a), 2))
        d_q, d_s, d_nu = steps[:n], steps[n : 2 * n], steps[2 * n :]
        inverse_q = 1.0 / self.q
        r = np.empty((n, 2))
        np.negative(self.residual, out=r[:, 0])
        r[:, 1] = inverse_q
        rhs = a @ self.solve_w(r)
        np.subtract(self.infeasible, rhs[:, 0], out=rhs[:, 0])
        np.negative(rhs[:, 1], out=rhs[:, 1])
        solution = _solve_positive_definite(self.kkt, rhs)
        d_nu[:] = solution
        r += a.T @ solution
        self.solve_w(r, out=d_q)
        np.multiply(d_q, (-self.s * inverse_q)[:, None], out=d_s)
        d_s[:, 0] -= self.s
        d_s[:, 1] += inverse_q
        return steps


def restore_feasibility(system: CellSystem, q: np.ndarray) -> np.ndarray:
    """``q + D A^T (A D A^T)^-1 (b - A q)`` with ``D = diag(q)``: the cells moved, each in
    proportion to itself, onto ``A q = b`` (up to rounding).

    A Newton step meets the marginals only as well as its system is solved, and near the
    optimum, where a pair's mass vanishes, that system is ill-conditioned: the last step can
    leave ``q`` some ``1e-9`` off. ``A D A^T`` is as well conditioned as the marginals are.
    """
    a = system.constraints
    scaled = a * q
    return q + q * (_solve_positive_definite(scaled @ a.T, system.targets - a @ q) @ a)


def feasible_cells(p_x1_y: np.ndarray, p_x2_y: np.ndarray) -> int:
    """The number of cells of ``Delta_p`` that may carry mass,
    ``sum_y #{x1 : p(x1, y) > 0} #{x2 : p(x2, y) > 0}``."""
    return int(np.count_nonzero(p_x1_y, axis=0) @ np.count_nonzero(p_x2_y, axis=0))


def gibbs_gap_bits(
    system: CellSystem, q: np.ndarray, log_c: np.ndarray, nu: np.ndarray, theta: np.ndarray
) -> tuple[float, float]:
    """``H_q(Y|X1,X2)`` of the cells ``q`` and the dual bound at ``nu``, both in bits.

    The bound of :func:`pid.estimators.exact.certificate.dual_bound_bits` on the flattened
    cells: with ``theta = A^T nu = lam(x1, y) + mu(x2, y)`` on each feasible cell and
    ``g(x1, x2) = LSE_y theta`` over a pair's feasible cells,

        H_q(Y|X1,X2) <= -nu . b + sum_x1 p(x1) max_x2 g(x1, x2)

    for every ``q`` in Delta_p (Gibbs' inequality, pair by pair). The lower bound is
    ``-sum_c q_c log c_c`` with ``log_c = log(q_c / Q(x1_c, x2_c))``. Valid for any ``nu``.
    """
    starts, add = system.pair_starts, np.add.reduceat
    peak = np.maximum.reduceat(theta, starts)
    g = peak + np.log(add(np.exp(theta - peak[system.pair_of]), starts))
    upper = system.row_mass @ np.maximum.reduceat(g, system.row_starts) - nu @ system.targets
    return float(-(q @ log_c)) / LN2, float(upper) / LN2


def solve_small_table(
    p_x1_y: np.ndarray, p_x2_y: np.ndarray, tol_bits: float, options: NewtonOptions
) -> SmallSolution | None:
    """``max_{q in Delta_p} H_q(Y|X1,X2)`` by the interior-point method of the module
    docstring, certified within ``tol_bits`` by :func:`gibbs_gap_bits`; ``None`` where it is
    not certified within ``options.small_iterations`` iterations (nor ``options.max_steps``)
    or a step fails, so that the caller falls back to the path of
    :mod:`pid.estimators.exact.path`."""
    system = CellSystem.of(p_x1_y, p_x2_y)
    x1, x2, y = system.cells
    a, b = system.constraints, system.targets
    starts, pair_of, add = system.pair_starts, system.pair_of, np.add.reduceat
    p_y = p_x1_y.sum(axis=0)
    q = p_x1_y[x1, y] * p_x2_y[x2, y] / p_y[y]
    log_q = np.log(q)
    log_c = log_q - np.log(add(q, starts))[pair_of]
    cross_entropy, log_sum = float(q @ log_c), float(log_q.sum())  # the merit's two terms
    nu = np.zeros(len(b))
    theta = np.zeros(len(q))
    s = 1.0 - log_c
    n = len(q)
    tol_nats = tol_bits * LN2
    limit = min(options.small_iterations, options.max_steps)
    step = 0
    while True:
        gap = float(q @ s)
        if not gap < math.inf:  # NaN or overflow: leave the table to the path
            return None
        if gap <= CERTIFY_WITHIN * tol_nats and _within(
            gibbs_gap_bits(system, q, log_c, nu, theta), tol_bits
        ):
            feasible = restore_feasibility(system, q)
            if feasible.min() > 0:
                feasible_log_c = np.log(feasible / add(feasible, starts)[pair_of])
                lower, upper = gibbs_gap_bits(system, feasible, feasible_log_c, nu, theta)
                if _within((lower, upper), tol_bits):
                    return SmallSolution(system.table(feasible), lower, upper, step, n)
        if step == limit:
            return None
        newton = NewtonSystem.at(system, q, s, log_c - theta)
        try:
            steps = newton.directions()
        except np.linalg.LinAlgError:  # a singular system: leave the table to the path
            return None
        d_q, d_s = steps[:n, 0], steps[n : 2 * n, 0]
        t_q, t_s = _to_boundary(q, d_q), _to_boundary(s, d_s)
        mean = gap / n
        predicted = float((q + t_q * d_q) @ (s + t_s * d_s)) / n
        tau = max(mean * (predicted / mean) ** 3, 0.01 * tol_nats / n)
        step_all = steps[:, 1] * tau
        step_all += steps[:, 0]
        d_q, d_s, d_nu = step_all[:n], step_all[n : 2 * n], step_all[2 * n :]
        t_q = _to_boundary(q, d_q, TO_BOUNDARY)
        t_s = _to_boundary(s, d_s, TO_BOUNDARY)
        merit = cross_entropy - tau * log_sum
        # Armijo's decrease, short of the merit's rounding (on a table of one cell per pair,
        # say, the merit is flat and its rounding is all a step changes).
        allowed = 1e-4 * ((log_c - tau / q) @ d_q)
        rounding = MERIT_ROUNDING * (abs(merit) + tau)
        for _ in range(40):
            trial = q + t_q * d_q
            trial_log_q = np.log(trial)
            trial_log_c = trial_log_q - np.log(add(trial, starts))[pair_of]
            cross_entropy, log_sum = float(trial @ trial_log_c), float(trial_log_q.sum())
            if cross_entropy - tau * log_sum <= merit + t_q * allowed + rounding:
                break
            t_q *= 0.5
        else:  # no decrease along a Newton direction: rounding has taken over
            return None
        q, log_c = trial, trial_log_c
        s += t_s * d_s
        nu += t_s * d_nu
        theta = nu @ a
        step += 1


def _solve_positive_definite(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``matrix^-1 rhs`` by Cholesky for a positive definite ``matrix``; where it is not
    numerically, by pivoted LU (which raises ``LinAlgError`` on a singular one)."""
    _, solution, info = lapack.dposv(matrix, rhs)
    return solution if info == 0 else np.linalg.solve(matrix, rhs)


def _within(bounds: tuple[float, float], tol_bits: float) -> bool:
    """Whether the bounds ``(lower, upper)`` of :func:`gibbs_gap_bits` are within ``tol_bits``."""
    return bounds[1] - bounds[0] <= tol_bits


def _to_boundary(x: np.ndarray, dx: np.ndarray, fraction: float = 1.0) -> float:
    """``min(1, fraction t_max)``, with ``t_max = min_{dx_i < 0} x_i / -dx_i`` the largest
    ``t`` such that ``x + t dx >= 0`` (for ``x > 0``): ``t_max = -1 / min_i (dx_i / x_i)``."""
    lowest = float((dx / x).min())
    return 1.0 if lowest >= -fraction else -fraction / lowest
