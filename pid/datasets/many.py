"""Five modalities of known pairwise structure: redundant copies, a synergistic pair and noise.

Three independent uniform latents make the label: a bit ``r``, and two 2-bit values ``c`` and
``d``,

    y = 4 r + (c XOR d)        (8 classes, H(Y) = 3 bits).

The modalities see them as follows (:data:`FIVE_MODALITIES_CODES` names each one's code):

- ``x1`` and ``x2`` see ``r``: redundant copies of it;
- ``x3`` sees ``r`` and ``c``: redundant with ``x1`` and ``x2`` about ``r``, and one half of
  the XOR;
- ``x4`` sees ``d``, the other half of the XOR: nothing about ``y`` on its own, two bits
  together with ``x3``;
- ``x5`` sees nothing: pure noise.

Each modality's features are its code through a fixed random map of its own width (8 to 512),
with Gaussian noise,

    x_m = tanh(E_m[code_m] + noise * e),   E_m in R^(k_m x width_m) with entries N(0, 1),

``e`` standard normal; ``x5`` is ``tanh(noise * e)``. The codes are recovered from the
features almost without error at the default noise, so the features carry what the codes do,
and the exact PID of every pair is that of the codes on the uniform grid of latents
(:func:`five_modalities_pid`): :data:`FIVE_MODALITIES_STRUCTURE` lists each pair's dominant
term, which the construction fixes.
"""

from __future__ import annotations

import itertools

import numpy as np

from pid.distribution import Distribution
from pid.estimators import estimate
from pid.result import PIDResult
from pid.validation import check_whole

#: The width of each modality's features.
FIVE_MODALITIES_WIDTHS = {"x1": 8, "x2": 512, "x3": 32, "x4": 128, "x5": 64}
#: What each modality's code reads of the latents ``r``, ``c``, ``d``.
FIVE_MODALITIES_CODES = {"x1": "r", "x2": "r", "x3": "4 r + c", "x4": "d", "x5": "nothing"}
#: The dominant term of each pair by construction (``"U1"`` the first modality's unique
#: information, ``None`` where the pair carries no information about ``y``) and its exact
#: size in bits.
FIVE_MODALITIES_STRUCTURE: dict[tuple[str, str], tuple[str | None, float]] = {
    ("x1", "x2"): ("R", 1.0),
    ("x1", "x3"): ("R", 1.0),
    ("x2", "x3"): ("R", 1.0),
    ("x3", "x4"): ("S", 2.0),
    ("x1", "x4"): ("U1", 1.0),
    ("x1", "x5"): ("U1", 1.0),
    ("x2", "x4"): ("U1", 1.0),
    ("x2", "x5"): ("U1", 1.0),
    ("x3", "x5"): ("U1", 1.0),
    ("x4", "x5"): (None, 0.0),
}


def five_modalities_codes() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each modality's code and the label on the 32 equally likely values of ``(r, c, d)``.

    ``x5``, independent of everything, has the single code 0. Every row is equally likely, so
    the empirical joint of any columns is their exact distribution.
    """
    grid = np.array(list(itertools.product(range(2), range(4), range(4))), dtype=np.int64)
    r, c, d = grid.T
    codes = {"x1": r, "x2": r.copy(), "x3": 4 * r + c, "x4": d, "x5": np.zeros_like(r)}
    return codes, 4 * r + (c ^ d)


def five_modalities(
    n_samples: int, *, noise: float = 0.5, seed: int | None = 0, structure_seed: int = 0
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``n_samples`` draws of the five modalities' features and the label (module docstring).

    ``structure_seed`` fixes the random maps ``E_m``; ``seed`` draws the latents and the noise.
    Returns ``{"x1": ..., "x5": ...}``, float arrays of shape ``(n_samples, width)`` with the
    widths of :data:`FIVE_MODALITIES_WIDTHS`, and the labels in ``0..7``.
    """
    n_samples = check_whole(n_samples, "n_samples", 1)
    if not 0 < noise < np.inf:
        raise ValueError(f"noise is {noise!r}; pass a positive number (0.5 by default).")
    grid, labels = five_modalities_codes()
    structure = np.random.default_rng(structure_seed)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(labels), n_samples)
    features = {}
    for name, width in FIVE_MODALITIES_WIDTHS.items():
        codes = grid[name][rows]
        embedding = structure.standard_normal((int(grid[name].max()) + 1, width))
        signal = 0.0 if name == "x5" else embedding[codes]
        features[name] = np.tanh(signal + noise * rng.standard_normal((n_samples, width)))
    return features, labels[rows]


def five_modalities_pid() -> dict[tuple[str, str], PIDResult]:
    """The exact PID of every pair of the five modalities, and of each against the other four.

    ``pid.estimate`` on the exact joint of the pair's codes and the label
    (:func:`five_modalities_codes`); the key ``(name, "rest")`` holds the PID of modality
    ``name`` (``U1``) against the joint code of the other four (``U2``).
    """
    codes, labels = five_modalities_codes()
    names = list(codes)
    exact = {
        (a, b): estimate(Distribution.from_samples(codes[a], codes[b], labels))
        for a, b in itertools.combinations(names, 2)
    }
    for name in names:
        others = np.stack([codes[other] for other in names if other != name], axis=1)
        joint = np.unique(others, axis=0, return_inverse=True)[1].ravel()
        exact[(name, "rest")] = estimate(Distribution.from_samples(codes[name], joint, labels))
    return exact
