"""Matrix-free Newton systems of the exact solver: conjugate gradients over the active pairs.

The Hessian of the smoothed dual ``F_eps`` (:mod:`pid.estimators.exact.path`) applied to a
direction ``(dlam, dmu)`` is the change of the marginals of ``q = p(x1) w c`` along it:

    dtheta(x1, x2, y) = dlam(x1, y) + dmu(x2, y),     dg = sum_y c dtheta,
    dq = q [dtheta + (1 / eps - 1) dg - E_w[dg | x1] / eps],
    Hess (dlam, dmu) = (sum_x2 dq, sum_x1 dq),

where ``E_w[. | x1]`` averages over ``x2`` under ``w(x2 | x1)``. A pair adds in proportion to
its weight, so pairs of negligible weight (far below the solves' tolerance) can be left out:
once the smoothing is small a product touches a small fraction of the ``(x1, x2)`` pairs. No
matrix of the size of the Newton system is ever stored: memory stays linear in the size of the
joint table.

The systems are solved by conjugate gradients preconditioned by the Hessian's ``ny x ny``
diagonal blocks (block Jacobi), and stopped at a relative residual, which makes each step an
inexact Newton step (Dembo, Eisenstat and Steihaug, SIAM J. Numer. Anal. 19, 1982): the damped
Newton iteration around it keeps its descent and its fast local convergence.
"""

from __future__ import annotations

from collections.abc import Callable

from pid.backend import Array, Arrays
from pid.estimators.exact.conditional import ConditionalTable, marginal_sums, pair_sums


class PairHessian:
    """Products with the Hessian of ``F_eps`` of one problem, over its active pairs.

    Parameters
    ----------
    xp : the array namespace.
    table : ConditionalTable
        The factors of ``c`` of a batch; problem ``index`` is used.
    omega, w : arrays, shape (n1, n2)
        The pairs' masses ``p(x1) w(x2 | x1)`` and weights ``w(x2 | x1)``; pairs with weight
        at most ``threshold`` are left out (unless more than ``every_pair`` of them are
        active).
    eps : float
        The smoothing level.
    threshold : float
        Weight at or below which a pair is left out; leaving out pairs of total weight
        ``delta`` per row changes a product by a relative ``O(delta)``.
    every_pair : float
        Above this fraction of active pairs, products run over every pair through the factors
        of ``c`` (:class:`pid.estimators.exact.conditional.ConditionalTable`): six matrix
        products of ``n1 x n2`` by ``n2 x ny`` size; the inactive pairs add their exact,
        negligible terms.
    """

    def __init__(
        self,
        xp: Arrays,
        table: ConditionalTable,
        index: int,
        omega: Array,
        w: Array,
        eps: float,
        threshold: float,
        every_pair: float,
    ) -> None:
        lam_factor, mu_factor = table.lam_factor[index], table.mu_factor[index]
        inverse_total = table.inverse_total[index]
        (n1, ny), n2 = lam_factor.shape, mu_factor.shape[0]
        self.xp, self.eps, self.n1, self.n2, self.ny = xp, eps, n1, n2, ny
        pairs = xp.flatnonzero(w > threshold)
        self.every_pair = pairs.shape[0] > every_pair * n1 * n2
        if self.every_pair:
            self.lam_factor, self.mu_factor, self.w = lam_factor, mu_factor, w
            self.inverse_total = inverse_total
            self.mass = omega * inverse_total  # q = mass A B
            self.row_mass, self.column_mass = marginal_sums(lam_factor, mu_factor, self.mass)
            return
        self.first, second = pairs // n2, pairs % n2
        self.w = xp.take_rows(w.reshape(-1), pairs)
        c = xp.take_rows(lam_factor, self.first) * xp.take_rows(mu_factor, second)
        c *= xp.take_rows(inverse_total.reshape(-1), pairs)[:, None]
        # Only the cells where c > 0 (about half of them on clustered data) add to a product.
        pair_of_cell, label = xp.nonzero(c > 0)
        c = c[pair_of_cell, label]
        q = xp.take_rows(xp.take_rows(omega.reshape(-1), pairs), pair_of_cell) * c
        # Each cell (pair, y) reads dlam(x1, y) and dmu(x2, y), positions of the flat
        # direction (dlam, dmu): dtheta = E direction, with E the cells' incidence.
        lam_cells = xp.take_rows(self.first, pair_of_cell) * ny + label
        mu_cells = n1 * ny + xp.take_rows(second, pair_of_cell) * ny + label
        ends = xp.concatenate([lam_cells, mu_cells])  # both positions of every cell
        pair_of_end = xp.concatenate([pair_of_cell, pair_of_cell])
        size, count = (n1 + n2) * ny, pairs.shape[0]
        # dg = sum_y c dtheta of each pair: c at both positions of each of its cells.
        self.pair_gradient = xp.sparse(pair_of_end, ends, xp.concatenate([c, c]), (count, size))
        # Hess direction = E^T diag(q) (E direction + shift of each cell's pair)
        #                = K direction + S shift, with K = E^T diag(q) E and S = E^T diag(q) P
        # (P the cells' pairs) sharing their rows: one matrix [K | S] times (direction, shift).
        # Its entries are listed so that each row's columns come in increasing order (pairs
        # and cells come sorted by x1, then x2, then y): compressed rows need no sorting.
        positions = xp.arange(size)
        self.spread = xp.sparse(
            xp.concatenate([mu_cells, positions, lam_cells, ends]),
            xp.concatenate([lam_cells, positions, mu_cells, size + pair_of_end]),
            xp.concatenate([q, xp.scatter_sum(ends, xp.concatenate([q, q]), size), q, q, q]),
            (size, size + count),
        )

    def times(self, direction: Array) -> Array:
        """``Hess (dlam, dmu)`` for the flat direction ``(dlam, dmu)`` of length
        ``(n1 + n2) ny``, flat in the same layout."""
        if self.every_pair:
            return self._times_factored(direction)
        xp = self.xp
        d_g = self.pair_gradient.times(direction)
        mean = xp.scatter_sum(self.first, self.w * d_g, self.n1)
        shift = d_g * (1.0 / self.eps - 1.0) - xp.take_rows(mean, self.first) / self.eps
        return self.spread.times(xp.concatenate([direction, shift]))

    def _times_factored(self, direction: Array) -> Array:
        """The product over every pair through ``c = A B / T``: with ``s = (1 / eps - 1) dg -
        E_w[dg | x1] / eps`` per pair, the marginals of ``q (dtheta + s)`` are
        ``dlam q(x1, y) + sum_x2 q dmu(x2, y) + sum_x2 q s`` and their mirror images, each sum
        two matrix products (:func:`marginal_sums`)."""
        lam_factor, mu_factor, mass = self.lam_factor, self.mu_factor, self.mass
        d_lam = direction[: self.n1 * self.ny].reshape(self.n1, self.ny)
        d_mu = direction[self.n1 * self.ny :].reshape(self.n2, self.ny)
        d_g = pair_sums(lam_factor, mu_factor, self.inverse_total, d_lam, d_mu)
        mean = (self.w * d_g).sum(axis=1)
        shifted = d_g * (1.0 / self.eps - 1.0)
        shifted -= mean[:, None] / self.eps
        shifted *= mass
        moved_rows, moved_columns = marginal_sums(lam_factor, mu_factor, mass, d_lam, d_mu)
        shifted_rows, shifted_columns = marginal_sums(lam_factor, mu_factor, shifted)
        rows = d_lam * self.row_mass + moved_rows + shifted_rows
        columns = d_mu * self.column_mass + moved_columns + shifted_columns
        return self.xp.concatenate([rows.reshape(-1), columns.reshape(-1)])


