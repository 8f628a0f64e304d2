"""A dedicated solver for ``max_{q in Delta_p} H_q(Y | X1, X2)``: smoothed dual Newton.

The problem's dual has one multiplier per ``(x1, y)`` and per ``(x2, y)`` cell. For
``epsilon > 0`` the entropy-regularized primal

    max_{q in Delta_p} H_q(Y | X1, X2) + epsilon H_q(X2 | X1)

has the smooth, unconstrained convex dual

    F_eps(lam, mu) = -lam . p(x1, y) - mu . p(x2, y)
                     + sum_x1 p(x1) eps LSE_x2( g(x1, x2) / eps ),
    g(x1, x2) = LSE_y( lam(x1, y) + mu(x2, y) ),

whose minimizer gives ``q(x1, x2, y) = p(x1) w(x2 | x1) c(y | x1, x2)`` with
``w = softmax_x2(g / eps)`` and ``c = softmax_y(lam + mu)``. Its gradient is the marginal
residual ``(q(x1, y) - p(x1, y), q(x2, y) - p(x2, y))``. At ``eps = 1`` the minimizer is the
conditional product ``p(y|x1) p(x2|y)`` in closed form; the solver follows the path
``eps -> 0`` by damped Newton steps (an interior-point-like continuation), and stops when the
certificate below is within the requested tolerance.

Certificate: for any multipliers, ``H_q <= -lam . p(x1, y) - mu . p(x2, y) +
sum_x1 p(x1) max_x2 g(x1, x2)`` on all of Delta_p (Gibbs' inequality, see
:meth:`pid.estimators.cvx.FeasibleCells.entropy_upper_bound_bits`), while the primal point,
rescaled exactly onto Delta_p, gives a lower bound. Their difference bounds the error of the
optimum, hence of R, U1, U2 and S. The bound is taken at the multipliers of the path and at
their extrapolation to ``eps = 0`` along the path's tangent; the second is within
``O(eps^2)`` of the optimum once the active pairs have settled, against ``O(eps)`` for the
first, which saves the last two or three smoothing levels.

All arrays carry a leading batch axis, so many distributions of one shape are solved at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from pid.estimators._arrays import Array, Arrays, namespace
from pid.estimators._conditional import ConditionalTable, marginal_sums
from pid.estimators._matrix_free import PairHessian, conjugate_gradient
from pid.estimators._row_bound import gauge_fixed, tighten_rows

LN2 = math.log(2.0)

#: A smoothing level's Newton steps stop when the marginal residual is below this times
#: ``eps`` (or below :data:`RESIDUAL_FLOOR`).
CENTERING = 3e-2
#: Marginal residual below which double precision cannot improve the multipliers.
RESIDUAL_FLOOR = 1e-14
#: Factor by which the smoothing shrinks from one level to the next.
SHRINK = 0.316
#: A level settled in at most this many Newton steps lets the shrink factor grow back.
QUICK_LEVEL = 5
#: Newton steps a level may take before the solver backs off to a smaller shrink.
LEVEL_STEPS = 8
#: A level backs off at once after a Newton step whose line search cut it to this or less:
#: the start lies outside the region where Newton's method converges fast.
CRAWL = 0.25
#: Shrink factor beyond which a level is centred without giving up on short steps, for at
#: most LAST_RESORT_STEPS Newton steps, and accepted as it is if it still does not settle.
LAST_RESORT = 0.9
#: Newton steps a last-resort level may take.
LAST_RESORT_STEPS = 32
#: Smallest smoothing tried; below it double precision no longer resolves the problem.
SMALLEST_EPSILON = 1e-10
#: Newton steps without halving the residual after which a level gives up on a problem
#: whose residual is already at the rounding level ``ROUNDING_RESIDUAL / eps``.
PATIENCE = 3
ROUNDING_RESIDUAL = 1e-13
#: Largest change of a multiplier in one Newton step (nats); longer steps are damped.
STEP_CAP = 10.0
#: Ridge increases tried to bring a step under STEP_CAP.
RIDGE_ATTEMPTS = 8
#: A level's next Newton step starts from the last step's ridge divided by this.
DAMPING_EASE = 10.0
#: Pairs whose weight w(x2 | x1) is at most this are left out of the Schur complement's
#: products; the Hessian entries they carry are below double-precision rounding.
ACTIVE_WEIGHT = 1e-16
#: Below this fraction of active pairs the Schur complement is formed pair block by block.
SPARSE_DENSITY = 0.25
#: Largest marginal residual of a rounded primal point; a point further off (rounding broke
#: down) is replaced by the conditional product, which is exactly feasible.
FEASIBLE_RESIDUAL = 1e-12
#: A level's primal point is rounded (for its certificate) only where the gap estimated
#: without rounding is within this factor of the tolerance, or below ROUNDED_BELOW: close to
#: the precision of double arithmetic the last level's certificate need not be the best.
PROMISING = 10.0
ROUNDED_BELOW = 1e-9
#: A certificate whose gap is above the tolerance but within this factor of it tightens its
#: dual bound row by row (:func:`pid.estimators._row_bound.tighten_rows`), which divides the
#: bound's excess by about two to four.
TIGHTENING_REACH = 4.0
#: Newton systems of at most this many multipliers, ``(n1 + n2) ny``, are solved whole by
#: batched LU (eigendecomposition where that fails); larger ones through the Schur complement
#: or matrix-free (MATRIX_FREE_SIZE).
SMALL_SYSTEM = 64
#: Problems with more ``mu`` variables than this, ``n2 ny`` (the size of the Schur complement),
#: solve their Newton systems matrix-free, by preconditioned conjugate gradients.
MATRIX_FREE_SIZE = 100
#: Relative residual at which conjugate gradients stop in a Newton step (an inexact one).
CG_TOLERANCE = 0.1
#: Where a level's marginal residual is within ``FORCING / CG_TOLERANCE`` times its centring
#: threshold, the Newton step's conjugate gradients stop at ``FORCING`` times the threshold
#: over the residual instead (a forcing term in the manner of Eisenstat and Walker, SIAM J.
#: Sci. Comput. 17, 1996): the step need only bring the residual under the threshold, and the
#: last steps of a level, whose systems are the hardest, take fewer products. It is a
#: heuristic: the solves' relative residual is in the 2-norm, the threshold on the largest
#: entry, so a step may fall short, and the level then takes one more.
FORCING = 0.5
#: The same for the path's tangent, which the prediction and the certificate extrapolate along.
TANGENT_TOLERANCE = 1e-3
#: Pairs whose weight w(x2 | x1) is at most this are left out of matrix-free Hessian products:
#: each row drops at most ``n2`` times this of its weight, far below CG_TOLERANCE.
MATRIX_FREE_WEIGHT = 1e-9
#: Most Hessian products one conjugate-gradient solve may take.
CG_ITERATIONS = 2000
#: A conjugate-gradient solve that misses its tolerance within CG_ITERATIONS (at very small
#: ``eps`` on ill-conditioned problems) hands its system to the Schur complement where that
#: needs at most this many working numbers (:func:`schur_numbers`).
SCHUR_FALLBACK_NUMBERS = 5e7


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


@dataclass(frozen=True)
class _MuLayout:
    """Free ``mu`` variables (flat ``(x2, y)`` positions) and their ``ny x ny`` blocks."""

    index: Array
    block: Array  # x2 of each free variable
    rows: Array  # pairs of free variables in one block
    cols: Array
    block_of_rows: Array
    y_of_rows: Array
    y_of_cols: Array


class _Problem:
    """Marginals of a batch and the masks of their feasible cells."""

    def __init__(self, p_x1_y: Array, p_x2_y: Array, xp: Arrays) -> None:
        self.xp = xp
        self.p1 = p_x1_y
        self.p2 = p_x2_y
        self.p_x1 = p_x1_y.sum(axis=2)
        self.free1 = p_x1_y > 0
        self.free2 = p_x2_y > 0
        self.live = xp.as_float(self.free1) @ xp.as_float(self.free2).swapaxes(1, 2) > 0
        self.row = self.p_x1 > 0
        batch, n1, ny = p_x1_y.shape
        self.shape = (batch, n1, p_x2_y.shape[1], ny)
        self._layouts: dict[int, _MuLayout] = {}
        self._patterns: dict[int, Any] = {}

    def mu_layout(self, b: int) -> _MuLayout:
        """Problem ``b``'s free ``mu`` variables and the pattern of their diagonal blocks."""
        if b not in self._layouts:
            xp, ny = self.xp, self.shape[3]
            index = xp.flatnonzero(self.free2[b].reshape(-1))
            block = index // ny
            rows, cols = xp.nonzero(block[:, None] == block[None, :])
            self._layouts[b] = _MuLayout(
                index, block, rows, cols, block[rows], index[rows] % ny, index[cols] % ny
            )
        return self._layouts[b]

    def preconditioner_pattern(self, b: int) -> Any:
        """Problem ``b``'s block-diagonal pattern (:meth:`NumpyArrays.block_diagonal`) over its
        free cells: the blocks are block diagonal between free and empty cells, and vectors
        vanish on the empty ones, so the preconditioner keeps the free cells' entries only."""
        if b not in self._patterns:
            free = self.xp.concatenate([self.free1[b], self.free2[b]])
            self._patterns[b] = self.xp.block_diagonal(free)
        return self._patterns[b]

    def conditional_product(self) -> Array:
        """``p(x1, y) p(x2, y) / p(y)``, a point of Delta_p in closed form."""
        p_y = self.p1.sum(axis=1)
        scale = self.xp.where(p_y > 0, 1.0 / self.xp.where(p_y > 0, p_y, 1.0), 0.0)
        return self.p1[:, :, None, :] * self.p2[:, None, :, :] * scale[:, None, None, :]

    def start(self) -> tuple[Array, Array]:
        """The exact minimizer at ``eps = 1``: ``lam = log p(y|x1)``, ``mu = log p(x2|y)``."""
        xp = self.xp
        p_y = self.p1.sum(axis=1, keepdims=True)
        lam = _safe_log(xp, self.p1 / xp.where(self.row, self.p_x1, 1.0)[:, :, None])
        mu = _safe_log(xp, self.p2 / xp.where(p_y > 0, p_y, 1.0))
        return lam, mu


