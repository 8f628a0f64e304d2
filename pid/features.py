"""Standardized features and their principal components, a block of samples at a time.

Both functions read the samples in blocks of :data:`BLOCK_ROWS` rows and compute in float64
whatever the input's float type, so that a million samples of a few hundred float32 features
are never copied whole into float64: the memory beside the output is one block.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

#: Rows read at a time.
BLOCK_ROWS = 1 << 16


def standardize(x: np.ndarray, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Each column of the 2-D array ``x`` centred and scaled to unit variance,

        z_ij = (x_ij - mu_j) / s_j,   mu_j = mean_i x_ij,   s_j^2 = mean_i (x_ij - mu_j)^2,   (1)

    with ``s_j = 1`` for a constant column (which becomes zeros), returned as ``dtype``.
    """
    mean, scale = _mean_and_scale(x)
    out = np.empty(x.shape, dtype=dtype)
    for start in range(0, len(x), BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        out[block] = (x[block] - mean) / scale
    return out


def principal_components(x: np.ndarray, n_components: int) -> np.ndarray:
    """The standardized features ``Z`` of Eq. (1) projected on their first principal
    components,

        C = Z^T Z / n = V diag(lambda) V^T,   P = Z V_k,                               (2)

    where ``V_k`` holds the eigenvectors of the correlation matrix ``C`` with the
    ``k = n_components`` largest eigenvalues, each signed so that its largest entry in
    absolute value is positive (a choice that does not depend on the linear algebra library).
    The decomposition is exact (no randomized approximation); it costs one pass over the
    samples for ``C``, of ``n d^2`` operations, one ``d x d`` eigendecomposition and one pass
    for ``P``. Returns a float64 array of shape ``(n, k)``, ``k <= d``.
    """
    mean, scale = _mean_and_scale(x)
    correlation = np.zeros((x.shape[1], x.shape[1]))
    for start in range(0, len(x), BLOCK_ROWS):
        block = (x[start : start + BLOCK_ROWS] - mean) / scale
        correlation += block.T @ block
    correlation /= len(x)
    _, vectors = np.linalg.eigh(correlation)
    leading = vectors[:, ::-1][:, :n_components]
    signs = np.sign(leading[np.abs(leading).argmax(axis=0), np.arange(leading.shape[1])])
    leading = leading * np.where(signs == 0, 1.0, signs)
    out = np.empty((len(x), leading.shape[1]))
    for start in range(0, len(x), BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        out[block] = ((x[block] - mean) / scale) @ leading
    return out


def _mean_and_scale(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of Eq. (1), in float64, the latter 1 where 0."""
    mean = x.mean(axis=0, dtype=np.float64)
    squares = np.zeros(x.shape[1])
    for start in range(0, len(x), BLOCK_ROWS):
        block = x[start : start + BLOCK_ROWS] - mean
        squares += np.einsum("ij,ij->j", block, block)
    spread = np.sqrt(squares / len(x))
    return mean, np.where(spread > 0, spread, 1.0)
