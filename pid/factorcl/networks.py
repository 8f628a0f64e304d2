"""Encoders of the two modalities, factorized into shared and unique parts or not.

FactorCL (thesis Section 4.3) learns four representations: ``Z_S1`` and ``Z_U1`` of ``x1``
(what it shares with ``x2``, what is unique to it), ``Z_S2`` and ``Z_U2`` of ``x2``. Each
modality has one backbone and a linear head per representation. The methods without
factorization (SimCLR, Cross+Self, SupCon, OurCL) have a single head per modality, ``Z_1``
and ``Z_2``.
"""

from __future__ import annotations

import torch
from torch import nn

from pid.nn import SequenceEncoder, mlp

#: Representation names of a factorized network, in the order they are concatenated.
FACTORIZED = ("s1", "u1", "s2", "u2")

#: Representation names of a network with one representation per modality.
JOINT = ("z1", "z2")


def backbone(shape: tuple[int, ...], hidden: int) -> nn.Module:
    """An encoder for samples of ``shape``: ``(d,)`` vectors get an MLP, ``(T, d)`` a GRU whose
    last state goes through a linear layer."""
    if len(shape) == 1:
        return mlp(shape[0], hidden, hidden)
    return SequenceEncoder(shape[-1], hidden, project=True)


class ContrastiveNet(nn.Module):
    """Backbones of ``x1`` and ``x2`` and the linear heads giving the representations.

    ``factorized=True`` gives heads ``s1, u1`` on ``x1`` and ``s2, u2`` on ``x2``
    (``Z_S1, Z_U1, Z_S2, Z_U2``); ``False`` gives one head per modality, ``z1`` and ``z2``.
    """

    def __init__(
        self,
        shape1: tuple[int, ...],
        shape2: tuple[int, ...],
        *,
        hidden: int,
        embed_dim: int,
        factorized: bool,
    ) -> None:
        super().__init__()
        self.factorized = factorized
        self.backbones = nn.ModuleList([backbone(shape1, hidden), backbone(shape2, hidden)])
        names = FACTORIZED if factorized else JOINT
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, embed_dim) for name in names})

    @property
    def names(self) -> tuple[str, ...]:
        """The representation names this network returns, in order."""
        return FACTORIZED if self.factorized else JOINT

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        """The representations of a batch, by name (``s1, u1, s2, u2`` or ``z1, z2``)."""
        hidden = tuple(_summary(net, x) for net, x in zip(self.backbones, (x1, x2), strict=True))
        return {name: head(hidden[int(name[1]) - 1]) for name, head in self.heads.items()}


def _summary(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A backbone's representation of ``x``: the MLP's output, or a sequence's summary."""
    out = backbone(x)
    return out[0] if isinstance(out, tuple) else out