@dataclass
class _State:
    """Everything derived from the multipliers at one smoothing level."""

    table: ConditionalTable  # c = softmax_y(lam + mu), as factors; g, exact
    w: Array  # (B, n1, n2) softmax over x2 of g / eps, over the covered pairs
    omega: Array  # (B, n1, n2) p(x1) w: the pairs' masses under q
    value: Array  # (B,) F_eps

    @property
    def g(self) -> Array:
        """``LSE_y(lam + mu)`` of each pair, ``(B, n1, n2)``."""
        return self.table.log_partition

    @property
    def c(self) -> Array:
        """``c`` as a ``(B, n1, n2, ny)`` array (formed anew at each use)."""
        return self.table.table()

    @cached_property
    def marginals(self) -> tuple[Array, Array]:
        """``q(x1, y)`` and ``q(x2, y)`` of the smoothed primal point."""
        return self.table.marginals(self.omega)


def _evaluate(prob: _Problem, lam: Array, mu: Array, eps: float) -> _State:
    """``F_eps`` and the pairs' weights at ``(lam, mu)``. A problem with a row whose pairs are
    all uncovered (:class:`ConditionalTable`; multipliers far off the path) gets ``+inf``."""
    xp = prob.xp
    table = ConditionalTable(xp, lam, mu, prob.free1, prob.free2, prob.live)
    scaled = xp.where(table.covered, table.log_partition, -math.inf) / eps
    top = xp.amax(scaled, 2)
    stranded = prob.row & ~xp.isfinite(top)
    top = xp.where(prob.row & ~stranded, top, 0.0)
    weights = xp.exp(scaled - top[:, :, None])
    norm = weights.sum(axis=2)
    norm = xp.where(norm > 0, norm, 1.0)
    w = weights / norm[:, :, None]
    soft = eps * (top + xp.log(norm))
    rows = _lam_term(prob, lam) + xp.where(prob.row, prob.p_x1 * soft, 0.0)
    value = xp.where(stranded, math.inf, rows).sum(axis=1) + _mu_term(prob, mu)
    return _State(table=table, w=w, omega=prob.p_x1[:, :, None] * w, value=value)


def _gradient(prob: _Problem, state: _State) -> tuple[Array, Array]:
    rows, columns = state.marginals
    return rows - prob.p1, columns - prob.p2


def _marginal_residual(prob: _Problem, q: Array) -> tuple[Array, Array]:
    return q.sum(axis=2) - prob.p1, q.sum(axis=1) - prob.p2


@dataclass
class _Blocks:
    """The Hessian of ``F_eps`` by blocks (each ``ny x ny``), for every problem of a batch.

    With ``v`` the gradient of ``g(x1, x2)`` (``c`` on ``lam[x1]`` and on ``mu[x2]``),
    ``Hess = sum_x1 p(x1) [sum_x2 w Hess g + Cov_w(v) / eps]``; the covariance is assembled in
    centred form where that avoids cancellation. ``lam_lam[x1]`` and ``lam_mu[x1, :, x2]`` are
    its blocks; the ``mu``-``mu`` part is ``blockdiag(mu_mu_diag) - sum_x1 weight[x1] z z^T``
    with ``z = z_rows[x1]`` flattened over ``(x2, y)``.
    """

    lam_lam: Array  # (B, n1, ny, ny)
    lam_mu: Array  # (B, n1, ny, n2, ny)
    mu_mu_diag: Array  # (B, n2, ny, ny)
    z_rows: Array  # (B, n1, n2, ny)
    w: Array  # (B, n1, n2): the pairs' weights w(x2 | x1)
    weight: Array  # (B, n1): p(x1) / eps


def _blocks(prob: _Problem, state: _State, eps: float) -> _Blocks:
    xp, (c, w, omega) = prob.xp, (state.c, state.w, state.omega)
    a, coupling = _pair_terms(prob, c, w, omega, eps)
    # Formed in its (x1, y, x2, z) memory order: the Schur step reads it as (x1, y, (x2, z)).
    # A product with the swapped view itself would follow that view's memory order.
    swapped = xp.contiguous(coupling.swapaxes(2, 3))
    del coupling
    lam_lam = _lam_blocks(prob, swapped, c, a)
    lam_mu = swapped[..., None] * c[:, :, None]
    for y in range(prob.shape[3]):
        lam_mu[:, :, y, :, y] += omega * c[..., y]
    mu_mu_diag = _mu_blocks(xp, omega * (1 / eps - 1), omega, c)
    return _Blocks(lam_lam, lam_mu, mu_mu_diag, w[..., None] * c, w, prob.p_x1 / eps)


