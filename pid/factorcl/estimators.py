"""Contrastive bounds on mutual information from a critic's score matrix (thesis Section 4.3.1).

All functions take ``scores[i, j] = f(a_i, b_j)`` over a batch of ``m`` jointly drawn pairs
``(a_i, b_i)`` and return nats. Pairs ``(a_i, b_j)`` with ``j != i`` stand for draws from the
product of the marginals. A boolean ``allowed[i, j]`` restricts the pairs to those of one
conditioning value: with ``allowed = same_class(y)`` the estimators become their conditional
forms given ``Y`` (Eqs. 4.13, 4.14), ``x2^- ~ p(x2 | y)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike
from tqdm.auto import trange

from pid.backend import resolve_device
from pid.factorcl.critics import SeparableCritic


def infonce(scores: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """The InfoNCE lower bound, thesis Eq. 4.10 (Eq. 4.13 with ``allowed``).

    ``I_NCE = mean_i [ f(a_i, b_i) - log( (1/K_i) sum_{j in C_i} exp f(a_i, b_j) ) ]``

    where ``C_i`` holds ``i`` and the batch indices allowed with it (all of them
    unconditionally, ``K_i = m``). It is at most ``log K_i``: a batch of ``m`` pairs cannot
    certify more than ``log m`` nats. Maximizing it over ``f`` trains the critic towards
    ``f* = log p(a | b) + c(a)``.
    """
    if allowed is None:
        log_mean = torch.logsumexp(scores, dim=1) - math.log(scores.shape[1])
    else:
        allowed = allowed | torch.eye(len(scores), dtype=torch.bool, device=scores.device)
        masked = scores.masked_fill(~allowed, -math.inf)
        log_mean = torch.logsumexp(masked, dim=1) - allowed.sum(dim=1).log()
    return (scores.diagonal() - log_mean).mean()


def nce_club(scores: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """The NCE-CLUB upper bound, thesis Eq. 4.11 (Eq. 4.14 with ``allowed``).

    ``I_NCE-CLUB = mean_i f(a_i, b_i) - mean_{i != j, j in C_i} f(a_i, b_j)``

    with the critic ``f`` trained by :func:`infonce` plugged in: for the optimal critic
    ``f* = log p(a | b) + c(a)`` the ``c(a)`` terms cancel and this is CLUB's upper bound,
    ``I(A; B) <= E_p(a,b)[log p(a|b)] - E_p(a)p(b)[log p(a|b)]`` (Eq. 4.12). Anchors with no
    allowed negative in the batch are left out of the second mean.
    """
    off_diagonal = ~torch.eye(len(scores), dtype=torch.bool, device=scores.device)
    negatives = off_diagonal if allowed is None else off_diagonal & allowed
    counts = negatives.sum(dim=1)
    has_negative = counts > 0
    negative_means = (scores * negatives).sum(dim=1)[has_negative] / counts[has_negative]
    return scores.diagonal().mean() - negative_means.mean()


def same_class(labels: torch.Tensor) -> torch.Tensor:
    """``allowed[i, j] = labels[i] == labels[j]``: negatives drawn from ``p(x2 | y)``."""
    return labels[:, None] == labels[None, :]


def mi_bounds(
    x1: ArrayLike,
    x2: ArrayLike,
    *,
    steps: int = 2000,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    hidden: int = 128,
    eval_fraction: float = 0.2,
    device: str = "auto",
    seed: int = 0,
    progress: bool = False,
) -> dict[str, float]:
    """Lower and upper bounds on ``I(X1; X2)`` in nats from samples (thesis Eq. 4.12, Fig. 4.3).

    A :class:`~pid.factorcl.critics.SeparableCritic` is trained by Adam to maximize
    :func:`infonce` on minibatches of the first ``1 - eval_fraction`` of the samples; both
    bounds are then averaged over disjoint batches of the held-out rest, with that same critic
    in :func:`nce_club`: ``I_NCE <= I(X1; X2) <= I_NCE-CLUB``. ``I_NCE`` cannot exceed
    ``log(batch_size)``. Returns ``{"infonce": ..., "nce_club": ..., "log_batch": ...}``.
    """
    a, b = (np.asarray(x, dtype=np.float32) for x in (x1, x2))
    a, b = (x.reshape(len(x), -1) for x in (a, b))
    if len(a) != len(b):
        raise ValueError(f"x1 has {len(a)} samples and x2 {len(b)}; pass paired samples.")
    n_eval = int(len(a) * eval_fraction)
    if n_eval < batch_size or len(a) - n_eval < batch_size:
        raise ValueError(
            f"{len(a)} samples leave fewer than batch_size={batch_size} for training or "
            "evaluation; pass more samples or a smaller batch_size."
        )
    torch_device = resolve_device(device)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    a_t, b_t = (torch.as_tensor(x, device=torch_device) for x in (a, b))
    n_train = len(a) - n_eval
    critic = SeparableCritic(a.shape[1], b.shape[1], hidden).to(torch_device)
    optimizer = torch.optim.Adam(critic.parameters(), lr=learning_rate)
    for _ in trange(steps, disable=not progress, desc="critic"):
        idx = torch.randint(n_train, (batch_size,), generator=generator).to(torch_device)
        loss = -infonce(critic(a_t[idx], b_t[idx]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    lower, upper = [], []
    with torch.no_grad():
        for start in range(n_train, len(a) - batch_size + 1, batch_size):
            scores = critic(a_t[start : start + batch_size], b_t[start : start + batch_size])
            lower.append(float(infonce(scores)))
            upper.append(float(nce_club(scores)))
    return {
        "infonce": float(np.mean(lower)),
        "nce_club": float(np.mean(upper)),
        "log_batch": math.log(batch_size),
    }
