"""The exact solver's problem: a batch of marginals, and the smoothed dual at a point.

:class:`Problem` holds the marginals ``p(x1, y)``, ``p(x2, y)`` of a batch of distributions of
one shape, the masks of their feasible cells and the solver's :class:`NewtonOptions`;
:func:`evaluate` computes the smoothed dual ``F_eps`` of :mod:`pid.estimators.exact.path` and
everything the Newton steps derive from it (:class:`State`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pid.backend import Array, Arrays
from pid.estimators.exact.conditional import ConditionalTable
from pid.estimators.exact.options import NewtonOptions


@dataclass(frozen=True)
class MuLayout:
    """Free ``mu`` variables (flat ``(x2, y)`` positions) and their ``ny x ny`` blocks."""

    index: Array
    block: Array  # x2 of each free variable
    rows: Array  # pairs of free variables in one block
    cols: Array
    block_of_rows: Array
    y_of_rows: Array
    y_of_cols: Array


class Problem:
    """Marginals of a batch, the masks of their feasible cells, and the solver's options."""

    def __init__(
        self, p_x1_y: Array, p_x2_y: Array, xp: Arrays, options: NewtonOptions | None = None
    ) -> None:
        self.xp = xp
        self.options = options or NewtonOptions()
        self.p1 = p_x1_y
        self.p2 = p_x2_y
        self.p_x1 = p_x1_y.sum(axis=2)
        self.free1 = p_x1_y > 0
        self.free2 = p_x2_y > 0
        self.live = xp.as_float(self.free1) @ xp.as_float(self.free2).swapaxes(1, 2) > 0
        self.row = self.p_x1 > 0
        batch, n1, ny = p_x1_y.shape
        self.shape = (batch, n1, p_x2_y.shape[1], ny)
        self._layouts: dict[int, MuLayout] = {}
        self._patterns: dict[int, Any] = {}

    def mu_layout(self, b: int) -> MuLayout:
        """Problem ``b``'s free ``mu`` variables and the pattern of their diagonal blocks."""
        if b not in self._layouts:
            xp, ny = self.xp, self.shape[3]
            index = xp.flatnonzero(self.free2[b].reshape(-1))
            block = index // ny
            rows, cols = xp.nonzero(block[:, None] == block[None, :])
            self._layouts[b] = MuLayout(
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
class State:
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


def evaluate(prob: Problem, lam: Array, mu: Array, eps: float) -> State:
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
    rows = lam_term(prob, lam) + xp.where(prob.row, prob.p_x1 * soft, 0.0)
    value = xp.where(stranded, math.inf, rows).sum(axis=1) + mu_term(prob, mu)
    return State(table=table, w=w, omega=prob.p_x1[:, :, None] * w, value=value)


def gradient(prob: Problem, state: State) -> tuple[Array, Array]:
    """``grad F_eps``: the smoothed point's marginal residual, ``(q(x1, y) - p(x1, y),
    q(x2, y) - p(x2, y))``."""
    rows, columns = state.marginals
    return rows - prob.p1, columns - prob.p2


def marginal_residual(prob: Problem, q: Array) -> tuple[Array, Array]:
    """How far a ``(B, n1, n2, ny)`` table's two marginals are from ``p(x1, y)``, ``p(x2, y)``."""
    return q.sum(axis=2) - prob.p1, q.sum(axis=1) - prob.p2


def largest(prob: Problem, pair: tuple[Array, Array]) -> Array:
    """Largest absolute entry of each problem over both arrays of ``pair``; of the gradient of
    ``F_eps``, the largest marginal violation."""
    xp = prob.xp
    return xp.maximum(xp.amax(xp.abs(pair[0]), (1, 2)), xp.amax(xp.abs(pair[1]), (1, 2)))


def lam_term(prob: Problem, lam: Array) -> Array:
    """``-lam(x1, .) . p(x1, .)`` of each row over its free cells, shape ``(B, n1)``: with
    :func:`mu_term`, the part of the dual (smoothed or not) that is linear in the multipliers."""
    return -prob.xp.where(prob.free1, lam * prob.p1, 0.0).sum(axis=2)


def mu_term(prob: Problem, mu: Array) -> Array:
    """``-mu . p(x2, y)`` over the free cells, shape ``(B,)``."""
    return -prob.xp.where(prob.free2, mu * prob.p2, 0.0).sum(axis=(1, 2))


def _safe_log(xp: Arrays, x: Array) -> Array:
    return xp.log(xp.where(x > 0, x, 1.0))
