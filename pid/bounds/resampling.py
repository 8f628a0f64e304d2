"""The sampling uncertainty of synergy bounds computed from three finite sample sets.

:func:`pid.bounds.synergy_bounds` is proven for the marginals it is given. Marginals read from
samples are themselves estimates: the labeled sets ``D1 = (x1, y)``, ``D2 = (x2, y)`` and the
unlabeled pairs ``DM = (x1, x2)`` are each a finite draw, and every figure computed from them,
R, U1, U2 and both ends of the synergy bracket, carries sampling bias (a sparse table looks
more informative than its population) and sampling error. Each of the three sets is resampled
with replacement, on its own, ``B`` times; for each figure ``theta`` with bootstrap values
``theta*_b``,

    theta_c = 2 theta - mean_b(theta*_b),                                           (1)
    theta_c +- z sd_b(theta*_b),                                                    (2)

the bootstrap bias correction (Efron and Tibshirani 1993, Section 10.6) and a normal interval
at the chosen confidence. Synergy lies in ``[S_lower, S_upper]`` for the population's
marginals, so the interval of synergy runs from the low end of ``S_lower``'s interval to the
high end of ``S_upper``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.bounds.marginals import PairwiseMarginals
from pid.bounds.synergy import SynergyBounds, synergy_bounds
from pid.validation import check_between, check_codes, check_whole

#: The figures resampled, in the order of :attr:`ResampledBounds.corrected`.
FIGURES = ("R", "U1", "U2", "S_lower", "S_upper")


@dataclass(frozen=True)
class BoundsResampling:
    """How the three sample sets are resampled.

    Parameters
    ----------
    n_bootstrap : int
        Resamples of each set: 0 (the bounds of the sets as drawn, without intervals) or at
        least 2.
    confidence : float
        Coverage of each interval, in (0, 1).
    seed : int
        Seed of the resampling.
    """

    n_bootstrap: int = 100
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        # Stored as an int (numpy integers too), so that it writes as JSON.
        object.__setattr__(self, "n_bootstrap", check_whole(self.n_bootstrap, "n_bootstrap", 0))
        if self.n_bootstrap == 1:
            raise ValueError("n_bootstrap is 1; pass 0 (no intervals) or at least 2.")
        check_between(self.confidence, "confidence", 0, 1)


@dataclass(frozen=True)
class ResampledBounds:
    """Synergy bounds of three sample sets with their bias corrected and their intervals.

    Attributes
    ----------
    bounds : SynergyBounds
        The bounds of the marginals of the sets as drawn (the plug-in values).
    corrected : ndarray of shape (5,)
        R, U1, U2, ``S_lower``, ``S_upper`` corrected by Eq. (1) of the module docstring.
    intervals : ndarray of shape (5, 2)
        Their intervals, Eq. (2).
    n_bootstrap, confidence : int, float
        The resampling behind them.
    """

    bounds: SynergyBounds
    corrected: np.ndarray
    intervals: np.ndarray
    n_bootstrap: int
    confidence: float

    def interval(self, figure: str) -> tuple[float, float]:
        """The interval of ``figure``, one of :data:`FIGURES` or ``"S"``: for synergy, from
        the low end of ``S_lower``'s interval (at least 0) to the high end of ``S_upper``'s."""
        if figure == "S":
            low = max(self.intervals[FIGURES.index("S_lower"), 0], 0.0)
            return low, float(self.intervals[FIGURES.index("S_upper"), 1])
        low, high = self.intervals[FIGURES.index(figure)]
        return float(low), float(high)

    @property
    def information_interval(self) -> tuple[float, float]:
        """The interval of ``I(X1,X2;Y) = R + U1 + U2 + S``: the corrected ``R + U1 + U2``
        plus the interval of synergy, widened by the intervals of R, U1 and U2."""
        low, high = self.interval("S")
        known = self.intervals[:3]
        return float(known[:, 0].sum() + low), float(known[:, 1].sum() + high)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the corrected figures, their intervals and the resampling."""
        return {
            "corrected": dict(zip(FIGURES, self.corrected.tolist(), strict=True)),
            "intervals": {
                **{f: list(self.interval(f)) for f in FIGURES},
                "S": list(self.interval("S")),
            },
            "n_resamples": self.n_bootstrap,
            "confidence": self.confidence,
            "method": "bootstrap of each set; bias-corrected, normal intervals",
        }


