"""The dedicated solver for ``max_{q in Delta_p} H_q(Y | X1, X2)``: smoothed dual Newton.

The problem's dual has one multiplier per ``(x1, y)`` and per ``(x2, y)`` cell. For
``epsilon > 0`` the entropy-regularized primal

    max_{q in Delta_p} H_q(Y | X1, X2) + epsilon H_q(X2 | X1)

has the smooth, unconstrained convex dual::

    F_eps(lam, mu) = -lam . p(x1, y) - mu . p(x2, y)
                     + sum_x1 p(x1) eps LSE_x2( g(x1, x2) / eps ),
    g(x1, x2) = LSE_y( lam(x1, y) + mu(x2, y) ),

whose minimizer gives ``q(x1, x2, y) = p(x1) w(x2 | x1) c(y | x1, x2)`` with
``w = softmax_x2(g / eps)`` and ``c = softmax_y(lam + mu)``. Its gradient is the marginal
residual ``(q(x1, y) - p(x1, y), q(x2, y) - p(x2, y))``. At ``eps = 1`` the minimizer is the
conditional product ``p(y|x1) p(x2|y)`` in closed form; the solver follows the path
``eps -> 0`` by damped Newton steps (an interior-point-like continuation), and stops when the
certificate of :mod:`pid.estimators.exact.certificate` is within the requested
tolerance. The Newton systems are solved in :mod:`pid.estimators.exact.systems`.

All arrays carry a leading batch axis, so many distributions of one shape are solved at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pid.backend import Array, namespace
from pid.estimators.exact.certificate import NewtonSolution, better, certify
from pid.estimators.exact.options import NEWTON_TOLERANCE_BITS, NewtonOptions
from pid.estimators.exact.problem import Problem, State, evaluate, gradient, largest
from pid.estimators.exact.systems import solve_newton
from pid.validation import check_tolerance


def maximize_conditional_entropy(
    p_x1_y: np.ndarray,
    p_x2_y: np.ndarray,
    *,
    tol_bits: float = NEWTON_TOLERANCE_BITS,
    device: Any = None,
    options: NewtonOptions | None = None,
) -> NewtonSolution:
    """``max_{q in Delta_p} H_q(Y|X1,X2)`` for each distribution of a batch, certified.

    Follows the minimizers of the smoothed dual ``F_eps`` (module docstring) from
    ``eps = 1``, where the conditional product is optimal, towards ``eps = 0``: at each level
    a tangent predictor moves the multipliers along the path (or, where the tangent
    overshoots, they stay; see :func:`_predict`) and damped Newton steps (Armijo
    backtracking) re-centre them; the level shrinks by ``options.shrink`` until every problem's
    certified gap is within ``tol_bits``. A level whose Newton steps do not settle within
    ``options.level_steps`` is retried from the previous one with the square root of the shrink
    factor, a shorter step along the path; once that factor exceeds ``options.last_resort`` the
    level is centred through short steps instead, for up to ``options.last_resort_steps``, and
    accepted as it is if it still does not settle. The factor is squared again (down to
    ``options.shrink``) after a level that settles within ``options.quick_level`` steps. The
    certificate of each level (:func:`certify`) uses the tangent it computes for the next
    prediction; a problem whose certificate tightened its bound row by row and still missed
    ``tol_bits`` tightens again only once its gap has halved.

    Newton systems of more than ``options.small_system`` multipliers eliminate the first
    modality's and factor the second one's (the Schur complement); above
    ``options.matrix_free_size`` of the second one's, they are solved matrix-free by conjugate
    gradients (:func:`pid.estimators.exact.systems.solve_newton`). The problem is symmetric in
    the two modalities, so the larger alphabet is put first.

    Parameters
    ----------
    p_x1_y, p_x2_y : ndarray, shapes (B, n1, ny) and (B, n2, ny)
        The two pairwise marginals of each problem; each problem's total mass is 1.
    tol_bits : float
        Certified gap at which to stop.
    device : str or torch.device, optional
        ``None`` (the default) solves with numpy; otherwise the same steps run in double
        precision torch on that device (``"cuda"``, ``"cpu"``, ``"auto"``; see
        :func:`pid.backend.resolve_device`). The answer is returned as numpy arrays either way.
    options : NewtonOptions, optional
        The solver's tunables; ``options.max_steps`` Newton steps at most, after which the
        current answer is returned, certified but possibly with a larger gap.
    """
    if not (np.isfinite(p_x1_y).all() and np.isfinite(p_x2_y).all()):
        raise ValueError("p_x1_y and p_x2_y must be finite; remove NaN or infinite entries.")
    tol_bits = check_tolerance(tol_bits)
    options = options or NewtonOptions()
    xp = namespace(device)
    swap = p_x2_y.shape[1] > p_x1_y.shape[1]
    first, second = (p_x2_y, p_x1_y) if swap else (p_x1_y, p_x2_y)
    prob = Problem(xp.asarray(first), xp.asarray(second), xp, options)
    solution = _follow_path(prob, tol_bits, options.max_steps)
    q = xp.to_numpy(solution.q)
    return NewtonSolution(
        q=q.transpose(0, 2, 1, 3) if swap else q,
        lower_bits=xp.to_numpy(solution.lower_bits),
        upper_bits=xp.to_numpy(solution.upper_bits),
        newton_steps=solution.newton_steps,
        epsilon=xp.to_numpy(solution.epsilon),
    )


def _follow_path(prob: Problem, tol_bits: float, max_steps: int) -> NewtonSolution:
    lam, mu = prob.start()
    options = prob.options
    eps, steps, shrink = 1.0, 0, options.shrink
    state = evaluate(prob, lam, mu, eps)  # exactly centred at eps = 1
    tangent = path_tangent(prob, state, eps)
    best = certify(prob, lam, mu, state, eps, tangent, tol_bits)
    rounded = True  # whether the latest certificate rounded the primal points
    hopeless_above = max(options.promising * tol_bits, options.rounded_below)
    tighten_below = _tightening_fell_short(
        prob, best, tol_bits, prob.xp.full(prob.shape[0], math.inf)
    )
    while True:
        best.newton_steps = steps
        done = best.gap_bits <= tol_bits
        if done.all() or steps >= max_steps or eps * shrink < options.smallest_epsilon:
            if not rounded and not done.all():  # the latest point may be the best
                latest = certify(prob, lam, mu, state, eps, tangent, tol_bits)
                best = better(prob.xp, best, latest)
            return best
        while True:
            new_eps = eps * shrink
            new_lam, new_mu, trial = _predict(prob, lam, mu, tangent, eps, new_eps, done)
            last = shrink > options.last_resort  # no shorter step left: centre as long as it takes
            steps_allowed = options.last_resort_steps if last else options.level_steps
            budget = min(steps_allowed, max_steps - steps)
            new_lam, new_mu, trial, taken, settled = centre_level(
                prob, new_lam, new_mu, trial, new_eps, budget, done, 0.0 if last else options.crawl
            )
            steps += taken
            if settled or last or steps >= max_steps:
                break
            shrink = math.sqrt(shrink)  # too far along the path: back off to a shorter step
        lam, mu, state, eps = new_lam, new_mu, trial, new_eps
        if settled and taken <= options.quick_level:
            shrink = max(shrink**2, options.shrink)  # an easy level: take longer steps again
        tangent = path_tangent(prob, state, eps)
        latest = certify(
            prob, lam, mu, state, eps, tangent, tol_bits, hopeless_above, tighten_below
        )
        rounded = latest is not None
        if rounded:
            tighten_below = _tightening_fell_short(prob, latest, tol_bits, tighten_below)
            best = better(prob.xp, best, latest)


def _tightening_fell_short(
    prob: Problem, latest: NewtonSolution, tol_bits: float, tighten_below: Array
) -> Array:
    """Each problem's gap below which its next certificate may tighten its bound: half the
    latest gap where that certificate could tighten (its gap within
    ``options.tightening_reach`` of ``tol_bits``) and still missed the tolerance. Where the
    path's primal point, not the dual bound's rows, holds the gap, the row problems (as large
    as the table where every pair is near its row's maximum) would be solved at every level
    in vain."""
    gap = latest.gap_bits
    fell_short = (gap > tol_bits) & (gap <= prob.options.tightening_reach * tol_bits)
    return prob.xp.where(fell_short, 0.5 * gap, tighten_below)


def _predict(
    prob: Problem,
    lam: Array,
    mu: Array,
    tangent: tuple[Array, Array],
    eps: float,
    new_eps: float,
    done: Array,
) -> tuple[Array, Array, State]:
    """The start of the next level: per problem, the tangent prediction or the current
    multipliers, whichever has the smaller marginal residual at ``new_eps``.

    Where the set of active pairs changes the path bends, and the tangent can overshoot into
    a region where Newton's method crawls; staying put is then the better start.
    """
    move = (prob.xp.as_float(~done) * (new_eps - eps))[:, None, None]
    moved_lam, moved_mu = lam + move * tangent[0], mu + move * tangent[1]
    moved = evaluate(prob, moved_lam, moved_mu, new_eps)
    moved_residual = _path_residual(prob, moved)
    if (moved_residual <= _centred_below(prob.options, new_eps)).all():
        return moved_lam, moved_mu, moved  # already centred: nothing to compare
    still = evaluate(prob, lam, mu, new_eps)
    # A tangent that is not finite does not move the multipliers (unless the unmoved point is
    # off the path too: the line search keeps the path's points on it).
    stay = ~(moved_residual <= _path_residual(prob, still))
    if not stay.any():
        return moved_lam, moved_mu, moved
    pick = stay[:, None, None]
    chosen_lam = prob.xp.where(pick, lam, moved_lam)
    chosen_mu = prob.xp.where(pick, mu, moved_mu)
    return chosen_lam, chosen_mu, evaluate(prob, chosen_lam, chosen_mu, new_eps)


def _path_residual(prob: Problem, state: State) -> Array:
    """The largest marginal residual of each problem, ``+inf`` where its point is off the path
    (``F_eps = +inf``)."""
    residual = largest(prob, gradient(prob, state))
    return prob.xp.where(prob.xp.isfinite(state.value), residual, math.inf)


def _centred_below(options: NewtonOptions, eps: float) -> float:
    """The marginal residual below which a point counts as centred at level ``eps``."""
    return max(options.centering * eps, options.residual_floor)


def centre_level(
    prob: Problem,
    lam: Array,
    mu: Array,
    state: State,
    eps: float,
    budget: int,
    frozen: Array,
    crawl: float,
) -> tuple[Array, Array, State, int, bool]:
    """Damped Newton steps on ``F_eps`` until each marginal residual is below
    ``options.centering * eps``.

    The level is abandoned, unsettled, as soon as a step's line search cuts it to ``crawl`` or
    less (the start lies outside the region where Newton's method converges fast).

    Near the threshold the Newton systems are solved loosely (``options.forcing``).

    A problem is left where it is for the rest of the level once its line search fails, or
    once its residual is within the reach of rounding and has not halved in
    ``options.patience`` steps: at small ``eps`` rounding in ``g / eps`` puts a floor of about
    ``1e-16 / eps`` under the residual.
    """
    xp, options = prob.xp, prob.options
    threshold = _centred_below(options, eps)
    stalled = xp.copy(frozen)
    best_residual = xp.full(prob.shape[0], math.inf)
    idle = xp.zeros(prob.shape[0])
    damping = xp.zeros(prob.shape[0])
    for taken in range(budget):
        grad = gradient(prob, state)
        residual = largest(prob, grad)
        improved = residual <= 0.5 * best_residual
        idle = xp.where(improved, 0, idle + 1)
        best_residual = xp.where(improved, residual, best_residual)
        stalled |= (idle >= options.patience) & (residual <= options.rounding_residual / eps)
        moving = (residual > threshold) & ~stalled
        if not moving.any():
            return lam, mu, state, taken, True
        # Close to the threshold a looser system suffices (the furthest problem decides).
        furthest = float(xp.amax(xp.where(moving, residual, 0.0), 0))
        tolerance = max(options.cg_tolerance, options.forcing * threshold / furthest)
        # A level that can be retried gives up on a Newton system its conjugate gradients
        # cannot solve: it lies too far along the path.
        d_lam, d_mu, decrement, damping, missed = solve_newton(
            prob,
            state,
            eps,
            grad,
            cap=options.step_cap,
            tolerance=tolerance,
            damping=damping,
            give_up=crawl > 0,
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
            accepted = ~moving | acceptable_step(prob, state, trial, t, d_lam, d_mu, decrement)
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


def acceptable_step(
    prob: Problem,
    state: State,
    trial: State,
    t: Array,
    d_lam: Array,
    d_mu: Array,
    decrement: Array,
) -> Array:
    """Armijo's sufficient decrease, or a slope along the step at most half the initial one.

    Near the optimum at small ``eps`` the decrease of ``F_eps`` falls below the rounding of
    its value while the marginal residual is still well resolved; the slope
    ``grad F(z + t d) . d`` (from the marginals) decides there. A trial off the path
    (``F_eps = +inf``, see :func:`evaluate`) is never accepted.
    """
    armijo = trial.value <= state.value - 0.25 * t * decrement
    g1, g2 = gradient(prob, trial)
    slope = (g1 * d_lam).sum(axis=(1, 2)) + (g2 * d_mu).sum(axis=(1, 2))
    xp = prob.xp
    return xp.isfinite(trial.value) & (armijo | (xp.abs(slope) <= 0.5 * decrement))


def _step(
    prob: Problem,
    lam: Array,
    mu: Array,
    t: Array,
    d_lam: Array,
    d_mu: Array,
    eps: float,
) -> State:
    return evaluate(prob, lam + t[:, None, None] * d_lam, mu + t[:, None, None] * d_mu, eps)


def path_tangent(prob: Problem, state: State, eps: float) -> tuple[Array, Array]:
    """``d(lam, mu) / d eps`` along the path of minimizers, by the implicit function theorem."""
    xp, finite = prob.xp, state.w > 0
    g = xp.where(finite, state.g, 0.0)
    mean = (state.w * g).sum(axis=2, keepdims=True)
    dw = xp.where(finite, -state.w * (g - mean) / eps**2, 0.0)
    rhs = state.table.marginals(prob.p_x1[:, :, None] * dw)
    tolerance = prob.options.tangent_tolerance
    return solve_newton(prob, state, eps, rhs, cap=None, tolerance=tolerance)[:2]
