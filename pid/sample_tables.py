"""The count tables of a sample's views (subsamples, permuted labels and resamples) and their
informations.

The corrections of :mod:`pid.sampling` solve the joint count table of many views of one
sample: its disjoint halves and quarters, the sample with its labels permuted, with ``x2``
permuted among the samples of each label, and resampled with replacement (and the parts of
each). Two ways of drawing them are offered, with the same distribution of tables:

- :class:`CountDraws` draws each view's table from the sample's table itself (count space):
  a permutation of the labels is a uniformly random table with the pairs' and the labels'
  counts as margins, drawn label by label from multivariate hypergeometric distributions; a
  permutation of ``x2`` within each label is the same per label with the counts of ``x1``
  and ``x2``; a resample is a multinomial draw of ``n`` from the table; and the parts of a
  random split are successive multivariate hypergeometric draws of segments, the pieces
  every ``k`` cuts the samples into, so that each quarter lies within a half, as when one
  random order of the rows is cut by ``np.array_split``.
  A view is a short recipe with its seeds, so its table costs a few passes over the cells,
  whatever the number of samples.
- :class:`RowDraws` keeps the rows of each view (index arrays into the codes) and counts
  them; the views of :mod:`pid.posterior`'s classifier need it, since their joint
  information is a mean over the views' rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pid.distribution import Distribution, count_codes
from pid.information import LN2, entropy
from pid.sweep import SweepOptions, run_sweep

#: Samples from which a count-space draw would exceed the range numpy's multivariate
#: hypergeometric sampler accepts; such samples are drawn row by row.
COUNT_SPACE_LIMIT = 10**9
#: Count tables solved in one batch (one job of a sweep) by the corrections, the null model
#: and the resamples: at most TABLES_PER_JOB tables and at most CELLS_PER_JOB cells in all
#: (one table where one has more), so that a batch of large tables fits in memory.
TABLES_PER_JOB = 32
CELLS_PER_JOB = 2**22

CountView = tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class RowView:
    """A view of :class:`RowDraws`: its ``i``-th sample pairs ``x1`` and the label of row
    ``rows[i]`` with ``x2`` of row ``x2_rows[i]``.

    Attributes
    ----------
    labels : ndarray
        The labels of every row of the sample (permuted in a view of permuted labels).
    rows : ndarray of int, optional
        The rows of ``x1`` and the labels, one per sample of the view; ``None`` for every row
        in order.
    x2_rows : ndarray of int, optional
        The rows of ``x2``, where ``x2`` was permuted within labels; ``None`` for ``rows``.
    """

    labels: np.ndarray
    rows: np.ndarray | None = None
    x2_rows: np.ndarray | None = None


class RowDraws:
    """Views as the rows of paired codes (:class:`RowView`).

    Every draw takes its randomness from the one generator ``rng``, in the order of the calls.
    """

    def __init__(
        self,
        c1: np.ndarray,
        c2: np.ndarray,
        y: np.ndarray,
        shape: tuple[int, int, int],
        rng: np.random.Generator,
    ) -> None:
        self.c1, self.c2, self.y, self.shape, self.rng = c1, c2, y, shape, rng

    def whole(self) -> RowView:
        """The sample itself."""
        return RowView(self.y)

    def permute_labels(self, view: RowView) -> RowView:
        """``view`` with its labels permuted among all samples."""
        return replace(view, labels=self.rng.permutation(view.labels))

    def permute_within(self, view: RowView) -> RowView:
        """``view`` with ``x2`` permuted among its samples of each label: the same
        ``p(x1, y)`` and ``p(x2, y)``, with ``x1`` and ``x2`` independent given ``y``."""
        rows, x2_rows = self._positions(view)
        labels = view.labels[rows]
        permuted = x2_rows.copy()
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            permuted[members] = x2_rows[self.rng.permutation(members)]
        return replace(view, x2_rows=permuted)

    def resample(self, view: RowView) -> RowView:
        """``view``'s samples drawn with replacement, as many as it has."""
        return self._taken(view, self.rng.integers(0, self._size(view), self._size(view)))

    def split(self, view: RowView, splits: Sequence[int]) -> list[RowView]:
        """The parts of ``view`` split at random into ``k`` parts of (nearly) equal size, for
        each ``k`` of ``splits`` (one random order of the samples for all of them)."""
        order = self.rng.permutation(self._size(view))
        return [self._taken(view, part) for k in splits for part in np.array_split(order, k)]

    def table(self, view: RowView) -> np.ndarray:
        """The count table of ``view``, of shape ``self.shape``."""
        if view.rows is None and view.x2_rows is None:
            return count_codes(self.c1, self.c2, view.labels, self.shape).astype(float)
        rows, x2_rows = self._positions(view)
        codes = (self.c1[rows], self.c2[x2_rows], view.labels[rows])
        return count_codes(*codes, self.shape).astype(float)

    def rows(self, view: RowView) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``x1`` in ``view`` (indices into the codes) and their labels."""
        rows = self._positions(view)[0]
        return rows, view.labels[rows]

    def _size(self, view: RowView) -> int:
        return len(view.labels) if view.rows is None else len(view.rows)

    def _positions(self, view: RowView) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``x1`` and of ``x2`` of each sample of ``view``."""
        rows = np.arange(len(view.labels)) if view.rows is None else view.rows
        return rows, rows if view.x2_rows is None else view.x2_rows

    def _taken(self, view: RowView, positions: np.ndarray) -> RowView:
        """The samples of ``view`` at ``positions``."""
        rows = positions if view.rows is None else view.rows[positions]
        x2_rows = None if view.x2_rows is None else view.x2_rows[positions]
        return replace(view, rows=rows, x2_rows=x2_rows)