def _pair_terms(
    prob: _Problem, c: Array, w: Array, omega: Array, eps: float
) -> tuple[Array, Array]:
    """Per row ``a = q(y | x1)``; and per pair the factor ``u = omega [(c - a) / eps - c]`` of
    the Hessian's ``lam``-``mu`` blocks, of shape ``(B, n1, n2, ny)``, computed in place."""
    a = prob.xp.einsum("bij,bijy->biy", w, c)
    coupling = c - a[:, :, None, :]
    coupling /= eps
    coupling -= c
    coupling *= omega[..., None]
    return a, coupling


def _lam_blocks(prob: _Problem, coupling_t: Array, c: Array, a: Array) -> Array:
    """The Hessian's ``lam``-``lam`` blocks, ``sum_x2 omega [diag(c) - c c^T + (c - a)
    (c - a)^T / eps]``, from ``coupling_t``, the factor of :func:`_pair_terms` with its last
    two axes swapped: as ``sum_x2 omega (c - a) = 0``, they are ``sum_x2 u c^T + diag(p(x1) a)``,
    one batched product, symmetrized against rounding."""
    diag = prob.xp.arange(c.shape[3])
    # Batched over (b, x1), contracted over x2: products of (ny x n2) by (n2 x ny) matrices.
    lam_lam = coupling_t @ c
    lam_lam = 0.5 * (lam_lam + lam_lam.swapaxes(2, 3))
    lam_lam[..., diag, diag] += prob.p_x1[:, :, None] * a
    return lam_lam


def _mu_blocks(xp: Arrays, coefficient: Array, omega: Array, c: Array) -> Array:
    """``sum_x1 [coefficient c c^T + omega diag(c)]`` for each ``x2``."""
    diag = xp.arange(c.shape[3])
    # Batched over (b, x2), contracted over x1.
    mu_mu = xp.permute(coefficient[..., None] * c, (0, 2, 3, 1)) @ c.swapaxes(1, 2)
    mu_mu[..., diag, diag] += xp.einsum("bij,bijy->bjy", omega, c)
    return mu_mu


def _hessian(prob: _Problem, blocks: _Blocks) -> Array:
    """The dense Hessian of ``F_eps`` in the variables ``(lam, mu)``, flattened."""
    xp, (batch, n1, n2, ny) = prob.xp, prob.shape
    d1, d2 = n1 * ny, n2 * ny
    hess = xp.zeros((batch, d1 + d2, d1 + d2))
    z = blocks.z_rows.reshape(batch, n1, d2)
    mu_mu = -xp.einsum("bi,bik,bil->bkl", blocks.weight, z, z).reshape(batch, n2, ny, n2, ny)
    for x in range(n2):
        mu_mu[:, x, :, x, :] += blocks.mu_mu_diag[:, x]
    hess[:, d1:, d1:] = mu_mu.reshape(batch, d2, d2)
    for x in range(n1):
        hess[:, x * ny : (x + 1) * ny, x * ny : (x + 1) * ny] = blocks.lam_lam[:, x]
    hess[:, :d1, d1:] = blocks.lam_mu.reshape(batch, d1, d2)
    hess[:, d1:, :d1] = hess[:, :d1, d1:].swapaxes(1, 2)
    return hess


def _largest(prob: _Problem, pair: tuple[Array, Array]) -> Array:
    """Largest absolute entry of each problem over both arrays of ``pair``; of the gradient of
    ``F_eps``, the largest marginal violation."""
    xp = prob.xp
    return xp.maximum(xp.amax(xp.abs(pair[0]), (1, 2)), xp.amax(xp.abs(pair[1]), (1, 2)))


def _solve_newton(
    prob: _Problem,
    state: _State,
    eps: float,
    rhs: tuple[Array, Array],
    cap: float | None = STEP_CAP,
    damping: Array | None = None,
    tolerance: float = CG_TOLERANCE,
    give_up: bool = False,
) -> tuple[Array, Array, Array, Array, Array]:
    """``-(Hess + ridge I)^{-1} rhs`` on the free variables (to a relative residual of
    ``tolerance`` where the system is solved matrix-free), ``-rhs . step``, the ridge, and
    which problems' conjugate gradients missed their tolerance within :data:`CG_ITERATIONS`
    with ``give_up`` set (their steps are left inexact, and the ridge is not raised again).

    Rounding in the ``1/eps`` terms can leave the assembled matrix slightly indefinite; a
    ridge at that level covers it and the gauge directions (``lam[x1] + const``, and
    ``lam[:, y] + k_y`` with ``mu[:, y] - k_y``). Pairs whose weight has underflowed leave
    directions of almost no curvature, along which the Newton step explodes: where a step
    exceeds ``cap`` in some multiplier, the ridge is raised (from ``1e-4`` times the residual,
    a hundredfold at a time, as in Levenberg-Marquardt) until it does not. ``damping``, the
    ridge of the previous step of the level, divided by :data:`DAMPING_EASE`, is where the
    search starts, which saves most of the retries.
    """
    xp, (_, n1, n2, ny) = prob.xp, prob.shape
    residual = _largest(prob, _gradient(prob, state))
    ridge = 1e-13 * xp.amax(prob.p_x1, 1) / eps
    if damping is not None:
        ridge = xp.maximum(ridge, damping / DAMPING_EASE)
    target = (-xp.where(prob.free1, rhs[0], 0.0), -xp.where(prob.free2, rhs[1], 0.0))
    if (n1 + n2) * ny <= SMALL_SYSTEM:
        solve = _dense_solver(prob, _blocks(prob, state, eps), target)
    elif not solves_matrix_free(prob.shape[1:]):
        solve = _schur_solver(prob, _blocks(prob, state, eps), target)
    else:
        solve = _matrix_free_solver(prob, state, eps, target, tolerance, give_up)
    for _ in range(RIDGE_ATTEMPTS):
        d_lam, d_mu, missed = solve(ridge)
        if cap is None or missed.any():
            break
        too_long = _largest(prob, (d_lam, d_mu)) > cap
        if not too_long.any():
            break
        ridge = xp.where(too_long, xp.maximum(100.0 * ridge, 1e-4 * residual), ridge)
    decrement = (target[0] * d_lam).sum(axis=(1, 2)) + (target[1] * d_mu).sum(axis=(1, 2))
    return d_lam, d_mu, decrement, ridge, missed


def _dense_solver(prob: _Problem, blocks: _Blocks, target: tuple[Array, Array]):
    """Small systems: the whole Hessian of every problem, solved at once (see _solve_spd)."""
    xp = prob.xp
    free = _flatten(xp, (prob.free1, prob.free2))
    hess = xp.where(free[:, :, None] & free[:, None, :], _hessian(prob, blocks), 0.0)
    diag = xp.arange(hess.shape[1])
    hess[:, diag, diag] += xp.as_float(~free)
    flat = _flatten(xp, target)

    def solve(ridge: Array) -> tuple[Array, Array, Array]:
        step = _solve_spd(xp, hess, flat, xp.where(free, ridge[:, None], 0.0))
        return (*_split(prob, step), xp.zeros(hess.shape[0]) > 0)

    return solve


