"""Bootstrap confidence intervals for the PID terms."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid._validate import check_paired
from pid.api import prepare
from pid.distribution import Distribution
from pid.estimators import estimate
from pid.result import TERMS

#: Draws allowed per resample to find one with at least two labels.
MAX_REDRAWS = 100


def bootstrap(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    n_resamples: int,
    estimator: str = "cvx",
    confidence: float = 0.95,
    seed: int = 0,
    refit: bool = True,
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    progress: bool = False,
    **options: Any,
) -> tuple[dict[str, tuple[float, float]], np.ndarray]:
    """Percentile bootstrap intervals of R, U1, U2 and S.

    Draws ``n_resamples`` samples of the pairs with replacement and decomposes each. With
    ``refit=True`` (the default) every resample goes through the whole pipeline again,
    discretization included, with its own clustering seed, so the intervals cover the
    variability of the clustering as well as that of the sample. With ``refit=False`` the
    inputs must already be integer codes and only the sample varies (each resample's joint is
    counted on the alphabets of the full data). ``options`` go to the estimator.

    A resample holding a single label (possible with rare classes) is drawn again.

    Returns, for each term, the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles
    of its resampled values, and the ``(n_resamples, 4)`` array of those values.
    """
    if not isinstance(n_resamples, int | np.integer) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}.")
    arrays = check_paired(x1, x2, y)
    n = len(arrays[2])
    rng = np.random.default_rng(seed)
    if refit:

        def decompose_resample(rows: np.ndarray) -> Any:
            data = prepare(
                *(a[rows] for a in arrays),
                discretization=discretization,
                n_clusters=n_clusters,
                pca=pca,
                seed=int(rng.integers(2**31)),
            )
            return estimate(data.dist, estimator, **options)
    else:
        dist = Distribution.from_samples(*arrays)
        cell = _cell_index(dist, *arrays)

        def decompose_resample(rows: np.ndarray) -> Any:
            counts = np.bincount(cell[rows], minlength=dist.table.size).reshape(dist.shape)
            return estimate(Distribution.from_counts(counts), estimator, **options)

    resamples = range(n_resamples)
    if progress:
        from tqdm.auto import tqdm

        resamples = tqdm(resamples, desc="bootstrap", unit="resample")
    values = np.empty((n_resamples, len(TERMS)))
    labels = arrays[2]
    for i in resamples:
        rows = rng.integers(0, n, size=n)
        # A resample that misses every label but one has no task left; draw it again.
        for _ in range(MAX_REDRAWS):
            if len(np.unique(labels[rows])) > 1:
                break
            rows = rng.integers(0, n, size=n)
        values[i] = list(decompose_resample(rows).terms().values())
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail], axis=0)
    intervals = {
        name: (float(lo), float(hi)) for name, lo, hi in zip(TERMS, low, high, strict=True)
    }
    return intervals, values


def _cell_index(dist: Distribution, *codes: np.ndarray) -> np.ndarray:
    """Flat index of each sample's cell in ``dist.table``."""
    positions = [np.searchsorted(v, c) for v, c in zip(dist.values, codes, strict=True)]
    return np.ravel_multi_index(positions, dist.shape)
