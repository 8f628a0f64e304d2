"""From samples of M modalities to the heterogeneity matrices ``M_U`` and ``M_C`` and the
parameter groups (thesis Section 9.2.1): measure, complete where sampled, cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from pid.heterogeneity.completion import (
    AdaptiveDesign,
    Pair,
    complete_distances,
    sample_pairs,
)
from pid.heterogeneity.groups import LINKAGES, parameter_groups
from pid.heterogeneity.transfer import (
    FINE_TUNE,
    FineTune,
    MorePairs,
    TransferMatrix,
    check_modalities,
    interaction_transfer,
    modality_transfer,
)

if TYPE_CHECKING:
    from pid.models.trainer import TrainConfig


@dataclass
class Heterogeneity:
    """The heterogeneity of M modalities and of their pairs, and the parameter groups.

    Attributes
    ----------
    names : list of str
        The modalities.
    modality : TransferMatrix
        Unimodal transfer: ``L*``, ``L*_i->j``, ``T`` and ``d`` as measured (NaN where not).
    modality_distance : array of shape (M, M)
        ``M_U(i, j) = d(X_i; X_j)`` (Eq. 9.5), completed at ``rank`` where sampled.
    modality_groups : array of shape (M,)
        The encoder group of each modality (:func:`~pid.heterogeneity.parameter_groups`).
    interaction, interaction_distance, interaction_groups : optional
        The same for the modality pairs (``M_C(ij, kl) = d(X_i, X_j; X_k, X_l)``, crossmodal
        transfer), in the order ``(0, 1), (0, 2), ...``; None with fewer than three modalities
        or when not asked for.
    settings : dict
        How it was measured: ``fine_tune``, ``rank``, ``pairs_per_member``, ``adaptive``,
        ``linkage``, the number of measured pairs per matrix, ``split_seed``, ``sample_seed``
        and the training configuration.
    """

    names: list[str]
    modality: TransferMatrix
    modality_distance: np.ndarray
    modality_groups: np.ndarray
    interaction: TransferMatrix | None
    interaction_distance: np.ndarray | None
    interaction_groups: np.ndarray | None
    settings: dict[str, Any]

    def grouped(self, interactions: bool = False) -> list[list[str]]:
        """The members of each group, by name (modality pairs as ``"a+b"``)."""
        source = self.interaction if interactions else self.modality
        labels = self.interaction_groups if interactions else self.modality_groups
        if source is None or labels is None:
            raise ValueError(
                "no interaction heterogeneity was measured (it needs three or more modalities "
                "and interactions=True); ask for the modality groups instead."
            )
        return [
            [name for name, g in zip(source.names, labels, strict=True) if g == group]
            for group in range(int(labels.max()) + 1)
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: the settings, and per matrix what was measured, the completed
        distances and the groups (by index and by name)."""
        out: dict[str, Any] = {"names": self.names, "settings": self.settings}
        for key, interactions in (("modality", False), ("interaction", True)):
            measured = self.interaction if interactions else self.modality
            if measured is None:
                out[key] = None
                continue
            distance = self.interaction_distance if interactions else self.modality_distance
            labels = self.interaction_groups if interactions else self.modality_groups
            out[key] = {
                **measured.to_dict(),
                "completed_distance_bits": np.asarray(distance).tolist(),
                "groups": np.asarray(labels).tolist(),
                "grouped": self.grouped(interactions),
            }
        return out