def _flatten(xp: Arrays, pair: tuple[Array, Array]) -> Array:
    """A pair shaped like ``(lam, mu)``, ``(B, n1, ny)`` and ``(B, n2, ny)``, as one
    ``(B, (n1 + n2) ny)`` array."""
    batch = pair[0].shape[0]
    return xp.concatenate([pair[0].reshape(batch, -1), pair[1].reshape(batch, -1)], axis=1)


def _split(prob: _Problem, flat: Array) -> tuple[Array, Array]:
    """The inverse of :func:`_flatten`."""
    batch, (_, n1, n2, ny) = flat.shape[0], prob.shape
    return flat[:, : n1 * ny].reshape(batch, n1, ny), flat[:, n1 * ny :].reshape(batch, n2, ny)


def _matrix_free_solver(
    prob: _Problem,
    state: _State,
    eps: float,
    target: tuple[Array, Array],
    tolerance: float,
    give_up: bool,
):
    """Large systems: conjugate gradients on Hessian products over the active pairs
    (:class:`pid.estimators._matrix_free.PairHessian`), preconditioned by the inverse of the
    Hessian's ``ny x ny`` diagonal blocks, ``lam`` blocks with their gauge fixed as in
    :func:`_schur_one`. Memory stays linear in the size of the joint table, except where a
    solve misses its tolerance and the Schur complement takes over (SCHUR_FALLBACK_NUMBERS);
    with ``give_up`` such a solve is reported as missed instead."""
    xp, (batch, ny) = prob.xp, (prob.shape[0], prob.shape[3])
    table, w, omega = state.table, state.w, state.omega
    free1, free2 = xp.as_float(prob.free1), xp.as_float(prob.free2)
    blocks = xp.concatenate(
        [
            gauge_fixed(xp, _preconditioner_lam_blocks(prob, state, eps), free1),
            _preconditioner_mu_blocks(prob, state, eps) + (1.0 - free2)[..., None] * xp.eye(ny),
        ],
        axis=1,
    )
    flat = _flatten(xp, target)
    hessians = [
        PairHessian(xp, table, b, omega[b], w[b], eps, MATRIX_FREE_WEIGHT) for b in range(batch)
    ]

    fallback = not give_up and schur_fallback_fits(prob.shape[1:])
    schur_blocks: list[_Blocks] = []  # formed at the first solve that needs them

    def solve(ridge: Array) -> tuple[Array, Array, Array]:
        inverse = xp.inv(blocks + ridge[:, None, None, None] * xp.eye(ny))
        steps, missed = [], []
        for b, hessian in enumerate(hessians):
            # Products, preconditioned vectors and so the iterates vanish on empty cells.
            def apply(v: Array, b: int = b, hessian: PairHessian = hessian) -> Array:
                return hessian.times(v) + ridge[b] * v

            precondition = prob.preconditioner_pattern(b).of(inverse[b]).times

            step, converged = conjugate_gradient(
                xp, apply, precondition, flat[b], tolerance, CG_ITERATIONS
            )
            if not converged and fallback:
                if not schur_blocks:
                    schur_blocks.append(_blocks(prob, state, eps))
                d_lam, d_mu = _schur_one(prob, schur_blocks[0], target, b, float(ridge[b]))
                step = _flatten(xp, (d_lam[None], d_mu[None]))[0]
            steps.append(step)
            missed.append(give_up and not converged)
        return (*_split(prob, xp.stack(steps)), xp.asarray(missed) > 0)

    return solve


def _preconditioner_lam_blocks(prob: _Problem, state: _State, eps: float) -> Array:
    """The Hessian's ``lam``-``lam`` blocks from the factors of ``c``: with ``q(x1, y)`` the row
    marginals and ``a = q(y | x1)``, ``sum_x2 omega [diag(c) - c c^T + (c - a) (c - a)^T / eps]
    = diag(q(x1, .)) + (1 / eps - 1) sum_x2 omega c c^T - q(x1, .) a^T / eps``.

    Unlike :func:`_lam_blocks` the covariance is not centred, so its rounding grows like
    ``1e-16 / eps``: good enough for a preconditioner, not for the exact Newton matrix.
    """
    xp, omega = prob.xp, state.omega
    rows = state.marginals[0]
    blocks = state.table.row_moments(omega) * (1 / eps - 1)
    a = rows / xp.where(prob.row, prob.p_x1, 1.0)[..., None]  # q(y | x1)
    blocks -= rows[..., :, None] * a[..., None, :] / eps
    diag = xp.arange(prob.shape[3])
    blocks[..., diag, diag] += rows
    return 0.5 * (blocks + blocks.swapaxes(2, 3))


def _preconditioner_mu_blocks(prob: _Problem, state: _State, eps: float) -> Array:
    """The Hessian's ``mu``-``mu`` diagonal blocks from the factors of ``c``: those of
    :func:`_mu_blocks` together with their share of ``Cov_w(v) / eps``'s squared mean,
    ``-sum_x1 p(x1) w^2 c c^T / eps`` (which :func:`_hessian` subtracts as a whole)."""
    xp, w, omega = prob.xp, state.w, state.omega
    coefficient = omega * (1 / eps - 1) - (prob.p_x1 / eps)[:, :, None] * w**2
    blocks = state.table.column_moments(coefficient)
    diag = xp.arange(prob.shape[3])
    blocks[..., diag, diag] += state.marginals[1]
    return blocks


def solves_matrix_free(shape: tuple[int, ...]) -> bool:
    """Whether an ``(n1, n2, ny)`` problem's Newton systems are solved matrix-free: more than
    :data:`MATRIX_FREE_SIZE` ``mu`` variables on the smaller modality."""
    n1, n2, ny = shape
    return min(n1, n2) * ny > MATRIX_FREE_SIZE


def schur_fallback_fits(shape: tuple[int, ...]) -> bool:
    """Whether a matrix-free problem may hand a missed system to the Schur complement."""
    return schur_numbers(shape) <= SCHUR_FALLBACK_NUMBERS


def schur_numbers(shape: tuple[int, ...]) -> int:
    """Working numbers of the Schur-complement Newton systems of an ``(n1, n2, ny)`` problem:
    the ``(n1, n2, ny, ny)`` Hessian blocks and their eliminated copies, and the complement on
    the smaller modality with its factor."""
    n1, n2, ny = shape
    return 8 * n1 * n2 * ny * ny + 4 * (min(n1, n2) * ny) ** 2


