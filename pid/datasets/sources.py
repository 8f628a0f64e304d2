"""Many modalities seen from a few sources: the heterogeneity benchmark of thesis Chapter 9.

``S`` independent sources ``s_k ~ N(0, I_r)`` (``r = source_dim``) each set one bit of the
label,

    b_k = 1[(u_k . s_k)(v_k . s_k) + (w_k . s_k) > 0],   flipped with probability ``label_noise``,
    y = sum_k 2^k b_k                                     (2^S classes),

with ``u_k, v_k, w_k`` orthonormal: a sign pattern no linear read-out of ``s_k`` gives, and
balanced (the score is symmetric about 0). Modality ``m`` sees one source ``k = source_of[m]``
through its own invertible map into ``d_m = widths[m]`` features:

    x_m = phi(s_k A_m) B_m + noise * e,   phi(z) = tanh(z) + z / 4,

where ``A_m`` (``r x d_m``) has orthonormal rows scaled by ``sqrt(d_m / r)`` (one-to-one for
``d_m >= r``), ``phi`` is strictly increasing, ``B_m`` is a random orthogonal ``d_m x d_m``
matrix and ``e ~ N(0, I)``. So modalities of one source carry the same information in
different coordinates, and only their own source's bit of ``y``; modalities of different
sources carry different bits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import ortho_group

from pid.validation import check_whole


def source_modalities(
    n_samples: int,
    *,
    source_of: Sequence[int] = (0, 0, 1, 1, 2),
    widths: Sequence[int] = (8, 512, 32, 128, 64),
    source_dim: int = 8,
    noise: float = 0.1,
    label_noise: float = 0.05,
    seed: int = 0,
) -> tuple[list[np.ndarray], np.ndarray]:
    """``n_samples`` draws of the modalities ``x_1..x_M`` and the label ``y`` (module formulas).

    ``source_of[m]`` is the source (``0..S-1``, each used) modality ``m`` sees, ``widths[m]``
    its number of features (at least ``source_dim``). ``seed`` fixes the maps and the samples.
    Returns the modalities, float32 arrays ``(n, d_m)``, and ``y`` in ``0..2^S - 1``.
    """
    n_samples = check_whole(n_samples, "n_samples", 1)
    source_dim = check_whole(source_dim, "source_dim", 3)
    source_of = [int(k) for k in source_of]
    widths = [int(w) for w in widths]
    if len(source_of) != len(widths) or not source_of:
        raise ValueError(
            f"source_of has {len(source_of)} entries and widths {len(widths)}; pass one source "
            "and one width per modality."
        )
    n_sources = max(source_of) + 1
    if min(source_of) < 0 or set(source_of) != set(range(n_sources)):
        raise ValueError(f"source_of is {source_of}; label the sources 0, ..., S-1, each used.")
    if source_dim < 3:
        raise ValueError(f"source_dim is {source_dim}; pass at least 3 (the label reads 3 axes).")
    if min(widths) < source_dim:
        raise ValueError(
            f"widths holds {min(widths)}, below source_dim {source_dim}; a map into fewer "
            "features than the source has is not invertible, so pass widths >= source_dim."
        )
    if not 0 <= label_noise < 0.5 or noise < 0:
        raise ValueError(
            f"label_noise is {label_noise} and noise {noise}; pass 0 <= label_noise < 0.5 "
            "and noise >= 0."
        )
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_sources, n_samples, source_dim))
    y = np.zeros(n_samples, dtype=np.int64)
    for k in range(n_sources):
        u, v, w = ortho_group.rvs(source_dim, random_state=rng)[:3]
        s = latent[k]
        bit = ((s @ u) * (s @ v) + s @ w > 0) ^ (rng.random(n_samples) < label_noise)
        y += bit.astype(np.int64) << k
    modalities = []
    for k, width in zip(source_of, widths, strict=True):
        rows = ortho_group.rvs(width, random_state=rng)[:source_dim]
        z = latent[k] @ (rows * np.sqrt(width / source_dim))
        mixed = (np.tanh(z) + z / 4) @ ortho_group.rvs(width, random_state=rng)
        modalities.append((mixed + noise * rng.standard_normal(mixed.shape)).astype(np.float32))
    return modalities, y