class CountDraws:
    """Views as recipes applied to the sample's count table, each step with its own seed.

    A view is a tuple of steps: ``("labels", seed)``, ``("within", seed)``,
    ``("resample", seed)`` and ``("part", seed, splits, k, i)`` (the ``i``-th of ``k`` parts
    of the split into ``k`` for each ``k`` of ``splits``); the seeds are drawn from ``rng``
    when the view is planned, so a view's table is the same wherever and whenever it is built.
    Parts only end a view.
    """

    def __init__(self, counts: np.ndarray, rng: np.random.Generator) -> None:
        self.counts = counts.astype(np.int64)
        self.shape: tuple[int, int, int] = counts.shape
        self.rng = rng
        self._last_split: tuple[tuple[Any, ...], list[np.ndarray]] | None = None

    def whole(self) -> CountView:
        """The sample itself."""
        return ()

    def _seed(self) -> int:
        return int(self.rng.integers(2**63))

    def permute_labels(self, view: CountView) -> CountView:
        """``view`` with its labels permuted among all samples."""
        return (*view, ("labels", self._seed()))

    def permute_within(self, view: CountView) -> CountView:
        """``view`` with ``x2`` permuted among the samples of each label."""
        return (*view, ("within", self._seed()))

    def resample(self, view: CountView) -> CountView:
        """``view``'s samples drawn with replacement, as many as it has."""
        return (*view, ("resample", self._seed()))

    def split(self, view: CountView, splits: Sequence[int]) -> list[CountView]:
        """The parts of ``view`` split at random into ``k`` parts of the sizes of
        ``np.array_split``, for each ``k`` of ``splits``; the parts of every ``k`` cut one
        random order of the samples, so each part of a larger ``k`` lies within one of a
        smaller ``k`` where their boundaries meet."""
        seed, splits = self._seed(), tuple(splits)
        return [(*view, ("part", seed, splits, k, i)) for k in splits for i in range(k)]

    def table(self, view: CountView) -> np.ndarray:
        """The count table of ``view``, of shape ``self.shape``."""
        if not view or view[-1][0] != "part":
            return self._steps(view).astype(float)
        _, seed, splits, k, index = view[-1]
        key = (view[:-1], seed, splits)
        if self._last_split is None or self._last_split[0] != key:
            parent = self._steps(view[:-1])
            segments = _segments(parent, splits, np.random.default_rng(seed))
            self._last_split = (key, segments)
        segments = self._last_split[1]
        first, last = _part_segments(int(sum(s.sum() for s in segments)), splits, k, index)
        return sum(segments[first:last]).reshape(self.shape).astype(float)

    def _steps(self, view: CountView) -> np.ndarray:
        counts = self.counts
        for kind, seed in view:
            rng = np.random.default_rng(seed)
            if kind == "labels":
                counts = _permuted_labels(counts, rng)
            elif kind == "within":
                counts = _permuted_within(counts, rng)
            else:
                flat = counts.reshape(-1)
                total = int(flat.sum())
                counts = rng.multinomial(total, flat / total).reshape(self.shape)
        return counts