def _schur_solver(prob: _Problem, blocks: _Blocks, target: tuple[Array, Array]):
    """Large systems: eliminate ``lam`` block by block, then factor the ``mu`` system.

    The ``lam``-``lam`` part of the Hessian is block diagonal (one ``ny x ny`` block
    ``A[x1]`` per row), so with ``A = L L^T`` and ``M = L^{-1} B`` the system reduces to the
    Schur complement ``S = C - M^T M`` on the free ``mu`` variables, which a Cholesky
    factorization solves: ``(n1 + n2)^3 ny^3 / 3`` operations become ``n2^3 ny^3 / 3`` plus a
    product of ``n1 n2^2 ny^3``. Each block's gauge direction (its free cells' indicator
    ``f``, along which the Hessian and the right-hand side vanish) gets
    ``trace(A[x1]) / |f| f f^T`` so that ``A`` is well conditioned; the step changes only
    along that gauge.
    """
    xp, (batch, n1, n2, ny) = prob.xp, prob.shape

    def solve(ridge: Array) -> tuple[Array, Array, Array]:
        d_lam = xp.zeros((batch, n1, ny))
        d_mu = xp.zeros((batch, n2, ny))
        for b in range(batch):
            d_lam[b], d_mu[b] = _schur_one(prob, blocks, target, b, float(ridge[b]))
        return d_lam, d_mu, xp.zeros(batch) > 0

    return solve


def _schur_one(
    prob: _Problem,
    blocks: _Blocks,
    target: tuple[Array, Array],
    b: int,
    ridge: float,
) -> tuple[Array, Array]:
    """One problem's Newton step by the Schur complement; the ridge grows until both factor.

    Once most pairs carry no weight (small ``eps``), ``M^T M`` is summed pair block by pair
    block over each row's active pairs instead of as one dense product.
    """
    xp, (_, n1, n2, ny) = prob.xp, prob.shape
    layout = prob.mu_layout(b)
    index2 = layout.index
    free1 = xp.as_float(prob.free1[b])
    lam_lam = gauge_fixed(xp, blocks.lam_lam[b], free1)
    lam_mu = blocks.lam_mu[b].reshape(n1, ny, n2 * ny)  # zero on rows of empty cells
    coupling = xp.sqrt(blocks.weight[b])[:, None] * blocks.z_rows[b].reshape(n1, -1)[:, index2]
    mu_mu = blocks.mu_mu_diag[b][layout.block_of_rows, layout.y_of_rows, layout.y_of_cols]
    active = blocks.w[b][:, layout.block] > ACTIVE_WEIGHT
    sparse = float(active.sum()) < SPARSE_DENSITY * active.shape[0] * active.shape[1]
    rows_active = [xp.flatnonzero(on) for on in active] if sparse else None
    # Rows of M that belong to empty (x1, y) cells are zero; the dense product skips them.
    free_rows = None if sparse or bool(prob.free1[b].all()) else prob.free1[b].reshape(-1)
    rhs_lam, rhs_mu = target[0][b] * free1, target[1][b].reshape(-1)[index2]
    for _ in range(12):
        try:
            lower = xp.cholesky(lam_lam + (free1 * ridge)[:, :, None] * xp.eye(ny))
            inverse = xp.inv(lower)
            elimination = _Elimination(
                xp, inverse, lam_mu, coupling, index2, rows_active, free_rows
            )
            schur = elimination.gram()
            schur *= -1.0
            schur[layout.rows, layout.cols] += mu_mu
            diagonal = xp.arange(schur.shape[0])
            schur[diagonal, diagonal] += ridge
            factor = xp.cholesky(schur)
            break
        except xp.LinAlgError:
            ridge *= 100.0
    else:
        raise xp.LinAlgError("the Newton system stayed singular after regularization")
    m_rhs = xp.einsum("iyz,iz->iy", inverse, rhs_lam)
    step_mu = xp.cho_solve(factor, rhs_mu - elimination.transpose_times(m_rhs))
    inner = m_rhs - elimination.times(step_mu)
    d_mu = xp.zeros(n2 * ny)
    d_mu[index2] = step_mu
    return xp.einsum("izy,iz->iy", inverse, inner) * free1, d_mu.reshape(n2, ny)


class _Elimination:
    """``M = L^{-1} B`` on the free ``mu`` columns, row block by row block, and the products
    the Schur step needs; with ``rows_active`` each row keeps only its active columns, and
    the dense product ``M^T M`` keeps only the rows ``free_rows`` (flat ``(x1, y)`` mask)."""

    def __init__(
        self,
        xp: Arrays,
        inverse: Array,
        lam_mu: Array,
        coupling: Array,
        index2: Array,
        rows_active: list[Array] | None,
        free_rows: Array | None,
    ) -> None:
        self.xp = xp
        self.coupling = coupling
        self.rows_active = rows_active
        self.free_rows = free_rows
        if rows_active is None:
            m = inverse @ lam_mu
            self.m = m if m.shape[2] == len(index2) else m[:, :, index2]
        else:
            self.m = [
                inv @ row[:, index2[on]]
                for inv, row, on in zip(inverse, lam_mu, rows_active, strict=True)
            ]

    def gram(self) -> Array:
        """``coupling^T coupling + M^T M``, a new array."""
        if self.rows_active is None:
            flat = self.m.reshape(-1, self.m.shape[2])
            if self.free_rows is not None:
                flat = flat[self.free_rows]
            gram = self.coupling.T @ self.coupling
            gram += flat.T @ flat
            return gram
        xp, size = self.xp, self.coupling.shape[1]
        gram = xp.zeros((size, size))
        for on, m_row, c_row in zip(self.rows_active, self.m, self.coupling, strict=True):
            stacked = xp.concatenate([c_row[on][None], m_row], axis=0)
            gram[xp.ix_(on, on)] += stacked.T @ stacked
        return gram

    def transpose_times(self, vectors: Array) -> Array:
        """``M^T v`` for ``v`` of shape ``(n1, ny)``."""
        if self.rows_active is None:
            return self.xp.einsum("iyk,iy->k", self.m, vectors)
        result = self.xp.zeros(self.coupling.shape[1])
        for on, m_row, v in zip(self.rows_active, self.m, vectors, strict=True):
            result[on] += m_row.T @ v
        return result

    def times(self, step: Array) -> Array:
        """``M step``, of shape ``(n1, ny)``."""
        if self.rows_active is None:
            return self.m @ step
        return self.xp.stack(
            [m_row @ step[on] for on, m_row in zip(self.rows_active, self.m, strict=True)]
        )


def _solve_spd(xp: Arrays, hess: Array, rhs: Array, ridge: Array) -> Array:
    """Solve batched symmetric positive semi-definite systems, regularized by ``ridge``.

    Systems are solved by batched LU with the ridge on the diagonal; any whose answer
    is not a descent direction (rounding can leave the matrix slightly indefinite) is solved
    again through its eigendecomposition with the eigenvalues floored at its ridge.
    """
    diag = xp.arange(hess.shape[1])
    regularized = xp.copy(hess)
    regularized[:, diag, diag] += ridge
    step = xp.solve(regularized, rhs[..., None])[..., 0]
    bad = ~((step * rhs).sum(axis=1) > 0) | ~xp.isfinite(step).all(axis=1)
    bad &= (rhs != 0).any(axis=1)
    if bad.any():
        values, vectors = xp.eigh(hess[bad])
        floor = xp.maximum(xp.amax(ridge[bad], 1)[:, None], 1e-300)
        coeffs = xp.einsum("bki,bk->bi", vectors, rhs[bad]) / xp.maximum(values, floor)
        step[bad] = xp.einsum("bki,bi->bk", vectors, coeffs)
    return step