def measure_heterogeneity(
    modalities: Mapping[str, ArrayLike] | Sequence[ArrayLike],
    y: ArrayLike,
    *,
    modality_groups: int,
    interaction_groups: int | None = None,
    interactions: bool = True,
    pairs_per_member: float | None = None,
    adaptive: bool = True,
    rank: int = 3,
    fine_tune: FineTune = "projection",
    linkage: str = "average",
    config: TrainConfig | None = None,
    split_seed: int = 0,
    sample_seed: int = 0,
    progress: bool = False,
) -> Heterogeneity:
    """Measure ``M_U`` (and ``M_C``) by transfer, complete them if sampled, and cluster.

    ``M_U(i, j) = d(X_i; X_j)`` comes from unimodal transfer
    (:func:`~pid.heterogeneity.modality_transfer`, Eqs. 9.1-9.5) and
    ``M_C(ij, kl) = d(X_i, X_j; X_k, X_l)`` from crossmodal transfer between modality pairs
    (:func:`~pid.heterogeneity.interaction_transfer`, Eqs. 9.6-9.8). With
    ``pairs_per_member = c``, only ``round(c K)`` pairs of a matrix's ``K`` members are
    measured (``O(K)`` instead of ``K (K - 1) / 2``) and the rest completed at rank ``rank``,
    each between 0 and the largest measured distance
    (:func:`~pid.heterogeneity.complete_distances`); by default every pair is measured. With
    ``adaptive`` (the default) the pairs are measured in rounds, half of them random and the
    rest where the completion is least determined (:class:`~pid.heterogeneity.AdaptiveDesign`,
    ``sample_seed``); without it, all at random (:func:`~pid.heterogeneity.sample_pairs`).
    Agglomerative clustering (``linkage``) cuts ``M_U`` into ``modality_groups`` groups and
    ``M_C`` into ``interaction_groups`` (default: as many as ``modality_groups``, at most the
    number of pairs).
    """
    names, arrays, labels = check_modalities(modalities, y)
    count = len(arrays)
    if not isinstance(modality_groups, int) or not 1 <= modality_groups <= count:
        raise ValueError(
            f"modality_groups is {modality_groups!r}; pass a number of groups between 1 and "
            f"{count} (the number of modalities)."
        )
    n_pairs = count * (count - 1) // 2
    pair_k = modality_groups if interaction_groups is None else interaction_groups
    if interactions and count >= 3 and (not isinstance(pair_k, int) or not 1 <= pair_k <= n_pairs):
        raise ValueError(
            f"interaction_groups is {pair_k!r}; pass a number of groups between 1 and {n_pairs} "
            "(the number of modality pairs)."
        )
    if pairs_per_member is not None and not pairs_per_member >= 1:
        raise ValueError(
            f"pairs_per_member is {pairs_per_member!r}; pass at least 1 (a cycle through all "
            "members), or None to measure every pair."
        )
    if linkage not in LINKAGES:
        raise ValueError(f"linkage is {linkage!r}; choose among {', '.join(LINKAGES)}.")
    if fine_tune not in FINE_TUNE:
        raise ValueError(f"fine_tune is {fine_tune!r}; pass 'projection' or 'all'.")
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank is {rank!r}; pass a positive whole number (3 in the paper).")
    from pid.models.trainer import TrainConfig

    config = config or TrainConfig()
    measured_pairs: dict[str, int] = {}
    common = {"fine_tune": fine_tune, "config": config, "split_seed": split_seed}

    def chosen_pairs(members: int, key: str) -> tuple[list[Pair] | None, MorePairs | None]:
        """The first pairs to measure (None: all) and where the rest come from."""
        total = members * (members - 1) // 2
        wanted = total if pairs_per_member is None else round(pairs_per_member * members)
        measured_pairs[key] = min(max(wanted, members), total) if members > 2 else total
        if measured_pairs[key] == total:
            return None, None
        if not adaptive:
            return sample_pairs(members, measured_pairs[key], seed=sample_seed), None
        design = AdaptiveDesign(members, measured_pairs[key], rank, sample_seed)
        return design.first(), design.next

    named = dict(zip(names, arrays, strict=True))
    pairs, more_pairs = chosen_pairs(count, "modality")
    modality = modality_transfer(
        named, labels, pairs=pairs, more_pairs=more_pairs, progress=progress, **common
    )
    modality_distance = complete_distances(modality.distance, rank)
    groups = parameter_groups(modality_distance, modality_groups, linkage)
    interaction = interaction_distance = pair_groups = None
    if interactions and count >= 3:
        pairs, more_pairs = chosen_pairs(n_pairs, "interaction")
        interaction = interaction_transfer(
            named, labels, pairs=pairs, more_pairs=more_pairs, progress=progress, **common
        )
        interaction_distance = complete_distances(interaction.distance, rank)
        pair_groups = parameter_groups(interaction_distance, pair_k, linkage)
    settings = {
        "fine_tune": fine_tune,
        "rank": rank,
        "pairs_per_member": pairs_per_member,
        "adaptive": adaptive,
        "measured_pairs": measured_pairs,
        "linkage": linkage,
        "split_seed": split_seed,
        "sample_seed": sample_seed,
        "config": asdict(config),
    }
    return Heterogeneity(
        list(names),
        modality,
        modality_distance,
        groups,
        interaction,
        interaction_distance,
        pair_groups,
        settings,
    )
