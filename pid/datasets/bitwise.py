"""Canonical small distributions whose PID is known in closed form.

The bitwise gates of thesis Table 3.1 (AND, OR, XOR) and the test distributions used
throughout the PID literature (Bertschinger et al.; Griffith and Koch; the ``dit`` package).
Each is a list of equally likely ``(x1, x2, y)`` outcomes, or outcomes with probabilities.
"""

from __future__ import annotations

import numpy as np

from pid.distribution import Distribution

_BITS = [(a, b) for a in (0, 1) for b in (0, 1)]

#: Outcomes ``(x1, x2, y)`` and their probabilities, by name.
CANONICAL: dict[str, tuple[list[tuple[int, int, int]], list[float]]] = {
    # y = x1 AND x2 / x1 OR x2 / x1 XOR x2, with x1, x2 independent uniform bits.
    "and": ([(a, b, a & b) for a, b in _BITS], [0.25] * 4),
    "or": ([(a, b, a | b) for a, b in _BITS], [0.25] * 4),
    "xor": ([(a, b, a ^ b) for a, b in _BITS], [0.25] * 4),
    # x1 = x2 = y: one bit, fully redundant.
    "rdn": ([(0, 0, 0), (1, 1, 1)], [0.5, 0.5]),
    # y = x1, with x2 an independent bit: one bit unique to x1.
    "unq": ([(a, b, a) for a, b in _BITS], [0.25] * 4),
    # y = (x1, x2) for independent bits: one bit unique to each.
    "copy": ([(a, b, 2 * a + b) for a, b in _BITS], [0.25] * 4),
    # y = x1 + x2 for independent bits.
    "sum": ([(a, b, a + b) for a, b in _BITS], [0.25] * 4),
    # x1 = (r, a), x2 = (r, b), y = (r, a XOR b): one redundant and one synergistic bit.
    "rdn_xor": (
        [(2 * r + a, 2 * r + b, 2 * r + (a ^ b)) for r in (0, 1) for a, b in _BITS],
        [0.125] * 8,
    ),
    # y = x1; x2 copies x1 except for a rare flip (Griffith and Koch).
    "imperfect_rdn": ([(0, 0, 0), (0, 1, 0), (1, 1, 1)], [0.499, 0.001, 0.5]),
    # A distribution that separates BROJA from other measures (``dit``'s "diff").
    "diff": ([(0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 1)], [0.25] * 4),
    # The OR gate without its (1, 1) input ("reduced or", Lizier).
    "reduced_or": ([(0, 0, 0), (0, 1, 1), (1, 0, 1)], [0.5, 0.25, 0.25]),
}


def canonical(name: str) -> Distribution:
    """The canonical distribution of the given name (a key of :data:`CANONICAL`)."""
    if name not in CANONICAL:
        raise ValueError(f"name {name!r} is unknown; choose one of {', '.join(CANONICAL)}.")
    outcomes, probabilities = CANONICAL[name]
    outcomes = np.array(outcomes)
    table = np.zeros(tuple(outcomes.max(axis=0) + 1))
    np.add.at(table, tuple(outcomes.T), probabilities)
    return Distribution.from_table(table)