def maximize_conditional_entropy(
    p_x1_y: np.ndarray,
    p_x2_y: np.ndarray,
    *,
    tol_bits: float = 1e-8,
    max_steps: int = 500,
    device: Any = None,
) -> NewtonSolution:
    """``max_{q in Delta_p} H_q(Y|X1,X2)`` for each distribution of a batch, certified.

    Follows the minimizers of the smoothed dual ``F_eps`` (module docstring) from
    ``eps = 1``, where the conditional product is optimal, towards ``eps = 0``: at each level
    a tangent predictor moves the multipliers along the path (or, where the tangent
    overshoots, they stay; see :func:`_predict`) and damped Newton steps (Armijo
    backtracking) re-centre them; the level shrinks by :data:`SHRINK` until every problem's
    certified gap is within ``tol_bits``. A level whose Newton steps do not settle within
    :data:`LEVEL_STEPS` is retried from the previous one with the square root of the shrink
    factor, a shorter step along the path; once that factor exceeds :data:`LAST_RESORT` the
    level is centred through short steps instead, for up to :data:`LAST_RESORT_STEPS`, and
    accepted as it is if it still does not settle. The factor is squared again (down to
    :data:`SHRINK`) after a level that settles within :data:`QUICK_LEVEL` steps. The
    certificate of each level (:func:`_certify`) uses the tangent it computes for the next
    prediction.

    Newton systems of more than :data:`SMALL_SYSTEM` multipliers eliminate the first
    modality's and factor the second one's (the Schur complement of :func:`_schur_one`); above
    :data:`MATRIX_FREE_SIZE` of the second one's, they are solved matrix-free by conjugate
    gradients (:func:`_matrix_free_solver`). The problem is symmetric in the two modalities, so
    the larger alphabet is put first.

    Parameters
    ----------
    p_x1_y, p_x2_y : ndarray, shapes (B, n1, ny) and (B, n2, ny)
        The two pairwise marginals of each problem; each problem's total mass is 1.
    tol_bits : float
        Certified gap at which to stop.
    max_steps : int
        Newton steps after which the current answer is returned, certified but possibly
        with a larger gap.
    device : str or torch.device, optional
        ``None`` (the default) solves with numpy; otherwise the same steps run in double
        precision torch on that device (``"cuda"``, ``"cpu"``, ``"auto"``; see
        :func:`pid.device.resolve_device`). The answer is returned as numpy arrays either way.
    """
    if not (np.isfinite(p_x1_y).all() and np.isfinite(p_x2_y).all()):
        raise ValueError("p_x1_y and p_x2_y must be finite; remove NaN or infinite entries.")
    xp = namespace(device)
    swap = p_x2_y.shape[1] > p_x1_y.shape[1]
    first, second = (p_x2_y, p_x1_y) if swap else (p_x1_y, p_x2_y)
    prob = _Problem(xp.asarray(first), xp.asarray(second), xp)
    solution = _follow_path(prob, tol_bits, max_steps)
    q = xp.to_numpy(solution.q)
    return NewtonSolution(
        q=q.transpose(0, 2, 1, 3) if swap else q,
        lower_bits=xp.to_numpy(solution.lower_bits),
        upper_bits=xp.to_numpy(solution.upper_bits),
        newton_steps=solution.newton_steps,
        epsilon=xp.to_numpy(solution.epsilon),
    )


def _follow_path(prob: _Problem, tol_bits: float, max_steps: int) -> NewtonSolution:
    lam, mu = prob.start()
    eps, steps, shrink = 1.0, 0, SHRINK
    state = _evaluate(prob, lam, mu, eps)  # exactly centred at eps = 1
    tangent = _tangent(prob, state, eps)
    best = _certify(prob, lam, mu, state, eps, tangent, tol_bits)
    rounded = True  # whether the latest certificate rounded the primal points
    hopeless_above = max(PROMISING * tol_bits, ROUNDED_BELOW)
    while True:
        best.newton_steps = steps
        done = best.gap_bits <= tol_bits
        if done.all() or steps >= max_steps or eps * shrink < SMALLEST_EPSILON:
            if not rounded and not done.all():  # the latest point may be the best
                latest = _certify(prob, lam, mu, state, eps, tangent, tol_bits)
                best = _better(prob.xp, best, latest)
            return best
        while True:
            new_eps = eps * shrink
            new_lam, new_mu, trial = _predict(prob, lam, mu, tangent, eps, new_eps, done)
            last = shrink > LAST_RESORT  # no shorter step left: centre as long as it takes
            budget = min(LAST_RESORT_STEPS if last else LEVEL_STEPS, max_steps - steps)
            new_lam, new_mu, trial, taken, settled = _centre(
                prob, new_lam, new_mu, trial, new_eps, budget, done, 0.0 if last else CRAWL
            )
            steps += taken
            if settled or last or steps >= max_steps:
                break
            shrink = math.sqrt(shrink)  # too far along the path: back off to a shorter step
        lam, mu, state, eps = new_lam, new_mu, trial, new_eps
        if settled and taken <= QUICK_LEVEL:
            shrink = max(shrink**2, SHRINK)  # an easy level: take longer steps again
        tangent = _tangent(prob, state, eps)
        latest = _certify(prob, lam, mu, state, eps, tangent, tol_bits, hopeless_above)
        rounded = latest is not None
        if rounded:
            best = _better(prob.xp, best, latest)


def _predict(
    prob: _Problem,
    lam: Array,
    mu: Array,
    tangent: tuple[Array, Array],
    eps: float,
    new_eps: float,
    done: Array,
) -> tuple[Array, Array, _State]:
    """The start of the next level: per problem, the tangent prediction or the current
    multipliers, whichever has the smaller marginal residual at ``new_eps``.

    Where the set of active pairs changes the path bends, and the tangent can overshoot into
    a region where Newton's method crawls; staying put is then the better start.
    """
    move = (prob.xp.as_float(~done) * (new_eps - eps))[:, None, None]
    moved_lam, moved_mu = lam + move * tangent[0], mu + move * tangent[1]
    moved = _evaluate(prob, moved_lam, moved_mu, new_eps)
    moved_residual = _path_residual(prob, moved)
    if (moved_residual <= _centred_below(new_eps)).all():
        return moved_lam, moved_mu, moved  # already centred: nothing to compare
    still = _evaluate(prob, lam, mu, new_eps)
    # A tangent that is not finite does not move the multipliers (unless the unmoved point is
    # off the path too: the line search keeps the path's points on it).
    stay = ~(moved_residual <= _path_residual(prob, still))
    if not stay.any():
        return moved_lam, moved_mu, moved
    pick = stay[:, None, None]
    chosen_lam = prob.xp.where(pick, lam, moved_lam)
    chosen_mu = prob.xp.where(pick, mu, moved_mu)
    return chosen_lam, chosen_mu, _evaluate(prob, chosen_lam, chosen_mu, new_eps)


def _path_residual(prob: _Problem, state: _State) -> Array:
    """The largest marginal residual of each problem, ``+inf`` where its point is off the path
    (``F_eps = +inf``)."""
    residual = _largest(prob, _gradient(prob, state))
    return prob.xp.where(prob.xp.isfinite(state.value), residual, math.inf)


