"""Small MLP classifiers for the posteriors p(y|x1), p(y|x2) and p(y|x1,x2) that BATCH needs.

BATCH only sees the marginals ``p(xi, y) = p(y|xi) p(xi)`` through unimodal classifiers
(thesis Section 3.2.2), and synergy needs the multimodal posterior ``p(y|x1,x2)`` as well.
Each classifier is trained by Adam on the cross-entropy of a training split and stopped
early on a held-out validation split; its parameters at the best validation loss are kept.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from pid.errors import SolverError


def mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    """A two-hidden-layer ReLU network ``R^n_in -> R^n_out``."""
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, n_out),
    )


def fit_posterior(
    features: torch.Tensor,
    labels: torch.Tensor,
    n_labels: int,
    *,
    train: torch.Tensor,
    valid: torch.Tensor,
    hidden: int,
    batch_size: int,
    learning_rate: float,
    max_epochs: int,
    patience: int,
    generator: torch.Generator,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Train a classifier of ``labels`` from ``features`` and return its posteriors.

    Parameters
    ----------
    features : tensor of shape (n, d)
    labels : tensor of shape (n,), integer codes ``0..n_labels-1``
    train, valid : tensors of sample indices
        The training and validation splits.
    generator : torch.Generator
        Source of the minibatch order (CPU), for repeatable runs.

    Returns
    -------
    posteriors : ndarray of shape (n, n_labels)
        ``p(y | x)`` for every sample, training and validation alike.
    diagnostics : dict
        ``epochs`` run, ``best_epoch`` and the validation cross-entropy ``valid_loss_bits``.
    """
    model = mlp(features.shape[1], n_labels, hidden).to(features.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn = nn.CrossEntropyLoss()
    best_loss, best_state, best_epoch, epoch = float("inf"), None, 0, 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        order = train[torch.randperm(len(train), generator=generator)]
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size].to(features.device)
            optimizer.zero_grad()
            loss_fn(model(features[batch]), labels[batch]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            valid_loss = float(loss_fn(model(features[valid]), labels[valid]))
        if not math.isfinite(valid_loss):
            raise SolverError(
                f"classifier training diverged at epoch {epoch} (validation loss {valid_loss}); "
                "lower learning_rate."
            )
        if valid_loss < best_loss - 1e-6:
            best_loss, best_epoch = valid_loss, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    with torch.no_grad():
        posteriors = torch.softmax(model(features).double(), dim=1).cpu().numpy()
    return posteriors, {
        "epochs": epoch,
        "best_epoch": best_epoch,
        "valid_loss_bits": float(best_loss / np.log(2)),
    }
