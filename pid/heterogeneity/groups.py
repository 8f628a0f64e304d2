"""Parameter groups from a heterogeneity matrix (thesis Section 9.2.1, HighMMT paper Appendix
A.3): agglomerative hierarchical clustering with the members as nodes and the heterogeneity
``d`` as the distance between them, cut into ``k`` groups, ``k`` set by the parameter budget
(``k = M``: one model per member; ``k = 1``: one model for all)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from pid.validation import check_whole

#: Linkages of :func:`scipy.cluster.hierarchy.linkage` that take any distance matrix.
LINKAGES = ("average", "complete", "single", "weighted")


def linkage_tree(distance: ArrayLike, method: str = "average") -> np.ndarray:
    """The merge tree of agglomerative clustering on a heterogeneity matrix (scipy's linkage
    matrix, rows ``[a, b, height, size]``).

    ``distance`` is symmetrized, ``(D + D^T) / 2``, with negative entries (which Eq. 9.5 never
    gives, but a completed matrix may) read as 0; ``method`` is one of :data:`LINKAGES`
    (``"average"``: the distance of two groups is the mean ``d`` over their members' pairs).
    """
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    d = np.asarray(distance, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or len(d) < 2:
        raise ValueError(f"distance has shape {d.shape}; pass a square matrix of 2 or more rows.")
    if not np.isfinite(d).all():
        raise ValueError(
            "distance holds NaN entries; measure every pair or complete the matrix first "
            "(pid.heterogeneity.complete_matrix)."
        )
    if method not in LINKAGES:
        raise ValueError(f"method is {method!r}; choose among {', '.join(LINKAGES)}.")
    d = np.maximum((d + d.T) / 2, 0.0)
    np.fill_diagonal(d, 0.0)
    return linkage(squareform(d, checks=False), method=method)


def parameter_groups(distance: ArrayLike, k: int, method: str = "average") -> np.ndarray:
    """The group ``0..k-1`` of each member when the clustering tree of :func:`linkage_tree` is
    cut into ``k`` groups; groups are numbered in the order of their first member.

    Ties at the cut height may leave fewer than ``k`` groups (scipy's ``maxclust``).
    """
    from scipy.cluster.hierarchy import fcluster

    d = np.asarray(distance, dtype=float)
    k = check_whole(k, "k", 1, len(d))
    clusters = fcluster(linkage_tree(d, method), t=k, criterion="maxclust")
    first_seen = {c: n for n, c in enumerate(dict.fromkeys(clusters))}
    return np.array([first_seen[c] for c in clusters], dtype=np.int64)
