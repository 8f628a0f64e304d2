"""One-line entry points: from paired samples of any kind to a decomposition."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid._samples import check_paired
from pid.discretize import Discretized, discretize
from pid.distribution import Distribution
from pid.estimators import estimate
from pid.result import PIDResult


@dataclass(frozen=True)
class Prepared:
    """Paired samples turned into a discrete joint, and how that was done.

    ``kept_rows`` marks the input samples used (all but non-finite rows that were dropped).
    """

    discretized: Discretized
    dist: Distribution
    provenance: dict[str, Any]
    kept_rows: np.ndarray


def prepare(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    method: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    seed: int = 0,
    drop_nonfinite: bool = False,
) -> Prepared:
    """Validate paired samples, discretize them (thesis Section 3.2.1) and count the joint.

    Integer codes pass through; continuous features are standardized, optionally reduced with
    PCA, and clustered (:func:`pid.discretize.discretize`). Rows with NaN or infinite values
    are refused unless ``drop_nonfinite=True``, which drops them and records how many.
    """
    arrays = check_paired(x1, x2, y)
    keep = _finite_rows(arrays)
    dropped = int(len(keep) - keep.sum())
    if dropped and not drop_nonfinite:
        raise ValueError(
            f"{dropped} sample(s) hold NaN or infinite values; clean them, or pass "
            "drop_nonfinite=True (--drop-nonfinite) to drop those rows."
        )
    arrays = tuple(a[keep] for a in arrays)
    n = len(arrays[2])
    if n == 0:
        raise ValueError("no sample is left after dropping non-finite rows; clean the data.")
    if n_clusters is not None and not 1 < n_clusters <= n:
        raise ValueError(
            f"n_clusters (--clusters) is {n_clusters} but there are {n} samples; ask for "
            "between 2 and the number of samples."
        )
    if len(np.unique(arrays[2])) < 2:
        raise ValueError(
            f"y holds a single class ({np.unique(arrays[2])[0]!r}); the task needs at least two "
            "labels for its information to be decomposed."
        )
    codes = discretize(*arrays, method=method, n_clusters=n_clusters, pca=pca, seed=seed)
    dist = Distribution.from_samples(codes.x1, codes.x2, codes.y)
    provenance = {
        "n_samples": n,
        "dropped_nonfinite": dropped,
        "seed": seed,
        "discretization": codes.settings(),
    }
    return Prepared(codes, dist, provenance, keep)


def decompose(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    estimator: str = "cvx",
    method: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    seed: int = 0,
    drop_nonfinite: bool = False,
    **options: Any,
) -> PIDResult:
    """PID of paired samples: how X1 and X2 inform Y, in bits.

    Each modality may be integer codes (1-D) or continuous features (1-D or 2-D: embeddings,
    logits, predictions); ``y`` holds class labels. The samples are discretized
    (:func:`prepare`), their empirical joint ``p(x1, x2, y)`` is counted, and
    ``I(X1,X2;Y) = R + U1 + U2 + S`` is decomposed with the named estimator (thesis Eqs. 3.1 to
    3.3 for the default ``"cvx"``). ``U1`` belongs to ``x1``. The result's ``provenance`` holds
    the discretization settings, the sample count and the seed.

    >>> import numpy as np, pid
    >>> x1 = np.array([0, 0, 1, 1]); x2 = np.array([0, 1, 0, 1])
    >>> round(pid.decompose(x1, x2, x1 ^ x2).S, 6)
    1.0
    """
    data = prepare(
        x1,
        x2,
        y,
        method=method,
        n_clusters=n_clusters,
        pca=pca,
        seed=seed,
        drop_nonfinite=drop_nonfinite,
    )
    return estimate_prepared(data, estimator, **options)


def estimate_prepared(data: Prepared, estimator: str = "cvx", **options: Any) -> PIDResult:
    """Decompose prepared samples, recording how they were prepared in the provenance."""
    result = estimate(data.dist, estimator, **options)
    return replace(result, provenance={**result.provenance, **data.provenance})


def _finite_rows(arrays: tuple[np.ndarray, ...]) -> np.ndarray:
    """Which samples have only finite values (non-numeric arrays count as finite)."""
    keep = np.ones(len(arrays[0]), dtype=bool)
    for array in arrays:
        if np.issubdtype(array.dtype, np.number):
            finite = np.isfinite(array)
            keep &= finite.reshape(len(array), -1).all(axis=1)
    return keep


__all__ = ["Prepared", "decompose", "estimate_prepared", "prepare"]
