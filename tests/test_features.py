"""Standardized features and their principal components, block by block."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from pid.features import BLOCK_ROWS, EXACT_MAX_FEATURES, principal_components, standardize


def test_standardize_centres_and_scales_every_column_across_blocks():
    rng = np.random.default_rng(0)
    n = BLOCK_ROWS + 4_000  # a second, partial block
    x = np.column_stack([rng.normal(3.0, 2.0, n), rng.exponential(5.0, n), np.full(n, 7.0)])
    z = standardize(x)
    expected = (x[:, :2] - x[:, :2].mean(axis=0)) / x[:, :2].std(axis=0)
    np.testing.assert_allclose(z[:, :2], expected, rtol=0, atol=1e-12)
    assert np.all(z[:, 2] == 0)  # a constant column is centred, not divided by zero
    # Within one block, the very bits of numpy's formula (results stored before keep them).
    part = x[:5_000, :2]
    assert np.array_equal(standardize(part), (part - part.mean(axis=0)) / part.std(axis=0))
    single = standardize(x.astype(np.float32), dtype=np.float32)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single[:, :2], expected, rtol=0, atol=1e-5)


def test_a_constant_column_whose_mean_rounds_is_zeros_not_a_component():
    # 0.1 summed 70,000 times is not 7,000: Eq. (1) alone would turn the column into ones,
    # and ten such columns into a leading component of variance 10.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(BLOCK_ROWS + 4_464, 30)) @ rng.normal(size=(30, 30))
    x[:, :10] = 0.1
    assert x[:, 0].mean() != 0.1
    assert np.all(standardize(x)[:, :10] == 0)
    projected = principal_components(x, 5)
    expected = PCA(5, svd_solver="full").fit(standardize(x)).explained_variance_
    np.testing.assert_allclose(projected.var(axis=0, ddof=1), expected, rtol=1e-8)
    with pytest.raises(ValueError, match="n_components is 31; pass a whole number from 1 to 30"):
        principal_components(x, 31)


def test_principal_components_are_the_exact_ones_with_a_fixed_sign():
    rng = np.random.default_rng(1)
    n, d = BLOCK_ROWS + 1_000, 12
    mixing = rng.normal(size=(d, d)) * np.linspace(3.0, 0.1, d)[:, None]
    x = rng.normal(size=(n, d)) @ mixing + rng.normal(0, 50.0, d)
    projected = principal_components(x, 5)
    assert projected.shape == (n, 5)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    reference = PCA(5, svd_solver="full").fit(z)
    # Each component's loading vector has its largest entry positive: orient sklearn's alike.
    loadings = reference.components_
    signs = np.sign(loadings[np.arange(5), np.abs(loadings).argmax(axis=1)])
    np.testing.assert_allclose(projected, reference.transform(z) * signs, rtol=0, atol=1e-8)
    # Uncorrelated components whose variances are the correlation matrix's largest eigenvalues.
    covariance = np.cov(projected, rowvar=False, bias=True)
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))[::-1][:5]
    np.testing.assert_allclose(covariance, np.diag(eigenvalues), rtol=0, atol=1e-8)
    np.testing.assert_allclose(
        principal_components(x.astype(np.float32), 5), projected, rtol=0, atol=1e-5
    )


def test_wide_features_take_a_randomized_svd_of_the_same_components():
    # Beyond EXACT_MAX_FEATURES columns the d x d correlation matrix is not formed: a few
    # strong directions in noise come out as the exact components do.
    rng = np.random.default_rng(2)
    n, d = 3_000, EXACT_MAX_FEATURES + 100
    latent = rng.normal(size=(n, 4)) * np.array([8.0, 6.0, 4.0, 3.0])
    x = latent @ rng.normal(size=(4, d)) + rng.normal(size=(n, d))
    projected = principal_components(x, 4, seed=0)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    loadings = PCA(4, svd_solver="full").fit(z).components_
    signs = np.sign(loadings[np.arange(4), np.abs(loadings).argmax(axis=1)])
    np.testing.assert_allclose(projected, z @ (loadings.T * signs), rtol=0, atol=1e-6)
