"""The three pairwise marginals available without labeled multimodal data (thesis Section 6.2.1).

Labeled unimodal data ``D1 = {(x1, y)}`` and ``D2 = {(x2, y)}`` give ``p(x1, y)`` and
``p(x2, y)``; unlabeled pairs ``DM = {(x1, x2)}`` give ``p(x1, x2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from pid.distribution import MAX_TABLE_CELLS, Distribution
from pid.validation import check_codes, check_table_size, check_whole

#: Largest disagreement allowed between the single-variable marginals implied by two tables.
CONSISTENCY_TOLERANCE = 1e-9

#: The largest share of unlabeled pairs whose ``x1`` (or ``x2``) value no labeled sample has.
MAX_UNSEEN_SHARE = 0.5


@dataclass(frozen=True)
class PairwiseMarginals:
    """``p(x1, y)``, ``p(x2, y)`` and ``p(x1, x2)`` of one joint distribution.

    The three must agree on ``p(x1)``, ``p(x2)`` and ``p(y)``; build them with
    :meth:`from_tables`, :meth:`from_distribution` or :meth:`from_samples`.
    """

    p_x1_y: np.ndarray
    p_x2_y: np.ndarray
    p_x1_x2: np.ndarray

    @classmethod
    def from_tables(
        cls, p_x1_y: ArrayLike, p_x2_y: ArrayLike, p_x1_x2: ArrayLike
    ) -> PairwiseMarginals:
        """Check and wrap three probability tables of shapes (n1, ny), (n2, ny), (n1, n2)."""
        tables = {
            "p_x1_y": _probability_table(p_x1_y, "p_x1_y"),
            "p_x2_y": _probability_table(p_x2_y, "p_x2_y"),
            "p_x1_x2": _probability_table(p_x1_x2, "p_x1_x2"),
        }
        a, b, c = tables.values()
        if a.shape[1] != b.shape[1]:
            raise ValueError(
                f"p_x1_y has {a.shape[1]} labels but p_x2_y has {b.shape[1]}; "
                "encode the labels of both labeled datasets in one code space."
            )
        if c.shape != (a.shape[0], b.shape[0]):
            raise ValueError(
                f"p_x1_x2 has shape {c.shape} but the labeled tables imply "
                f"({a.shape[0]}, {b.shape[0]}); encode each modality in one code space."
            )
        for name, u, v in (
            ("p(x1)", a.sum(axis=1), c.sum(axis=1)),
            ("p(x2)", b.sum(axis=1), c.sum(axis=0)),
            ("p(y)", a.sum(axis=0), b.sum(axis=0)),
        ):
            gap = float(np.max(np.abs(u - v)))
            if gap > CONSISTENCY_TOLERANCE:
                raise ValueError(
                    f"the tables imply two different {name} (they differ by up to {gap:.3g}); "
                    "pass marginals of one joint distribution, or samples to "
                    "PairwiseMarginals.from_samples, which reconciles them."
                )
        return cls(a, b, c)

    @classmethod
    def from_distribution(cls, dist: Distribution) -> PairwiseMarginals:
        """The pairwise marginals of a full joint distribution."""
        return cls(dist.p_x1_y, dist.p_x2_y, dist.p_x1_x2)

    @classmethod
    def from_samples(
        cls,
        labeled1: tuple[ArrayLike, ArrayLike],
        labeled2: tuple[ArrayLike, ArrayLike],
        unlabeled: tuple[ArrayLike, ArrayLike],
        *,
        iterations: int = 200,
        sizes: tuple[int, int, int] | None = None,
    ) -> PairwiseMarginals:
        """Consistent marginals from three separate sample sets of integer codes.

        ``labeled1 = (x1, y)``, ``labeled2 = (x2, y)`` and ``unlabeled = (x1, x2)``, each in
        the code space shared by all three (codes are indices ``0..n-1``). Separately sampled
        sets never agree exactly on ``p(x1)``, ``p(x2)`` and ``p(y)``, so the marginals are
        reconciled through the maximum-entropy joint that best fits all three: iterative
        proportional fitting from the uniform table, alternating over the three empirical
        marginals for a fixed number of sweeps, ending on ``p(x1, x2)``. The two labeled tables
        get one sample's worth of counts spread evenly over their cells, so that no observed
        pair is ruled out because its labels were not sampled, while the smoothing's own bias
        stays that of one sample in ``n`` (half a count per cell biased R by -0.04 bits on
        800 samples of a 4 x 8 table); the pair table stays as observed, since smoothing it
        would dilute ``I(X1;X2)`` and inflate the redundancy-based bound. The marginals of that
        joint are returned. ``sizes`` are the numbers of codes of ``x1``, ``x2`` and ``y`` (by
        default one past the largest code seen), so that resamples share one code space; with them,
        the two labeled sets need not share a label (a resample may miss a rare one). Without
        them, unlabeled pairs whose ``x1`` (or ``x2``) values the labeled set mostly lacks
        (:data:`MAX_UNSEEN_SHARE`) are refused: ``p(y | x1)`` would be the smoothing's alone
        where the pairs lie.
        """
        iterations = check_whole(iterations, "iterations", 1)
        (x1a, ya), (x2b, yb), (x1m, x2m) = (
            tuple(_codes(v, f"{name}[{i}]") for i, v in enumerate(pair))
            for name, pair in (
                ("labeled1", labeled1),
                ("labeled2", labeled2),
                ("unlabeled", unlabeled),
            )
        )
        for name, (u, v) in (
            ("labeled1", (x1a, ya)),
            ("labeled2", (x2b, yb)),
            ("unlabeled", (x1m, x2m)),
        ):
            if len(u) != len(v):
                raise ValueError(
                    f"{name} holds {len(u)} and {len(v)} entries; pass one entry per sample "
                    "in both arrays."
                )
        seen = (
            int(max(x1a.max(), x1m.max())) + 1,
            int(max(x2b.max(), x2m.max())) + 1,
            int(max(ya.max(), yb.max())) + 1,
        )
        if sizes is not None and any(s < k for s, k in zip(sizes, seen, strict=True)):
            raise ValueError(
                f"sizes are {tuple(sizes)} but the codes need at least {seen}; pass sizes "
                "that hold every code, or leave them out."
            )
        n1, n2, ny = sizes or seen
        cells = n1 * n2 * ny
        check_table_size((n1, n2, ny), cells, MAX_TABLE_CELLS, "the joint table p(x1, x2, y)")
        # Given sizes (a resample of sets already checked), a rare label may be missing.
        if sizes is None and not set(np.unique(ya)) & set(np.unique(yb)):
            raise ValueError(
                "labeled1 and labeled2 share no label; encode both datasets' labels in one "
                "code space."
            )
        if sizes is None:
            check_seen_values((x1a, ya), (x2b, yb), (x1m, x2m))
        targets = [
            _frequencies(x1a, ya, (n1, ny), pseudo_count=1 / (n1 * ny)),
            _frequencies(x2b, yb, (n2, ny), pseudo_count=1 / (n2 * ny)),
            _frequencies(x1m, x2m, (n1, n2), pseudo_count=0.0),
        ]
        joint = np.full((n1, n2, ny), 1.0 / (n1 * n2 * ny))
        for _ in range(iterations):
            joint *= _ratio(targets[0], joint.sum(axis=1))[:, None, :]
            joint *= _ratio(targets[1], joint.sum(axis=0))[None, :, :]
            joint *= _ratio(targets[2], joint.sum(axis=2))[:, :, None]
        joint /= joint.sum()
        return cls.from_distribution(Distribution(joint))

    def check_joint_exists(self) -> None:
        """Refuse marginals that visibly no joint distribution has.

        A joint puts each pair's mass ``p(x1, x2)`` on labels that both ``x1`` and ``x2`` take,
        and each ``p(x1, y)`` on values of ``x2`` that occur with ``x1`` and take ``y``; a
        pair or cell without any such partner proves the three tables inconsistent.
        """
        a, b, c = self.p_x1_y > 0, self.p_x2_y > 0, self.p_x1_x2 > 0
        support = a[:, None, :] & b[None, :, :] & c[:, :, None]
        stranded = {
            "p(x1, x2)": c & ~support.any(axis=2),
            "p(x1, y)": a & ~support.any(axis=1),
            "p(x2, y)": b & ~support.any(axis=0),
        }
        for name, cells in stranded.items():
            if cells.any():
                index = tuple(int(i) for i in np.argwhere(cells)[0])
                raise ValueError(
                    f"no joint distribution has these three marginals: {name} puts mass on "
                    f"{index}, which no value of the third variable can join; pass marginals of "
                    "one joint distribution, or samples to PairwiseMarginals.from_samples."
                )

    @property
    def shape(self) -> tuple[int, int, int]:
        """Alphabet sizes ``(n_x1, n_x2, n_y)``."""
        return (self.p_x1_y.shape[0], self.p_x2_y.shape[0], self.p_x1_y.shape[1])

    @property
    def p_y(self) -> np.ndarray:
        """``p(y)``."""
        return self.p_x1_y.sum(axis=0)

    def unimodal_distribution(self) -> Distribution:
        """A joint in ``Delta_p`` (same ``p(x1, y)`` and ``p(x2, y)``): the conditional product.

        R, U1 and U2 depend only on those two marginals, so the CVX estimator applied to it
        returns the R, U1 and U2 of every joint with these marginals.
        """
        p_y = self.p_y
        safe = np.where(p_y > 0, p_y, 1.0)
        table = self.p_x1_y[:, None, :] * self.p_x2_y[None, :, :] / safe
        return Distribution(table / table.sum())


def _probability_table(table: ArrayLike, name: str) -> np.ndarray:
    table = np.asarray(table, dtype=float)
    if table.ndim != 2 or table.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D probability table.")
    if not np.all(np.isfinite(table)) or np.any(table < 0):
        raise ValueError(f"{name} must hold finite, non-negative probabilities.")
    total = table.sum()
    if abs(total - 1.0) > CONSISTENCY_TOLERANCE:
        raise ValueError(f"{name} sums to {total:.12g}, not 1; normalize it first.")
    return table


def _codes(values: ArrayLike, name: str) -> np.ndarray:
    """Integer codes checked as :meth:`Distribution.from_samples` does, and non-negative."""
    codes = check_codes(values, name)
    if codes.min() < 0:
        raise ValueError(
            f"{name} must hold non-negative codes (indices into the code space shared by all "
            "three datasets); discretize it in that space first."
        )
    return codes


def _frequencies(
    u: np.ndarray, v: np.ndarray, shape: tuple[int, int], pseudo_count: float
) -> np.ndarray:
    counts = np.full(shape, pseudo_count)
    np.add.at(counts, (u, v), 1.0)
    return counts / counts.sum()


def _ratio(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    return np.divide(target, current, out=np.zeros_like(target), where=current > 0)


def check_seen_values(
    labeled1: tuple[np.ndarray, np.ndarray],
    labeled2: tuple[np.ndarray, np.ndarray],
    unlabeled: tuple[np.ndarray, np.ndarray],
) -> None:
    """Refuse unlabeled pairs of which more than :data:`MAX_UNSEEN_SHARE` hold an ``x1`` (or
    ``x2``) value that no labeled sample has: ``p(y | x1)`` would be the pseudo-counts' alone
    where they lie."""
    checked = (
        ("x1", labeled1[0], unlabeled[0], "labeled1"),
        ("x2", labeled2[0], unlabeled[1], "labeled2"),
    )
    for variable, labeled, paired, name in checked:
        unseen = float(np.mean(~np.isin(paired, labeled)))
        if unseen > MAX_UNSEEN_SHARE:
            raise ValueError(
                f"{unseen:.0%} of the unlabeled pairs hold an {variable} value that no sample "
                f"of {name} has, so p(y | {variable}) is unknown where they lie; encode "
                f"{variable} in one code space in both sets, or label samples of those values."
            )
