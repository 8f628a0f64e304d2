"""The torch side of BATCH: the coupling network, its training and reading the PID off.

Imported only when :func:`pid.estimators.batch.batch` runs, so ``import pid`` stays free of
torch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from pid.errors import SolverError
from pid.estimators._classifiers import mlp
from pid.estimators._sinkhorn import sinkhorn

_LN2 = math.log(2.0)


class CouplingNet(nn.Module):
    """Per-label encoders ``f1(x1, y)``, ``f2(x2, y)`` and the log-kernel they define.

    Each encoder is one MLP with an ``embed_dim``-vector per label, so that
    ``s_y(i, j) = f1(x1_i, y) . f2(x2_j, y)`` for all labels at once (thesis Section 3.2.2).
    The log-kernel is that score softly clipped, ``log A_y(i, j) = c tanh(s_y(i, j) / c)`` with
    ``c = max_logit``: entries of ``A`` then differ by at most a factor ``exp(2c)``, which keeps
    the Sinkhorn scaling well conditioned (its contraction rate depends on that ratio) while
    still letting ``q`` put as little as ``exp(-2c)`` relative mass where the optimum has none.
    The last layers start small, so ``A`` starts near all-ones, whose Sinkhorn scaling is the
    conditional product ``p(x1, y) p(x2, y) / p(y)``: a feasible point with ``R >= 0``.
    """

    def __init__(
        self, d1: int, d2: int, n_labels: int, hidden: int, embed_dim: int, max_logit: float
    ) -> None:
        super().__init__()
        self.shape = (n_labels, embed_dim)
        self.max_logit = max_logit
        self.f1 = mlp(d1, n_labels * embed_dim, hidden)
        self.f2 = mlp(d2, n_labels * embed_dim, hidden)
        with torch.no_grad():
            for f in (self.f1, self.f2):
                f[-1].weight.mul_(0.1)
                f[-1].bias.zero_()

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """``log A`` of shape (m1, m2, n_labels) for batches ``x1`` (m1, d1), ``x2`` (m2, d2)."""
        e1 = self.f1(x1).view(len(x1), *self.shape)
        e2 = self.f2(x2).view(len(x2), *self.shape)
        score = torch.einsum("iyd,jyd->ijy", e1, e2)
        return self.max_logit * torch.tanh(score / self.max_logit)


def batch_targets(
    log_p1: torch.Tensor, log_p2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Log row and column sums of a batch's Delta_p, and the consistency gap of the two sides.

    Rows carry ``a(i, y) = p(y|x1_i) / m`` and columns ``b(j, y) = p(y|x2_j) / m``. Two
    imperfect classifiers (or exact posteriors on a finite batch) imply slightly different
    label totals ``mean_i p(y|x1_i)`` and ``mean_j p(y|x2_j)``; both sides are rescaled per
    label to their average ``t_y`` so that an exact scaling exists. Returns ``log a``,
    ``log b`` and ``max_y`` of the gap between the two totals.
    """
    m = log_p1.shape[0]
    lse1 = torch.logsumexp(log_p1, dim=0)
    lse2 = torch.logsumexp(log_p2, dim=0)
    log_t = torch.logaddexp(lse1, lse2) - math.log(2 * m)
    gap = float((lse1.exp() - lse2.exp()).abs().max()) / m
    return log_p1 - lse1 + log_t, log_p2 - lse2 + log_t, gap


