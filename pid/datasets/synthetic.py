"""Synthetic discrete datasets whose interactions are known by construction."""

from __future__ import annotations

import numpy as np


def latent_bits(
    n_samples: int,
    *,
    redundant: int = 1,
    unique1: int = 1,
    unique2: int = 1,
    synergistic: int = 1,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paired samples built from independent uniform latent bits.

    Each shared bit ``c`` is seen by both modalities and copied into the label (redundancy);
    each bit ``a`` (``b``) is seen only by ``x1`` (``x2``) and copied into the label
    (uniqueness); each synergistic pair ``(s1, s2)`` is split between the modalities and only
    ``s1 XOR s2`` enters the label (synergy). By construction
    ``R, U1, U2, S = redundant, unique1, unique2, synergistic`` bits in the population.

    Returns integer codes ``x1, x2, y`` of length ``n_samples``.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}.")
    counts = {
        "redundant": redundant,
        "unique1": unique1,
        "unique2": unique2,
        "synergistic": synergistic,
    }
    for name, count in counts.items():
        if count < 0:
            raise ValueError(f"{name} must be >= 0 latent bits, got {count}.")
    rng = np.random.default_rng(seed)

    def bits(k: int) -> np.ndarray:
        return rng.integers(0, 2, size=(n_samples, k))

    shared, own1, own2 = bits(redundant), bits(unique1), bits(unique2)
    half1, half2 = bits(synergistic), bits(synergistic)
    x1 = _pack(shared, own1, half1)
    x2 = _pack(shared, own2, half2)
    y = _pack(shared, own1, own2, half1 ^ half2)
    return x1, x2, y


def _pack(*bit_blocks: np.ndarray) -> np.ndarray:
    """Integer code of each row of concatenated bit columns."""
    bits = np.concatenate(bit_blocks, axis=1)
    return bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))
