"""Maximum entropy over joints with three given pairwise marginals, certified.

The problem (behind the synergy lower bound of thesis Theorem 4, Eq. 6.4) is

    max_r H_r(X1, X2, Y)   subject to   r(x1, y) = p(x1, y), r(x2, y) = p(x2, y),
                                         r(x1, x2) = p(x1, x2).

Only cells where all three marginals are positive can carry mass (the support). The maximizer
is log-linear on the support, ``r = exp(a(x1, y) + b(x2, y) + c(x1, x2))``, and its parameters
``theta = (a, b, c)`` minimize the smooth, unconstrained convex dual

    G(theta) = sum_cells exp(theta . phi) - theta . mu,

with ``phi`` the cell's indicator of its three marginal entries and ``mu`` the marginals. Its
gradient is the marginal residual of the unnormalized weights; its Hessian
``sum_cells exp(theta . phi) phi phi^T`` is diagonal in ``c`` (each cell has one ``c``), so a
Newton step eliminates ``c`` and solves the Schur complement on ``(a, b)`` by Cholesky.

Certificate: for *any* ``theta`` and every joint ``r`` meeting the marginals, Gibbs'
inequality against ``q = exp(theta . phi) / Z`` gives

    H_r  <=  log Z(theta) - theta . mu,        Z(theta) = sum_cells exp(theta . phi),

so the upper bound returned holds whether or not the solver has converged. It is raised by a
small allowance for the rounding of its own evaluation (:data:`ROUNDING`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from pid.backend import namespace
from pid.bounds.marginals import PairwiseMarginals
from pid.information import LN2, conditional_mutual_information, entropy
from pid.validation import check_tolerance, check_whole

#: The log-linear parameters ``(a, b, c)``, of shapes (n1, ny), (n2, ny), (n1, n2); or, where
#: so noted, marginals or gradients of those shapes.
Theta: TypeAlias = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Relative allowance for the rounding of the dual value ``log Z - theta . mu`` (and of the
#: marginal entropies it is combined with), times ``1 + |log Z| + max |theta . phi| +
#: sum |theta| mu``: some hundreds of units of double-precision rounding.
ROUNDING = 1e-13
#: Largest marginal residual at which the primal joint counts as meeting the marginals.
MARGINAL_TOLERANCE = 1e-12
#: Certified gap, in bits, at which the solver stops by default.
MAX_ENTROPY_TOLERANCE_BITS = 1e-9
#: Smallest ridge on the Jacobi-scaled Schur complement (unit diagonal); the ridge grows by
#: RIDGE_GROWTH (at most RIDGE_ATTEMPTS times) while a step is longer than STEP_CAP nats, and a
#: step's ridge search starts from the last step's ridge over RIDGE_EASE.
RIDGE = 1e-12
RIDGE_GROWTH = 100.0
RIDGE_ATTEMPTS = 12
RIDGE_EASE = 100.0
#: Longer steps are left to the line search; one this long (half the exponent range of double
#: precision) comes from rounding along a near-singular direction, not from the problem.
STEP_CAP = 300.0
#: A variable of the complement whose diagonal is at most this fraction of its Hessian
#: diagonal is absorbed by ``c`` (all its cells' pairs have a single label, say) and keeps
#: its value in the Newton step.
ABSORBED = 1e-12
#: Backtracking: halvings tried, and Armijo's fraction of the predicted decrease.
HALVINGS = 40
ARMIJO = 1e-4
#: A full step is doubled up to this many times while ``G`` keeps falling (see _newton).
EXPANSIONS = 5

#: Methods of :func:`maximize_joint_entropy`: dual Newton steps, or iterative proportional
#: fitting alone (the reference).
MAX_ENTROPY_METHODS = ("newton", "ipf")


@dataclass(frozen=True)
class MaxEntropyOptions:
    """Tunables of :func:`maximize_joint_entropy`.

    Attributes
    ----------
    newton_steps : int
        Newton steps after which the current, still certified, answer is returned.
    ipf_sweeps : int
        Iterative proportional fitting sweeps (each far cheaper than a Newton step) likewise.
    warm_sweeps : int
        IPF sweeps that start the Newton solver.
    newton_size_limit : int
        Newton systems with more free ``(a, b)`` variables than this are left to IPF.
    """

    newton_steps: int = 200
    ipf_sweeps: int = 10_000
    warm_sweeps: int = 10
    newton_size_limit: int = 5_000

    def __post_init__(self) -> None:
        for name in ("newton_steps", "ipf_sweeps", "warm_sweeps", "newton_size_limit"):
            object.__setattr__(self, name, check_whole(getattr(self, name), name, 1))


@dataclass(frozen=True)
class MaxEntropyJoint:
    """The maximum-entropy joint with three pairwise marginals, and its certificate.

    Attributes
    ----------
    joint : ndarray, shape (n1, n2, ny)
        The final log-linear joint ``r``; it meets the marginals up to ``residual``.
    entropy_bits : float
        ``H_r(X1, X2, Y)`` of ``joint``.
    upper_bits : float
        Certified upper bound on ``max_r H_r(X1, X2, Y)`` over all joints with the marginals
        (the dual value ``log Z - theta . mu`` plus the rounding allowance); valid on every
        input, converged or not.
    gap_bits : float
        ``upper_bits - entropy_bits``. Since ``joint`` meets the marginals only up to
        ``residual``, its entropy can exceed the maximum by about ``|theta| residual``, and the
        gap can be slightly negative (of order 1e-11 bits on sparse inputs).
    steps : int
        Newton steps (``method="newton"``, after ``options.warm_sweeps`` IPF sweeps) or IPF
        sweeps.
    residual : float
        Largest absolute difference between a marginal of ``joint`` and its target.
    method : str
        ``"newton"`` or ``"ipf"`` (also where a Newton request was too large).
    """

    joint: np.ndarray
    entropy_bits: float
    upper_bits: float
    gap_bits: float
    steps: int
    residual: float
    method: str


@dataclass(frozen=True)
class ConditionalMIMinimum:
    """``min_r I_r(X1; X2 | Y)`` over joints with three pairwise marginals, in bits.

    Attributes
    ----------
    lower_bits : float
        Certified lower bound on the minimum, valid on every input (never below 0).
    value_bits : float
        ``I_r(X1; X2 | Y)`` of the maximum-entropy joint found (the primal value).
    fit : MaxEntropyJoint
        The maximum-entropy solve behind both numbers.
    """

    lower_bits: float
    value_bits: float
    fit: MaxEntropyJoint


class _Support:
    """The three marginals, the support cells and the masks of the free variables."""

    def __init__(self, p_x1_y: np.ndarray, p_x2_y: np.ndarray, p_x1_x2: np.ndarray) -> None:
        self.p1, self.p2, self.p12 = p_x1_y, p_x2_y, p_x1_x2
        self.cells = (p_x1_y[:, None, :] > 0) & (p_x2_y[None, :, :] > 0) & (p_x1_x2[:, :, None] > 0)
        self.free1, self.free2 = p_x1_y > 0, p_x2_y > 0
        self.free12 = p_x1_x2 > 0
        self.n_ab = int(self.free1.sum() + self.free2.sum())

    def start(self) -> Theta:
        """The uniform joint on the support."""
        a, b = np.zeros(self.p1.shape), np.zeros(self.p2.shape)
        return a, b, np.full(self.p12.shape, -math.log(max(int(self.cells.sum()), 1)))

    def logits(self, theta: Theta) -> np.ndarray:
        """``theta . phi`` on the support, ``-inf`` elsewhere."""
        a, b, c = theta
        return np.where(self.cells, a[:, None, :] + b[None, :, :] + c[:, :, None], -np.inf)

    def weights(self, theta: Theta) -> np.ndarray:
        """The unnormalized model ``exp(theta . phi)`` on the support, 0 elsewhere."""
        with np.errstate(over="ignore"):
            return np.exp(self.logits(theta))

    def gradient(self, weights: np.ndarray) -> Theta:
        """Marginals of ``weights`` minus their targets: the gradient of ``G``."""
        return (
            weights.sum(axis=1) - self.p1,
            weights.sum(axis=0) - self.p2,
            weights.sum(axis=2) - self.p12,
        )

    def moments(self, theta: Theta) -> tuple[float, float]:
        """``theta . mu`` and ``sum |theta| mu``."""
        products = [np.where(m > 0, t * m, 0.0) for t, m in zip(theta, self.targets, strict=True)]
        return (
            float(sum(p.sum() for p in products)),
            float(sum(np.abs(p).sum() for p in products)),
        )

    def dual(self, theta: Theta, weights: np.ndarray) -> float:
        """``G(theta) = sum exp(theta . phi) - theta . mu``."""
        return float(weights.sum()) - self.moments(theta)[0]

    @property
    def targets(self) -> Theta:
        return self.p1, self.p2, self.p12


def maximize_joint_entropy(
    p_x1_y: ArrayLike,
    p_x2_y: ArrayLike,
    p_x1_x2: ArrayLike,
    *,
    tol_bits: float = MAX_ENTROPY_TOLERANCE_BITS,
    method: str = "newton",
    options: MaxEntropyOptions | None = None,
) -> MaxEntropyJoint:
    """``max_r H_r(X1, X2, Y)`` over joints ``r`` with the three given pairwise marginals.

    The maximum behind thesis Theorem 4 (Eq. 6.4): ``min_r I_r(X1; X2 | Y) = H(X1, Y) +
    H(X2, Y) - H(Y) - max_r H_r(X1, X2, Y)``. The maximizer is ``r = exp(a(x1, y) + b(x2, y) +
    c(x1, x2))`` on the cells where all three marginals are positive; its parameters minimize
    ``G(theta) = sum_cells exp(theta . phi) - theta . mu`` (module docstring), and for every
    ``theta`` the value ``log Z(theta) - theta . mu`` bounds the maximum from above (Gibbs'
    inequality). That bound, raised by a rounding allowance, is ``upper_bits``.

    Parameters
    ----------
    p_x1_y, p_x2_y, p_x1_x2 : array_like, shapes (n1, ny), (n2, ny), (n1, n2)
        Pairwise marginals of one joint distribution (each sums to 1; they agree on ``p(x1)``,
        ``p(x2)`` and ``p(y)``).
    tol_bits : float
        Stop once ``gap_bits`` is at most this and the joint meets the marginals to
        :data:`MARGINAL_TOLERANCE`.
    method : str
        ``"newton"``: damped Newton steps on ``G`` from a few IPF sweeps, ``c`` eliminated and
        the ``(a, b)`` Schur complement factored by Cholesky; problems with more than
        ``options.newton_size_limit`` free ``(a, b)`` variables are solved by IPF instead.
        ``"ipf"``: iterative proportional fitting alone (the reference).
    options : MaxEntropyOptions, optional
        Step limits and the size above which Newton gives way to IPF.
    """
    if method not in MAX_ENTROPY_METHODS:
        raise ValueError(
            f"method {method!r} is unknown; pass one of {', '.join(MAX_ENTROPY_METHODS)}."
        )
    tol_bits = check_tolerance(tol_bits)
    options = options or MaxEntropyOptions()
    support = _Support(*_checked_marginals(p_x1_y, p_x2_y, p_x1_x2))
    theta = support.start()
    if method == "newton" and support.n_ab <= options.newton_size_limit:
        theta = _ipf(support, theta, options.warm_sweeps, tol_bits)[0]
        theta, steps = _newton(support, theta, tol_bits, options.newton_steps)
    else:
        method = "ipf"
        theta, steps = _ipf(support, theta, options.ipf_sweeps, tol_bits)
    upper_bits, joint, entropy_bits, residual = _evaluate(support, theta)
    return MaxEntropyJoint(
        joint=joint,
        entropy_bits=entropy_bits,
        upper_bits=upper_bits,
        gap_bits=upper_bits - entropy_bits,
        steps=steps,
        residual=residual,
        method=method,
    )


def minimize_conditional_mutual_information(
    p_x1_y: ArrayLike,
    p_x2_y: ArrayLike,
    p_x1_x2: ArrayLike,
    **settings: Any,
) -> ConditionalMIMinimum:
    """``min_r I_r(X1; X2 | Y)`` over joints with the three pairwise marginals, certified.

    Thesis Theorem 4 bounds synergy by ``S_R = R - I(X1;X2) + min_r I_r(X1;X2|Y)`` (Eq. 6.4).
    Since ``I_r(X1;X2|Y) = H(X1,Y) + H(X2,Y) - H(Y) - H_r(X1,X2,Y)`` and the first three terms
    are fixed by the marginals,

        min_r I_r(X1;X2|Y) >= H(X1,Y) + H(X2,Y) - H(Y) - upper_bits  (and >= 0),

    with ``upper_bits`` the certified bound of :func:`maximize_joint_entropy`, to which
    ``settings`` (``tol_bits``, ``method``, ``options``) are passed.
    """
    fit = maximize_joint_entropy(p_x1_y, p_x2_y, p_x1_x2, **settings)
    p_x1_y, p_x2_y = np.asarray(p_x1_y, dtype=float), np.asarray(p_x2_y, dtype=float)
    fixed = entropy(p_x1_y) + entropy(p_x2_y) - entropy(p_x1_y.sum(axis=0))
    return ConditionalMIMinimum(
        lower_bits=max(fixed - fit.upper_bits, 0.0),
        value_bits=conditional_mutual_information(fit.joint),
        fit=fit,
    )


def _checked_marginals(p_x1_y: ArrayLike, p_x2_y: ArrayLike, p_x1_x2: ArrayLike) -> Theta:
    """The marginals as arrays, refused with a message where no joint can have them."""
    marginals = PairwiseMarginals.from_tables(p_x1_y, p_x2_y, p_x1_x2)
    marginals.check_joint_exists()
    return marginals.p_x1_y, marginals.p_x2_y, marginals.p_x1_x2


def _evaluate(support: _Support, theta: Theta) -> tuple[float, np.ndarray, float, float]:
    """The Gibbs bound ``log Z - theta . mu`` with its rounding allowance, in bits; the
    normalized joint at ``theta``; its entropy in bits; and its marginal residual."""
    logits = support.logits(theta)
    peak = float(logits.max())
    shifted = np.exp(logits - peak)
    total = float(shifted.sum())
    log_z = peak + math.log(total)
    moment, magnitude = support.moments(theta)
    allowance = ROUNDING * (
        1.0 + abs(log_z) + float(np.abs(logits[support.cells]).max()) + magnitude
    )
    joint = shifted / total
    return (
        (log_z - moment + allowance) / LN2,
        joint,
        entropy(joint),
        _largest(support.gradient(joint)),
    )


def _converged(support: _Support, theta: Theta, tol_bits: float) -> bool:
    upper_bits, _, entropy_bits, residual = _evaluate(support, theta)
    return upper_bits - entropy_bits <= tol_bits and residual <= MARGINAL_TOLERANCE


def _ipf(
    support: _Support,
    theta: Theta,
    sweeps: int,
    tol_bits: float,
) -> tuple[Theta, int]:
    """Iterative proportional fitting: each of ``a``, ``b``, ``c`` in turn is shifted by
    ``log(target / current marginal)``, which meets that marginal exactly."""
    params = tuple(t.copy() for t in theta)
    updates = [
        (param, _safe_log(target), free, axis)
        for param, target, free, axis in zip(
            params,
            support.targets,
            (support.free1, support.free2, support.free12),
            (1, 0, 2),  # the axis each marginal sums out
            strict=True,
        )
    ]
    for sweep in range(1, sweeps + 1):
        for param, log_target, free, axis in updates:
            current = support.weights(params).sum(axis=axis)
            param += np.where(free, log_target - _safe_log(current), 0.0)
        if _converged(support, params, tol_bits):
            return params, sweep
    return params, sweeps


def _newton(
    support: _Support,
    theta: Theta,
    tol_bits: float,
    max_steps: int,
) -> tuple[Theta, int]:
    """Damped Newton steps on ``G`` until converged, out of steps, or stuck at rounding.

    Each step is Newton's direction (:meth:`_Layout.newton_direction`) with Armijo
    backtracking. Near the optimum the decrease of ``G`` falls below the rounding of its value
    while the gradient is still resolved; a step that leaves ``G`` within rounding of where it
    was is then accepted if it halves the slope along the direction (from the marginals).

    On sparse inputs the optimum puts zero mass on some support cells, whose weights each
    Newton step shrinks only by a constant factor (``e``: Newton's step on ``exp(x)`` is -1);
    where the full step is accepted, it is doubled (up to :data:`EXPANSIONS` times) while
    ``G`` and the largest marginal residual keep falling; near a regular optimum that stops at
    the first doubling.
    """
    if _converged(support, theta, tol_bits):
        return theta, 0
    with np.errstate(over="ignore", invalid="ignore"):  # trial steps may overflow: rejected
        return _newton_steps(support, theta, tol_bits, max_steps)


def _newton_steps(
    support: _Support, theta: Theta, tol_bits: float, max_steps: int
) -> tuple[Theta, int]:
    layout, ridge = _Layout(support), 0.0
    weights = support.weights(theta)
    value = support.dual(theta, weights)
    for step in range(1, max_steps + 1):
        grad = support.gradient(weights)
        direction, ridge = layout.newton_direction(weights, grad, ridge / RIDGE_EASE)
        slope = _slope(grad, direction)
        if not slope < 0:
            return theta, step - 1
        t = 1.0
        for _ in range(HALVINGS):
            trial = tuple(x + t * d for x, d in zip(theta, direction, strict=True))
            trial_weights = support.weights(trial)
            trial_value = support.dual(trial, trial_weights)
            if trial_value <= value + ARMIJO * t * slope:
                break
            level = ROUNDING * (1.0 + abs(value) + support.moments(trial)[1])
            flatter = abs(_slope(support.gradient(trial_weights), direction)) <= 0.5 * -slope
            if trial_value <= value + level and flatter:
                break
            t *= 0.5
        else:
            return theta, step - 1  # no decrease left that double precision can see
        for _ in range(EXPANSIONS if t == 1.0 else 0):
            t *= 2.0
            longer = tuple(x + t * d for x, d in zip(theta, direction, strict=True))
            longer_weights = support.weights(longer)
            longer_value = support.dual(longer, longer_weights)
            if not (
                longer_value < trial_value
                and _largest(support.gradient(longer_weights))
                <= _largest(support.gradient(trial_weights))
            ):
                break
            trial, trial_weights, trial_value = longer, longer_weights, longer_value
        theta, weights, value = trial, trial_weights, trial_value
        if _converged(support, theta, tol_bits):
            return theta, step
    return theta, max_steps


def _slope(grad: tuple[np.ndarray, ...], direction: tuple[np.ndarray, ...]) -> float:
    """``grad . direction``; with ``grad`` of ``G`` at a point, the slope of ``G`` there."""
    return sum(float((g * d).sum()) for g, d in zip(grad, direction, strict=True))


class _Layout:
    """Positions of the free ``(a, b)`` variables in the Schur complement, and of its entries.

    With ``w`` the weights of the cells of a pair ``(x1, x2)``, ``s = sum_y w`` and
    ``o = w w^T / s``, eliminating ``c(x1, x2)`` leaves the complement
    ``S = [[A, B], [B^T, D]]`` with ``A[x1] = diag(sum_x2 w) - sum_x2 o`` (one ``ny x ny``
    block per ``x1``), ``D[x2]`` likewise over ``x1``, and ``B[(x1, y), (x2, z)] = [y = z]
    w_y - o_yz``.
    """

    def __init__(self, support: _Support) -> None:
        self.support = support
        ny = support.p1.shape[1]
        n_a = int(support.free1.sum())
        self.size = support.n_ab
        position_a = np.full(support.p1.shape, -1)
        position_a[support.free1] = np.arange(n_a)
        position_b = np.full(support.p2.shape, -1)
        position_b[support.free2] = n_a + np.arange(self.size - n_a)
        self.pair_x1, self.pair_x2 = np.nonzero(support.free12)  # sorted by x1
        self.order_x2 = np.argsort(self.pair_x2, kind="stable")
        self.starts_x1 = np.flatnonzero(np.diff(self.pair_x1, prepend=-1))
        self.starts_x2 = np.flatnonzero(np.diff(self.pair_x2[self.order_x2], prepend=-1))
        # Within-block entries: free (x, y), (x, z) of one row block x of A (or D).
        self.blocks = [
            _block_entries(position, np.unique(pairs))
            for position, pairs in ((position_a, self.pair_x1), (position_b, self.pair_x2))
        ]
        # Coupling entries: (pair, y, z) with both cells on the support.
        on = support.cells[self.pair_x1, self.pair_x2]
        pair, y, z = np.nonzero(on[:, :, None] & on[:, None, :])
        self.coupling = (pair, y, z)
        self.coupling_rows = position_a[self.pair_x1[pair], y]
        self.coupling_cols = position_b[self.pair_x2[pair], z]
        self.n_a = n_a  # the a variables come first, in the order of their free cells
        # Gauge directions of the complement: each row block's indicator, and per label y,
        # +1 on the a(., y) and -1 on the b(., y) (see :meth:`_lift_gauges`).
        (rows_a, labels_a), (rows_b, labels_b) = (
            np.nonzero(support.free1),
            np.nonzero(support.free2),
        )
        self.group = np.concatenate([rows_a, support.p1.shape[0] + rows_b])
        self.sign = np.concatenate([np.ones(rows_a.size), -np.ones(rows_b.size)])
        labels = np.concatenate([labels_a, labels_b])
        self.label_members = [np.flatnonzero(labels == y) for y in range(ny)]
        self.block_rows = np.concatenate([self.blocks[0][0], self.blocks[1][0]])
        self.block_cols = np.concatenate([self.blocks[0][1], self.blocks[1][1]])

    def newton_direction(
        self, weights: np.ndarray, grad: Theta, ridge: float
    ) -> tuple[Theta, float]:
        """``-Hess^{-1} grad`` of ``G``: ``c`` eliminated, the ``(a, b)`` complement by Cholesky
        with a ridge from ``ridge`` up (:func:`_solve_psd`); returns the step and that ridge."""
        support = self.support
        ga, gb, gc = (
            np.where(m, g, 0.0)
            for g, m in zip(grad, (support.free1, support.free2, support.free12), strict=True)
        )
        pair_sum = weights.sum(axis=2)
        inverse = np.where(
            support.free12 & (pair_sum > 0), 1.0 / np.where(pair_sum > 0, pair_sum, 1.0), 0.0
        )
        cell_w = weights[self.pair_x1, self.pair_x2]  # (pairs, ny)
        outer = (cell_w * inverse[self.pair_x1, self.pair_x2][:, None])[:, :, None] * cell_w[
            :, None, :
        ]
        matrix = np.zeros((self.size, self.size))
        for (rows, cols, block, y, z), stacked in zip(
            self.blocks,
            (
                np.add.reduceat(outer, self.starts_x1, axis=0),
                np.add.reduceat(outer[self.order_x2], self.starts_x2, axis=0),
            ),
            strict=True,
        ):
            matrix[rows, cols] = -stacked[block, y, z]
        raw_diagonal = np.concatenate(
            [weights.sum(axis=1)[support.free1], weights.sum(axis=0)[support.free2]]
        )
        matrix[np.diag_indices(self.size)] += raw_diagonal
        pair, y, z = self.coupling
        values = np.where(y == z, cell_w[pair, y], 0.0) - outer[pair, y, z]
        matrix[self.coupling_rows, self.coupling_cols] = values
        matrix[self.coupling_cols, self.coupling_rows] = values
        # Right-hand side of the complement: -(g_ab - B_c D_c^{-1} g_c).
        scaled = weights * (gc * inverse)[:, :, None]
        rhs = -np.concatenate(
            [(ga - scaled.sum(axis=1))[support.free1], (gb - scaled.sum(axis=0))[support.free2]]
        )
        diagonal = np.maximum(np.diag(matrix), 0.0)
        live = diagonal > ABSORBED * raw_diagonal
        self._lift_gauges(matrix, np.where(live, diagonal, 0.0))
        step, ridge = _solve_psd(matrix, rhs, live, ridge)
        da, db = np.zeros_like(ga), np.zeros_like(gb)
        da[support.free1] = step[: self.n_a]
        db[support.free2] = step[self.n_a :]
        coupled = (weights * (da[:, None, :] + db[None, :, :])).sum(axis=2)
        dc = -(gc + coupled) * inverse
        return (da, db, dc), ridge

    def _lift_gauges(self, matrix: np.ndarray, diagonal: np.ndarray) -> None:
        """Add ``(D v)(D v)^T / (v^T D v)`` for each known null vector ``v`` of the complement.

        ``D`` is the complement's diagonal, so that after Jacobi scaling each gauge direction
        gets unit curvature: a row block's indicator (``a(x1, .) + f`` is absorbed by
        ``c(x1, .) - f``, likewise for ``b``), and per label ``y`` the vector ``+1`` on the
        ``a(., y)``, ``-1`` on the ``b(., y)``. Without this the directions are singular, and a
        ridge alone lets rounding along them (scaled up by the small curvatures of rare
        cells) dominate the step. The right-hand side is orthogonal to them, so the step's
        other components are unchanged. Sparse supports can have further null directions; the
        ridge of :func:`_solve_psd` handles those.
        """
        totals = np.bincount(self.group, diagonal, minlength=int(self.group.max(initial=0)) + 1)
        norm = totals[self.group[self.block_rows]]
        matrix[self.block_rows, self.block_cols] += np.divide(
            diagonal[self.block_rows] * diagonal[self.block_cols],
            norm,
            out=np.zeros_like(norm),
            where=norm > 0,
        )
        for members in self.label_members:
            total = diagonal[members].sum()
            if total > 0:
                vector = diagonal[members] * self.sign[members]
                matrix[np.ix_(members, members)] += np.outer(vector, vector) / total


def _block_entries(position: np.ndarray, rows_with_pairs: np.ndarray) -> tuple[np.ndarray, ...]:
    """Entries ``(x, y), (x, z)`` of the free variables of each row block ``x`` of the complement,
    as matrix positions and as indices into the blocks summed pair by pair."""
    x, y = np.nonzero(position >= 0)
    same = x[:, None] == x[None, :]
    u, v = np.nonzero(same)
    block = np.searchsorted(rows_with_pairs, x[u])
    return position[x[u], y[u]], position[x[v], y[v]], block, y[u], y[v]


def _solve_psd(
    matrix: np.ndarray, rhs: np.ndarray, live: np.ndarray, ridge: float
) -> tuple[np.ndarray, float]:
    """Solve the positive semi-definite complement on its ``live`` variables, scaled and ridged.

    The system is scaled to a unit diagonal (the multipliers' curvatures span many orders of
    magnitude on sparse inputs) and solved by Cholesky with ``ridge`` added, raised by
    :data:`RIDGE_GROWTH`, as in Levenberg-Marquardt, while the factorization fails or the
    step changes some parameter by more than :data:`STEP_CAP` nats. Variables that are not
    ``live`` keep their values. Returns the step and the ridge used.
    """
    xp = namespace()
    scale = 1.0 / np.sqrt(np.diag(matrix)[live])
    scaled = matrix[np.ix_(live, live)] * scale[:, None] * scale[None, :]
    target = rhs[live] * scale
    step = np.zeros_like(rhs)
    ridge = max(ridge, RIDGE)
    for _ in range(RIDGE_ATTEMPTS):
        scaled[np.diag_indices_from(scaled)] = 1.0 + ridge
        try:
            step[live] = scale * xp.cho_solve(xp.cholesky(scaled), target)
        except xp.LinAlgError:
            step[live] = np.inf
        if np.all(np.isfinite(step)) and np.abs(step).max(initial=0.0) <= STEP_CAP:
            return step, ridge
        ridge *= RIDGE_GROWTH
    step[live] = target * scale / (1.0 + ridge)  # a scaled gradient step, still descending
    return step, ridge


def _largest(arrays: tuple[np.ndarray, ...]) -> float:
    return max(float(np.abs(x).max(initial=0.0)) for x in arrays)


def _safe_log(x: np.ndarray) -> np.ndarray:
    return np.log(np.where(x > 0, x, 1.0))
