"""Critics ``f(a, b)`` scoring every pair of a batch, as the contrastive estimators need them.

A critic sees a batch of first-side inputs ``a`` (m, d_a) and second-side inputs ``b``
(m, d_b) and returns the score matrix ``scores[i, j] = f(a_i, b_j)``: the diagonal holds the
positive (jointly drawn) pairs, the rest pairs drawn from the product of the marginals.
Conditional critics (thesis Eqs. 4.13 to 4.16) take the conditioning variable concatenated to
their inputs, ``f([x1, y], x2) = g([x1, y])^T h(x2)`` and
``f([x1, x1'], [x2, x2']) = g([x1, x1'])^T h([x2, x2'])``, as in thesis Section 4.3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from pid.nn import mlp


@dataclass(frozen=True)
class Candidates:
    """The samples a process scores its anchors against: the columns of its score matrices.

    In one process (the default) the batch itself. In data-parallel training, the whole
    global batch (:meth:`pid.distributed.Group.gather`): ``gather`` maps a tensor over this
    process's ``m`` samples to one over every process's, in which this process's rows start at
    ``index * m`` (:meth:`offset`).
    """

    gather: Callable[[torch.Tensor], torch.Tensor] | None = None
    index: int = 0

    def __call__(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` over the candidates (``tensor`` itself in one process)."""
        return tensor if self.gather is None else self.gather(tensor)

    def offset(self, rows: int) -> int:
        """The column of the first anchor's own pair, for anchors of ``rows`` samples."""
        return self.index * rows


class SeparableCritic(nn.Module):
    """``f(a, b) = g(a)^T h(b)`` with two ReLU networks ``g``, ``h`` into ``R^embed_dim``.

    With a ``temperature`` the critic is bounded, ``f(a, b) = cos(g(a), h(b)) / temperature``
    in ``[-1/temperature, 1/temperature]``, as in SimCLR's scores. Scoring all ``m x m`` pairs
    costs two networks on ``m`` inputs and one matrix product; in data-parallel training
    ``h(b)`` of every process's batch is gathered (:class:`Candidates`).
    """

    def __init__(
        self,
        dim_a: int,
        dim_b: int,
        hidden: int = 128,
        embed_dim: int = 32,
        temperature: float | None = None,
    ) -> None:
        super().__init__()
        self.g = mlp(dim_a, embed_dim, hidden)
        self.h = mlp(dim_b, embed_dim, hidden)
        self.temperature = temperature

    def forward(
        self, a: torch.Tensor, b: torch.Tensor, candidates: Candidates | None = None
    ) -> torch.Tensor:
        """Scores of shape (m_a, m_b): ``scores[i, j] = f(a_i, b_j)``; with ``candidates``,
        ``b_j`` runs over theirs."""
        ga, hb = self.g(a), self.h(b)
        if candidates is not None:
            hb = candidates(hb)
        if self.temperature is None:
            return ga @ hb.T
        return F.normalize(ga, dim=1) @ F.normalize(hb, dim=1).T / self.temperature
