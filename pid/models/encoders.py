"""Unimodal encoders shared by every fusion model: one per input type.

A modality is either a batch of vectors, shape ``(n, d)``, or a batch of sequences, shape
``(n, T, d)``. Both encoders return a summary ``z`` of shape ``(n, hidden)`` and the per-step
states ``(n, T, hidden)`` that cross-modal attention reads (a vector counts as one step).
"""

from __future__ import annotations

import torch
from torch import nn


class VectorEncoder(nn.Module):
    """``z = relu(W2 relu(W1 x + b1) + b2)``: a two-layer perceptron for ``(n, d)`` inputs."""

    def __init__(self, in_features: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.net(x)
        return z, z.unsqueeze(1)


class SequenceEncoder(nn.Module):
    """A GRU over ``(n, T, d)`` inputs: ``h_t = GRU(x_t, h_{t-1})``, ``z = h_T``."""

    def __init__(self, in_features: int, hidden: int) -> None:
        super().__init__()
        self.gru = nn.GRU(in_features, hidden, batch_first=True)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        states, last = self.gru(x)
        return last[-1], states


def make_encoder(shape: tuple[int, ...], hidden: int) -> nn.Module:
    """The encoder for samples of ``shape`` (one sample, without the batch axis).

    ``(d,)`` gets a :class:`VectorEncoder`, ``(T, d)`` a :class:`SequenceEncoder`.
    """
    if len(shape) == 1:
        return VectorEncoder(shape[0], hidden)
    if len(shape) == 2:
        return SequenceEncoder(shape[1], hidden)
    raise ValueError(
        f"a modality has samples of shape {shape}; pass vectors (n, d) or sequences (n, T, d)."
    )


def mlp_head(in_features: int, hidden: int, n_classes: int) -> nn.Sequential:
    """``logits = W2 relu(W1 z + b1) + b2``: the classifier on top of a fused representation."""
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))
