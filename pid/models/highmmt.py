"""A small HighMMT-style model: M modalities, parameters shared within groups (thesis 9.2.2).

Each modality ``m`` of width ``d_m`` is first mapped into one shared width ``h`` by its own
input projection ``p_m = P_m x_m + b_m`` (HighMMT standardizes every modality into a common
format before its shared encoder). Then

    u_m = U_{g(m)}(p_m)                          the unimodal encoder of m's group g(m),
    c_ab = C_{q(a,b)}(u_a, u_b)                  the fusion of the pair's group q(a, b), a < b,
    logits = h([c_12, c_13, ..., c_(M-1)M])      one head on all pairs' representations,

with ``U`` a :class:`pid.nn.VectorEncoder` ``R^h -> R^h`` and ``C`` the symmetric fusion
``C(u, v) = relu(W [u + v, u * v] + b)`` (so a pair needs no order). One encoder for all
modalities and one fusion for all pairs is HighMMT's *share all*, one per modality and per pair
its *share none*; groups from clustering the heterogeneity matrices
(:func:`pid.heterogeneity.parameter_groups`) sit in between. With one modality there are no
pairs, and the head reads ``u_1``: the unimodal model behind the transfer measurements of
:mod:`pid.heterogeneity.transfer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from numbers import Integral
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from pid.nn import VectorEncoder, mlp_head

#: A grouping given by name: one group for everything, or one for each member.
Sharing = Literal["all", "none"]


class PairFusion(nn.Module):
    """``c = relu(W [u + v, u * v] + b)``: fuses two representations, symmetric in them."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.linear = nn.Linear(2 * hidden, hidden)

    def forward(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.relu(self.linear(torch.cat([u + v, u * v], dim=1)))


class HighMMT(nn.Module):
    """Per-modality projections, one encoder per modality group, one fusion per pair group.

    Parameters
    ----------
    widths : sequence of int
        Each modality's number of features ``d_m`` (inputs are vectors ``(n, d_m)``).
    n_classes : int
        Number of labels.
    hidden : int
        The shared width ``h`` of projections, encoders and fusions.
    modality_groups : sequence of int, or "all" / "none"
        The encoder group of each modality (labels ``0..k-1``, each used); ``"all"``: one
        encoder for every modality, ``"none"``: one each (the default).
    interaction_groups : sequence of int, or "all" / "none"
        The fusion group of each pair ``(a, b)``, ``a < b``, in the order of
        :attr:`pairs`; ``"all"`` / ``"none"`` as above.
    """

    def __init__(
        self,
        widths: Sequence[int],
        n_classes: int,
        hidden: int = 32,
        *,
        modality_groups: Sequence[int] | Sharing = "none",
        interaction_groups: Sequence[int] | Sharing = "none",
    ) -> None:
        super().__init__()
        whole = (isinstance(w, Integral) and not isinstance(w, bool) and w >= 1 for w in widths)
        if len(widths) == 0 or not all(whole):
            raise ValueError(
                f"widths is {list(widths)}; pass one positive whole number of features per "
                "modality."
            )
        self.widths = tuple(int(w) for w in widths)
        self.pairs = list(combinations(range(len(self.widths)), 2))
        self.modality_groups = _group_labels(modality_groups, len(self.widths), "modality_groups")
        self.interaction_groups = _group_labels(
            interaction_groups, len(self.pairs), "interaction_groups"
        )
        self.projections = nn.ModuleList(nn.Linear(w, hidden) for w in self.widths)
        self.encoders = nn.ModuleList(
            VectorEncoder(hidden, hidden) for _ in range(max(self.modality_groups) + 1)
        )
        self.fusions = nn.ModuleList(
            PairFusion(hidden) for _ in range(max(self.interaction_groups, default=-1) + 1)
        )
        self.head = mlp_head(hidden * max(len(self.pairs), 1), hidden, n_classes)

    @property
    def n_parameters(self) -> int:
        """The number of trained numbers (weights and biases)."""
        return sum(p.numel() for p in self.parameters())

    def encode(self, *inputs: torch.Tensor) -> list[torch.Tensor]:
        """``[u_1, ..., u_M]``: each modality projected, then encoded by its group's encoder."""
        if len(inputs) != len(self.widths):
            raise ValueError(
                f"the model takes {len(self.widths)} modalities and got {len(inputs)}; pass one "
                "tensor per modality, in the order of widths."
            )
        return [
            self.encoders[group](projection(x))[0]
            for x, projection, group in zip(
                inputs, self.projections, self.modality_groups, strict=True
            )
        ]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        u = self.encode(*inputs)
        if not self.pairs:
            return self.head(u[0])
        fused = [
            self.fusions[group](u[a], u[b])
            for (a, b), group in zip(self.pairs, self.interaction_groups, strict=True)
        ]
        return self.head(torch.cat(fused, dim=1))

    def loss(self, *batch: torch.Tensor) -> torch.Tensor:
        """The cross-entropy of ``batch = (x_1, ..., x_M, y)``."""
        *inputs, y = batch
        return F.cross_entropy(self(*inputs), y)

    def shared_state(self) -> dict[str, torch.Tensor]:
        """Every weight but the input projections: what transfers to modalities of other
        widths (:meth:`load_shared`)."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("projections.")}

    def load_shared(self, source: HighMMT, *, freeze: bool) -> None:
        """Start from ``source``'s encoders, fusions and head (the initialization
        ``theta <- theta_source`` of thesis Eqs. 9.3 and 9.7); the input projections stay
        fresh. With ``freeze``, only the projections are trained afterwards."""
        shared, own = source.shared_state(), self.state_dict()
        unlike = [k for k, v in shared.items() if k not in own or own[k].shape != v.shape]
        if unlike or any(k not in shared for k in own if not k.startswith("projections.")):
            raise ValueError(
                "the source model has another layout (groups, pairs or hidden width); transfer "
                "between models of the same number of modalities, groups and hidden width."
            )
        self.load_state_dict(shared, strict=False)
        for name, parameter in self.named_parameters():
            parameter.requires_grad_(name.startswith("projections.") or not freeze)


def _group_labels(groups: Sequence[int] | Sharing, count: int, name: str) -> list[int]:
    """Group labels ``0..k-1`` for ``count`` members, each label used."""
    if isinstance(groups, str):
        if groups not in ("all", "none"):
            raise ValueError(f"{name} is {groups!r}; pass 'all', 'none' or one label a member.")
        return [0] * count if groups == "all" else list(range(count))
    odd = next((g for g in groups if isinstance(g, bool) or not isinstance(g, Integral)), None)
    if odd is not None:
        raise ValueError(
            f"{name} is {list(groups)}, whose label {odd!r} is not a whole number; pass "
            f"{count} whole-number group labels using each of 0, ..., k-1."
        )
    labels = [int(g) for g in groups]
    if len(labels) != count or (labels and sorted(set(labels)) != list(range(max(labels) + 1))):
        raise ValueError(
            f"{name} is {list(groups)}; pass {count} group labels using each of 0, ..., k-1."
        )
    return labels
