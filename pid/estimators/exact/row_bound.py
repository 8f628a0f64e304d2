"""The exact solver's dual bound, tightened row by row.

Any multipliers ``(lam, mu)`` give the upper bound

    D(lam, mu) = -lam . p(x1, y) - mu . p(x2, y) + sum_x1 p(x1) max_x2 g(x1, x2),
    g(x1, x2) = LSE_y( lam(x1, y) + mu(x2, y) ),

on ``max_{q in Delta_p} H_q(Y | X1, X2)`` (Gibbs' inequality; see
:mod:`pid.estimators.exact.certificate`). With ``mu`` held fixed it is a sum of one convex
term per row,

    phi_x1(l) = -l . p(x1, .) + p(x1) max_x2 LSE_y( l_y + mu(x2, y) ),

in the ``ny`` variables ``l = lam(x1, .)``. The smoothed path's multipliers, even extrapolated
to ``eps = 0``, leave most of the bound's excess in a few rows where a pair that carries no
mass tops the maximum; minimizing each row's term again removes much of it.

A row's term is non-smooth where pairs tie, and its minimum is at such a tie. It is minimized
through ``phi_delta``, the maximum smoothed to ``delta LSE(. / delta)`` (within
``delta log n2`` of ``phi``), by damped Newton steps with the exact ``ny x ny`` Hessian, for
``delta`` falling with the path's ``eps`` (:data:`LEVELS`). Only the pairs whose ``g`` is near
the row's maximum matter; the row problems keep those (:data:`MARGIN`), so each step costs a
few passes over an ``(n1, k, ny)`` array with ``k`` the most such pairs in a row.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from pid.backend import Array, Arrays

#: Smoothing levels, as fractions of the path's ``eps``, and the Newton steps taken at each.
LEVELS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3)
STEPS = 3
#: Pairs whose ``g`` is within this many ``eps`` of their row's maximum enter the row problems.
MARGIN = 30.0
#: Largest change of a multiplier in one Newton step (nats); longer steps are shortened.
STEP_CAP = 10.0
#: Halvings a row's backtracking may take before its step is dropped.
HALVINGS = 30
#: A row whose Newton decrement is below this times ``p(x1)`` has converged: what it could
#: still gain is far below any useful tolerance.
CONVERGED = 1e-14


def gauge_fixed(xp: Arrays, lam_lam: Array, free1: Array) -> Array:
    """``lam``-``lam`` Hessian blocks made positive definite: each block's gauge direction
    (its free cells' indicator ``f``, along which the Hessian and every gradient vanish) gets
    ``trace / |f| f f^T``, and the diagonal of each empty cell a one."""
    gauge = xp.einsum("...iyy->...i", lam_lam) / xp.maximum(free1.sum(axis=-1), 1.0)
    fixed = (lam_lam + gauge[..., None, None]) * (free1[..., :, None] * free1[..., None, :])
    return fixed + (1.0 - free1)[..., None] * xp.eye(lam_lam.shape[-1])


def tighten_rows(
    xp: Arrays,
    lam: Array,
    mu: Array,
    g: Array,
    p_x1_y: Array,
    free1: Array,
    free2: Array,
    eps: float,
    problems: Array,
) -> Iterator[Array]:
    """Multipliers ``lam`` with each row's term ``phi_x1`` nearer its minimum for the given
    ``mu``, shape ``(B, n1, ny)``, after each smoothing level of :data:`LEVELS` in turn (the
    caller stops when it has enough), in the problems where ``problems`` (shape ``(B,)``)
    holds; the other rows stay as they are.

    ``g`` is the pairs' log-partition at ``(lam, mu)``, shape ``(B, n1, n2)`` (``-inf`` on
    pairs without a feasible label); ``eps`` sets the smoothing levels and the margin. The
    rows' terms are minimized over the pairs near each row's maximum only, so the caller
    compares the exact bound of the answer with that of ``lam`` (a row may keep either).
    """
    n1, ny = lam.shape[1:]
    chosen = problems[:, None] & (p_x1_y.sum(axis=2) > 0)
    rows = xp.flatnonzero(chosen.reshape(-1))
    if rows.shape[0] == 0:
        return
    problem = _RowProblems(xp, rows, n1, mu, g, p_x1_y, free1, free2, MARGIN * eps)
    current = lam.reshape(-1, ny)[rows]
    for fraction in LEVELS:
        current = problem.minimize(current, fraction * eps)
        tightened = xp.copy(lam).reshape(-1, ny)
        tightened[rows] = current
        yield tightened.reshape(lam.shape)


class _RowProblems:
    """The smoothed row terms ``phi_delta`` of some rows of a batch, over each row's pairs near
    its maximum, the rows stacked: arrays of shape ``(R, ...)``."""

    def __init__(
        self,
        xp: Arrays,
        rows: Array,
        n1: int,
        mu: Array,
        g: Array,
        p_x1_y: Array,
        free1: Array,
        free2: Array,
        margin: float,
    ) -> None:
        ny = p_x1_y.shape[2]
        g = g.reshape(-1, g.shape[2])[rows]
        top = xp.amax(g, 1)
        near = g >= (top - margin)[:, None]
        k = max(int(near.sum(axis=1).max()), 1)
        pairs = xp.largest_indices(xp.where(near, g, -math.inf), k)  # (R, k)
        chosen = xp.take_along_last(near, pairs)
        columns = xp.where(free2, mu, -math.inf)[(rows // n1)[:, None], pairs]  # (R, k, ny)
        self.xp = xp
        self.columns = xp.where(chosen[..., None], columns, -math.inf)
        self.p1 = p_x1_y.reshape(-1, ny)[rows]
        self.free1 = xp.as_float(free1).reshape(-1, ny)[rows]
        self.p_x1 = self.p1.sum(axis=1)
        self.live = chosen.any(axis=1)

    def minimize(self, lam: Array, delta: float) -> Array:
        """:data:`STEPS` damped Newton steps on every row's ``phi_delta`` from ``lam``,
        shape ``(R, ny)``.

        Each row backtracks (Armijo) from twice the step length it last accepted: near a tie
        a row's Newton steps are far too long, and by a similar factor from step to step. Only
        the rows still backtracking are evaluated again.
        """
        xp, ny = self.xp, lam.shape[1]
        values, grad, hess = self._derivatives(lam, delta)
        reach = xp.full(values.shape, 1.0)
        for _ in range(STEPS):
            fixed = gauge_fixed(xp, hess, self.free1)
            # A ridge at the rounding of the block's scale keeps nearly parallel labels
            # solvable; a row without curvature (one free label) does not move.
            scale = xp.einsum("...yy->...", fixed) / ny
            curved = scale > 0
            fixed = xp.where(curved[:, None, None], fixed, xp.eye(ny))
            fixed = fixed + (1e-12 * scale)[:, None, None] * xp.eye(ny)
            step = -xp.solve(fixed, grad[..., None])[..., 0] * self.free1
            length = xp.amax(xp.abs(step), 1)
            step = step * xp.minimum(STEP_CAP / xp.where(length > 0, length, 1.0), 1.0)[:, None]
            decrement = -(grad * step).sum(axis=1)
            moving = self.live & curved & xp.isfinite(values)
            moving &= decrement > CONVERGED * self.p_x1
            if not moving.any():
                break
            t = xp.where(moving, reach, 0.0)
            pending = xp.flatnonzero(moving)
            for _ in range(HALVINGS):
                moved = lam[pending] + t[pending, None] * step[pending]
                trial = self._values(moved, delta, pending)
                sufficient = values[pending] - 1e-4 * t[pending] * decrement[pending]
                pending = pending[~(trial <= sufficient)]
                if pending.shape[0] == 0:
                    break
                t[pending] = 0.5 * t[pending]
            else:
                t[pending] = 0.0
            reach = xp.where(moving, xp.minimum(2.0 * t, 1.0), reach)
            lam = lam + t[:, None] * step
            values, grad, hess = self._derivatives(lam, delta)
        return lam

    def _pairs(self, lam: Array, index: Array | None) -> tuple[Array, Array, Array]:
        """Each kept pair's ``g`` and its label weights ``exp(theta - peak)`` with their
        total, for the rows ``index`` (all where ``None``) at their multipliers ``lam``."""
        xp = self.xp
        free1, columns = self._of(self.free1, index), self._of(self.columns, index)
        theta = xp.where(free1 > 0, lam, -math.inf)[:, None, :] + columns
        peak = xp.amax(theta, 2)
        peak = xp.where(xp.isfinite(peak), peak, 0.0)
        weights = xp.exp(theta - peak[..., None])
        total = weights.sum(axis=2)
        usable = total > 0
        pair_g = xp.where(usable, peak + xp.log(xp.where(usable, total, 1.0)), -math.inf)
        return pair_g, weights, xp.where(usable, total, 1.0)

    def _smoothed(self, pair_g: Array, delta: float, live: Array) -> tuple[Array, Array]:
        """The rows' weights ``w = softmax_k(g / delta)`` and smoothed maxima
        ``delta LSE_k(g / delta)``."""
        xp = self.xp
        top = xp.amax(pair_g, 1)
        top = xp.where(xp.isfinite(top), top, 0.0)
        spread = xp.exp((pair_g - top[:, None]) / delta)
        norm = spread.sum(axis=1)
        norm = xp.where(norm > 0, norm, 1.0)
        return spread / norm[:, None], xp.where(live, top + delta * xp.log(norm), 0.0)

    def _values(self, lam: Array, delta: float, index: Array | None = None) -> Array:
        """``phi_delta`` of the rows ``index`` (all where ``None``) at their ``lam``."""
        soft = self._smoothed(self._pairs(lam, index)[0], delta, self._of(self.live, index))[1]
        return self._row_values(lam, soft, index)

    def _row_values(self, lam: Array, soft: Array, index: Array | None = None) -> Array:
        free1, p1, p_x1 = (self._of(rows, index) for rows in (self.free1, self.p1, self.p_x1))
        return -self.xp.where(free1 > 0, lam * p1, 0.0).sum(axis=1) + p_x1 * soft

    @staticmethod
    def _of(rows: Array, index: Array | None) -> Array:
        """The entries of ``rows`` for the rows ``index`` (all where ``None``)."""
        return rows if index is None else rows[index]

    def _derivatives(self, lam: Array, delta: float) -> tuple[Array, Array, Array]:
        """``phi_delta`` of every row, its gradient ``p(x1) a - p(x1, .)`` with ``a = E_w[c]``,
        and its Hessian ``p(x1) [diag(a) - E_w[c c^T] + Cov_w(c) / delta]``, the covariance
        in centred form."""
        xp = self.xp
        pair_g, weights, total = self._pairs(lam, None)
        w, soft = self._smoothed(pair_g, delta, self.live)
        c = weights / total[..., None]
        a = (w[:, None, :] @ c)[:, 0]
        centred = c - a[:, None, :]
        covariance = (w[..., None] * centred).swapaxes(1, 2) @ centred
        # E_w[c c^T] = Cov_w(c) + a a^T
        hess = covariance * (1.0 / delta - 1.0) - a[:, :, None] * a[:, None, :]
        diag = xp.arange(c.shape[2])
        hess[:, diag, diag] += a
        hess = hess * self.p_x1[:, None, None]
        hess = xp.where(self.live[:, None, None], hess, xp.eye(c.shape[2]))
        grad = (self.p_x1[:, None] * a - self.p1) * self.free1
        return self._row_values(lam, soft), grad, hess
