"""Contrastive bounds on mutual information from a critic's score matrix (thesis Section 4.3.1).

All functions take ``scores[i, j] = f(a_i, b_j)`` over a batch of ``m`` jointly drawn pairs
``(a_i, b_i)`` and return nats. Pairs ``(a_i, b_j)`` with ``j != i`` stand for draws from the
product of the marginals. The conditional forms (Eqs. 4.13 to 4.16) draw the negatives of
anchor ``i`` from ``p(b | c_i)``, the distribution given the anchor's conditioning value
``c_i``: ``weights[i, j]`` is the probability of batch sample ``j`` under it (rows are
normalized here). Given a label, ``weights = same_class(y)`` (uniform over the anchor's
class); given augmented views, :func:`pid.factorcl.augment.source_weights` (the posterior of
each sample having produced the anchor's views).

In data-parallel training a process scores its ``m`` anchors against the ``M`` samples of
the whole global batch (:class:`pid.factorcl.critics.Candidates`): the score matrix is
``m x M`` and anchor ``i``'s positive pair is column ``offset + i``, which every function here
takes as ``offset``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike
from tqdm.auto import trange

from pid.backend import resolve_device
from pid.factorcl.critics import SeparableCritic
from pid.validation import (
    as_array,
    check_between,
    check_features,
    check_number,
    check_seed,
    check_whole,
)


def positive_pairs(
    rows: int, columns: int, offset: int = 0, device: torch.device | None = None
) -> torch.Tensor:
    """``mask[i, offset + i]``: where each of ``rows`` anchors meets its own pair among
    ``columns`` candidates (the diagonal of a square batch)."""
    return torch.eye(rows, columns, dtype=torch.bool, device=device).roll(offset, dims=1)


def infonce(
    scores: torch.Tensor, weights: torch.Tensor | None = None, offset: int = 0
) -> torch.Tensor:
    """The InfoNCE lower bound, thesis Eq. 4.10 (Eqs. 4.13, 4.15 with ``weights``).

    ``I_NCE = mean_i [ f(a_i, b_i) - log sum_j w_ij exp f(a_i, b_j) ]``

    with ``w_ij = 1/m`` unconditionally and otherwise row ``i`` of ``weights`` normalized to
    sum to 1 (the anchor itself always counts, as in the unconditional form). It is at most
    ``-log w_ii``, ``log m`` unconditionally: a batch cannot certify more. Maximizing it over
    ``f`` trains the critic towards ``f* = log p(a | b, c) + c'(a)``. With ``m`` anchors
    against ``M`` candidates, the pairs are ``(i, offset + i)`` and ``m`` above is ``M``.
    """
    if weights is None:
        log_mean = torch.logsumexp(scores, dim=1) - math.log(scores.shape[1])
    else:
        eye = positive_pairs(*scores.shape, offset, scores.device)
        weights = torch.where(eye & (weights <= 0), 1.0, weights.to(scores.dtype))
        log_w = (weights / weights.sum(dim=1, keepdim=True)).log()
        log_mean = torch.logsumexp(scores + log_w, dim=1)
    return (scores.diagonal(offset) - log_mean).mean()


def nce_club(
    scores: torch.Tensor, weights: torch.Tensor | None = None, offset: int = 0
) -> torch.Tensor:
    """The NCE-CLUB upper bound, thesis Eq. 4.11 (Eqs. 4.14, 4.16 with ``weights``).

    ``I_NCE-CLUB = mean_{i in A} [ f(a_i, b_i) - sum_j w_ij f(a_i, b_j) ]``

    with the critic ``f`` trained by :func:`infonce` plugged in: for the optimal critic
    ``f* = log p(a | b) + c(a)`` the ``c(a)`` terms cancel within each anchor's bracket and
    this is CLUB's upper bound,
    ``I(A; B) <= E_p(a,b)[log p(a|b)] - E_p(a)p(b)[log p(a|b)]`` (Eq. 4.12). Unconditionally
    ``w_ij = 1/(m - 1)`` for ``j != i``; otherwise row ``i`` of ``weights`` normalized. ``A``
    holds the anchors whose row has some weight: an anchor without a negative (alone in its
    class) has no ``c(a_i)`` to cancel and is left out of both means. With no such anchor the
    bound is 0, kept in the graph with a zero gradient. Pairs as in :func:`infonce`.
    """
    if weights is None:
        weights = ~positive_pairs(*scores.shape, offset, scores.device)
    weights = weights.to(scores.dtype)
    totals = weights.sum(dim=1)
    has_negative = totals > 0
    if not has_negative.any():
        return scores.sum() * 0
    negative_means = (scores * weights).sum(dim=1)[has_negative] / totals[has_negative]
    return (scores.diagonal(offset)[has_negative] - negative_means).mean()


def same_class(labels: torch.Tensor, candidates: torch.Tensor | None = None) -> torch.Tensor:
    """``weights[i, j] = 1[labels[i] == candidates[j]]``: negatives drawn from ``p(x2 | y)``.

    ``candidates`` are the labels of the columns, ``labels`` themselves by default.
    """
    others = labels if candidates is None else candidates
    return (labels[:, None] == others[None, :]).float()


def other_of_class(
    labels: torch.Tensor, candidates: torch.Tensor | None = None, offset: int = 0
) -> torch.Tensor:
    """:func:`same_class` without the anchor itself (column ``offset + i`` of row ``i``):
    NCE-CLUB's negatives given ``y``."""
    others = labels if candidates is None else candidates
    eye = positive_pairs(len(labels), len(others), offset, labels.device)
    return ((labels[:, None] == others[None, :]) & ~eye).float()


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
    The samples must be finite, ``batch_size`` at least 2 (a batch of one has no negative) and
    ``eval_fraction`` strictly between 0 and 1.
    """
    a, b = (_samples(x, name) for x, name in ((x1, "x1"), (x2, "x2")))
    if len(a) != len(b):
        raise ValueError(f"x1 has {len(a)} samples and x2 {len(b)}; pass paired samples.")
    check_whole(steps, "steps", 1)
    check_whole(batch_size, "batch_size", 2)
    check_whole(hidden, "hidden", 1)
    check_number(learning_rate, "learning_rate", above=True)
    check_between(eval_fraction, "eval_fraction", 0, 1)
    check_seed(seed, "seed")
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


def _samples(x: ArrayLike, name: str) -> np.ndarray:
    """``x`` as float32 samples, one flattened row each (checked by
    :func:`~pid.validation.check_features`), or a ``ValueError`` naming ``name``."""
    array = as_array(x, name)
    if array.ndim > 2 and len(array):  # images and the like: one row of all their values
        array = array.reshape(len(array), -1)
    return check_features(array, name, np.float32)
