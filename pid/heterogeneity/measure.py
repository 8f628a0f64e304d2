"""From samples of M modalities to the heterogeneity matrices ``M_U`` and ``M_C`` and the
parameter groups (thesis Section 9.2.1): measure, complete where sampled, cluster."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from pid.heterogeneity.completion import (
    AdaptiveDesign,
    Pair,
    complete_distances,
    fewest_known,
    sample_pairs,
)
from pid.heterogeneity.groups import LINKAGES, parameter_groups
from pid.heterogeneity.transfer import (
    FINE_TUNE,
    FineTune,
    MorePairs,
    TransferMatrix,
    all_pairs,
    check_modalities,
    interaction_transfer,
    modality_transfer,
)
from pid.validation import check_whole

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
    modality_groups = check_whole(modality_groups, "modality_groups (--groups)", 1, count)
    n_pairs = count * (count - 1) // 2
    pair_k = modality_groups if interaction_groups is None else interaction_groups
    if interactions and count >= 3:
        pair_k = check_whole(pair_k, "interaction_groups (--interaction-groups)", 1, n_pairs)
    elif interaction_groups is not None:
        why = (
            "interactions is False (--no-interactions)"
            if count >= 3
            else f"pairs are grouped among three or more modalities only, and there are {count}"
        )
        raise ValueError(
            f"interaction_groups (--interaction-groups) is {interaction_groups!r}, but {why}, so "
            "no modality pairs are measured to group; leave interaction_groups out."
        )
    if pairs_per_member is not None and not 1 <= pairs_per_member < math.inf:
        raise ValueError(
            f"pairs_per_member is {pairs_per_member!r}; pass a finite number of at least 1 (a "
            "cycle through all members), or None to measure every pair."
        )
    if linkage not in LINKAGES:
        raise ValueError(f"linkage is {linkage!r}; choose among {', '.join(LINKAGES)}.")
    if fine_tune not in FINE_TUNE:
        raise ValueError(f"fine_tune is {fine_tune!r}; pass 'projection' or 'all'.")
    rank = check_whole(rank, "rank (--rank)", 1)
    from pid.models.trainer import TrainConfig

    config = config or TrainConfig()
    measured_pairs: dict[str, int] = {}
    common = {"fine_tune": fine_tune, "config": config, "split_seed": split_seed}

    def chosen_pairs(
        member_names: list[str], key: str
    ) -> tuple[list[Pair] | None, MorePairs | None]:
        """The first pairs to measure (None: all) and where the rest come from; refuses, before
        anything is trained, pairs too few for a completion at ``rank``."""
        members = len(member_names)
        total = members * (members - 1) // 2
        wanted = (
            total if pairs_per_member is None else round(min(pairs_per_member * members, total))
        )
        measured_pairs[key] = min(max(wanted, members), total) if members > 2 else total
        if measured_pairs[key] == total:
            return None, None
        if adaptive:
            design = AdaptiveDesign(members, measured_pairs[key], rank, sample_seed)
            pairs, more_pairs = design.first(), design.next
            member, known = design.fewest_known()
        else:
            pairs, more_pairs = sample_pairs(members, measured_pairs[key], seed=sample_seed), None
            member, known = fewest_known(members, pairs)
        needed = min(rank, members - 1)
        if known < needed:
            used = f" ({needed} for {members} members)" if needed < rank else ""
            raise ValueError(
                f"rank is {rank}{used}, but {measured_pairs[key]} measured pairs of the {key} "
                f"matrix leave {member_names[member]} with {known - 1} measured partners, where "
                f"the completion needs {needed - 1}; raise pairs_per_member "
                "(--pairs-per-member) or lower rank (--rank)."
            )
        return pairs, more_pairs

    named = dict(zip(names, arrays, strict=True))
    modality_pairs, more_modality_pairs = chosen_pairs(names, "modality")
    if interactions and count >= 3:
        pair_names = [f"{names[a]}+{names[b]}" for a, b in all_pairs(count)]
        interaction_pairs, more_interaction_pairs = chosen_pairs(pair_names, "interaction")
    modality = modality_transfer(
        named,
        labels,
        pairs=modality_pairs,
        more_pairs=more_modality_pairs,
        progress=progress,
        **common,
    )
    modality_distance = complete_distances(modality.distance, rank)
    groups = parameter_groups(modality_distance, modality_groups, linkage)
    interaction = interaction_distance = pair_groups = None
    if interactions and count >= 3:
        interaction = interaction_transfer(
            named,
            labels,
            pairs=interaction_pairs,
            more_pairs=more_interaction_pairs,
            progress=progress,
            **common,
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
