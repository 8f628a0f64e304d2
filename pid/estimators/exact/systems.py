"""Newton systems of the smoothed dual: dense, by the Schur complement, or matrix-free.

The Hessian of ``F_eps`` (:mod:`pid.estimators.exact.path`) has one ``ny x ny`` block per row
of each modality. Small systems are solved whole; larger ones eliminate the first modality's
multipliers and factor the second one's Schur complement; the largest are solved by conjugate
gradients on Hessian products (:mod:`pid.estimators.exact.matrix_free`), memory linear in the
size of the joint table.
"""

from __future__ import annotations

from dataclasses import dataclass

from pid.backend import Array, Arrays
from pid.estimators.exact.matrix_free import PairHessian, conjugate_gradient
from pid.estimators.exact.options import NewtonOptions
from pid.estimators.exact.problem import Problem, State, gradient, largest
from pid.estimators.exact.row_bound import gauge_fixed


@dataclass
class HessianBlocks:
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


def hessian_blocks(prob: Problem, state: State, eps: float) -> HessianBlocks:
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
    return HessianBlocks(lam_lam, lam_mu, mu_mu_diag, w[..., None] * c, w, prob.p_x1 / eps)


def _pair_terms(prob: Problem, c: Array, w: Array, omega: Array, eps: float) -> tuple[Array, Array]:
    """Per row ``a = q(y | x1)``; and per pair the factor ``u = omega [(c - a) / eps - c]`` of
    the Hessian's ``lam``-``mu`` blocks, of shape ``(B, n1, n2, ny)``, computed in place."""
    a = prob.xp.einsum("bij,bijy->biy", w, c)
    coupling = c - a[:, :, None, :]
    coupling /= eps
    coupling -= c
    coupling *= omega[..., None]
    return a, coupling


def _lam_blocks(prob: Problem, coupling_t: Array, c: Array, a: Array) -> Array:
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


def dense_hessian(prob: Problem, blocks: HessianBlocks) -> Array:
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


def solve_newton(
    prob: Problem,
    state: State,
    eps: float,
    rhs: tuple[Array, Array],
    *,
    cap: float | None,
    tolerance: float,
    damping: Array | None = None,
    give_up: bool = False,
) -> tuple[Array, Array, Array, Array, Array]:
    """``-(Hess + ridge I)^{-1} rhs`` on the free variables (to a relative residual of
    ``tolerance`` where the system is solved matrix-free), ``-rhs . step``, the ridge, and
    which problems' conjugate gradients missed their tolerance within ``options.cg_iterations``
    with ``give_up`` set (their steps are left inexact, and the ridge is not raised again).

    Rounding in the ``1/eps`` terms can leave the assembled matrix slightly indefinite; a
    ridge at that level covers it and the gauge directions (``lam[x1] + const``, and
    ``lam[:, y] + k_y`` with ``mu[:, y] - k_y``). Pairs whose weight has underflowed leave
    directions of almost no curvature, along which the Newton step explodes: where a step
    exceeds ``cap`` in some multiplier, the ridge is raised (from ``1e-4`` times the residual,
    a hundredfold at a time, as in Levenberg-Marquardt) until it does not. ``damping``, the
    ridge of the previous step of the level, divided by ``options.damping_ease``, is where the
    search starts, which saves most of the retries.
    """
    xp, (_, n1, n2, ny), options = prob.xp, prob.shape, prob.options
    residual = largest(prob, gradient(prob, state))
    ridge = 1e-13 * xp.amax(prob.p_x1, 1) / eps
    if damping is not None:
        ridge = xp.maximum(ridge, damping / options.damping_ease)
    target = (-xp.where(prob.free1, rhs[0], 0.0), -xp.where(prob.free2, rhs[1], 0.0))
    if (n1 + n2) * ny <= options.small_system:
        solve = _dense_solver(prob, hessian_blocks(prob, state, eps), target)
    elif not solves_matrix_free(prob.shape[1:], options):
        solve = _schur_solver(prob, hessian_blocks(prob, state, eps), target)
    else:
        solve = _matrix_free_solver(prob, state, eps, target, tolerance, give_up)
    for _ in range(options.ridge_attempts):
        d_lam, d_mu, missed = solve(ridge)
        if cap is None or missed.any():
            break
        too_long = largest(prob, (d_lam, d_mu)) > cap
        if not too_long.any():
            break
        ridge = xp.where(too_long, xp.maximum(100.0 * ridge, 1e-4 * residual), ridge)
    decrement = (target[0] * d_lam).sum(axis=(1, 2)) + (target[1] * d_mu).sum(axis=(1, 2))
    return d_lam, d_mu, decrement, ridge, missed


def _dense_solver(prob: Problem, blocks: HessianBlocks, target: tuple[Array, Array]):
    """Small systems: the whole Hessian of every problem, solved at once (see _solve_spd)."""
    xp = prob.xp
    free = _flatten(xp, (prob.free1, prob.free2))
    hess = xp.where(free[:, :, None] & free[:, None, :], dense_hessian(prob, blocks), 0.0)
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


def _split(prob: Problem, flat: Array) -> tuple[Array, Array]:
    """The inverse of :func:`_flatten`."""
    batch, (_, n1, n2, ny) = flat.shape[0], prob.shape
    return flat[:, : n1 * ny].reshape(batch, n1, ny), flat[:, n1 * ny :].reshape(batch, n2, ny)