def count_draws_apply(n_samples: int, posteriors: bool) -> bool:
    """Whether a sample's views can be drawn in count space (:class:`CountDraws`): not where a
    classifier's per-row losses enter them, nor beyond :data:`COUNT_SPACE_LIMIT` samples."""
    return not posteriors and n_samples < COUNT_SPACE_LIMIT


def random_table(rows: np.ndarray, columns: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random count table with the given row and column sums (as if the items of
    the columns were dealt to the rows by a random permutation): one multivariate
    hypergeometric draw from the rows' counts per column, along the shorter side."""
    if len(columns) > len(rows):
        return random_table(columns, rows, rng).T
    table = np.zeros((len(rows), len(columns)), dtype=np.int64)
    remaining = rows.astype(np.int64)
    for j, size in enumerate(columns[:-1]):
        if size:
            table[:, j] = rng.multivariate_hypergeometric(remaining, int(size), method="marginals")
            remaining -= table[:, j]
    table[:, -1] = remaining
    return table


def _permuted_labels(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The table of the same samples with their labels permuted: the pairs' counts dealt the
    labels' counts."""
    n1, n2, ny = counts.shape
    pairs = counts.sum(axis=2).reshape(-1)
    labels = counts.sum(axis=(0, 1))
    return random_table(pairs, labels, rng).reshape(n1, n2, ny)


def _permuted_within(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The table with ``x2`` permuted among the samples of each label: per label, the counts
    of ``x1`` dealt those of ``x2``."""
    permuted = np.empty_like(counts)
    for label in range(counts.shape[2]):
        plane = counts[:, :, label]
        permuted[:, :, label] = random_table(plane.sum(axis=1), plane.sum(axis=0), rng)
    return permuted


def _boundaries(n: int, k: int) -> list[int]:
    """Where ``np.array_split`` cuts ``n`` items into ``k`` parts (``k + 1`` positions)."""
    quotient, extra = divmod(n, k)
    sizes = [quotient + 1] * extra + [quotient] * (k - extra)
    return [0, *np.cumsum(sizes).tolist()]


def _cuts(n: int, splits: tuple[int, ...]) -> list[int]:
    """Every position where a split into ``k`` parts, for some ``k`` of ``splits``, cuts."""
    return sorted({cut for k in splits for cut in _boundaries(n, k)})


def _segments(
    counts: np.ndarray, splits: tuple[int, ...], rng: np.random.Generator
) -> list[np.ndarray]:
    """The flat count tables of the consecutive pieces between :func:`_cuts` of a random
    order of the samples of ``counts``, drawn one after the other."""
    remaining = counts.reshape(-1).copy()
    cuts = _cuts(int(remaining.sum()), splits)
    segments = []
    for size in np.diff(cuts)[:-1]:
        drawn = rng.multivariate_hypergeometric(remaining, int(size), method="marginals")
        segments.append(drawn)
        remaining -= drawn
    return [*segments, remaining]


def _part_segments(n: int, splits: tuple[int, ...], k: int, index: int) -> tuple[int, int]:
    """The first and one past the last segment of :func:`_segments` that make the
    ``index``-th of ``k`` parts."""
    cuts, bounds = _cuts(n, splits), _boundaries(n, k)
    return cuts.index(bounds[index]), cuts.index(bounds[index + 1])


def view_informations(
    draws: RowDraws | CountDraws,
    views: list[Any],
    estimator: str,
    options: dict[str, Any],
) -> np.ndarray:
    """``I(X1;Y), I(X2;Y), I(X1,X2;Y)`` and the union information ``R + U1 + U2`` of the
    count table of each view of ``draws``, in bits, one row a view, from the PID of the named
    estimator (CVX's batches where it can). The tables are built here, one batch at a time,
    so a sweep holds a batch of tables, not all of them."""
    from pid.estimators import cvx_batch, estimate

    dists = [Distribution.from_counts(draws.table(view)) for view in views]
    if estimator == "cvx" and options.get("method", "newton") == "newton":
        results = cvx_batch(dists, **{k: v for k, v in options.items() if k != "method"})
    else:
        results = [estimate(d, estimator, **options) for d in dists]
    return np.array([[r.mi_x1_y, r.mi_x2_y, r.mi_x1x2_y, r.R + r.U1 + r.U2] for r in results])


class ViewInformations:
    """The count tables of the views of one sample and their informations, solved where a
    sweep says (:func:`pid.sweep.run_sweep`), with the joint information of a classifier's
    held-out loss where one is given."""

    def __init__(
        self,
        draws: RowDraws | CountDraws,
        joint_posteriors: np.ndarray | None,
        estimator: str,
        estimator_options: dict[str, Any],
        sweep: SweepOptions,
    ) -> None:
        self.draws = draws
        self.sweep = sweep
        self.shape = draws.shape
        self.joint_loss = None
        if joint_posteriors is not None:
            floor = np.maximum(np.asarray(joint_posteriors, dtype=float), 1e-300)
            self.joint_loss = -np.log2(floor / floor.sum(axis=1, keepdims=True))
        self.estimator, self.estimator_options = estimator, estimator_options
        self.plan: list[Any] = []

    def table(self, index: int) -> np.ndarray:
        """The count table of the ``index``-th view of the plan."""
        return self.draws.table(self.plan[index])

    def informations(
        self,
        plan: list[Any],
        from_tables: list[int],
        known: dict[int, np.ndarray],
        progress: bool = False,
    ) -> np.ndarray:
        """``I1, I2, I12, Iu`` of every view of ``plan``, in bits, those at the
        indices of ``known`` as given there (not solved again); ``I12`` from the classifier
        where there is one, except at the indices ``from_tables``; ``progress`` shows a bar of
        the batches of tables solved."""
        self.plan = plan
        unsolved = [k for k in range(len(plan)) if k not in known]
        # The solver's path is shared by the tables of one batch, so a table's figures may move
        # (within tol_bits) with its batch: the batches are fixed here, whatever runs them.
        size = min(TABLES_PER_JOB, max(1, CELLS_PER_JOB // math.prod(self.shape)))
        jobs = [
            (
                self.draws,
                [plan[k] for k in unsolved[start : start + size]],
                self.estimator,
                self.estimator_options,
            )
            for start in range(0, len(unsolved), size)
        ]
        values = np.empty((len(plan), 4))
        for k, given in known.items():
            values[k] = given
        if jobs:
            solved = run_sweep(
                view_informations, jobs, self.sweep, progress=progress, description="solving"
            )
            values[unsolved] = np.concatenate(solved)
        if self.joint_loss is not None:
            keep = set(from_tables)
            for k, view in enumerate(plan):
                if k in keep:
                    continue
                rows, labels = self.draws.rows(view)
                counts = np.bincount(labels, minlength=self.shape[2])
                loss = self.joint_loss[rows, labels].mean()
                values[k, 2] = entropy(counts / counts.sum()) - loss
        return values

    def first_order_bias(self, index: int) -> np.ndarray:
        """Miller-Madow bias of the ``I1``, ``I2`` and ``I12`` of the ``index``-th table (none
        for a cross-entropy ``I12``), and ``max(b1, b2)`` for ``Iu`` (module docstring)."""
        table = self.table(index)
        n = table.sum()

        def bias(joint: np.ndarray) -> float:
            occupied = np.count_nonzero
            return (
                occupied(joint) - occupied(joint.sum(axis=1)) - occupied(joint.sum(axis=0)) + 1
            ) / (2 * n * LN2)

        i12 = 0.0 if self.joint_loss is not None else bias(table.reshape(-1, self.shape[2]))
        b1, b2 = bias(table.sum(axis=1)), bias(table.sum(axis=0))
        return np.array([b1, b2, i12, max(b1, b2)])

    def samples_per_cell(self, index: int) -> float:
        """Samples over occupied cells of the table of the ``index``-th view (the whole
        sample's) whose plug-in values enter the estimate: the joint table, or the pairwise
        ones where ``I12`` comes from a classifier."""
        table = self.table(index)
        n = table.sum()
        if self.joint_loss is None:
            return float(n / np.count_nonzero(table))
        pairs = (np.count_nonzero(table.sum(axis=1)), np.count_nonzero(table.sum(axis=0)))
        return float(n / max(pairs))
