"""The compiled loops of the small-table interior-point method (:mod:`.small_table`).

A table of a few hundred cells takes some 6 to 25 Newton steps of a few hundred arithmetic
operations per cell; written as array calls, each step is some 75 calls whose fixed cost
(a microsecond or two each) outweighs their arithmetic. Here each step is a few loops over
the cells, compiled by numba on the first call in an environment (and cached on disk for
later processes), so a step costs its arithmetic alone.

The cells are those of :class:`.small_table.CellSystem`: ``lam_index[c]`` and
``mu_index[c]`` are the rows of the multipliers ``nu`` that cell ``c`` enters (``mu_index``
is ``-1`` on the ``(x2, y)`` row left out for each label), ``pair_starts`` the first cell of
each pair ``(x1, x2)`` followed by the number of cells, ``row_starts`` the first pair of
each ``x1`` followed by the number of pairs. ``A`` below is the 0/1 matrix of those rows.
The functions take and return nats; the caller converts.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

try:
    from numba import config as numba_config
    from numba import njit
except ImportError:  # outside the declared dependencies: the caller solves every table on the path
    njit = numba_config = None

#: Whether the loops below are compiled (numba is importable and its compiler not disabled by
#: ``NUMBA_DISABLE_JIT``); where they are not, the caller sends every table to the path.
COMPILED = njit is not None and not numba_config.DISABLE_JIT

#: Fraction of the way to the boundary of the orthant that a step may go.
TO_BOUNDARY = 0.995

#: The certificate is evaluated once the complementarity gap ``q . s`` is within this factor
#: of the tolerance: the bound's ``max_x2 g`` term often closes the rest.
CERTIFY_WITHIN = 10.0

#: Relative rounding of the barrier merit that a line search tolerates.
MERIT_ROUNDING = 1e-13

#: Halvings of a step before its line search gives up.
LINE_SEARCH_HALVINGS = 40


def _compiled(function: Callable) -> Callable:
    """``function`` compiled in nopython mode, or itself without numba.

    Sums may be reassociated and products fused, nothing else of fast math; a division by
    zero gives ``inf`` or ``nan`` as in numpy (not an exception), which the checks of
    :func:`solve` catch. The compiled code is cached on disk where numba finds a writable
    folder (beside this file, or the user's cache); where it finds none, each process
    compiles it again.
    """
    if not COMPILED:
        return function
    settings = {"nogil": True, "fastmath": {"reassoc", "contract"}, "error_model": "numpy"}
    try:
        return njit(cache=True, **settings)(function)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return njit(**settings)(function)


@_compiled
def apply_constraints(
    v: np.ndarray, lam_index: np.ndarray, mu_index: np.ndarray, m: int
) -> np.ndarray:
    """``A v`` for ``k`` vectors over the cells as the rows of ``v``, shape ``(k, N)``: the
    sums over the cells of each marginal row, shape ``(k, m)``."""
    out = np.zeros((v.shape[0], m))
    for j in range(v.shape[0]):
        for c in range(v.shape[1]):
            out[j, lam_index[c]] += v[j, c]
            if mu_index[c] >= 0:
                out[j, mu_index[c]] += v[j, c]
    return out


@_compiled
def transpose_constraints(
    nu: np.ndarray, lam_index: np.ndarray, mu_index: np.ndarray
) -> np.ndarray:
    """``A^T nu`` for ``k`` vectors of multipliers as the rows of ``nu``, shape ``(k, m)``:
    ``lam(x1, y) + mu(x2, y)`` on each cell, shape ``(k, N)``."""
    theta = np.empty((nu.shape[0], len(lam_index)))
    for j in range(nu.shape[0]):
        for c in range(len(lam_index)):
            theta[j, c] = nu[j, lam_index[c]]
            if mu_index[c] >= 0:
                theta[j, c] += nu[j, mu_index[c]]
    return theta


@_compiled
def gram_lower(
    weight: np.ndarray, lam_index: np.ndarray, mu_index: np.ndarray, m: int
) -> np.ndarray:
    """The lower triangle of ``A diag(weight) A^T`` (all that :func:`cholesky` reads; a
    ``mu`` row comes after every ``lam`` row), zero above it."""
    matrix = np.zeros((m, m))
    for c in range(len(weight)):
        lam, mu = lam_index[c], mu_index[c]
        matrix[lam, lam] += weight[c]
        if mu >= 0:
            matrix[mu, mu] += weight[c]
            matrix[mu, lam] += weight[c]
    return matrix


@_compiled
def log_conditional(q: np.ndarray, pair_starts: np.ndarray) -> tuple[np.ndarray, float]:
    """``log(q_c / Q(x1_c, x2_c))`` of each cell, ``Q`` the sum of its pair, and
    ``sum_c log q_c``."""
    out = np.empty(len(q))
    log_sum = 0.0
    for k in range(len(pair_starts) - 1):
        total = 0.0
        for c in range(pair_starts[k], pair_starts[k + 1]):
            total += q[c]
        log_total = math.log(total)
        for c in range(pair_starts[k], pair_starts[k + 1]):
            log_q = math.log(q[c])
            log_sum += log_q
            out[c] = log_q - log_total
    return out, log_sum


@_compiled
def cholesky(matrix: np.ndarray) -> bool:
    """The lower Cholesky factor of a symmetric ``matrix``, written over its lower triangle;
    ``False`` where a pivot is not positive (the matrix is not numerically positive definite).

    Column ``j`` of the factor is ``L[i, j] = (A[i, j] - sum_k L[i, k] L[j, k]) / L[j, j]``
    over ``k < j``; a row's factor is zero before the row's first non-zero entry (no fill
    there), so each sum starts at row ``j``'s. The ``lam``-``lam`` part of the systems here
    is block diagonal, one block per ``x1``, so this skips most of its products; the ``mu``
    rows couple to every ``lam`` row and gain nothing.
    """
    size = matrix.shape[0]
    for j in range(size):
        row_j = matrix[j]
        start = 0
        while start < j and row_j[start] == 0.0:
            start += 1
        tail_j = row_j[start:]  # sliced, so that the sums below start at 0 (and vectorize)
        pivot = row_j[j]
        for k in range(j - start):
            pivot -= tail_j[k] * tail_j[k]
        if not pivot > 0.0:
            return False
        pivot = math.sqrt(pivot)
        row_j[j] = pivot
        inverse = 1.0 / pivot
        for i in range(j + 1, size):
            tail_i = matrix[i, start:]
            value = tail_i[j - start]
            for k in range(j - start):
                value -= tail_i[k] * tail_j[k]
            tail_i[j - start] = value * inverse
    return True


@_compiled
def cholesky_solve(factor: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``L^-T L^-1 x`` for the factor ``L`` of :func:`cholesky` and each row ``x`` of ``rhs``
    (shape ``(k, size)``), overwritten; both sweeps read ``L`` by rows."""
    size = factor.shape[0]
    for x in rhs:
        for i in range(size):
            value = x[i]
            for k in range(i):
                value -= factor[i, k] * x[k]
            x[i] = value / factor[i, i]
        for i in range(size - 1, -1, -1):
            x[i] /= factor[i, i]
            value = x[i]
            for k in range(i):
                x[k] -= factor[i, k] * value
    return rhs


@_compiled
def gibbs_bounds(
    q: np.ndarray,
    log_c: np.ndarray,
    nu: np.ndarray,
    theta: np.ndarray,
    pair_starts: np.ndarray,
    row_starts: np.ndarray,
    row_mass: np.ndarray,
    targets: np.ndarray,
) -> tuple[float, float]:
    """The entropy ``H_q(Y|X1,X2) = -sum_c q_c log_c`` of the cells ``q`` (with
    ``log_c = log(q_c / Q(x1_c, x2_c))``) and the dual bound, in nats.

    The bound of :func:`pid.estimators.exact.certificate.dual_bound_bits` on the flattened
    cells: with ``theta = A^T nu = lam(x1, y) + mu(x2, y)`` on each feasible cell and
    ``g(x1, x2) = LSE_y theta`` over a pair's feasible cells,

        H_q(Y|X1,X2) <= -nu . b + sum_x1 p(x1) max_x2 g(x1, x2)

    for every ``q`` in Delta_p (Gibbs' inequality, pair by pair), whatever ``nu``.
    """
    lower = 0.0
    for c in range(len(q)):
        lower -= q[c] * log_c[c]
    upper = 0.0
    for i in range(len(targets)):
        upper -= nu[i] * targets[i]
    for row in range(len(row_starts) - 1):
        best = -math.inf
        for k in range(row_starts[row], row_starts[row + 1]):
            peak = -math.inf
            for c in range(pair_starts[k], pair_starts[k + 1]):
                peak = max(peak, theta[c])
            total = 0.0
            for c in range(pair_starts[k], pair_starts[k + 1]):
                total += math.exp(theta[c] - peak)
            best = max(best, peak + math.log(total))
        upper += row_mass[row] * best
    return lower, upper


@_compiled
def restore(
    q: np.ndarray, lam_index: np.ndarray, mu_index: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, bool]:
    """``q + D A^T (A D A^T)^-1 (b - A q)`` with ``D = diag(q)``: the cells moved, each in
    proportion to itself, onto ``A q = b`` (up to rounding); and whether ``A D A^T`` could be
    factored (``q`` unmoved where not).

    A Newton step meets the marginals only as well as its system is solved, and near the
    optimum, where a pair's mass vanishes, that system is ill-conditioned: the last step can
    leave ``q`` some ``1e-9`` off. ``A D A^T`` is as well conditioned as the marginals are.
    """
    m = len(targets)
    matrix = gram_lower(q, lam_index, mu_index, m)
    rhs = targets.reshape(1, m) - apply_constraints(q.reshape(1, -1), lam_index, mu_index, m)
    if not cholesky(matrix):
        return q.copy(), False
    shift = transpose_constraints(cholesky_solve(matrix, rhs), lam_index, mu_index)
    return q + q * shift[0], True


@_compiled
def _to_boundary(x: np.ndarray, dx: np.ndarray, fraction: float) -> float:
    """``min(1, fraction t_max)`` with ``t_max`` the largest ``t`` keeping ``x + t dx >= 0``."""
    lowest = math.inf
    for i in range(len(x)):
        lowest = min(lowest, dx[i] / x[i])
    return 1.0 if lowest >= -fraction else -fraction / lowest


@_compiled
def _directions(
    q: np.ndarray,
    s: np.ndarray,
    residual: np.ndarray,
    infeasible: np.ndarray,
    lam_index: np.ndarray,
    mu_index: np.ndarray,
    pair_starts: np.ndarray,
    pair_of: np.ndarray,
) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray]:
    """Whether the system was numerically positive definite, then the Newton steps
    ``(dq, ds, dnu)``, each as two rows: the step towards ``q s = 0`` and its change per
    unit of the target ``tau`` of ``q s = tau`` (meaningless where the system was not
    positive definite).

    ``W = Hess f + diag(s / q)`` is ``diag((1 + s) / q) - 1 1^T / Q`` on each pair, so
    ``W^-1 v = scale v + scale pair_inverse sum_pair(scale v)`` with ``scale = q / (1 + s)``
    and ``pair_inverse = 1 / sum_pair(scale s)``; ``A W^-1 A^T dnu = b - A q - A W^-1 r``,
    ``dq = W^-1 (r + A^T dnu)`` with ``r = (-residual, 1 / q)``, and
    ``ds = (tau - s (q + dq)) / q``.
    """
    n, m, pairs = len(q), len(infeasible), len(pair_starts) - 1
    scale = q / (1.0 + s)
    pair_inverse = np.empty(pairs)
    for k in range(pairs):
        total = 0.0
        for c in range(pair_starts[k], pair_starts[k + 1]):
            total += scale[c] * s[c]
        pair_inverse[k] = 1.0 / total
    # A W^-1 A^T: A diag(scale) A^T plus each pair's rank-one term, in the lower triangle
    # (within a pair, both the lam and the mu rows grow with the cell, that is its label).
    kkt = gram_lower(scale, lam_index, mu_index, m)
    for c in range(n):
        lam, mu, k = lam_index[c], mu_index[c], pair_of[c]
        for d in range(pair_starts[k], pair_starts[k + 1]):
            weight = pair_inverse[k] * scale[c] * scale[d]
            if mu >= 0:
                kkt[mu, lam_index[d]] += weight
            if d <= c:
                kkt[lam, lam_index[d]] += weight
                if mu >= 0 and mu_index[d] >= 0:
                    kkt[mu, mu_index[d]] += weight
    r = np.empty((2, n))
    for c in range(n):
        r[0, c] = -residual[c]
        r[1, c] = 1.0 / q[c]
    rhs = apply_constraints(_solve_w(r, scale, pair_inverse, pair_starts), lam_index, mu_index, m)
    for i in range(m):
        rhs[0, i] = infeasible[i] - rhs[0, i]
        rhs[1, i] = -rhs[1, i]
    if not cholesky(kkt):
        return False, r, r, rhs
    d_nu = cholesky_solve(kkt, rhs)
    r += transpose_constraints(d_nu, lam_index, mu_index)
    d_q = _solve_w(r, scale, pair_inverse, pair_starts)
    d_s = np.empty((2, n))
    for c in range(n):
        factor = -s[c] / q[c]
        d_s[0, c] = d_q[0, c] * factor - s[c]
        d_s[1, c] = d_q[1, c] * factor + 1.0 / q[c]
    return True, d_q, d_s, d_nu