def _matrix_free_solver(
    prob: Problem,
    state: State,
    eps: float,
    target: tuple[Array, Array],
    tolerance: float,
    give_up: bool,
):
    """Large systems: conjugate gradients on Hessian products over the active pairs
    (:class:`pid.estimators.exact.matrix_free.PairHessian`), preconditioned by the inverse of the
    Hessian's ``ny x ny`` diagonal blocks, ``lam`` blocks with their gauge fixed as in
    :func:`_schur_one`. Memory stays linear in the size of the joint table, except where a
    solve misses its tolerance and the Schur complement takes over (up to
    ``options.schur_fallback_numbers``); with ``give_up`` such a solve is reported as missed
    instead."""
    xp, (batch, ny), options = prob.xp, (prob.shape[0], prob.shape[3]), prob.options
    table, w, omega = state.table, state.w, state.omega
    free1, free2 = xp.as_float(prob.free1), xp.as_float(prob.free2)
    blocks = xp.concatenate(
        [
            gauge_fixed(xp, preconditioner_lam_blocks(prob, state, eps), free1),
            preconditioner_mu_blocks(prob, state, eps) + (1.0 - free2)[..., None] * xp.eye(ny),
        ],
        axis=1,
    )
    flat = _flatten(xp, target)
    hessians = [
        PairHessian(
            xp, table, b, omega[b], w[b], eps, options.matrix_free_weight, options.every_pair
        )
        for b in range(batch)
    ]

    fallback = not give_up and schur_fallback_fits(prob.shape[1:], options)
    schur_blocks: list[HessianBlocks] = []  # formed at the first solve that needs them

    def solve(ridge: Array) -> tuple[Array, Array, Array]:
        inverse = xp.inv(blocks + ridge[:, None, None, None] * xp.eye(ny))
        steps, missed = [], []
        for b, hessian in enumerate(hessians):
            # Products, preconditioned vectors and so the iterates vanish on empty cells.
            def apply(v: Array, b: int = b, hessian: PairHessian = hessian) -> Array:
                return hessian.times(v) + ridge[b] * v

            precondition = prob.preconditioner_pattern(b).of(inverse[b]).times

            step, converged = conjugate_gradient(
                xp, apply, precondition, flat[b], tolerance, options.cg_iterations
            )
            if not converged and fallback:
                if not schur_blocks:
                    schur_blocks.append(hessian_blocks(prob, state, eps))
                d_lam, d_mu = _schur_one(prob, schur_blocks[0], target, b, float(ridge[b]))
                step = _flatten(xp, (d_lam[None], d_mu[None]))[0]
            steps.append(step)
            missed.append(give_up and not converged)
        return (*_split(prob, xp.stack(steps)), xp.asarray(missed) > 0)

    return solve


def preconditioner_lam_blocks(prob: Problem, state: State, eps: float) -> Array:
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


def preconditioner_mu_blocks(prob: Problem, state: State, eps: float) -> Array:
    """The Hessian's ``mu``-``mu`` diagonal blocks from the factors of ``c``: those of
    :func:`_mu_blocks` together with their share of ``Cov_w(v) / eps``'s squared mean,
    ``-sum_x1 p(x1) w^2 c c^T / eps`` (which :func:`dense_hessian` subtracts as a whole)."""
    xp, w, omega = prob.xp, state.w, state.omega
    coefficient = omega * (1 / eps - 1) - (prob.p_x1 / eps)[:, :, None] * w**2
    blocks = state.table.column_moments(coefficient)
    diag = xp.arange(prob.shape[3])
    blocks[..., diag, diag] += state.marginals[1]
    return blocks


def solves_matrix_free(shape: tuple[int, ...], options: NewtonOptions) -> bool:
    """Whether an ``(n1, n2, ny)`` problem's Newton systems are solved matrix-free: more than
    ``options.matrix_free_size`` ``mu`` variables on the smaller modality."""
    n1, n2, ny = shape
    return min(n1, n2) * ny > options.matrix_free_size


def schur_fallback_fits(shape: tuple[int, ...], options: NewtonOptions) -> bool:
    """Whether a matrix-free problem may hand a missed system to the Schur complement."""
    return schur_numbers(shape) <= options.schur_fallback_numbers


def schur_numbers(shape: tuple[int, ...]) -> int:
    """Working numbers of the Schur-complement Newton systems of an ``(n1, n2, ny)`` problem:
    the ``(n1, n2, ny, ny)`` Hessian blocks and their eliminated copies, and the complement on
    the smaller modality with its factor."""
    n1, n2, ny = shape
    return 8 * n1 * n2 * ny * ny + 4 * (min(n1, n2) * ny) ** 2


def _schur_solver(prob: Problem, blocks: HessianBlocks, target: tuple[Array, Array]):
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
    prob: Problem,
    blocks: HessianBlocks,
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
    active = blocks.w[b][:, layout.block] > prob.options.active_weight
    density = prob.options.sparse_density
    sparse = float(active.sum()) < density * active.shape[0] * active.shape[1]
    rows_active = [xp.flatnonzero(on) for on in active] if sparse else None
    # Rows of M that belong to empty (x1, y) cells are zero; the dense product skips them.
    free_rows = None if sparse or bool(prob.free1[b].all()) else prob.free1[b].reshape(-1)
    rhs_lam, rhs_mu = target[0][b] * free1, target[1][b].reshape(-1)[index2]
    for _ in range(12):
        try:
            lower = xp.cholesky(lam_lam + (free1 * ridge)[:, :, None] * xp.eye(ny))
            inverse = xp.inv(lower)
            elimination = Elimination(xp, inverse, lam_mu, coupling, index2, rows_active, free_rows)
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


class Elimination:
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
