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
from pid.bounds.max_entropy import minimize_conditional_mutual_information
from pid.estimators import estimate
from pid.information import conditional_distribution, entropy, mutual_information


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
      (Eq. 6.4); the minimum is bounded from below through the certified maximum-entropy dual
      of :func:`pid.bounds.max_entropy.minimize_conditional_mutual_information`, since
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
    minimum = minimize_conditional_mutual_information(p1, p2, p12)
    h_y = entropy(marginals.p_y)
    s_r = R - mutual_information(p12) + minimum.lower_bits
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
            "max_entropy_method": minimum.fit.method,
            "max_entropy_steps": minimum.fit.steps,
            "max_entropy_gap_bits": minimum.fit.gap_bits,
            "max_entropy_residual": minimum.fit.residual,
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
    ``I(X2;Y|X1) = U2 + S``::

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
