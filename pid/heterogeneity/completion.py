"""Heterogeneity matrices from a few measured entries (thesis Section 9.2.1, HighMMT paper
Appendix A.2).

Measuring every entry of an ``M x M`` heterogeneity matrix takes ``M^2`` trained models; the
matrices are close to low rank (three singular values hold 97% of the variance in the
paper's), so a random sample of ``O(M)`` entries and a rank-``r`` completion

    D ~ sum_{k=1..r} a_k b_k^T

suffice. :func:`sample_pairs` draws the entries, :func:`complete_matrix` fills in the rest;
:func:`complete_distances` does so for a heterogeneity matrix. A random sample leaves some
members determined by chance only: a member whose measured partners all come from one or two
of the sources says nothing of its distance to the others. :class:`AdaptiveDesign` measures in
rounds instead, each round's pairs chosen by :func:`informative_pairs` where the completion of
the previous ones is least determined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from pid.validation import check_whole

Pair = tuple[int, int]


def sample_pairs(count: int, n_pairs: int, *, seed: int = 0) -> list[Pair]:
    """``n_pairs`` distinct unordered pairs ``(i, j)``, ``i < j``, of ``count`` members.

    The first ``count`` pairs close a random cycle through all members, so every member is in
    at least two pairs and the measured entries connect them all; the rest are drawn
    uniformly from the remaining pairs. ``n_pairs`` runs from ``count`` (``O(M)``) to all
    ``count (count - 1) / 2``.
    """
    count, n_pairs = _check_pair_count(count, n_pairs)
    rng = np.random.default_rng(seed)
    order = rng.permutation(count)
    chosen = {
        tuple(sorted((int(a), int(b)))) for a, b in zip(order, np.roll(order, -1), strict=True)
    }
    rest = [(i, j) for i in range(count) for j in range(i + 1, count) if (i, j) not in chosen]
    picks = rng.choice(len(rest), size=n_pairs - len(chosen), replace=False)
    chosen.update(rest[k] for k in picks)
    return sorted(chosen)


def informative_pairs(distance: ArrayLike, n_pairs: int, rank: int = 3) -> list[Pair]:
    """``n_pairs`` unmeasured pairs that best determine a rank-``rank`` completion of
    ``distance`` (NaN where not measured, the diagonal known).

    In a rank-``r`` fit ``D ~ U diag(l) U^T`` (the ``r`` eigenvalues ``l`` of largest
    magnitude; a distance matrix, of trace 0, has negative ones) the row ``u_i`` of member
    ``i`` is found from its known entries ``D_ij = f_j . u_i`` with ``f_j = diag(l) u_j`` (the
    diagonal's ``D_ii = f_i . u_i`` is quadratic in ``u_i``; ``f_i`` is its direction to first
    order): it is determined as well as the rows ``F_i = {f_j : j = i or (i, j) measured}``
    span the ``r`` directions, and

        c_i = sigma_r(F_i),                                                        (1)

    the ``r``-th singular value of those rows, measures how well. From the completion of the
    measured entries (:func:`complete_distances`), each pick takes the member of least
    ``c_i`` that has unmeasured pairs and pairs it with the partner raising its ``c_i`` the
    most (ties: the partner of least ``c_j``), then updates both. Where a member has fewer
    than ``rank`` known entries, which no completion determines, only the pairs that give
    every member ``rank`` are returned (up to ``n_pairs``; each with a member of fewest known
    entries): a call on the matrix with them measured chooses the rest. Deterministic: the
    same matrix gives the same pairs.
    """
    data = np.array(distance, dtype=float)
    count = len(data)
    if data.ndim != 2 or data.shape != (count, count):
        raise ValueError(f"distance has shape {data.shape}; pass a square matrix.")
    known = ~np.isnan(data)
    if not np.diag(known).all():
        raise ValueError("distance has NaN on its diagonal; pass 0 there (d(X; X) = 0).")
    if (known != known.T).any():
        i, j = (int(k) for k in np.argwhere(known & ~known.T)[0])
        raise ValueError(
            f"distance is measured at ({i}, {j}) but not at ({j}, {i}); pass a symmetric matrix."
        )
    partners = [set(np.flatnonzero(row).tolist()) for row in known]
    free = int((~known).sum()) // 2
    n_pairs = check_whole(n_pairs, "n_pairs", 0)
    if n_pairs > free:
        raise ValueError(f"n_pairs is {n_pairs}; pass between 0 and {free} (the unmeasured pairs).")
    rank = min(check_whole(rank, "rank", 1), count - 1)
    chosen: list[Pair] = []

    def add(i: int, j: int) -> None:
        chosen.append((min(i, j), max(i, j)))
        partners[i].add(j)
        partners[j].add(i)

    while len(chosen) < n_pairs and min(map(len, partners)) < rank:
        i = min(range(count), key=lambda m: (len(partners[m]), m))
        unpaired = (m for m in range(count) if m not in partners[i])
        add(i, min(unpaired, key=lambda m: (len(partners[m]), m)))
    if chosen or n_pairs == 0:
        return chosen
    values, vectors = np.linalg.eigh(complete_distances(data, rank))
    largest = np.argsort(-np.abs(values), kind="stable")[:rank]
    factors = vectors[:, largest] * values[largest]

    def determined(i: int, extra: int | None = None) -> float:
        rows = sorted(partners[i] | ({extra} if extra is not None else set()))
        return float(np.linalg.svd(factors[rows], compute_uv=False)[rank - 1])

    scores = np.array([determined(i) for i in range(count)])
    while len(chosen) < n_pairs:
        i = next(int(m) for m in np.argsort(scores, kind="stable") if len(partners[m]) < count)
        j = max(
            (m for m in range(count) if m not in partners[i]),
            key=lambda m: (determined(i, m), -scores[m], -m),
        )
        add(i, j)
        scores[i], scores[j] = determined(i), determined(j)
    return chosen


@dataclass(frozen=True)
class AdaptiveDesign:
    """Which ``n_pairs`` pairs of ``count`` members to measure, in rounds.

    The first round is :func:`sample_pairs` of ``max(count, round(n_pairs / 2))`` pairs (a
    cycle through all members and random others, ``seed``); each later round adds
    ``max(1, count // 3)`` pairs chosen by :func:`informative_pairs` from the distances
    measured so far, until ``n_pairs`` are measured. A caller measures :meth:`first`, then
    :meth:`next` of what it has measured until it returns no pairs
    (:func:`~pid.heterogeneity.modality_transfer`'s ``more_pairs``).
    """

    count: int
    n_pairs: int
    rank: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        count, n_pairs = _check_pair_count(self.count, self.n_pairs)
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "n_pairs", n_pairs)
        object.__setattr__(self, "rank", check_whole(self.rank, "rank", 1))

    def first(self) -> list[Pair]:
        """The first round: a random cycle through all members and random other pairs."""
        half = round(self.n_pairs / 2)
        return sample_pairs(self.count, max(self.count, half), seed=self.seed)

    def next(self, distance: ArrayLike) -> list[Pair]:
        """The next round's pairs, given the distances measured so far (NaN elsewhere);
        none once ``n_pairs`` are measured."""
        measured = int(np.triu(~np.isnan(np.asarray(distance, dtype=float)), k=1).sum())
        remaining = self.n_pairs - measured
        if remaining <= 0:
            return []
        return informative_pairs(distance, min(max(1, self.count // 3), remaining), self.rank)

    def fewest_known(self) -> tuple[int, int]:
        """:func:`fewest_known` of the pairs the rounds measure before any member is left
        with fewer than ``rank`` known entries, or before ``n_pairs`` are spent: those rounds
        depend on which pairs are measured, not on their distances, so this is known before
        anything is measured. Where it is below ``min(rank, count - 1)``, the design leaves
        that member undetermined by a rank-``rank`` completion.
        """
        measured = self.first()
        while True:
            member, known = fewest_known(self.count, measured)
            remaining = self.n_pairs - len(measured)
            if known >= min(self.rank, self.count - 1) or remaining == 0:
                return member, known
            pattern = np.full((self.count, self.count), np.nan)
            np.fill_diagonal(pattern, 0.0)
            for i, j in measured:
                pattern[i, j] = pattern[j, i] = 0.0
            measured += informative_pairs(
                pattern, min(max(1, self.count // 3), remaining), self.rank
            )


def fewest_known(count: int, pairs: list[Pair]) -> tuple[int, int]:
    """The member (the first, on a tie) with the fewest known entries once ``pairs`` are
    measured, and how many: its diagonal and one per measured partner. A rank-``r``
    completion needs ``r`` in every row (:func:`complete_matrix`)."""
    known = np.ones(count, dtype=int)
    for i, j in pairs:
        known[i] += 1
        known[j] += 1
    member = int(np.argmin(known))
    return member, int(known[member])


def _check_pair_count(count: int, n_pairs: int) -> tuple[int, int]:
    """``count`` and ``n_pairs`` as ints; refuses other than whole numbers, fewer than 3
    members, and a number of pairs outside ``count`` (a cycle) to ``count (count - 1) / 2``
    (every pair)."""
    count = check_whole(count, "count", 0)
    n_pairs = check_whole(n_pairs, "n_pairs", 0)
    if count < 3:
        raise ValueError(f"count is {count}; pass at least 3 members to sample pairs of.")
    total = count * (count - 1) // 2
    if not count <= n_pairs <= total:
        raise ValueError(
            f"n_pairs is {n_pairs}; pass between {count} (a cycle through all {count} members) "
            f"and {total} (every pair)."
        )
    return count, n_pairs


def complete_matrix(
    matrix: ArrayLike,
    rank: int = 3,
    *,
    bounds: tuple[float, float] | None = None,
    n_lambdas: int = 30,
    max_iter: int = 5000,
    tol: float = 1e-12,
) -> np.ndarray:
    """Fill in the NaN entries of a symmetric matrix with a rank-``rank`` fit of the others.

    With ``Omega`` the known entries and ``X`` the data, soft impute (Mazumder, Hastie and
    Tibshirani, 2010) follows the path of

        min_Z 1/2 ||P_Omega(X - Z)||_F^2 + lambda ||Z||_*

    for ``n_lambdas`` values of ``lambda`` from the largest singular value of the zero-filled
    data down to ``1e-4`` of it, each iterating ``Z <- S_lambda(P_Omega(X) + P_Omega^c(Z))``
    (``S_lambda`` shrinks the singular values by ``lambda``) from the previous solution; hard
    impute then polishes it at rank ``r``, ``Z <- P_r(P_Omega(X) + P_Omega^c(Z))`` (``P_r``
    keeps the ``r`` largest singular values), until the missing entries move by less than
    ``tol`` of the data's norm. With ``bounds`` the missing entries are clipped to
    ``[low, high]`` at every iteration. The known entries, which must be symmetric, are
    returned as given; the filled ones are symmetrized. Started from the path, the fit depends
    far less on luck than hard impute started at the mean, which stalled on 4 of 6 random
    rank-3 matrices (M = 30 and 50, 4M sampled pairs) that this path recovers to 1e-9.

    Parameters
    ----------
    matrix : array of shape (M, M)
        The measured entries, NaN where not measured; the diagonal of a heterogeneity matrix
        is known (0, Eq. 9.5).
    rank : int
        ``r``, the rank of the fit (3 in the paper).
    bounds : (float, float), optional
        What the missing entries may be. A heterogeneity matrix passes ``(0, largest
        measured)`` (:func:`~pid.heterogeneity.measure_heterogeneity`): a distance is not
        negative, and no unmeasured pair is taken to be more heterogeneous than the most
        heterogeneous measured one. Without them, a member with few measured pairs can get
        missing entries far outside every measured value (docs/benchmarks.md, "Modality
        heterogeneity"). ``None`` (the default) for a matrix whose missing entries may lie
        anywhere.
    """
    data = np.array(matrix, dtype=float)
    if data.ndim != 2 or data.shape[0] != data.shape[1]:
        raise ValueError(f"matrix has shape {data.shape}; pass a square matrix.")
    known = ~np.isnan(data)
    asymmetric = np.argwhere(known != known.T)
    if len(asymmetric):
        i, j = (int(k) for k in asymmetric[0])
        raise ValueError(
            f"matrix is known at ({i}, {j}) but not at ({j}, {i}); pass a symmetric matrix, "
            "with NaN at both or neither."
        )
    scale = float(np.abs(data[known]).max(initial=0.0))
    unequal = np.argwhere(known & (np.abs(data - data.T) > 1e-12 * scale))
    if len(unequal):
        i, j = (int(k) for k in unequal[0])
        raise ValueError(
            f"matrix holds {data[i, j]!r} at ({i}, {j}) and {data[j, i]!r} at ({j}, {i}); pass "
            "a symmetric matrix, e.g. (matrix + matrix.T) / 2."
        )
    rank = check_whole(rank, "rank", 1, len(data))
    scarce = np.flatnonzero(known.sum(axis=1) < rank)
    if len(scarce):
        raise ValueError(
            f"row {int(scarce[0])} has {int(known[scarce[0]].sum())} known entries, fewer than "
            f"rank {rank}; measure more of its pairs or lower rank."
        )
    if bounds is not None and not bounds[0] <= bounds[1]:
        raise ValueError(f"bounds is {bounds}; pass (low, high) with low <= high.")
    if known.all():
        return data
    filled = np.where(known, data, 0.0)
    largest = np.linalg.svd(filled, compute_uv=False)[0]
    for shrink in largest * np.geomspace(1.0, 1e-4, n_lambdas):
        filled = _impute(data, known, filled, bounds, shrink=shrink, max_iter=100, tol=1e-6)
    filled = _impute(data, known, filled, bounds, rank=rank, max_iter=max_iter, tol=tol)
    return np.where(known, data, (filled + filled.T) / 2)


def complete_distances(distance: ArrayLike, rank: int = 3) -> np.ndarray:
    """A heterogeneity matrix with its unmeasured (NaN) pairs completed at ``rank`` (at most
    the number of members less one), each between 0 and the largest measured distance
    (:func:`complete_matrix` with ``bounds``); returned as given when every pair is measured.
    """
    distance = np.asarray(distance, dtype=float)
    if not np.isnan(distance).any():
        return distance
    bounds = (0.0, float(np.nanmax(distance)))
    return complete_matrix(distance, min(rank, len(distance) - 1), bounds=bounds)


def _impute(
    data: np.ndarray,
    known: np.ndarray,
    filled: np.ndarray,
    bounds: tuple[float, float] | None,
    *,
    shrink: float = 0.0,
    rank: int | None = None,
    max_iter: int,
    tol: float,
) -> np.ndarray:
    """Iterate ``Z <- U diag(s') V^T`` for the SVD ``U diag(s) V^T`` of
    ``P_Omega(X) + P_Omega^c(Z)``, ``s' = max(s - shrink, 0)`` kept to the first ``rank``,
    clipped to ``bounds`` where given, until the missing entries move by less than ``tol`` of
    the known entries' norm."""
    scale = max(float(np.linalg.norm(data[known])), 1e-300)
    for _ in range(max_iter):
        u, s, vt = np.linalg.svd(filled)
        kept = np.maximum(s - shrink, 0.0)
        if rank is not None:
            kept[rank:] = 0.0
        fit = (u * kept) @ vt
        if bounds is not None:
            fit = np.clip(fit, *bounds)
        step = float(np.linalg.norm((fit - filled)[~known]))
        filled = np.where(known, data, fit)
        if step <= tol * scale:
            break
    return filled
