"""Information measures of discrete distributions, in bits.

Every function takes a probability array that sums to one (a joint distribution with one
axis per variable) and treats ``0 log 0`` as zero; the information measures refuse anything
else (counts, NaN, negative entries), while :func:`conditional_distribution` normalizes any
non-negative table.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

#: ``ln 2``: nats per bit.
LN2 = math.log(2.0)


def entropy(p: ArrayLike) -> float:
    """Shannon entropy of a distribution of any shape, in bits.

    ``H(P) = -sum_x p(x) log2 p(x)``, with ``0 log 0 = 0``.
    """
    p = _as_distribution(np.asarray(p, dtype=float)).ravel()
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def mutual_information(p_xy: ArrayLike) -> float:
    """Mutual information ``I(X;Y)`` of a 2-D joint distribution ``p_xy[x, y]``, in bits.

    ``I(X;Y) = H(X) + H(Y) - H(X,Y)``.
    """
    p_xy = _as_joint(p_xy, 2)
    return entropy(p_xy.sum(axis=1)) + entropy(p_xy.sum(axis=0)) - entropy(p_xy)


def conditional_mutual_information(p_xyz: ArrayLike) -> float:
    """Conditional mutual information ``I(X;Y|Z)`` of a joint ``p_xyz[x, y, z]``, in bits.

    ``I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)``.
    """
    p_xyz = _as_joint(p_xyz, 3)
    return (
        entropy(p_xyz.sum(axis=1))
        + entropy(p_xyz.sum(axis=0))
        - entropy(p_xyz)
        - entropy(p_xyz.sum(axis=(0, 1)))
    )


def co_information(p_xyz: ArrayLike) -> float:
    """Co-information ``I(X;Y;Z) = I(X;Y) - I(X;Y|Z)`` of a joint ``p_xyz[x, y, z]``, in bits.

    Symmetric in its three variables; positive values signal net redundancy and negative
    values net synergy (thesis Section 3.1.2).
    """
    p_xyz = _as_joint(p_xyz, 3)
    return mutual_information(p_xyz.sum(axis=2)) - conditional_mutual_information(p_xyz)


def conditional_entropy(p_xy: ArrayLike) -> float:
    """Conditional entropy ``H(Y|X) = H(X,Y) - H(X)`` of a joint ``p_xy[x, y]``, in bits."""
    p_xy = _as_joint(p_xy, 2)
    return entropy(p_xy) - entropy(p_xy.sum(axis=1))


def conditional_distribution(p: ArrayLike) -> np.ndarray:
    """``p(last | rest)`` of a joint with the conditioned variable on the last axis.

    ``p(v | u) = p(u, v) / sum_v p(u, v)``, with zeros where ``p(u) = 0``.
    """
    p = np.asarray(p, dtype=float)
    total = p.sum(axis=-1, keepdims=True)
    return np.divide(p, total, out=np.zeros_like(p), where=total > 0)


#: How far from one the total of a distribution, and below zero an entry, may stray (rounding
#: of sums and differences).
TOTAL_TOLERANCE = 1e-6


def _as_joint(p: ArrayLike, ndim: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim != ndim:
        raise ValueError(
            f"p must be a {ndim}-D joint distribution, got an array of shape {p.shape}; "
            f"pass one axis per variable."
        )
    return _as_distribution(p)


def _as_distribution(p: np.ndarray) -> np.ndarray:
    """``p`` itself where its entries are non-negative and sum to one (both within
    :data:`TOTAL_TOLERANCE`); a sentence otherwise (counts, NaN, negative entries)."""
    total = float(p.sum())
    negative = bool((p < -TOTAL_TOLERANCE).any())
    if not abs(total - 1.0) <= TOTAL_TOLERANCE or negative:
        found = "negative entries" if negative else f"a total of {total:.6g}"
        raise ValueError(
            f"p holds {found}, not a probability distribution; pass non-negative "
            "probabilities that sum to one, e.g. counts / counts.sum()."
        )
    return p