def resample_bounds(
    labeled1: tuple[ArrayLike, ArrayLike],
    labeled2: tuple[ArrayLike, ArrayLike],
    unlabeled: tuple[ArrayLike, ArrayLike],
    *,
    options: BoundsResampling | None = None,
) -> ResampledBounds:
    """Bounds of three sample sets of integer codes, bias-corrected, with intervals.

    ``labeled1 = (x1, y)``, ``labeled2 = (x2, y)`` and ``unlabeled = (x1, x2)`` are codes in
    one code space, as for :meth:`PairwiseMarginals.from_samples`. The bounds of the sets as
    drawn, and of ``options.n_bootstrap`` draws with replacement of each set on its own, give
    Eqs. (1) and (2) of the module docstring.
    """
    options = options or BoundsResampling()
    if options.n_bootstrap == 0:
        raise ValueError(
            "options.n_bootstrap is 0; pass at least 2 resamples, or call synergy_bounds on "
            "PairwiseMarginals.from_samples for the bounds alone."
        )
    named = {"labeled1": labeled1, "labeled2": labeled2, "unlabeled": unlabeled}
    sets = [
        tuple(check_codes(v, f"{name}[{i}]") for i, v in enumerate(pair))
        for name, pair in named.items()
    ]
    (x1a, ya), (x2b, yb), (x1m, x2m) = sets
    sizes = (
        int(max(x1a.max(), x1m.max())) + 1,
        int(max(x2b.max(), x2m.max())) + 1,
        int(max(ya.max(), yb.max())) + 1,
    )

    def figures(
        draw: list[tuple[np.ndarray, ...]], resampled: bool = True
    ) -> tuple[np.ndarray, SynergyBounds]:
        # The sets themselves are checked; a resample keeps their sizes, and may miss a code.
        marginals = PairwiseMarginals.from_samples(*draw, sizes=sizes if resampled else None)
        bounds = synergy_bounds(marginals)
        values = [bounds.R, bounds.U1, bounds.U2, bounds.lower, bounds.upper]
        return np.array(values), bounds

    estimate, bounds = figures(sets, resampled=False)
    rng = np.random.default_rng(options.seed)
    boot = []
    for _ in range(options.n_bootstrap):
        draw = []
        for pair in sets:
            rows = rng.integers(0, len(pair[0]), len(pair[0]))
            draw.append(tuple(v[rows] for v in pair))
        boot.append(figures(draw)[0])
    corrected, intervals = bootstrap_corrected(estimate, np.array(boot), options.confidence)
    # Corrected apart, the ends of the bracket could cross; the upper one is kept at least as
    # high as the lower.
    if corrected[4] < corrected[3]:
        intervals[4] += corrected[3] - corrected[4]
        corrected[4] = corrected[3]
    return ResampledBounds(bounds, corrected, intervals, options.n_bootstrap, options.confidence)


def bootstrap_corrected(
    estimate: np.ndarray, resampled: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Figures ``estimate`` (last axis) bias-corrected by their bootstrap values ``resampled``
    (one row per resample), Eq. (1) of the module docstring, and their intervals, Eq. (2),
    shape ``(len(estimate), 2)``."""
    corrected = 2 * estimate - resampled.mean(axis=0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    half_width = z * resampled.std(axis=0, ddof=1)
    return corrected, np.stack([corrected - half_width, corrected + half_width], axis=1)