def _better(xp: Arrays, best: NewtonSolution, new: NewtonSolution) -> NewtonSolution:
    """Per problem, the answer with the smaller certified gap."""
    take = new.gap_bits < best.gap_bits
    return NewtonSolution(
        q=xp.where(take[:, None, None, None], new.q, best.q),
        lower_bits=xp.where(take, new.lower_bits, best.lower_bits),
        upper_bits=xp.where(take, new.upper_bits, best.upper_bits),
        newton_steps=best.newton_steps,
        epsilon=xp.where(take, new.epsilon, best.epsilon),
    )


def _centred_below(eps: float) -> float:
    """The marginal residual below which a point counts as centred at level ``eps``."""
    return max(CENTERING * eps, RESIDUAL_FLOOR)


def _centre(
    prob: _Problem,
    lam: Array,
    mu: Array,
    state: _State,
    eps: float,
    budget: int,
    frozen: Array,
    crawl: float,
) -> tuple[Array, Array, _State, int, bool]:
    """Damped Newton steps on ``F_eps`` until each marginal residual is below ``CENTERING * eps``.

    The level is abandoned, unsettled, as soon as a step's line search cuts it to ``crawl`` or
    less (the start lies outside the region where Newton's method converges fast).

    Near the threshold the Newton systems are solved loosely (:data:`FORCING`).

    A problem is left where it is for the rest of the level once its line search fails, or
    once its residual is within the reach of rounding and has not halved in
    :data:`PATIENCE` steps: at small ``eps`` rounding in ``g / eps`` puts a floor of about
    ``1e-16 / eps`` under the residual.
    """
    xp, threshold = prob.xp, _centred_below(eps)
    stalled = xp.copy(frozen)
    best_residual = xp.full(prob.shape[0], math.inf)
    idle = xp.zeros(prob.shape[0])
    damping = xp.zeros(prob.shape[0])
    for taken in range(budget):
        grad = _gradient(prob, state)
        residual = _largest(prob, grad)
        improved = residual <= 0.5 * best_residual
        idle = xp.where(improved, 0, idle + 1)
        best_residual = xp.where(improved, residual, best_residual)
        stalled |= (idle >= PATIENCE) & (residual <= ROUNDING_RESIDUAL / eps)
        moving = (residual > threshold) & ~stalled
        if not moving.any():
            return lam, mu, state, taken, True
        # Close to the threshold a looser system suffices (the furthest problem decides).
        furthest = float(xp.amax(xp.where(moving, residual, 0.0), 0))
        tolerance = max(CG_TOLERANCE, FORCING * threshold / furthest)
        # A level that can be retried gives up on a Newton system its conjugate gradients
        # cannot solve: it lies too far along the path.
        d_lam, d_mu, decrement, damping, missed = _solve_newton(
            prob, state, eps, grad, damping=damping, give_up=crawl > 0, tolerance=tolerance
        )
        if (moving & missed).any():
            return lam, mu, state, taken + 1, False
        no_descent = moving & ~(decrement > 0)  # e.g. conjugate gradients that broke down
        stalled |= no_descent
        moving &= ~no_descent
        t = xp.as_float(moving)
        accepted = ~moving
        for _ in range(60):
            trial = _step(prob, lam, mu, t, d_lam, d_mu, eps)
            accepted = ~moving | _acceptable(prob, state, trial, t, d_lam, d_mu, decrement)
            if accepted.all():
                break
            t = xp.where(accepted, t, 0.5 * t)
            if (~accepted & (t <= crawl)).any():  # the level is abandoned whatever t is found
                return lam, mu, state, taken + 1, False
        if not accepted.all():
            stalled |= ~accepted
            t = xp.where(accepted, t, 0.0)
            trial = _step(prob, lam, mu, t, d_lam, d_mu, eps)
        lam, mu, state = lam + t[:, None, None] * d_lam, mu + t[:, None, None] * d_mu, trial
        if (moving & (t <= crawl)).any():
            return lam, mu, state, taken + 1, False
    return lam, mu, state, budget, False


def _acceptable(
    prob: _Problem,
    state: _State,
    trial: _State,
    t: Array,
    d_lam: Array,
    d_mu: Array,
    decrement: Array,
) -> Array:
    """Armijo's sufficient decrease, or a slope along the step at most half the initial one.

    Near the optimum at small ``eps`` the decrease of ``F_eps`` falls below the rounding of
    its value while the marginal residual is still well resolved; the slope
    ``grad F(z + t d) . d`` (from the marginals) decides there. A trial off the path
    (``F_eps = +inf``, see :func:`_evaluate`) is never accepted.
    """
    armijo = trial.value <= state.value - 0.25 * t * decrement
    g1, g2 = _gradient(prob, trial)
    slope = (g1 * d_lam).sum(axis=(1, 2)) + (g2 * d_mu).sum(axis=(1, 2))
    xp = prob.xp
    return xp.isfinite(trial.value) & (armijo | (xp.abs(slope) <= 0.5 * decrement))


def _step(
    prob: _Problem,
    lam: Array,
    mu: Array,
    t: Array,
    d_lam: Array,
    d_mu: Array,
    eps: float,
) -> _State:
    return _evaluate(prob, lam + t[:, None, None] * d_lam, mu + t[:, None, None] * d_mu, eps)


def _tangent(prob: _Problem, state: _State, eps: float) -> tuple[Array, Array]:
    """``d(lam, mu) / d eps`` along the path of minimizers, by the implicit function theorem."""
    xp, finite = prob.xp, state.w > 0
    g = xp.where(finite, state.g, 0.0)
    mean = (state.w * g).sum(axis=2, keepdims=True)
    dw = xp.where(finite, -state.w * (g - mean) / eps**2, 0.0)
    rhs = state.table.marginals(prob.p_x1[:, :, None] * dw)
    return _solve_newton(prob, state, eps, rhs, cap=None, tolerance=TANGENT_TOLERANCE)[:2]


