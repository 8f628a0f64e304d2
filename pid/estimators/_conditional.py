"""The exact solver's conditional ``c(y | x1, x2) = softmax_y(lam(x1, y) + mu(x2, y))``, as factors.

The multipliers of a pair add, so their exponential factors. With ``a(x1) = max_y lam(x1, y)``
and ``b(x2) = max_y mu(x2, y)`` over the feasible cells,

    A = exp(lam - a),   B = exp(mu - b)   (zero on empty cells),
    T = A B^T,          g = LSE_y(lam + mu) = a + b + log T,
    c(x1, x2, y) = A(x1, y) B(x2, y) / T(x1, x2),

so the log-partition of every pair is one matrix product, and each sum of ``c`` against pair
weights, label vectors or both that the solver needs is one or two products of an
``n1 x n2`` matrix with an ``n2 x ny`` (or ``n1 x ny``) one: the ``n1 n2 ny`` table of ``c`` is
formed only for the certificate's rounding and the small-system solvers.

Every term of ``T`` is at most one. A pair whose ``T`` falls below :data:`COVERED` (its
multipliers spread over more than some 575 nats) would lose precision: its ``g`` is computed
label by label instead, and the pair is marked uncovered; the solver's path leaves such pairs
out, while the certificate, which uses the exact ``g``, stays valid.
"""

from __future__ import annotations

import math

from pid.estimators._arrays import Array, Arrays

#: Smallest ``T`` of a covered pair: the terms lost to underflow (below 1e-308) are then under
#: 1e-58 of it.
COVERED = 1e-250


class ConditionalTable:
    """``c`` and ``g`` of a batch of problems, from their multipliers.

    Parameters
    ----------
    xp : the array namespace.
    lam, mu : arrays, shapes (B, n1, ny) and (B, n2, ny)
        The multipliers.
    free1, free2 : boolean arrays of the same shapes
        The feasible cells, ``p(x1, y) > 0`` and ``p(x2, y) > 0``.
    live : boolean array, shape (B, n1, n2)
        The pairs with at least one feasible label.

    Attributes
    ----------
    log_partition : array, shape (B, n1, n2)
        ``g``, exact on every pair, ``-inf`` on pairs without a feasible label.
    covered : boolean array, shape (B, n1, n2)
        The pairs whose ``c`` the factors represent.
    """

    def __init__(
        self, xp: Arrays, lam: Array, mu: Array, free1: Array, free2: Array, live: Array
    ) -> None:
        self.xp = xp
        lam_shift, self.lam_factor = _factor(xp, lam, free1)
        mu_shift, self.mu_factor = _factor(xp, mu, free2)
        total = self.lam_factor @ self.mu_factor.swapaxes(-1, -2)
        self.covered = total >= COVERED
        safe = xp.where(self.covered, total, 1.0)
        self.inverse_total = xp.where(self.covered, 1.0 / safe, 0.0)
        shift = lam_shift[:, :, None] + mu_shift[:, None, :]
        self.log_partition = xp.where(self.covered, shift + xp.log(safe), -math.inf)
        uncovered = live & ~self.covered
        if bool(uncovered.any()):
            problem, first, second = xp.nonzero(uncovered)
            theta = lam[problem, first] + mu[problem, second]
            feasible = free1[problem, first] & free2[problem, second]
            theta = xp.where(feasible, theta, -math.inf)
            peak = xp.amax(theta, 1)
            exact = peak + xp.log(xp.exp(theta - peak[:, None]).sum(axis=1))
            self.log_partition[problem, first, second] = exact

    def table(self) -> Array:
        """``c`` as a ``(B, n1, n2, ny)`` array, zero on uncovered pairs."""
        lam_factor, mu_factor = self.lam_factor[:, :, None, :], self.mu_factor[:, None, :, :]
        return lam_factor * mu_factor * self.inverse_total[..., None]

    def pair_sums(self, d_lam: Array, d_mu: Array) -> Array:
        """``sum_y c (d_lam(x1, y) + d_mu(x2, y))`` on each pair, shape ``(B, n1, n2)``."""
        lam_factor, mu_factor = self.lam_factor, self.mu_factor
        sums = (lam_factor * d_lam) @ mu_factor.swapaxes(-1, -2)
        sums += lam_factor @ (mu_factor * d_mu).swapaxes(-1, -2)
        return sums * self.inverse_total

    def marginals(
        self, weights: Array, d_lam: Array | None = None, d_mu: Array | None = None
    ) -> tuple[Array, Array]:
        """``sum_x2 weights c d_mu(x2, y)`` and ``sum_x1 weights c d_lam(x1, y)`` (``d`` one
        where not given), shapes ``(B, n1, ny)`` and ``(B, n2, ny)``, for weights per pair."""
        lam_factor, mu_factor = self.lam_factor, self.mu_factor
        scaled = weights * self.inverse_total
        rows = scaled @ (mu_factor if d_mu is None else mu_factor * d_mu)
        columns = scaled.swapaxes(-1, -2) @ (lam_factor if d_lam is None else lam_factor * d_lam)
        return lam_factor * rows, mu_factor * columns

    def row_moments(self, weights: Array) -> Array:
        """``sum_x2 weights c c^T`` for each ``x1``, shape ``(B, n1, ny, ny)``."""
        return _moments(self.lam_factor, self.mu_factor, weights * self.inverse_total**2)

    def column_moments(self, weights: Array) -> Array:
        """``sum_x1 weights c c^T`` for each ``x2``, shape ``(B, n2, ny, ny)``."""
        scaled = (weights * self.inverse_total**2).swapaxes(-1, -2)
        return _moments(self.mu_factor, self.lam_factor, scaled)


def _factor(xp: Arrays, multipliers: Array, free: Array) -> tuple[Array, Array]:
    """Each row's largest feasible multiplier (zero where none) and ``exp`` of the rest
    relative to it, zero on empty cells."""
    masked = xp.where(free, multipliers, -math.inf)
    peak = xp.amax(masked, 2)
    peak = xp.where(xp.isfinite(peak), peak, 0.0)
    return peak, xp.exp(masked - peak[:, :, None])


def _moments(own: Array, other: Array, scaled: Array) -> Array:
    """``own_y own_z sum_k scaled[., k] other_y(k) other_z(k)``: with ``scaled`` the pair
    weights over ``T^2``, the second moments of ``c`` over the other modality."""
    batch, n, ny = own.shape
    outer = (other[..., :, None] * other[..., None, :]).reshape(batch, other.shape[1], ny * ny)
    moments = (scaled @ outer).reshape(batch, n, ny, ny)
    return moments * own[..., :, None] * own[..., None, :]
