"""Synthetic discrete datasets whose interactions are known by construction."""

from __future__ import annotations

import itertools

import numpy as np

from pid.distribution import Distribution
from pid.validation import check_whole


def latent_bits(
    n_samples: int,
    *,
    redundant: int = 1,
    unique1: int = 1,
    unique2: int = 1,
    synergistic: int = 1,
    flip: float = 0.0,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paired samples built from independent uniform latent bits.

    Each shared bit ``c`` is seen by both modalities and copied into the label (redundancy);
    each bit ``a`` (``b``) is seen only by ``x1`` (``x2``) and copied into the label
    (uniqueness); each synergistic pair ``(s1, s2)`` is split between the modalities and only
    ``s1 XOR s2`` enters the label (synergy). By construction
    ``R, U1, U2, S = redundant, unique1, unique2, synergistic`` bits in the population.
    With ``flip > 0`` each bit of the label is flipped independently with that probability,
    a noisy channel whose exact PID :func:`latent_bits_distribution` gives.

    Returns integer codes ``x1, x2, y`` of length ``n_samples``.
    """
    n_samples = check_whole(n_samples, "n_samples", 1)
    redundant, unique1, unique2, synergistic = _check_counts(
        redundant, unique1, unique2, synergistic, flip
    )
    rng = np.random.default_rng(seed)

    def bits(k: int) -> np.ndarray:
        return rng.integers(0, 2, size=(n_samples, k))

    shared, own1, own2 = bits(redundant), bits(unique1), bits(unique2)
    half1, half2 = bits(synergistic), bits(synergistic)
    label = np.concatenate([shared, own1, own2, half1 ^ half2], axis=1)
    noise = (rng.random(label.shape) < flip).astype(label.dtype)
    return _pack(shared, own1, half1), _pack(shared, own2, half2), _pack(label ^ noise)


def latent_bits_distribution(
    *,
    redundant: int = 1,
    unique1: int = 1,
    unique2: int = 1,
    synergistic: int = 1,
    flip: float = 0.0,
) -> Distribution:
    """The population distribution :func:`latent_bits` samples, ``p(x1, x2, y)`` exactly.

    Every assignment of the latent bits is equally likely, and each label bit is flipped with
    probability ``flip``; the table's axes are the integer codes ``latent_bits`` returns.
    Its exact PID is :func:`pid.estimate` of it (``R, U1, U2, S`` are the bit counts when
    ``flip = 0``).
    """
    redundant, unique1, unique2, synergistic = _check_counts(
        redundant, unique1, unique2, synergistic, flip
    )
    total = redundant + unique1 + unique2 + 2 * synergistic
    latent = np.array(list(itertools.product((0, 1), repeat=total)), dtype=np.int64)
    latent = latent.reshape(-1, total)
    cuts = np.cumsum([redundant, unique1, unique2, synergistic])
    shared, own1, own2, half1, half2 = np.split(latent, cuts, axis=1)
    label = np.concatenate([shared, own1, own2, half1 ^ half2], axis=1)
    width = label.shape[1]
    noise = np.array(list(itertools.product((0, 1), repeat=width)), dtype=np.int64)
    weight = np.prod(np.where(noise == 1, flip, 1.0 - flip), axis=1)
    x1, x2 = _pack(shared, own1, half1), _pack(shared, own2, half2)
    shape = (2 ** (redundant + unique1 + synergistic), 2 ** (redundant + unique2 + synergistic))
    table = np.zeros((*shape, 2**width))
    for flips, p in zip(noise, weight, strict=True):
        np.add.at(table, (x1, x2, _pack(label ^ flips)), p / len(latent))
    return Distribution.from_table(table, normalize=True)


def _check_counts(
    redundant: int, unique1: int, unique2: int, synergistic: int, flip: float
) -> tuple[int, int, int, int]:
    """The four counts of latent bits as ``int``, at least one of them above zero."""
    named = {
        "redundant": redundant,
        "unique1": unique1,
        "unique2": unique2,
        "synergistic": synergistic,
    }
    counts = tuple(check_whole(count, name, 0) for name, count in named.items())
    if not any(counts):
        raise ValueError(
            "redundant, unique1, unique2 and synergistic are all 0; pass at least one latent bit."
        )
    if not 0 <= flip <= 0.5:
        raise ValueError(f"flip is {flip!r}; pass a probability between 0 and 0.5.")
    return counts  # type: ignore[return-value]


def _pack(*bit_blocks: np.ndarray) -> np.ndarray:
    """Integer code of each row of concatenated bit columns (0 for no columns)."""
    bits = np.concatenate(bit_blocks, axis=1)
    return bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))
