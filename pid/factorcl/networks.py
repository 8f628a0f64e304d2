"""Encoders of the two modalities, factorized into shared and unique parts or not.

FactorCL (thesis Section 4.3) learns four representations: ``Z_S1`` and ``Z_U1`` of ``x1``
(what it shares with ``x2``, what is unique to it), ``Z_S2`` and ``Z_U2`` of ``x2``. Each is
its own function of its modality, ``Z_S1 = f_S1(x1)`` and ``Z_U1 = f_U1(x1)`` (Eqs. 4.6,
4.7): a backbone and a linear head per representation, so that what one objective does not
ask of a representation is not carried into it through a backbone shared with another
(docs/factorcl.md). The methods without factorization (SimCLR, Cross+Self, SupCon, OurCL)
have one encoder per modality, ``Z_1`` and ``Z_2``.
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
    """One encoder (backbone and linear head) per representation.

    ``factorized=True`` gives encoders ``s1, u1`` of ``x1`` and ``s2, u2`` of ``x2``
    (``Z_S1, Z_U1, Z_S2, Z_U2``); ``False`` gives one per modality, ``z1`` and ``z2``.
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
        shapes = {"1": shape1, "2": shape2}
        self.encoders = nn.ModuleDict(
            {
                name: _Encoder(shapes[name[1]], hidden, embed_dim)
                for name in (FACTORIZED if factorized else JOINT)
            }
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The representation names this network returns, in order."""
        return FACTORIZED if self.factorized else JOINT

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        """The representations of a batch, by name (``s1, u1, s2, u2`` or ``z1, z2``)."""
        inputs = {"1": x1, "2": x2}
        return {name: encoder(inputs[name[1]]) for name, encoder in self.encoders.items()}


class _Encoder(nn.Module):
    """A backbone of :func:`backbone` and a linear head into ``R^embed_dim``."""

    def __init__(self, shape: tuple[int, ...], hidden: int, embed_dim: int) -> None:
        super().__init__()
        self.backbone = backbone(shape, hidden)
        self.head = nn.Linear(hidden, embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.backbone(x)
        return self.head(out[0] if isinstance(out, tuple) else out)