def information_bits(log_q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``I_q(X1;Y)``, ``I_q(X2;Y)`` and ``I_q(X1,X2;Y)`` in bits of a batch joint ``log q``.

    Each is ``sum_{s,y} q(s, y) log(q(s, y) / (q(s) q(y)))`` with ``s`` the row, the column or
    the pair, all taken from the same (normalized) ``q``, so they are the informations of one
    distribution and the PID terms read off them are consistent.
    """
    log_q = log_q - torch.logsumexp(log_q.flatten(), 0)
    log_qy = torch.logsumexp(log_q, dim=(0, 1))

    def mutual_information(log_joint: torch.Tensor) -> torch.Tensor:  # label on the last axis
        log_s = torch.logsumexp(log_joint, dim=-1, keepdim=True)
        return (log_joint.exp() * (log_joint - log_s - log_qy)).sum() / _LN2

    return (
        mutual_information(torch.logsumexp(log_q, dim=1)),
        mutual_information(torch.logsumexp(log_q, dim=0)),
        mutual_information(log_q),
    )


def posterior_information_bits(log_p: torch.Tensor) -> float:
    """``I(X;Y) = H(mean_i p(.|x_i)) - mean_i H(p(.|x_i))`` in bits over a batch's posteriors."""
    p = log_p.exp()
    return float((p * (log_p - torch.log(p.mean(dim=0)))).sum(dim=1).mean() / _LN2)


def train(
    net: CouplingNet,
    feats: tuple[torch.Tensor, torch.Tensor],
    log_post: dict[str, torch.Tensor],
    *,
    m: int,
    steps: int,
    learning_rate: float,
    tol: float,
    max_iter: int,
    grad_iters: int,
    amp: bool,
    progress: bool,
    generator: torch.Generator,
) -> tuple[list[float], dict[str, Any]]:
    """Adam steps minimizing ``I_q(X1,X2;Y)`` over random minibatches (epochs of the data).

    Returns the loss of every step in bits and a summary of the Sinkhorn projections.

    Raises
    ------
    SolverError
        When the loss becomes non-finite.
    """
    n, dev = len(feats[0]), feats[0].device
    optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
    losses, iterations, errors = [], [], []
    order, cursor = torch.randperm(n, generator=generator), 0
    net.train()
    for step in tqdm(range(steps), desc="BATCH", disable=not progress):
        if cursor + m > n:
            order, cursor = torch.randperm(n, generator=generator), 0
        idx = order[cursor : cursor + m].to(dev)
        cursor += m
        with torch.autocast(dev.type, enabled=amp):
            log_kernel = net(feats[0][idx], feats[1][idx])
        log_a, log_b, _ = batch_targets(log_post["x1"][idx].float(), log_post["x2"][idx].float())
        log_q, info = sinkhorn(
            log_kernel.float(), log_a, log_b, tol=tol, max_iter=max_iter, grad_iters=grad_iters
        )
        loss = information_bits(log_q)[2]
        if not torch.isfinite(loss):
            raise SolverError(
                f"BATCH training diverged at step {step} (loss {float(loss.detach())}); "
                "lower learning_rate or embed_dim."
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        iterations.append(info.iterations)
        errors.append(info.error)
    return losses, {
        "tol": tol,
        "max_iter": max_iter,
        "grad_iters": grad_iters,
        "iterations_mean": float(np.mean(iterations)),
        "iterations_max": int(np.max(iterations)),
        "error_max": float(np.max(errors)),
        "unconverged_steps": int(np.sum(np.array(errors) > tol)),
    }


def read_off(
    net: CouplingNet,
    feats: tuple[torch.Tensor, torch.Tensor],
    log_post: dict[str, torch.Tensor],
    *,
    m: int,
    tol: float,
    max_iter: int,
    max_batches: int,
    generator: torch.Generator,
) -> tuple[dict[str, float], dict[str, Any]]:
    """The PID terms averaged over disjoint evaluation batches, each projected in float64.

    Every batch's learned ``q`` is compared with the conditional product
    ``a(i, y) b(j, y) / t_y``, which lies exactly in the batch's Delta_p; whichever has the
    lower ``I_q(X1,X2;Y)`` on average is read off (as CVX keeps the best feasible point), so an
    undertrained network cannot report less redundancy than the conditional product.

    Returns the keyword arguments of :class:`~pid.PIDResult` for the terms and informations,
    and diagnostics.
    """
    n, dev = len(feats[0]), feats[0].device
    order = torch.randperm(n, generator=generator)
    n_batches = max(1, min(max_batches, n // m))
    net.eval()
    per_batch: dict[str, list[list[float]]] = {"learned": [], "conditional_product": []}
    mi_joint, iterations, errors, gaps = [], [], [], []
    with torch.no_grad():
        for b in range(n_batches):
            idx = order[b * m : (b + 1) * m].to(dev)
            log_a, log_b, gap = batch_targets(log_post["x1"][idx], log_post["x2"][idx])
            log_kernel = net(feats[0][idx], feats[1][idx]).double()
            log_q, info = sinkhorn(log_kernel, log_a, log_b, tol=tol, max_iter=max_iter)
            product = log_a[:, None, :] + log_b[None, :, :] - torch.logsumexp(log_a, dim=0)
            for name, joint in (("learned", log_q), ("conditional_product", product)):
                per_batch[name].append([float(v) for v in information_bits(joint)])
            mi_joint.append(posterior_information_bits(log_post["joint"][idx]))
            iterations.append(info.iterations)
            errors.append(info.error)
            gaps.append(gap)
    means = {name: np.mean(values, axis=0) for name, values in per_batch.items()}
    chosen = min(means, key=lambda name: means[name][2])
    mi1, mi2, mi12_q = (float(v) for v in means[chosen])
    mi12_p = float(np.mean(mi_joint))
    terms = {
        "R": mi1 + mi2 - mi12_q,
        "U1": mi12_q - mi2,
        "U2": mi12_q - mi1,
        "S": mi12_p - mi12_q,
        "mi_x1_y": mi1,
        "mi_x2_y": mi2,
        "mi_x1x2_y": mi12_p,
    }
    if not all(math.isfinite(v) for v in terms.values()):
        raise SolverError("BATCH produced a non-finite PID term; lower learning_rate.")
    spread = np.array(per_batch[chosen])[:, 2]
    return terms, {
        "read_off": chosen,
        "eval_batches": n_batches,
        "mi_x1x2_y_q_bits": mi12_q,
        "mi_x1x2_y_q_stderr_bits": float(np.std(spread) / math.sqrt(n_batches)),
        "label_marginal_gap": float(np.max(gaps)),
        "eval_sinkhorn": {
            "tol": tol,
            "max_iter": max_iter,
            "iterations_max": int(np.max(iterations)),
            "error_max": float(np.max(errors)),
            "converged": bool(np.max(errors) <= tol),
        },
    }
