"""Unimodal and unique augmentations of vectors and sequences (thesis Section 4.3.2).

A unimodal augmentation ``x1'`` of ``x1`` keeps the task-relevant content and perturbs the
rest (Eq. 4.17); a unique augmentation ``x2'`` of ``x2`` is made *given* ``x1`` (Eq. 4.18): it
must not destroy what ``x2`` shares with ``x1``. Here both mask random parts of the input
and add Gaussian noise:

- vectors ``(m, d)``: each feature is replaced by zero (the mean of standardized inputs) with
  probability ``mask_prob``;
- sequences ``(m, T, d)``: :func:`augment` zeroes each time step (all its channels) with
  probability ``mask_prob``, :func:`unique_augment` each channel (at all time steps).

The unique augmentation protects what is shared: a feature (or, for sequences, a channel)
``j`` of ``x2`` is masked with probability ``mask_prob (1 - r_j)``, where ``r_j`` is the share
of its variance linearly explained by ``x1`` (:func:`shared_fraction`).

Each augmentation returns an :class:`AugmentedView`: the view and the mask of what it kept.
The augmentation's likelihood ``q(x' | x)`` follows from both, and
:func:`source_weights` turns it into the conditional distribution over a batch that the
estimators given ``(X1', X2')`` draw their negatives from (Eqs. 4.15, 4.16).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class AugmentedView:
    """An augmented batch ``view = x * keep + noise * e`` and the ``keep`` mask (0 or 1).

    ``keep`` has the shape of ``x`` for vectors. For sequences ``(m, T, d)`` it broadcasts
    over the axis it does not mask: ``(m, T, 1)`` from :func:`augment` (one entry per time
    step), ``(m, 1, d)`` from :func:`unique_augment` (one entry per channel).
    """

    view: torch.Tensor
    keep: torch.Tensor
    noise: float


def augment(
    x: torch.Tensor,
    *,
    mask_prob: float = 0.3,
    noise: float = 0.1,
    generator: torch.Generator | None = None,
) -> AugmentedView:
    """Unimodal augmentation (Eq. 4.17): random feature (or time-step) masking plus noise.

    ``x' = x * keep + noise * e`` with ``keep ~ Bernoulli(1 - mask_prob)`` per feature of a
    vector (``keep`` of shape ``(m, d)``), or per time step of a sequence (``(m, T, 1)``), and
    ``e ~ N(0, 1)``.
    """
    keep_shape = x.shape if x.dim() == 2 else (*x.shape[:2], 1)
    keep = torch.bernoulli(
        torch.full(keep_shape, 1.0 - mask_prob, device=x.device), generator=generator
    )
    return AugmentedView(x * keep + noise * _noise_like(x, generator), keep, noise)


def unique_augment(
    x2: torch.Tensor,
    shared: torch.Tensor,
    *,
    mask_prob: float = 0.3,
    noise: float = 0.1,
    generator: torch.Generator | None = None,
) -> AugmentedView:
    """Unique augmentation of ``x2`` given ``x1`` (Eq. 4.18).

    ``shared`` holds ``r_j`` in [0, 1] per feature (per channel for sequences), from
    :func:`shared_fraction`; feature ``j`` is kept with probability ``1 - mask_prob (1 - r_j)``,
    so information ``x2`` shares with ``x1`` is left intact and the rest is perturbed. ``keep``
    has shape ``(m, d)`` for vectors and ``(m, 1, d)`` for sequences: a masked channel is
    zeroed at every time step.
    """
    keep_prob = 1.0 - mask_prob * (1.0 - shared.to(x2.device))
    if x2.dim() == 2:
        keep = torch.bernoulli(keep_prob.expand(x2.shape), generator=generator)
    else:
        keep_channels = keep_prob.expand(len(x2), x2.shape[2])
        keep = torch.bernoulli(keep_channels, generator=generator)[:, None, :]
    return AugmentedView(x2 * keep + noise * _noise_like(x2, generator), keep, noise)


def source_weights(
    views: tuple[AugmentedView, ...], sources: tuple[torch.Tensor, ...]
) -> torch.Tensor:
    """``w[i, j]``: the probability that batch sample ``j`` produced the views of sample ``i``.

    By Bayes' rule with the batch as a sample of ``p(x1, x2)``,
    ``w_ij = prod_k q(x_k'_i | x_k_j) / sum_l prod_k q(x_k'_i | x_k_l)``; the masked,
    noised views have ``log q(x'_i | x_j) = -|| keep_i * (x'_i - x_j) ||^2 / (2 noise^2)`` up to
    terms that do not depend on ``j`` (masked entries carry nothing about ``x_j``). Row ``i``
    is the conditional ``p(x1, x2 | x1'_i, x2'_i)`` over the batch. Weak augmentations put
    all of it on ``i`` itself: under the defaults (``mask_prob = 0.3``, ``noise = 0.1``) on
    the 100 standardized features of :func:`~pid.factorcl.synthetic.shared_unique`, every
    other sample of a batch of 256 lies thousands of nats of ``log q`` below the anchor
    (3,965 at the least), far past float32's ``exp(-104)``, so the rows are exactly one-hot.
    A conditional term weighted by such rows is exactly 0 with zero gradient
    (``f_ii - f_ii`` in :func:`~pid.factorcl.estimators.nce_club`, ``f_ii - log exp f_ii``
    in :func:`~pid.factorcl.estimators.infonce`). Needs ``noise > 0``. The sources may be
    more samples than the views (the global batch of data-parallel training): ``w`` is then
    ``m x M``.
    """
    log_q = 0.0
    for augmented, x in zip(views, sources, strict=True):
        if augmented.noise <= 0:
            raise ValueError("the augmentation noise is 0; pass noise > 0 to weigh sources.")
        rows = len(augmented.view)
        keep = augmented.keep.expand_as(augmented.view).reshape(rows, -1).to(x.dtype)
        view, source = augmented.view.reshape(rows, -1), x.reshape(len(x), -1)
        distance = (
            (keep * view**2).sum(dim=1, keepdim=True)
            - 2 * (keep * view) @ source.T
            + keep @ (source**2).T
        )
        log_q = log_q - distance.clamp_min(0.0) / (2 * augmented.noise**2)
    return torch.softmax(log_q, dim=1)


def shared_fraction(x2: torch.Tensor, x1: torch.Tensor, ridge: float = 1e-3) -> torch.Tensor:
    """``r_j = R^2`` of each feature of ``x2`` regressed linearly on ``x1``, clipped to [0, 1].

    Sequences are summarized by their mean over time first (``r_j`` is then per channel). The
    regression is ridge least squares on centred data with penalty ``ridge * trace / d1``.
    """
    a, b = (x.mean(dim=1) if x.dim() == 3 else x for x in (x1, x2))
    a = (a - a.mean(dim=0)).double()
    b = (b - b.mean(dim=0)).double()
    gram = a.T @ a
    penalty = ridge * torch.trace(gram) / len(gram) + 1e-12
    coef = torch.linalg.solve(
        gram + penalty * torch.eye(len(gram), dtype=gram.dtype, device=gram.device), a.T @ b
    )
    residual = ((b - a @ coef) ** 2).sum(dim=0)
    total = (b**2).sum(dim=0).clamp_min(1e-12)
    return (1.0 - residual / total).clamp(0.0, 1.0).float()


def _noise_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
