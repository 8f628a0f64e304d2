"""What the codes of the posterior encoding lose against the classifiers they code, and the
terms that leaves.

The posterior encoding (:mod:`pid.posterior`) codes each modality's held-out posteriors into a
few codes, whose table gives ``I1``, ``I2`` and the union information, while ``I(X1,X2;Y)``
comes from a classifier of both. Where the codes hold less about the label than the classifier
they code, the table would count the difference as synergy; :class:`CodingLoss` measures it and
moves the terms within the range it leaves (:func:`pid.sampling.sample_pid` applies it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pid.result import TERMS

#: Width of the range of synergy that the codes' losses may leave (``CodingLoss.room`` less
#: ``CodingLoss.floor``) before an estimate warns of it.
CODING_LOSS_BITS = 0.02
#: Standard errors of the difference by which a classifier's held-out information must exceed
#: the codes' to count as a loss: a smaller one is not told from sampling error.
LOSS_STANDARD_ERRORS = 2.0


@dataclass(frozen=True)
class CodingLoss:
    """What the codes of each modality lose about the label against its classifier, and the
    range of terms that leaves.

    With ``l_i = Ic_i - I_i`` (``Ic_i`` the classifier's held-out information, ``I_i`` the
    codes') where it exceeds :data:`LOSS_STANDARD_ERRORS` standard errors of that difference and
    0 otherwise (a smaller difference is not told from sampling error, and counting it would
    bias the loss upwards; a corrected ``I_i`` below 0 is taken as 0), the features hold ``I_i +
    l_i`` about ``y``. Coding a modality can lower its own unique information and the redundancy
    but cannot raise them, and cannot lower the other modality's unique information
    (Bertschinger et al. 2014; a test checks it on random tables). So with the redundancy of the
    features ``R + delta``, the terms of the codes' ``R, U1, U2, S`` become

        R + delta,   U1 + l1 - delta,   U2 + l2 - delta,   S - l1 - l2 + delta,          (1)

    for some ``delta`` from ``floor = l1 + l2 - S`` (the least that leaves the features' synergy
    non-negative) to ``room = min(l1 + l2, I1 + l1 - R, I2 + l2 - R)`` (the most that leaves
    their uniqueness non-negative, and at most what both lost), both within ``[0, l1 + l2]``
    (where sampling error takes the floor past the room, the room is kept). The estimate takes
    ``delta = (l1 + l2) / 2`` clipped to that range, the point of it nearest the codes' terms
    (least squares over the four): exact where a modality that knows nothing leaves no room, and
    where both lose the same bits of one shared signal (``room = l1 = l2``).

    Attributes
    ----------
    lost : ndarray, shape (2,)
        ``l1, l2`` in bits.
    floor, room, delta : float
        The least and the largest redundancy gain Eq. (1) allows, and the one taken.
    """

    lost: np.ndarray
    floor: float
    room: float
    delta: float

    @classmethod
    def of(cls, informations: np.ndarray, classifier_informations: np.ndarray) -> CodingLoss:
        """The coding loss of codes with corrected ``I1, I2, I12, Iu`` (``informations``)
        against the classifiers' ``Ic_1, Ic_2``, each with the standard error of its difference
        from the codes' (the rows of ``classifier_informations``, shape (2, 2))."""
        held, errors = np.asarray(classifier_informations, dtype=float).T
        gap = held - np.maximum(informations[:2], 0.0)  # below 0 is the correction's error
        lost = np.where(gap > LOSS_STANDARD_ERRORS * errors, gap, 0.0)
        total = float(lost.sum())
        redundancy = informations[0] + informations[1] - informations[3]
        room = float(np.clip(np.min(informations[:2] + lost) - redundancy, 0.0, total))
        synergy = informations[2] - informations[3]
        floor = float(np.clip(total - synergy, 0.0, room))
        return cls(lost=lost, floor=floor, room=room, delta=float(np.clip(total / 2, floor, room)))

    @property
    def shift(self) -> np.ndarray:
        """The change of ``I1, I2, I12, Iu`` that moves the terms by Eq. (1) at ``delta``."""
        l1, l2 = self.lost
        return np.array([l1, l2, 0.0, l1 + l2 - self.delta])

    @property
    def moved(self) -> np.ndarray:
        """The change of ``R, U1, U2, S`` (Eq. 1 at ``delta``)."""
        l1, l2 = self.lost
        return np.array([self.delta, l1 - self.delta, l2 - self.delta, self.delta - l1 - l2])

    def ranges(self) -> np.ndarray:
        """Eq. (1)'s range of each term about the codes' value, shape (4, 2)."""
        l1, l2 = self.lost
        low, high = self.floor, self.room
        return np.array(
            [
                [low, high],
                [l1 - high, l1 - low],
                [l2 - high, l2 - low],
                [low - l1 - l2, high - l1 - l2],
            ]
        )

    def record(self, terms: np.ndarray) -> dict[str, Any]:
        """The JSON form kept in ``sampling["coding_loss_bits"]``: ``x1`` and ``x2`` (the losses)
        and ``ranges``, the bits between which Eq. (1) leaves each term of the estimate
        ``terms``."""
        bounds = (terms - self.moved)[:, None] + self.ranges()
        return {
            "x1": float(self.lost[0]),
            "x2": float(self.lost[1]),
            "ranges": dict(zip(TERMS, bounds.tolist(), strict=True)),
        }


__all__ = ["CODING_LOSS_BITS", "LOSS_STANDARD_ERRORS", "CodingLoss"]
