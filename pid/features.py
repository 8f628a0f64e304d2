"""Standardized features and their principal components, a block of samples at a time.

Both functions read the samples a few times (for the means, the spreads and, for the
components, the correlation matrix and the projection) in blocks of :data:`BLOCK_ROWS` rows,
computing in float64 whatever the input's float type, so that a million samples of a few
hundred float32 features are never copied whole into float64: up to
:data:`EXACT_MAX_FEATURES` features, the memory beside the output is one block.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from pid.validation import check_whole

#: Rows read at a time.
BLOCK_ROWS = 1 << 16
#: The most features whose principal components come from the exact correlation matrix, of
#: ``n d^2`` operations and ``d^2`` numbers; wider features take a randomized SVD (Halko,
#: Martinsson and Tropp 2011), of about ``n d k`` operations a pass.
EXACT_MAX_FEATURES = 1024


def standardize(x: np.ndarray, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Each column of the 2-D array ``x`` centred and scaled to unit variance,

        z_ij = (x_ij - mu_j) / s_j,   mu_j = mean_i x_ij,   s_j^2 = mean_i (x_ij - mu_j)^2,   (1)

    returned as ``dtype``. A constant column becomes zeros (its computed mean may differ from
    its value by a rounding error, which Eq. (1) would blow up to a column of ones).
    """
    mean, scale = _mean_and_scale(x)
    out = np.empty(x.shape, dtype=dtype)
    for start in range(0, len(x), BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        out[block] = (x[block] - mean) / scale
    return out


def principal_components(x: np.ndarray, n_components: int, *, seed: int = 0) -> np.ndarray:
    """The standardized features ``Z`` of Eq. (1) projected on their first principal
    components,

        C = Z^T Z / n = V diag(lambda) V^T,   P = Z V_k,                               (2)

    where ``V_k`` holds the eigenvectors of the correlation matrix ``C`` with the
    ``k = n_components`` largest eigenvalues, each signed so that its largest entry in
    absolute value is positive (a choice that does not depend on the linear algebra library).
    Up to :data:`EXACT_MAX_FEATURES` features the decomposition is exact: one pass over the
    samples for ``C``, of ``n d^2`` operations, one ``d x d`` eigendecomposition and one pass
    for ``P``. Wider features take the leading right singular vectors of ``Z`` from a
    randomized SVD (seeded by ``seed``), which approximates ``V_k`` where the spectrum decays.
    Returns a float64 array of shape ``(n, k)``.

    Raises
    ------
    ValueError
        If ``n_components`` is not a whole number from 1 to ``d``.
    """
    check_whole(n_components, "n_components", 1, x.shape[1])
    if x.shape[1] > EXACT_MAX_FEATURES:
        from sklearn.utils.extmath import randomized_svd

        z = standardize(x)
        _, _, rows = randomized_svd(z, n_components, random_state=seed)
        return z @ _signed(rows.T)
    mean, scale = _mean_and_scale(x)
    correlation = np.zeros((x.shape[1], x.shape[1]))
    for start in range(0, len(x), BLOCK_ROWS):
        block = (x[start : start + BLOCK_ROWS] - mean) / scale
        correlation += block.T @ block
    correlation /= len(x)
    _, vectors = np.linalg.eigh(correlation)
    leading = _signed(vectors[:, ::-1][:, :n_components])
    out = np.empty((len(x), leading.shape[1]))
    for start in range(0, len(x), BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        out[block] = ((x[block] - mean) / scale) @ leading
    return out


def _signed(vectors: np.ndarray) -> np.ndarray:
    """Each column times the sign of its largest entry in absolute value."""
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    return vectors * np.where(signs == 0, 1.0, signs)


def _mean_and_scale(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of Eq. (1), in float64; a constant column's mean
    is its value and its scale 1, so that it standardizes to exact zeros."""
    mean = x.mean(axis=0, dtype=np.float64)
    squares = np.zeros(x.shape[1])
    constant = np.ones(x.shape[1], dtype=bool)
    for start in range(0, len(x), BLOCK_ROWS):
        rows = x[start : start + BLOCK_ROWS]
        constant &= (rows == x[:1]).all(axis=0)
        block = rows - mean
        # Summed over rows as numpy's std does: up to BLOCK_ROWS rows, the same bits.
        squares += np.multiply(block, block, out=block).sum(axis=0)
    spread = np.sqrt(squares / len(x))
    if len(x):
        mean = np.where(constant, x[0], mean)
    return mean, np.where(constant | (spread == 0), 1.0, spread)
