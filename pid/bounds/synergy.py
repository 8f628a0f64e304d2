"""Lower and upper bounds on synergy from pairwise marginals (thesis Section 6.3.2).

Every bound here holds for *every* joint distribution with the given pairwise marginals, not
on average: each step that is solved only approximately is rounded in the safe direction.
See ``docs/bounds.md`` for the derivations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from pid.bounds.coupling import coupling_entropy
from pid.bounds.marginals import PairwiseMarginals
from pid.estimators import estimate
from pid.information import conditional_distribution, entropy, mutual_information

LN2 = np.log(2.0)


@dataclass(frozen=True)
class MaxEntropyFit:
    """Maximum entropy over joints with three given pairwise marginals.

    Attributes
    ----------
    entropy_upper_bits : float
        A certified upper bound on ``max_r H_r(X1, X2, Y)`` (the dual value at the final
        iterate), in bits.
    joint : ndarray
        The final iterate ``r``, a log-linear joint; it meets ``p(x1, x2)`` exactly and the
        other two marginals up to ``max_marginal_residual``.
    max_marginal_residual : float
    iterations : int
    """

    entropy_upper_bits: float
    joint: np.ndarray
    max_marginal_residual: float
    iterations: int


def max_entropy_with_pairwise_marginals(
    marginals: PairwiseMarginals, *, tol: float = 1e-10, max_iter: int = 5_000
) -> MaxEntropyFit:
    """Iterative proportional fitting of ``r = exp(a(x1,y) + b(x2,y) + c(x1,x2))``.

    The maximum-entropy joint with marginals ``p(x1, y)``, ``p(x2, y)``, ``p(x1, x2)`` is the
    log-linear model above that meets them; IPF rescales each marginal in turn. For *any*
    parameters ``theta = (a, b, c)`` the dual value
    ``log sum_cells exp(theta . phi) - theta . mu`` bounds the maximum entropy from above
    (Gibbs' inequality), so the bound returned is valid whether or not IPF has converged.
    Only cells where all three marginals are positive can carry mass.
    """
    p1, p2, p12 = marginals.p_x1_y, marginals.p_x2_y, marginals.p_x1_x2
    support = (p1[:, None, :] > 0) & (p2[None, :, :] > 0) & (p12[:, :, None] > 0)
    log_p1, log_p2, log_p12 = (_safe_log(t) for t in (p1, p2, p12))
    a, b = np.zeros(p1.shape), np.zeros(p2.shape)
    c = np.full(p12.shape, -np.log(max(int(support.sum()), 1)))
    residual, iterations = np.inf, 0
    while iterations < max_iter and residual > tol:
        iterations += 1
        joint = _log_linear(a, b, c, support)
        a += np.where(p1 > 0, log_p1 - _safe_log(joint.sum(axis=1)), 0.0)
        joint = _log_linear(a, b, c, support)
        b += np.where(p2 > 0, log_p2 - _safe_log(joint.sum(axis=0)), 0.0)
        joint = _log_linear(a, b, c, support)
        c += np.where(p12 > 0, log_p12 - _safe_log(joint.sum(axis=2)), 0.0)
        joint = _log_linear(a, b, c, support)
        residual = max(
            float(np.max(np.abs(joint.sum(axis=1) - p1))),
            float(np.max(np.abs(joint.sum(axis=0) - p2))),
        )
    # Dual value: log Z - theta . mu, with Z the total mass of the unnormalized model.
    log_z = np.log(joint.sum())
    moments = np.sum(a * p1) + np.sum(b * p2) + np.sum(c * p12)
    return MaxEntropyFit(
        entropy_upper_bits=float((log_z - moments) / LN2),
        joint=joint / joint.sum(),
        max_marginal_residual=residual,
        iterations=iterations,
    )


@dataclass(frozen=True)
class SynergyBounds:
    """Synergy bracketed from labeled unimodal data and unlabeled pairs, in bits.

    ``R``, ``U1`` and ``U2`` are exact (they depend on ``p(x1, y)`` and ``p(x2, y)`` only);
    ``S`` lies in ``[max(S_R, S_U, 0), S_upper]`` for every joint with these marginals, so
    ``I(X1,X2;Y)`` lies in ``[R + U1 + U2 + lower, R + U1 + U2 + upper]``.
    """

    R: float
    U1: float
    U2: float
    S_R: float
    S_U: float
    S_upper: float
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def lower(self) -> float:
        """The best lower bound on synergy: ``max(S_R, S_U, 0)``."""
        return max(self.S_R, self.S_U, 0.0)

    @property
    def upper(self) -> float:
        """The upper bound on synergy (never below :attr:`lower`, which rounding could cause)."""
        return max(self.S_upper, self.lower)

    @property
    def information_interval(self) -> tuple[float, float]:
        """Bounds on ``I(X1,X2;Y) = R + U1 + U2 + S``."""
        known = self.R + self.U1 + self.U2
        return known + self.lower, known + self.upper


def synergy_bounds(marginals: PairwiseMarginals) -> SynergyBounds:
    """``S_R`` (Theorem 4), ``S_U`` (Theorem 5, with a proven constant) and ``S_upper`` (Theorem 7).

    - ``S_R = R - I(X1;X2) + min_r I_r(X1;X2|Y)`` over ``r`` matching all three marginals
      (Eq. 6.4); the minimum is bounded from below through the maximum-entropy dual, since
      ``I_r(X1;X2|Y) = H(X1,Y) + H(X2,Y) - H(Y) - H_r(X1,X2,Y)``.
    - ``S_U = max_l E_{p(x1,x2)}[C_l(p(y|x1), p(y|x2))] - l U1 - (1 - l) U2`` with the Chernoff
      disagreement ``C_l(a, b) = -log2 sum_y b_y^l a_y^(1-l)`` (see :func:`disagreement_bound`).
    - ``S_upper = H(X1,X2) + H(Y) - Hmin - R - U1 - U2`` (Eq. 6.8), with ``Hmin`` a proven lower
      bound on the minimum-entropy coupling of ``p(x1, x2)`` and ``p(y)``.
    """
    marginals.check_joint_exists()
    pid = estimate(marginals.unimodal_distribution())
    R, U1, U2 = pid.R, pid.U1, pid.U2
    p1, p2, p12 = marginals.p_x1_y, marginals.p_x2_y, marginals.p_x1_x2
    fit = max_entropy_with_pairwise_marginals(marginals)
    h_y = entropy(marginals.p_y)
    min_conditional_mi = entropy(p1) + entropy(p2) - h_y - fit.entropy_upper_bits
    s_r = R - mutual_information(p12) + min_conditional_mi
    s_u, weight, disagreement = disagreement_bound(marginals, U1, U2)
    coupling = coupling_entropy(p12, marginals.p_y)
    # R + U1 + U2 is the solver's minimum of I_q(X1,X2;Y), high by at most the certified gap.
    s_upper = entropy(p12) + h_y - coupling.lower_bound - R - U1 - U2 + pid.diagnostics["gap_bits"]
    return SynergyBounds(
        R=R,
        U1=U1,
        U2=U2,
        S_R=s_r,
        S_U=s_u,
        S_upper=s_upper,
        diagnostics={
            "cvx": pid.diagnostics,
            "max_entropy_iterations": fit.iterations,
            "max_entropy_residual": fit.max_marginal_residual,
            "disagreement_weight": weight,
            "disagreement_bits": disagreement,
            "greedy_coupling_entropy": coupling.greedy,
            "meet_entropy": coupling.meet,
            "coupling_entropy_lower_bound": coupling.lower_bound,
        },
    )


def disagreement_bound(
    marginals: PairwiseMarginals, U1: float, U2: float
) -> tuple[float, float, float]:
    """The uniqueness-based lower bound ``S_U``, its weight ``l`` and the disagreement.

    For every joint ``p`` and every ``l`` in [0, 1], since ``I(X1;Y|X2) = U1 + S`` and
    ``I(X2;Y|X1) = U2 + S``,

        S = l (I(X1;Y|X2) - U1) + (1 - l)(I(X2;Y|X1) - U2)
          = E_{p(x1,x2)}[l KL(m || p(y|x2)) + (1 - l) KL(m || p(y|x1))] - l U1 - (1 - l) U2
         >= E_{p(x1,x2)}[C_l(p(y|x1), p(y|x2))] - l U1 - (1 - l) U2,

    with ``m = p(y|x1,x2)`` and ``C_l(a, b) = min_m [l KL(m||b) + (1 - l) KL(m||a)]
    = -log2 sum_y b^l a^(1-l)``. The right side is concave in ``l`` and is maximized over
    [0, 1]. At ``l = 1/2``, ``C`` is the Bhattacharyya distance between the unimodal posteriors
    and the penalty ``(U1 + U2) / 2 <= max(U1, U2)``: the thesis's Eq. 6.5 holds with ``c = 1``
    for that distance, in bits, for any number of labels.

    Returns ``(S_U, l, E[C_l])``.
    """
    p1, p2, p12 = marginals.p_x1_y, marginals.p_x2_y, marginals.p_x1_x2
    post1 = conditional_distribution(p1)  # p(y | x1), rows of zeros for unseen x1
    post2 = conditional_distribution(p2)
    rows, cols = np.nonzero(p12)
    weights = p12[rows, cols]
    a, b = post1[rows], post2[cols]

    def expected_divergence(weight: float) -> float:
        with np.errstate(divide="ignore"):
            overlap = np.sum(b**weight * a ** (1 - weight), axis=1)
            return float(np.sum(weights * -np.log2(np.clip(overlap, 1e-300, None))))

    def bound(weight: float) -> float:
        return expected_divergence(weight) - weight * U1 - (1 - weight) * U2

    inner = minimize_scalar(
        lambda w: -bound(w), bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-6}
    )
    candidates = [0.0, 1.0, 0.5, float(inner.x)]
    best = max(candidates, key=bound)
    return bound(best), best, expected_divergence(best)


def _log_linear(a: np.ndarray, b: np.ndarray, c: np.ndarray, support: np.ndarray) -> np.ndarray:
    logits = a[:, None, :] + b[None, :, :] + c[:, :, None]
    return np.where(support, np.exp(np.where(support, logits, 0.0)), 0.0)


def _safe_log(x: np.ndarray) -> np.ndarray:
    return np.log(np.where(x > 0, x, 1.0))
