"""Evaluating learned representations: a linear probe and information about the latents.

:func:`linear_probe` is the standard evaluation of contrastive representations: a logistic
regression trained on frozen features of the training split and scored on the test split.
:func:`latent_information` estimates ``I(Z; w)`` against the generating latents of synthetic
data (thesis Table 4.1) with a Gaussian lower bound from a linear probe.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def linear_probe(
    train_features: ArrayLike,
    train_labels: ArrayLike,
    test_features: ArrayLike,
    test_labels: ArrayLike,
    *,
    max_iter: int = 2000,
) -> float:
    """Test accuracy of a logistic regression on standardized frozen features.

    The scaler and the classifier are fitted on the training split only (L2 penalty
    ``C = 1``, lbfgs); the returned number is the fraction of test labels predicted exactly.
    """
    probe = logistic_probe(max_iter)
    probe.fit(np.asarray(train_features), np.asarray(train_labels))
    return float(probe.score(np.asarray(test_features), np.asarray(test_labels)))


def logistic_probe(max_iter: int = 2000) -> Any:
    """An unfitted scikit-learn pipeline: standardization, then a logistic regression (L2
    penalty ``C = 1``, lbfgs); the probe of :func:`linear_probe` and of label targets in
    :func:`pid.factorcl.probing.probe`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))


def ridge_predict(
    train_x: np.ndarray, train_y: np.ndarray, x: np.ndarray, ridge: float = 1e-3
) -> np.ndarray:
    """A ridge regression of ``train_y`` on ``train_x`` applied to ``x``.

    ``y ~ A x + c`` fitted on centred data, ``A = (X^T X + lambda I)^-1 X^T Y`` with
    ``lambda = ridge * trace(X^T X) / d`` (at least 1e-12, so that constant inputs still
    solve).
    """
    mean_x, mean_y = train_x.mean(axis=0), train_y.mean(axis=0)
    centred = train_x - mean_x
    gram = centred.T @ centred
    penalty = max(ridge * np.trace(gram) / max(len(gram), 1), 1e-12)
    coef = np.linalg.solve(gram + penalty * np.eye(len(gram)), centred.T @ (train_y - mean_y))
    return (x - mean_x) @ coef + mean_y


def latent_information(
    train_z: ArrayLike,
    train_w: ArrayLike,
    test_z: ArrayLike,
    test_w: ArrayLike,
    *,
    ridge: float = 1e-3,
) -> float:
    """A lower bound on ``I(Z; w)`` in bits for Gaussian latents ``w``, from a linear probe.

    A ridge regression ``w ~ A z + c`` is fitted on the training split; on the test split,
    with ``Sigma_w`` the covariance of ``w`` and ``Sigma_e`` that of the residuals,

        I(Z; w) >= (1/2) log2( det Sigma_w / det Sigma_e ),

    since ``h(w | Z) <= h(w - A Z - c)`` is at most the entropy of a Gaussian of the residuals'
    covariance, and ``h(w)`` is the Gaussian entropy for Gaussian ``w``. Clipped at 0. For
    ``Z = w + N(0, s^2 I)`` it approaches ``(d/2) log2(1 + 1/s^2)``, the exact value.
    """
    z_tr, w_tr, z_te, w_te = (
        np.asarray(v, dtype=np.float64) for v in (train_z, train_w, test_z, test_w)
    )
    z_tr, z_te, w_tr, w_te = (v.reshape(len(v), -1) for v in (z_tr, z_te, w_tr, w_te))
    residual = w_te - ridge_predict(z_tr, w_tr, z_te, ridge)
    _, logdet_w = np.linalg.slogdet(np.atleast_2d(np.cov(w_te, rowvar=False)))
    _, logdet_e = np.linalg.slogdet(np.atleast_2d(np.cov(residual, rowvar=False)))
    return max(0.5 * (logdet_w - logdet_e) / math.log(2.0), 0.0)