@_compiled
def _solve_w(
    v: np.ndarray, scale: np.ndarray, pair_inverse: np.ndarray, pair_starts: np.ndarray
) -> np.ndarray:
    """``W^-1 x`` for each row ``x`` of ``v`` (shape ``(k, N)``), by Sherman and Morrison
    pair by pair."""
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        for k in range(len(pair_starts) - 1):
            total = 0.0
            for c in range(pair_starts[k], pair_starts[k + 1]):
                out[j, c] = scale[c] * v[j, c]
                total += out[j, c]
            total *= pair_inverse[k]
            for c in range(pair_starts[k], pair_starts[k + 1]):
                out[j, c] += scale[c] * total
    return out


@_compiled
def solve(
    q: np.ndarray,
    lam_index: np.ndarray,
    mu_index: np.ndarray,
    pair_starts: np.ndarray,
    pair_of: np.ndarray,
    row_starts: np.ndarray,
    row_mass: np.ndarray,
    targets: np.ndarray,
    tol_nats: float,
    limit: int,
) -> tuple[bool, np.ndarray, float, float, int]:
    """The interior-point method of :mod:`.small_table` from the feasible, positive cells
    ``q``: returns whether it certified an answer within ``tol_nats`` in at most ``limit``
    steps, then that table (on the marginals up to rounding), its bounds (:func:`gibbs_bounds`,
    nats) and the steps taken. It gives up (``False``) at the step limit, on a non-finite
    complementarity gap, a system that is not numerically positive definite, or a line search
    that finds no decrease.
    """
    n, m = len(q), len(targets)
    log_c, log_sum = log_conditional(q, pair_starts)  # log_sum and q . log_c make the merit
    cross_entropy = q @ log_c
    nu = np.zeros((1, m))
    theta = np.zeros(n)
    s = 1.0 - log_c
    step = 0
    while True:
        gap = q @ s
        if not gap < math.inf:  # NaN or overflow
            return False, q, 0.0, 0.0, step
        if gap <= CERTIFY_WITHIN * tol_nats:
            lower, upper = gibbs_bounds(
                q, log_c, nu[0], theta, pair_starts, row_starts, row_mass, targets
            )
            if upper - lower <= tol_nats:
                feasible, factored = restore(q, lam_index, mu_index, targets)
                if factored and feasible.min() > 0:
                    feasible_log_c = log_conditional(feasible, pair_starts)[0]
                    lower, upper = gibbs_bounds(
                        feasible,
                        feasible_log_c,
                        nu[0],
                        theta,
                        pair_starts,
                        row_starts,
                        row_mass,
                        targets,
                    )
                    if upper - lower <= tol_nats:
                        return True, feasible, lower, upper, step
        if step == limit:
            return False, q, 0.0, 0.0, step
        infeasible = targets - apply_constraints(q.reshape(1, -1), lam_index, mu_index, m)[0]
        factored, q_steps, s_steps, nu_steps = _directions(
            q, s, log_c - theta, infeasible, lam_index, mu_index, pair_starts, pair_of
        )
        if not factored:
            return False, q, 0.0, 0.0, step
        # Mehrotra's centring: tau from how far the step towards q s = 0 could go.
        t_q = _to_boundary(q, q_steps[0], 1.0)
        t_s = _to_boundary(s, s_steps[0], 1.0)
        mean = gap / n
        predicted = 0.0
        for c in range(n):
            predicted += (q[c] + t_q * q_steps[0, c]) * (s[c] + t_s * s_steps[0, c])
        predicted /= n
        tau = max(mean * (predicted / mean) ** 3, 0.01 * tol_nats / n)
        d_q = q_steps[0] + tau * q_steps[1]
        d_s = s_steps[0] + tau * s_steps[1]
        d_nu = nu_steps[0:1] + tau * nu_steps[1:2]
        t_q = _to_boundary(q, d_q, TO_BOUNDARY)
        t_s = _to_boundary(s, d_s, TO_BOUNDARY)
        merit = cross_entropy - tau * log_sum
        # Armijo's decrease, short of the merit's rounding (on a table of one cell per pair,
        # say, the merit is flat and its rounding is all a step changes).
        allowed = 0.0
        for c in range(n):
            allowed += (log_c[c] - tau / q[c]) * d_q[c]
        allowed *= 1e-4
        rounding = MERIT_ROUNDING * (abs(merit) + tau)
        accepted = False
        for _ in range(LINE_SEARCH_HALVINGS):
            trial = q + t_q * d_q
            trial_log_c, log_sum = log_conditional(trial, pair_starts)
            cross_entropy = trial @ trial_log_c
            if cross_entropy - tau * log_sum <= merit + t_q * allowed + rounding:
                accepted = True
                break
            t_q *= 0.5
        if not accepted:  # no decrease along a Newton direction: rounding has taken over
            return False, q, 0.0, 0.0, step
        q, log_c = trial, trial_log_c
        s += t_s * d_s
        nu += t_s * d_nu
        theta = transpose_constraints(nu, lam_index, mu_index)[0]
        step += 1