def _certify(
    prob: _Problem,
    lam: Array,
    mu: Array,
    state: _State,
    eps: float,
    tangent: tuple[Array, Array],
    tol_bits: float,
    hopeless_above: float = math.inf,
) -> NewtonSolution | None:
    """The certificate at a point of the path: the rounded primal point's entropy, and the
    smaller of two dual bounds, at the multipliers and at their first-order extrapolation
    to ``eps = 0`` along the tangent, ``(lam, mu) - eps d(lam, mu)/d eps``.

    Both are valid bounds (any multipliers give one); the first is ``O(eps)`` above the
    optimum, the extrapolated one ``O(eps^2)`` once the set of active pairs has settled.
    Where a gap misses ``tol_bits`` by at most :data:`TIGHTENING_REACH` times, the smaller
    bound's multipliers are tightened row by row (:func:`_tightened_bound_bits`).

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
    extrapolated = _dual_bound_bits(prob, moved_lam, moved_mu, moved_g)
    upper = _dual_bound_bits(prob, lam, mu, state.g)
    # A move beyond STEP_CAP (a nearly singular tangent) would make the bound's rounding
    # unreliable; a NaN move fails both tests.
    better = (extrapolated < upper) & (_largest(prob, move) <= STEP_CAP)
    upper = xp.where(better, extrapolated, upper)
    if hopeless_above < math.inf:
        hopeful = ~(upper - _smoothed_entropy_bits(prob, state, eps) > hopeless_above)
        if not hopeful.any():
            return None
    table = state.table
    q = _project(prob, state.omega * table.inverse_total, table.lam_factor, table.mu_factor)
    broken = ~(_largest(prob, _marginal_residual(prob, q)) <= FEASIBLE_RESIDUAL)
    if broken.any():  # rounding failed (e.g. overflow far off the path): a safe feasible point
        q = xp.where(broken[:, None, None, None], prob.conditional_product(), q)
    lower = _conditional_entropy_bits(xp, q)
    gap = upper - lower
    near = (gap > tol_bits) & (gap <= TIGHTENING_REACH * tol_bits)
    if near.any():
        pick = better[:, None, None]
        chosen = (
            xp.where(pick, moved_lam, lam),
            xp.where(pick, moved_mu, mu),
            xp.where(pick, moved_g, state.g),
        )
        tightened = _tightened_bound_bits(prob, *chosen, eps, near, lower + tol_bits)
        upper = xp.minimum(upper, tightened)
    return NewtonSolution(q, lower, upper, 0, xp.full(prob.shape[0], eps))


def _tightened_bound_bits(
    prob: _Problem,
    lam: Array,
    mu: Array,
    g: Array,
    eps: float,
    problems: Array,
    enough: Array,
) -> Array:
    """The dual bound of :func:`_dual_bound_bits` with the rows of ``lam`` re-minimized for
    the given ``mu`` (:func:`pid.estimators._row_bound.tighten_rows`) in the ``problems``
    marked, each row where that lowers its exact term: never above the bound at
    ``(lam, mu)`` (whose pairs' log-partition is ``g``), and valid like any other. Stops once
    each marked problem's bound is at most ``enough`` (bits)."""
    xp = prob.xp
    rows = _dual_bound_rows(prob, lam, mu, g)
    bound = _summed_bits(prob, rows, mu)
    for tightened in tighten_rows(xp, lam, mu, g, prob.p1, prob.free1, prob.free2, eps, problems):
        rows = xp.minimum(rows, _dual_bound_rows(prob, tightened, mu))
        bound = _summed_bits(prob, rows, mu)
        if not (problems & (bound > enough)).any():
            break
    return bound


def _smoothed_entropy_bits(prob: _Problem, state: _State, eps: float) -> Array:
    """``(F_eps - eps H_w(X2 | X1)) / ln 2``, in bits: the smoothed point's ``H_q(Y|X1,X2)``
    where its marginals are met (the smoothed problem's duality), from ``(x1, x2)`` arrays."""
    xp, w = prob.xp, state.w
    spread = -xp.where(w > 0, w * xp.log(xp.where(w > 0, w, 1.0)), 0.0).sum(axis=2)
    return (state.value - eps * (prob.p_x1 * spread).sum(axis=1)) / LN2


def _dual_bound_bits(prob: _Problem, lam: Array, mu: Array, g: Array | None = None) -> Array:
    """``-lam . p(x1, y) - mu . p(x2, y) + sum_x1 p(x1) max_x2 g(x1, x2)`` in bits, an upper
    bound on ``H_q(Y|X1,X2)`` over Delta_p for any multipliers; ``g`` if already known."""
    return _summed_bits(prob, _dual_bound_rows(prob, lam, mu, g), mu)


def _summed_bits(prob: _Problem, rows: Array, mu: Array) -> Array:
    """A dual's row terms (nats, ``(B, n1)``) summed with its ``mu`` term, in bits."""
    return (rows.sum(axis=1) + _mu_term(prob, mu)) / LN2


def _dual_bound_rows(prob: _Problem, lam: Array, mu: Array, g: Array | None = None) -> Array:
    """The dual bound's terms of each row, ``-lam(x1, .) . p(x1, .) + p(x1) max_x2 g(x1, x2)``,
    in nats, shape ``(B, n1)``; with ``mu`` fixed each depends on its row of ``lam`` alone."""
    xp = prob.xp
    if g is None:
        g = ConditionalTable(prob.xp, lam, mu, prob.free1, prob.free2, prob.live).log_partition
    hard = xp.where(prob.row, xp.amax(g, 2), 0.0)
    return _lam_term(prob, lam) + prob.p_x1 * hard


def _lam_term(prob: _Problem, lam: Array) -> Array:
    """``-lam(x1, .) . p(x1, .)`` of each row over its free cells, shape ``(B, n1)``: with
    :func:`_mu_term`, the part of the dual (smoothed or not) that is linear in the multipliers."""
    return -prob.xp.where(prob.free1, lam * prob.p1, 0.0).sum(axis=2)


def _mu_term(prob: _Problem, mu: Array) -> Array:
    """``-mu . p(x2, y)`` over the free cells, shape ``(B,)``."""
    return -prob.xp.where(prob.free2, mu * prob.p2, 0.0).sum(axis=(1, 2))


def _project(
    prob: _Problem, mass: Array, lam_factor: Array, mu_factor: Array, sweeps: int = 20
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
        lam_factor = lam_factor * _ratio(xp, prob.p1, marginals(lam_factor, mu_factor)[0])
        mu_factor = mu_factor * _ratio(xp, prob.p2, marginals(lam_factor, mu_factor)[1])
    rows = marginals(lam_factor, mu_factor)[0]
    lam_factor = lam_factor * xp.minimum(_ratio(xp, prob.p1, rows), 1.0)
    columns = marginals(lam_factor, mu_factor)[1]
    mu_factor = mu_factor * xp.minimum(_ratio(xp, prob.p2, columns), 1.0)
    rows, columns = marginals(lam_factor, mu_factor)
    missing_rows = xp.maximum(prob.p1 - rows, 0.0)
    missing_cols = xp.maximum(prob.p2 - columns, 0.0)
    total = missing_rows.sum(axis=1)
    scale = xp.where(total > 0, 1.0 / xp.where(total > 0, total, 1.0), 0.0)
    q = lam_factor[:, :, None, :] * mu_factor[:, None, :, :]  # A B first: mass can be large
    q *= mass[..., None]
    q += missing_rows[:, :, None, :] * missing_cols[:, None, :, :] * scale[:, None, None, :]
    return q


def _conditional_entropy_bits(xp: Arrays, q: Array) -> Array:
    pair = q.sum(axis=3, keepdims=True)
    ratio = xp.where(q > 0, q / xp.where(pair > 0, pair, 1.0), 1.0)
    return -xp.where(q > 0, q * xp.log2(ratio), 0.0).sum(axis=(1, 2, 3))


def _ratio(xp: Arrays, target: Array, current: Array) -> Array:
    """``target / current``, and 1 where ``current`` is below ``1e-300``: there the ratio of a
    probability could overflow, and the rounding of :func:`_project` adds the missing mass."""
    usable = current >= 1e-300
    return xp.where(usable, target / xp.where(usable, current, 1.0), 1.0)


def _safe_log(xp: Arrays, x: Array) -> Array:
    return xp.log(xp.where(x > 0, x, 1.0))
