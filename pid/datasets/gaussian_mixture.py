"""The two-component Gaussian mixture of thesis Section 3.3.1, in Cartesian or polar coordinates."""

from __future__ import annotations

import math

import numpy as np

from pid.validation import check_whole

COORDS = ("cartesian", "polar")


def gmm(
    n_samples: int,
    *,
    angle: float = math.pi / 4,
    norm: float = 2.0,
    coords: str = "cartesian",
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples of a mixture of two unit Gaussians in the plane, labeled by their component.

    ``Y`` is uniform on ``{-1, +1}`` and ``(X1, X2) | Y = y ~ N(y mu, I)`` with
    ``mu = norm * (cos angle, sin angle)`` (thesis Section 3.3.1, Figure 3.3).

    ``coords="cartesian"`` returns the coordinates themselves. ``coords="polar"`` returns the
    thesis's polar variant: ``x2 = theta``, the angle of the line through the origin and the
    point, in ``[0, pi)``, and ``x1 = r``, the signed position along that line, so that
    ``(X1, X2)_cartesian = r (cos theta, sin theta)``. The map ``x -> -x`` swaps the labels but
    keeps ``theta``, so ``theta`` alone says nothing about ``Y``: in polar coordinates the
    redundancy and the unique information of ``theta`` are zero.

    Returns float arrays ``x1``, ``x2`` and integer labels ``y`` in ``{-1, +1}``, each of length
    ``n_samples``.
    """
    n_samples = check_whole(n_samples, "n_samples", 1)
    if not 0 <= norm < math.inf:
        raise ValueError(
            f"norm is {norm!r}; pass a finite number >= 0 (the distance of each centre from 0)."
        )
    if not math.isfinite(angle):
        raise ValueError(f"angle is {angle!r}; pass a finite angle in radians.")
    if coords not in COORDS:
        raise ValueError(f"coords {coords!r} is unknown; choose 'cartesian' or 'polar'.")
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array([-1, 1]), size=n_samples)
    mu = norm * np.array([math.cos(angle), math.sin(angle)])
    points = y[:, None] * mu + rng.standard_normal((n_samples, 2))
    a, b = points.T
    if coords == "cartesian":
        return a, b, y
    theta = np.mod(np.arctan2(b, a), np.pi)
    theta[theta >= np.pi] = 0.0  # mod can round a tiny negative angle up to pi
    r = a * np.cos(theta) + b * np.sin(theta)
    return r, theta, y
