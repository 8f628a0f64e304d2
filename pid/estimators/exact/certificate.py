"""The certificate of the exact solver: a feasible point below the optimum, a dual bound above.

For any multipliers, ``H_q <= -lam . p(x1, y) - mu . p(x2, y) +
sum_x1 p(x1) max_x2 g(x1, x2)`` on all of Delta_p (Gibbs' inequality, see
:meth:`pid.estimators.exact.conic.FeasibleCells.entropy_upper_bound_bits`), while the primal point,
rescaled exactly onto Delta_p, gives a lower bound. Their difference bounds the error of the
optimum, hence of R, U1, U2 and S. The bound is taken at the multipliers of the path and at
their extrapolation to ``eps = 0`` along the path's tangent; the second is within
``O(eps^2)`` of the optimum once the active pairs have settled, against ``O(eps)`` for the
first, which saves the last two or three smoothing levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pid.backend import Array, Arrays
from pid.estimators.exact.conditional import ConditionalTable, marginal_sums
from pid.estimators.exact.problem import (
    Problem,
    State,
    lam_term,
    largest,
    marginal_residual,
    mu_term,
)
from pid.estimators.exact.row_bound import tighten_rows
from pid.information import LN2, conditional_entropy

if TYPE_CHECKING:
    from pid.distribution import Distribution

#: Largest marginal residual of a table that :func:`best_feasible` lets compete (summation
#: rounding on large tables can keep a projected answer above ``1e-13``); one further off is
#: dropped.
ACCEPTED_RESIDUAL = 1e-10


@dataclass
class NewtonSolution:
    """The solver's answer for a batch.

    Attributes
    ----------
    q : ndarray, shape (B, n1, n2, ny)
        Joint distributions meeting the marginals up to double-precision rounding.
    lower_bits, upper_bits : ndarray, shape (B,)
        ``H_q(Y|X1,X2)`` of ``q`` and the certified upper bound on the optimum, in bits.
    newton_steps : int
        Newton steps taken.
    epsilon : ndarray, shape (B,)
        Smoothing level at which each answer was found.
    """

    q: Array
    lower_bits: Array
    upper_bits: Array
    newton_steps: int
    epsilon: Array

    @property
    def gap_bits(self) -> Array:
        """Certified gap of each answer, in bits."""
        return (self.upper_bits - self.lower_bits).clip(min=0.0)


def better(xp: Arrays, best: NewtonSolution, new: NewtonSolution) -> NewtonSolution:
    """Per problem, the answer with the smaller certified gap."""
    take = new.gap_bits < best.gap_bits
    return NewtonSolution(
        q=xp.where(take[:, None, None, None], new.q, best.q),
        lower_bits=xp.where(take, new.lower_bits, best.lower_bits),
        upper_bits=xp.where(take, new.upper_bits, best.upper_bits),
        newton_steps=best.newton_steps,
        epsilon=xp.where(take, new.epsilon, best.epsilon),
    )


def certify(
    prob: Problem,
    lam: Array,
    mu: Array,
    state: State,
    eps: float,
    tangent: tuple[Array, Array],
    tol_bits: float,
    hopeless_above: float = math.inf,
    tighten_below: Array | float = math.inf,
) -> NewtonSolution | None:
    """The certificate at a point of the path: the rounded primal point's entropy, and the
    smaller of two dual bounds, at the multipliers and at their first-order extrapolation
    to ``eps = 0`` along the tangent, ``(lam, mu) - eps d(lam, mu)/d eps``.

    Both are valid bounds (any multipliers give one); the first is ``O(eps)`` above the
    optimum, the extrapolated one ``O(eps^2)`` once the set of active pairs has settled.
    Where a gap misses ``tol_bits`` by at most ``options.tightening_reach`` times, and is below
    the problem's ``tighten_below`` (after a tightening that fell short, see
    :func:`pid.estimators.exact.path.maximize_conditional_entropy`), the smaller bound's
    multipliers are tightened row by row (:func:`tightened_bound_bits`).

    Rounding the primal point costs some forty matrix products of ``n1 x n2`` size and a few
    passes over the ``(n1, n2, ny)`` table of ``q`` it forms. Where every
    problem's gap, estimated with :func:`_smoothed_entropy_bits`, exceeds ``hopeless_above``,
    nothing is rounded and there is no certificate (``None``).
    """
    xp = prob.xp
    move = (eps * tangent[0], eps * tangent[1])
    moved_lam, moved_mu = lam - move[0], mu - move[1]
    moved_g = ConditionalTable(xp, moved_lam, moved_mu, prob.free1, prob.free2, prob.live)
    moved_g = moved_g.log_partition
    extrapolated = dual_bound_bits(prob, moved_lam, moved_mu, moved_g)
    upper = dual_bound_bits(prob, lam, mu, state.g)
    # A move beyond the step cap (a nearly singular tangent) would make the bound's rounding
    # unreliable; a NaN move fails both tests.
    options = prob.options
    better = (extrapolated < upper) & (largest(prob, move) <= options.step_cap)
    upper = xp.where(better, extrapolated, upper)
    if hopeless_above < math.inf:
        hopeful = ~(upper - _smoothed_entropy_bits(prob, state, eps) > hopeless_above)
        if not hopeful.any():
            return None
    table = state.table
    # Far off the path the factors' product can overflow; the residual test below catches it.
    with np.errstate(over="ignore", invalid="ignore"):
        q = project(prob, state.omega * table.inverse_total, table.lam_factor, table.mu_factor)
    broken = ~(largest(prob, marginal_residual(prob, q)) <= options.feasible_residual)
    if broken.any():  # rounding failed (e.g. overflow far off the path): a safe feasible point
        q = xp.where(broken[:, None, None, None], prob.conditional_product(), q)
    lower = _conditional_entropy_bits(xp, q)
    gap = upper - lower
    near = (gap > tol_bits) & (gap <= options.tightening_reach * tol_bits) & (gap < tighten_below)
    if near.any():
        pick = better[:, None, None]
        chosen = (
            xp.where(pick, moved_lam, lam),
            xp.where(pick, moved_mu, mu),
            xp.where(pick, moved_g, state.g),
        )
        tightened = tightened_bound_bits(prob, *chosen, eps, near, lower + tol_bits)
        upper = xp.minimum(upper, tightened)
    return NewtonSolution(q, lower, upper, 0, xp.full(prob.shape[0], eps))


def tightened_bound_bits(
    prob: Problem,
    lam: Array,
    mu: Array,
    g: Array,
    eps: float,
    problems: Array,
    enough: Array,
) -> Array:
    """The dual bound of :func:`dual_bound_bits` with the rows of ``lam`` re-minimized for
    the given ``mu`` (:func:`pid.estimators.exact.row_bound.tighten_rows`) in the ``problems``
    marked, each row where that lowers its exact term: never above the bound at
    ``(lam, mu)`` (whose pairs' log-partition is ``g``), and valid like any other. Stops once
    each marked problem's bound is at most ``enough`` (bits)."""
    xp = prob.xp
    rows = dual_bound_rows(prob, lam, mu, g)
    bound = _summed_bits(prob, rows, mu)
    for tightened in tighten_rows(xp, lam, mu, g, prob.p1, prob.free1, prob.free2, eps, problems):
        rows = xp.minimum(rows, dual_bound_rows(prob, tightened, mu))
        bound = _summed_bits(prob, rows, mu)
        if not (problems & (bound > enough)).any():
            break
    return bound


def _smoothed_entropy_bits(prob: Problem, state: State, eps: float) -> Array:
    """``(F_eps - eps H_w(X2 | X1)) / ln 2``, in bits: the smoothed point's ``H_q(Y|X1,X2)``
    where its marginals are met (the smoothed problem's duality), from ``(x1, x2)`` arrays."""
    xp, w = prob.xp, state.w
    spread = -xp.where(w > 0, w * xp.log(xp.where(w > 0, w, 1.0)), 0.0).sum(axis=2)
    return (state.value - eps * (prob.p_x1 * spread).sum(axis=1)) / LN2


def dual_bound_bits(prob: Problem, lam: Array, mu: Array, g: Array | None = None) -> Array:
    """``-lam . p(x1, y) - mu . p(x2, y) + sum_x1 p(x1) max_x2 g(x1, x2)`` in bits, an upper
    bound on ``H_q(Y|X1,X2)`` over Delta_p for any multipliers; ``g`` if already known."""
    return _summed_bits(prob, dual_bound_rows(prob, lam, mu, g), mu)


def _summed_bits(prob: Problem, rows: Array, mu: Array) -> Array:
    """A dual's row terms (nats, ``(B, n1)``) summed with its ``mu`` term, in bits."""
    return (rows.sum(axis=1) + mu_term(prob, mu)) / LN2


def dual_bound_rows(prob: Problem, lam: Array, mu: Array, g: Array | None = None) -> Array:
    """The dual bound's terms of each row, ``-lam(x1, .) . p(x1, .) + p(x1) max_x2 g(x1, x2)``,
    in nats, shape ``(B, n1)``; with ``mu`` fixed each depends on its row of ``lam`` alone."""
    xp = prob.xp
    if g is None:
        g = ConditionalTable(prob.xp, lam, mu, prob.free1, prob.free2, prob.live).log_partition
    hard = xp.where(prob.row, xp.amax(g, 2), 0.0)
    return lam_term(prob, lam) + prob.p_x1 * hard


def project(
    prob: Problem, mass: Array, lam_factor: Array, mu_factor: Array, sweeps: int = 20
) -> Array:
    """An exactly feasible point near the nearly feasible
    ``q(x1, x2, y) = mass(x1, x2) A(x1, y) B(x2, y)`` (the path's point, with the factors of
    :class:`ConditionalTable` and ``mass = p(x1) w / T``), as a ``(B, n1, n2, ny)`` array.

    A few sweeps of iterative proportional fitting (each label's slice rescaled to its row
    and column marginals) shrink the residual: a rescaling of rows (columns) by label is one
    of ``A`` (``B``), so the sweeps are matrix products of ``n1 x n2`` size. Then each slice is
    rounded onto its transport polytope exactly: rows and columns are scaled down to at most
    their targets, and the missing masses ``e_r`` and ``e_c`` (equal in total) are added back
    as ``e_r e_c^T / |e_r|``, which only touches feasible cells (Altschuler et al.'s rounding
    of a Sinkhorn iterate).
    """
    xp = prob.xp

    def marginals(lam_factor: Array, mu_factor: Array) -> tuple[Array, Array]:
        return marginal_sums(lam_factor, mu_factor, mass)

    for _ in range(sweeps):
        swept_lam = lam_factor * _ratio(xp, prob.p1, marginals(lam_factor, mu_factor)[0])
        swept_mu = mu_factor * _ratio(xp, prob.p2, marginals(swept_lam, mu_factor)[1])
        finite = xp.isfinite(swept_lam).all(axis=(1, 2)) & xp.isfinite(swept_mu).all(axis=(1, 2))
        lam_factor = xp.where(finite[:, None, None], swept_lam, lam_factor)
        mu_factor = xp.where(finite[:, None, None], swept_mu, mu_factor)
    rows = marginals(lam_factor, mu_factor)[0]
    lam_factor = lam_factor * xp.minimum(_ratio(xp, prob.p1, rows), 1.0)
    columns = marginals(lam_factor, mu_factor)[1]
    mu_factor = mu_factor * xp.minimum(_ratio(xp, prob.p2, columns), 1.0)
    rows, columns = marginals(lam_factor, mu_factor)
    missing_rows = xp.maximum(prob.p1 - rows, 0.0)
    missing_cols = xp.maximum(prob.p2 - columns, 0.0)
    total = missing_rows.sum(axis=1, keepdims=True)
    # e_c / |e_r| first: the reciprocal of a subnormal total would overflow.
    spread_cols = xp.where(total > 0, missing_cols / xp.where(total > 0, total, 1.0), 0.0)
    q = lam_factor[:, :, None, :] * mu_factor[:, None, :, :]  # A B first: mass can be large
    q *= mass[..., None]
    q = xp.where(mass[..., None] > 0, q, 0.0)  # no mass, no q, however far A B overflowed
    q += missing_rows[:, :, None, :] * spread_cols[:, None, :, :]
    return q


def _conditional_entropy_bits(xp: Arrays, q: Array) -> Array:
    pair = q.sum(axis=3, keepdims=True)
    ratio = xp.where(q > 0, q / xp.where(pair > 0, pair, 1.0), 1.0)
    return -xp.where(q > 0, q * xp.log2(ratio), 0.0).sum(axis=(1, 2, 3))


def _ratio(xp: Arrays, target: Array, current: Array) -> Array:
    """``target / current``, and 1 where ``current`` is below ``1e-300``: there the ratio of a
    probability could overflow, and the rounding of :func:`project` adds the missing mass."""
    usable = current >= 1e-300
    return xp.where(usable, target / xp.where(usable, current, 1.0), 1.0)


def best_feasible(dist: Distribution, q: np.ndarray) -> tuple[np.ndarray, float]:
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
    if table_residual(dist, q) <= ACCEPTED_RESIDUAL:
        candidates.append(q)
    entropies = [conditional_entropy(c.reshape(-1, dist.shape[2])) for c in candidates]
    best = int(np.argmax(entropies))
    return candidates[best], entropies[best]


def table_residual(dist: Distribution, q: np.ndarray) -> float:
    """Largest violation by a table ``q`` of the marginals ``p(x1, y)`` and ``p(x2, y)``."""
    return float(
        max(
            np.max(np.abs(q.sum(axis=1) - dist.p_x1_y)),
            np.max(np.abs(q.sum(axis=0) - dist.p_x2_y)),
        )
    )
