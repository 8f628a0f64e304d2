"""Synthetic data with known information: correlated Gaussians and the latent multimodal data.

:func:`correlated_gaussians` gives pairs of known mutual information (thesis Figure 4.3).
:func:`shared_unique` is the controlled dataset of thesis Section 4.4.1: latents ``w1``,
``w2``, ``ws`` mapped into high-dimensional ``x1`` and ``x2``, with labels drawn from a chosen
share of unique and shared latent coordinates.
"""

from __future__ import annotations

import math

import numpy as np

from pid.validation import check_number, check_seed, check_whole


def correlated_gaussians(
    n: int, dim: int, mi: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(x1, x2)`` in ``R^dim`` with ``I(X1; X2) = mi`` nats exactly.

    Each coordinate pair is a standard bivariate normal with correlation ``rho``,
    ``x2 = rho x1 + sqrt(1 - rho^2) e``, independent across coordinates, so
    ``I(X1; X2) = -(dim / 2) log(1 - rho^2)`` and ``rho = sqrt(1 - exp(-2 mi / dim))``;
    ``mi`` is finite and at least 0.
    """
    check_whole(n, "n", 1)
    check_whole(dim, "dim", 1)
    check_number(mi, "mi")
    check_seed(seed, "seed")
    rho = math.sqrt(1.0 - math.exp(-2.0 * mi / dim))
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal((n, dim))
    x2 = rho * x1 + math.sqrt(1.0 - rho**2) * rng.standard_normal((n, dim))
    return x1.astype(np.float32), x2.astype(np.float32)


def shared_unique(
    n: int,
    unique_share: float = 0.5,
    *,
    latent_dim: int = 10,
    dim: int = 100,
    label_dim: int = 6,
    label_noise: float = 0.1,
    seed: int = 0,
    structure_seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Two modalities whose task information is a chosen mix of shared and unique (Sec. 4.4.1).

    Latents ``w1, w2, ws ~ N(0, I_latent_dim)`` are unique to ``x1``, unique to ``x2`` and
    shared. ``x1 = tanh([w1, ws] T1)`` and ``x2 = tanh([w2, ws] T2)`` with fixed random
    ``T1, T2`` of shape ``(2 latent_dim, dim)`` (entries ``N(0, 1 / (2 latent_dim))``, drawn
    from ``structure_seed``). The label reads ``label_dim`` latent coordinates: a share
    ``unique_share`` of them unique (split between ``w1`` and ``w2``, ``w1`` first), the rest
    from ``ws``; ``y = 1[v . s / sqrt(label_dim) + label_noise e > 0]`` with a fixed random sign
    vector ``s``. ``unique_share = 0`` makes the task purely shared, ``1`` purely unique.

    Returns ``x1``, ``x2`` (float32, ``(n, dim)``), ``y`` (``(n,)`` integers 0/1) and the
    latents ``{"w1": ..., "w2": ..., "ws": ...}``. ``label_noise`` is a finite scale, at
    least 0.
    """
    check_whole(n, "n", 1)
    if not check_number(unique_share, "unique_share") <= 1.0:
        raise ValueError(f"unique_share is {unique_share}; pass a fraction in [0, 1].")
    check_whole(latent_dim, "latent_dim", 1)
    check_whole(dim, "dim", 1)
    if not 1 <= check_whole(label_dim, "label_dim", 1) <= latent_dim:
        raise ValueError(
            f"label_dim is {label_dim} with latent_dim={latent_dim}; pass 1 <= label_dim <= "
            "latent_dim."
        )
    check_number(label_noise, "label_noise")
    check_seed(seed, "seed")
    check_seed(structure_seed, "structure_seed")
    structure = np.random.default_rng(structure_seed)
    scale = 1.0 / math.sqrt(2 * latent_dim)
    t1, t2 = (structure.normal(0.0, scale, (2 * latent_dim, dim)) for _ in range(2))
    signs = structure.choice([-1.0, 1.0], size=label_dim)
    rng = np.random.default_rng(seed)
    w1, w2, ws = (rng.standard_normal((n, latent_dim)) for _ in range(3))
    n_unique = round(unique_share * label_dim)
    n_unique1 = (n_unique + 1) // 2
    n_unique2 = n_unique - n_unique1
    read = np.concatenate(
        [w1[:, :n_unique1], w2[:, :n_unique2], ws[:, : label_dim - n_unique]], axis=1
    )
    score = read @ signs / math.sqrt(label_dim) + label_noise * rng.standard_normal(n)
    x1 = np.tanh(np.concatenate([w1, ws], axis=1) @ t1).astype(np.float32)
    x2 = np.tanh(np.concatenate([w2, ws], axis=1) @ t2).astype(np.float32)
    y = (score > 0).astype(np.int64)
    return x1, x2, y, {"w1": w1, "w2": w2, "ws": ws}
