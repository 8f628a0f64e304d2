"""The exact solver's conditional ``c(y | x1, x2) = softmax_y(lam(x1, y) + mu(x2, y))``, as factors.

The multipliers of a pair add, so their exponential factors. With ``a(x1) = max_y lam(x1, y)``
and ``b(x2) = max_y mu(x2, y)`` over the feasible cells,

    A = exp(lam - a),   B = exp(mu - b)   (zero on empty cells),
    T = A B^T,          g = LSE_y(lam + mu) = a + b + log T,
    c(x1, x2, y) = A(x1, y) B(x2, y) / T(x1, x2),

so the log-partition of every pair is one matrix product, and each sum of ``c`` against pair
weights, label vectors or both that the solver needs is one or two products of an
``n1 x n2`` matrix with an ``n2 x ny`` (or ``n1 x ny``) one: the ``n1 n2 ny`` table of ``c``
is formed only for the small-system solvers, and that of ``q`` once per rounded certificate.

Every term of ``T`` is at most one. A pair whose ``T`` falls below :data:`COVERED` (its
multipliers spread over more than some 345 nats) would lose precision: its ``g`` is computed
label by label instead, and the pair is marked uncovered; the solver's path leaves such pairs
out, while the certificate, which uses the exact ``g``, stays valid. The spread is taken after
moving the multipliers along the gauge ``lam(., y) + k_y``, ``mu(., y) - k_y``, which changes
no ``lam + mu``: ``k_y`` centres the two modalities' largest multipliers of each label, so that
a drift of the iterates along that flat direction cannot uncover pairs.
"""

from __future__ import annotations

import math

from pid.backend import Array, Arrays

#: Smallest ``T`` of a covered pair: ``T^2`` (in the preconditioner's moments) stays a normal
#: number, and the terms lost to underflow (below 1e-308) are under 1e-158 of ``T``.
COVERED = 1e-150


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
    lam_factor, mu_factor : arrays, shapes (B, n1, ny) and (B, n2, ny)
        ``A`` and ``B``, of the multipliers moved along the gauge (see the module docstring):
        only ``c`` and ``g`` are those of ``lam`` and ``mu`` themselves.
    inverse_total : array, shape (B, n1, n2)
        ``1 / T`` on covered pairs, zero elsewhere.
    log_partition : array, shape (B, n1, n2)
        ``g``, exact on every pair, ``-inf`` on pairs without a feasible label.
    covered : boolean array, shape (B, n1, n2)
        The pairs whose ``c`` the factors represent.
    """

    def __init__(
        self, xp: Arrays, lam: Array, mu: Array, free1: Array, free2: Array, live: Array
    ) -> None:
        lam, mu = _balanced(xp, lam, mu, free1, free2)
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

    def marginals(self, weights: Array) -> tuple[Array, Array]:
        """``sum_x2 weights c`` and ``sum_x1 weights c``, shapes ``(B, n1, ny)`` and
        ``(B, n2, ny)``, for weights per pair."""
        return marginal_sums(self.lam_factor, self.mu_factor, weights * self.inverse_total)

    def row_moments(self, weights: Array) -> Array:
        """``sum_x2 weights c c^T`` for each ``x1``, shape ``(B, n1, ny, ny)``."""
        return _moments(self.lam_factor, self.mu_factor, weights * self.inverse_total**2)

    def column_moments(self, weights: Array) -> Array:
        """``sum_x1 weights c c^T`` for each ``x2``, shape ``(B, n2, ny, ny)``."""
        scaled = (weights * self.inverse_total**2).swapaxes(-1, -2)
        return _moments(self.mu_factor, self.lam_factor, scaled)


def marginal_sums(
    lam_factor: Array,
    mu_factor: Array,
    scaled: Array,
    d_lam: Array | None = None,
    d_mu: Array | None = None,
) -> tuple[Array, Array]:
    """``sum_x2 scaled A B d_mu`` and ``sum_x1 scaled A B d_lam`` (``d`` one where not given):
    with ``scaled`` the pair weights over ``T``, the sums of ``weights c`` over ``x2`` (against
    ``d_mu(x2, y)``) and over ``x1`` (against ``d_lam(x1, y)``). Any leading batch axes."""
    rows = scaled @ (mu_factor if d_mu is None else mu_factor * d_mu)
    columns = scaled.swapaxes(-1, -2) @ (lam_factor if d_lam is None else lam_factor * d_lam)
    return lam_factor * rows, mu_factor * columns


def pair_sums(
    lam_factor: Array, mu_factor: Array, inverse_total: Array, d_lam: Array, d_mu: Array
) -> Array:
    """``sum_y c (d_lam(x1, y) + d_mu(x2, y))`` on each pair. Any leading batch axes."""
    sums = (lam_factor * d_lam) @ mu_factor.swapaxes(-1, -2)
    sums += lam_factor @ (mu_factor * d_mu).swapaxes(-1, -2)
    sums *= inverse_total
    return sums


def _balanced(xp: Arrays, lam: Array, mu: Array, free1: Array, free2: Array) -> tuple[Array, Array]:
    """``lam(., y) + k_y`` and ``mu(., y) - k_y`` with ``k_y`` half the gap between the two
    modalities' largest feasible multipliers of label ``y`` (zero where one has none)."""
    top1 = xp.amax(xp.where(free1, lam, -math.inf), 1)
    top2 = xp.amax(xp.where(free2, mu, -math.inf), 1)
    both = xp.isfinite(top1) & xp.isfinite(top2)
    gap = xp.where(both, top2, 0.0) - xp.where(both, top1, 0.0)
    return lam + 0.5 * gap[:, None, :], mu - 0.5 * gap[:, None, :]


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
