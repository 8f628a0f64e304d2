"""What can be known of two modalities never observed together, each observed with the label.

Labeled samples of each modality alone give ``p(x1, y)`` and ``p(x2, y)``, nothing of how
``x1`` and ``x2`` occur together: every joint of the set

    Delta_p = {q(x1, x2, y) : q(x1, y) = p(x1, y), q(x2, y) = p(x2, y)}

is consistent with them, one per coupling of ``p(x1 | y)`` and ``p(x2 | y)`` for each label.
Bertschinger et al.'s ``R``, ``U1`` and ``U2`` depend on the two marginals only, so they are
known exactly (CVX on the conditional product, :meth:`PairwiseMarginals.unimodal_distribution
<pid.bounds.PairwiseMarginals.unimodal_distribution>`). Synergy ``S = I_q(X1,X2;Y) - R - U1
- U2`` ranges over Delta_p:

- its least value is 0, attained by the minimizer of ``I_q(X1,X2;Y)`` over Delta_p, whose
  value is ``R + U1 + U2`` by definition of the decomposition (thesis Eqs. 3.1 to 3.3);
- its largest value is at most

      S_upper = min(H(Y), H(X1) + H(X2) - sum_y p(y) Hmin(p(x1|y), p(x2|y))) - R - U1 - U2,  (1)

  since ``I_q(X1,X2;Y) <= H(Y)``, and ``I_q(X1,X2;Y) = H_q(X1,X2) - H_q(X1,X2|Y)`` with
  ``H_q(X1,X2) <= H(X1) + H(X2)`` and, for each label, ``H_q(X1,X2|y)`` at least the least
  entropy of a coupling of ``p(x1|y)`` and ``p(x2|y)``, bounded from below as in
  :func:`pid.bounds.coupling.coupling_entropy` (the majorization meet, and the greedy
  coupling less its proven 1-bit gap).

So every joint consistent with the two labeled marginals has ``S`` in ``[0, S_upper]``, and
the lower end is attained; the upper end is attained where the per-label couplings of least
entropy fit together (an XOR of two uniform halves reaches it).

From samples (:func:`unpaired_bounds_from_samples`) the marginals are estimates, and the
figures computed from them are biased (a sparse table looks more informative than its
population, which lowers ``S_upper``); each sample set is resampled on its own, and every
figure bias-corrected with an interval as in :mod:`pid.bounds.resampling` (Eqs. 1 and 2
there). ``docs/many_modalities.md`` discusses what this can and cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.bounds.coupling import coupling_entropy
from pid.bounds.marginals import CONSISTENCY_TOLERANCE, PairwiseMarginals, _probability_table
from pid.bounds.resampling import BoundsResampling, bootstrap_corrected
from pid.distribution import Distribution
from pid.estimators import cvx_batch, estimate
from pid.information import conditional_distribution, entropy
from pid.result import PIDResult
from pid.validation import check_codes

#: The figures of :class:`UnpairedBounds`, in the order they are resampled.
FIGURES = ("R", "U1", "U2", "S_upper")


@dataclass(frozen=True)
class UnpairedBounds:
    """The PID of two modalities known only through their labeled marginals, in bits.

    ``R``, ``U1`` and ``U2`` are exact for the marginals; ``S`` lies in ``[0, S_upper]`` for
    every joint with them (Eq. 1 of the module docstring), and 0 is attained. From samples
    resampled, the four figures are bias-corrected, and ``sampling`` holds their plug-in
    values and intervals (``"S"``: from 0 to the high end of ``S_upper``'s interval); it is
    empty otherwise.
    """

    R: float
    U1: float
    U2: float
    S_upper: float
    diagnostics: dict[str, Any] = field(default_factory=dict)
    sampling: dict[str, Any] = field(default_factory=dict)

    @property
    def lower(self) -> float:
        """The least synergy of a joint with these marginals: 0."""
        return 0.0

    @property
    def upper(self) -> float:
        """The bound on the largest synergy (never below 0, which rounding could cause)."""
        return max(self.S_upper, 0.0)

    @property
    def synergy_range(self) -> tuple[float, float]:
        """Where synergy lies: ``[0, upper]``, or from 0 to the high end of ``S_upper``'s
        interval where the samples were resampled."""
        intervals = self.sampling.get("intervals")
        return (0.0, intervals["S"][1]) if intervals else (0.0, self.upper)

    @property
    def information_interval(self) -> tuple[float, float]:
        """Bounds on ``I(X1,X2;Y) = R + U1 + U2 + S``."""
        known = self.R + self.U1 + self.U2
        return known, known + self.upper

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the terms, the synergy range, diagnostics and resampling."""
        low, high = self.synergy_range
        return {
            "R": self.R,
            "U1": self.U1,
            "U2": self.U2,
            "S_lower": low,
            "S_upper": self.upper,
            "S_range": [low, high],
            "diagnostics": self.diagnostics,
            "sampling": self.sampling,
        }


def unpaired_bounds(p_x1_y: ArrayLike, p_x2_y: ArrayLike) -> UnpairedBounds:
    """Exact ``R``, ``U1``, ``U2`` and the range ``[0, S_upper]`` of synergy over every joint
    with the labeled marginals ``p(x1, y)`` and ``p(x2, y)`` (Eq. 1 of the module docstring).

    The two tables, of shapes ``(n1, ny)`` and ``(n2, ny)``, must agree on ``p(y)``.
    """
    p1 = _probability_table(p_x1_y, "p_x1_y")
    p2 = _probability_table(p_x2_y, "p_x2_y")
    if p1.shape[1] != p2.shape[1]:
        raise ValueError(
            f"p_x1_y has {p1.shape[1]} labels but p_x2_y has {p2.shape[1]}; encode the labels "
            "of both in one code space."
        )
    p_y = p1.sum(axis=0)
    gap = float(np.max(np.abs(p_y - p2.sum(axis=0))))
    if gap > CONSISTENCY_TOLERANCE:
        raise ValueError(
            f"p_x1_y and p_x2_y imply two different p(y) (they differ by up to {gap:.3g}); "
            "pass p(x | y) p(y) for both with one p(y)."
        )
    return _bounds(p1, p2, estimate(_conditional_product(p1, p2)))


def _conditional_product(p1: np.ndarray, p2: np.ndarray) -> Distribution:
    """``p(x1, y) p(x2, y) / p(y)``, a joint with both labeled marginals
    (:meth:`PairwiseMarginals.unimodal_distribution`, which ignores ``p(x1, x2)``)."""
    independent = np.outer(p1.sum(axis=1), p2.sum(axis=1))
    return PairwiseMarginals(p1, p2, independent).unimodal_distribution()


def _bounds(p1: np.ndarray, p2: np.ndarray, pid: PIDResult) -> UnpairedBounds:
    """Eq. (1) of the module docstring for the labeled marginals ``p1``, ``p2`` and the
    exact decomposition ``pid`` of their conditional product."""
    p_y = p1.sum(axis=0)
    given1, given2 = conditional_distribution(p1.T), conditional_distribution(p2.T)
    least = sum(
        p_y[k] * coupling_entropy(given1[k], given2[k]).lower_bound for k in np.flatnonzero(p_y > 0)
    )
    h1, h2, h_y = entropy(p1.sum(axis=1)), entropy(p2.sum(axis=1)), entropy(p_y)
    ceiling = min(h_y, h1 + h2 - least)
    # R + U1 + U2 is the solver's minimum of I_q(X1,X2;Y), high by at most the certified gap.
    s_upper = ceiling - pid.R - pid.U1 - pid.U2 + pid.diagnostics["gap_bits"]
    return UnpairedBounds(
        R=pid.R,
        U1=pid.U1,
        U2=pid.U2,
        S_upper=s_upper,
        diagnostics={
            "cvx": pid.diagnostics,
            "H(Y)": h_y,
            "H(X1)": h1,
            "H(X2)": h2,
            "least_conditional_coupling_entropy": least,
        },
    )


def unpaired_bounds_from_samples(
    labeled1: tuple[ArrayLike, ArrayLike],
    labeled2: tuple[ArrayLike, ArrayLike],
    labels: ArrayLike | None = None,
    *,
    options: BoundsResampling | None = None,
) -> UnpairedBounds:
    """:func:`unpaired_bounds` of two labeled sample sets, bias-corrected with intervals.

    ``labeled1 = (x1, y)`` and ``labeled2 = (x2, y)`` hold integer codes, the labels in one
    code space; ``labels`` (by default both sets' labels together) gives ``p(y)``, and each
    set ``p(x_i | y)``: ``p(x_i, y) = p(x_i | y) p(y)``, so the two agree on ``p(y)``. Every
    label of ``labels`` must occur in both sets. With ``options.n_bootstrap`` resamples
    (default 100; 0 for the plug-in figures alone), each of the three sets is drawn again on
    its own and the figures are corrected as in :mod:`pid.bounds.resampling` (Eqs. 1 and 2
    there; a label a resample misses takes that resample's ``p(x_i)``).
    """
    options = options or BoundsResampling()
    sets = []
    for name, pair in (("labeled1", labeled1), ("labeled2", labeled2)):
        codes, y = (check_codes(v, f"{name}[{k}]") for k, v in enumerate(pair))
        if len(codes) != len(y):
            raise ValueError(
                f"{name} holds {len(codes)} codes and {len(y)} labels; pass one code and one "
                "label per sample."
            )
        if min(codes.min(), y.min()) < 0:
            raise ValueError(
                f"{name} holds negative codes; pass codes 0..k-1 (np.unique(..., "
                "return_inverse=True) makes them)."
            )
        sets.append((codes, y))
    every = (
        np.concatenate([sets[0][1], sets[1][1]])
        if labels is None
        else check_codes(labels, "labels")
    )
    sizes = (int(sets[0][0].max()) + 1, int(sets[1][0].max()) + 1)
    n_labels = int(max(every.max(), sets[0][1].max(), sets[1][1].max())) + 1
    p_y = np.bincount(every, minlength=n_labels) / len(every)
    for k, (name, (_, y)) in enumerate(zip(("labeled1", "labeled2"), sets, strict=True)):
        unseen = np.flatnonzero((p_y > 0) & (np.bincount(y, minlength=n_labels) == 0))
        if len(unseen):
            raise ValueError(
                f"label {int(unseen[0])} never occurs in {name}, so p(x{k + 1} | y) is unknown "
                "there; collect samples of it, or leave that label out of labels."
            )

    def tables(draw: list[tuple[np.ndarray, np.ndarray]], p: np.ndarray) -> list[np.ndarray]:
        return [
            _labeled_table(codes, y, size, p) for (codes, y), size in zip(draw, sizes, strict=True)
        ]

    bounds = unpaired_bounds(*tables(sets, p_y))
    if options.n_bootstrap == 0:
        return bounds
    rng = np.random.default_rng(options.seed)
    drawn = []
    for _ in range(options.n_bootstrap):
        draw = []
        for codes, y in sets:
            rows = rng.integers(0, len(y), len(y))
            draw.append((codes[rows], y[rows]))
        resampled_y = every[rng.integers(0, len(every), len(every))]
        drawn.append(tables(draw, np.bincount(resampled_y, minlength=n_labels) / len(every)))
    solved = cvx_batch([_conditional_product(*pair) for pair in drawn])
    boot = [
        [getattr(_bounds(*pair, pid), name) for name in FIGURES]
        for pair, pid in zip(drawn, solved, strict=True)
    ]
    plugin = np.array([getattr(bounds, name) for name in FIGURES])
    corrected, intervals = bootstrap_corrected(plugin, np.array(boot), options.confidence)
    ranges = {name: intervals[k].tolist() for k, name in enumerate(FIGURES)}
    ranges["S"] = [0.0, max(float(intervals[-1, 1]), 0.0)]
    return UnpairedBounds(
        **dict(zip(FIGURES, corrected.tolist(), strict=True)),
        diagnostics=bounds.diagnostics,
        sampling={
            "plugin": dict(zip(FIGURES, plugin.tolist(), strict=True)),
            "intervals": ranges,
            "n_resamples": options.n_bootstrap,
            "confidence": options.confidence,
            "method": "bootstrap of each set; bias-corrected, normal intervals",
        },
    )


def _labeled_table(codes: np.ndarray, y: np.ndarray, size: int, p_y: np.ndarray) -> np.ndarray:
    """``p(x | y) p(y)`` with ``p(x | y)`` counted from the samples (a label they lack takes
    their ``p(x)``), shape ``(size, len(p_y))``."""
    counts = np.zeros((size, len(p_y)))
    np.add.at(counts, (codes, y), 1.0)
    seen = counts.sum(axis=0)
    marginal = counts.sum(axis=1) / counts.sum()
    given = np.where(seen > 0, counts / np.where(seen > 0, seen, 1.0), marginal[:, None])
    return given * p_y
