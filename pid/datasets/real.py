"""Small real data that ships with scikit-learn (nothing is downloaded)."""

from __future__ import annotations

import numpy as np


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 1,797 handwritten 8x8 digits of ``sklearn.datasets.load_digits``, split in two halves.

    ``x1`` is the left four pixel columns of each image and ``x2`` the right four, each
    flattened to 32 grey levels in ``0..16``; ``y`` is the digit, ``0..9``. Discretize the
    halves (e.g. ``pid.discretize.discretize(x1, x2, y, n_clusters=8)``) before a PID; with
    1,797 samples and ten classes, keep the cluster counts small.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    images = data.images
    n = len(images)
    x1 = images[:, :, :4].reshape(n, -1)
    x2 = images[:, :, 4:].reshape(n, -1)
    return x1, x2, data.target.astype(np.int64)
