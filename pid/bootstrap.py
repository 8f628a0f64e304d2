"""Bootstrap confidence intervals for the PID terms."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.distribution import Distribution
from pid.estimators import estimate

TERMS = ("R", "U1", "U2", "S")


def bootstrap(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    n_resamples: int,
    estimator: str = "cvx",
    confidence: float = 0.95,
    seed: int | None = 0,
    progress: bool = False,
    **options: Any,
) -> tuple[dict[str, tuple[float, float]], np.ndarray]:
    """Percentile bootstrap intervals of R, U1, U2 and S for paired integer codes.

    Draws ``n_resamples`` samples of the pairs with replacement, decomposes each one's
    empirical joint on the alphabets of the full data, and returns for each term the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of its resampled values,
    together with the ``(n_resamples, 4)`` array of those values.
    """
    if not isinstance(n_resamples, int | np.integer) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}.")
    dist = Distribution.from_samples(x1, x2, y)
    cell = _cell_index(dist, x1, x2, y)
    rng = np.random.default_rng(seed)
    n = len(cell)
    resamples = range(n_resamples)
    if progress:
        from tqdm.auto import tqdm

        resamples = tqdm(resamples, desc="bootstrap", unit="resample")
    values = np.empty((n_resamples, len(TERMS)))
    for i in resamples:
        counts = np.bincount(cell[rng.integers(0, n, size=n)], minlength=dist.table.size)
        result = estimate(
            Distribution.from_counts(counts.reshape(dist.shape)), estimator, **options
        )
        values[i] = list(result.terms().values())
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail], axis=0)
    intervals = {
        name: (float(lo), float(hi)) for name, lo, hi in zip(TERMS, low, high, strict=True)
    }
    return intervals, values


def _cell_index(dist: Distribution, *codes: ArrayLike) -> np.ndarray:
    """Flat index of each sample's cell in ``dist.table``."""
    positions = [np.searchsorted(v, np.asarray(c)) for v, c in zip(dist.values, codes, strict=True)]
    return np.ravel_multi_index(positions, dist.shape)