def conjugate_gradient(
    xp: Arrays,
    apply: Callable[[Array], Array],
    precondition: Callable[[Array], Array],
    rhs: Array,
    tolerance: float,
    iterations: int,
) -> tuple[Array, bool]:
    """Preconditioned conjugate gradients for ``A x = rhs``, from ``x = 0``, stopped once
    ``|rhs - A x| <= tolerance |rhs|`` or after ``iterations`` products with ``A``; returns
    ``x`` and whether the tolerance was met.

    ``A`` (``apply``) and the preconditioner must be symmetric positive definite on the
    subspace the iterates span; where rounding breaks that (a curvature or a preconditioned
    residual norm that is not positive), the iterate reached so far is returned. Every iterate
    ``x`` has ``rhs . x > 0``: the step it gives is a descent direction.
    """
    x = xp.zeros(rhs.shape[0])
    residual = xp.copy(rhs)
    stop = tolerance**2 * float(rhs @ rhs)  # on the squared norm
    if stop == 0.0:
        return x, True
    z = precondition(residual)
    direction = z
    rz = float(residual @ z)
    for _ in range(iterations):
        product = apply(direction)
        curvature = float(direction @ product)
        if not curvature > 0.0:  # rounding broke the positive definiteness: keep what we have
            break
        alpha = rz / curvature
        x += alpha * direction
        residual -= alpha * product
        if float(residual @ residual) <= stop:
            return x, True
        z = precondition(residual)
        rz_next = float(residual @ z)
        if not rz_next > 0.0:
            break
        direction = z + (rz_next / rz) * direction
        rz = rz_next
    return x, False
