"""The torch side of BATCH: the coupling network, its training and reading the PID off.

Imported only when :func:`pid.estimators.neural.batch` runs, so ``import pid`` stays free of
torch.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from pid.errors import SolverError
from pid.estimators.neural.sinkhorn import sinkhorn, sinkhorn_implicit
from pid.information import LN2
from pid.nn import fit, mlp

#: Largest float64 rounding error of a difference of informations, in bits (each is a sum
#: over at most a few million cells of terms below one bit).
ROUNDING_BITS = 1e-9


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


@dataclass(frozen=True)
class Batch:
    """One projection problem: the rows' and columns' features and their target masses.

    ``log_a[i, y]`` is the mass ``q`` must put on row ``i`` with label ``y`` and ``log_b[j, y]``
    the mass on column ``j`` (natural logarithms, each side summing to one); ``mi_joint`` is
    ``I_p(X1,X2;Y)`` of the samples behind it, in bits, from the multimodal posteriors.
    """

    x1: torch.Tensor
    x2: torch.Tensor
    log_a: torch.Tensor
    log_b: torch.Tensor
    gap: float
    mi_joint: float


def make_batch(
    x1: torch.Tensor,
    x2: torch.Tensor,
    log_mass1: torch.Tensor,
    log_mass2: torch.Tensor,
    mi_joint: float = float("nan"),
) -> Batch:
    """A :class:`Batch` whose two sides are made consistent label by label.

    ``log_mass1[i, y]`` is the (unnormalized) mass of row ``i`` with label ``y``: ``p(y|x1_i)``
    for a minibatch of samples, ``sum_{s: x1_s = u} p(y|x1_s)`` for a distinct value ``u``.
    Two imperfect classifiers (or exact posteriors on a finite batch) imply slightly different
    label totals ``T1_y = sum_i mass1(i, y)`` and ``T2_y``; both sides are rescaled to their
    average ``t_y = (T1_y + T2_y) / 2`` (normalized) so that an exact scaling exists. ``gap`` is
    ``max_y |T1_y - T2_y|`` relative to the total mass.
    """
    lse1 = torch.logsumexp(log_mass1, dim=0)
    lse2 = torch.logsumexp(log_mass2, dim=0)
    log_t = torch.logaddexp(lse1, lse2)
    log_t = log_t - torch.logsumexp(log_t, dim=0)
    total = float(torch.logsumexp(lse1, dim=0).exp())
    gap = float((lse1.exp() - lse2.exp()).abs().max()) / total
    return Batch(x1, x2, log_mass1 - lse1 + log_t, log_mass2 - lse2 + log_t, gap, mi_joint)


class MinibatchSampler:
    """Random minibatches of ``m`` samples, epoch after epoch (a fresh order for each)."""

    def __init__(
        self,
        feats: tuple[torch.Tensor, torch.Tensor],
        log_post: dict[str, torch.Tensor],
        m: int,
        generator: torch.Generator,
        rows: torch.Tensor | None = None,
    ) -> None:
        self.feats, self.log_post, self.m, self.generator = feats, log_post, m, generator
        self.rows = torch.arange(len(feats[0])) if rows is None else rows
        self.order, self.cursor = self._shuffled(), 0

    def _shuffled(self) -> torch.Tensor:
        return self.rows[torch.randperm(len(self.rows), generator=self.generator)]

    def __call__(self) -> Batch:
        if self.cursor + self.m > len(self.rows):
            self.order, self.cursor = self._shuffled(), 0
        idx = self.order[self.cursor : self.cursor + self.m].to(self.feats[0].device)
        self.cursor += self.m
        return sample_batch(self.feats, self.log_post, idx, dtype=torch.float32)


def sample_batch(
    feats: tuple[torch.Tensor, torch.Tensor],
    log_post: dict[str, torch.Tensor],
    idx: torch.Tensor,
    dtype: torch.dtype,
) -> Batch:
    """The :class:`Batch` of the samples ``idx``: each row and column has mass ``1/m``."""
    return make_batch(
        feats[0][idx],
        feats[1][idx],
        log_post["x1"][idx].to(dtype),
        log_post["x2"][idx].to(dtype),
        posterior_information_bits(log_post["joint"][idx]),
    )


def support_batch(
    codes: tuple[torch.Tensor, torch.Tensor],
    log_post: dict[str, torch.Tensor],
    dtype: torch.dtype,
) -> Batch:
    """The whole support of two discrete modalities as one :class:`Batch`.

    Row ``u`` is the code ``u`` of ``x1`` (one-hot), with mass
    ``sum_{s: x1_s = u} p(y|x1_s) / n`` (``p(x1 = u) p(y|u)`` for empirical posteriors), and
    likewise for the columns, so the batch's Delta_p is the population's (CVX's) itself and
    no sampling noise enters the objective.
    """
    masses = []
    for key, c in zip(("x1", "x2"), codes, strict=True):
        p = log_post[key].exp()
        n_codes = int(c.max()) + 1
        masses.append(torch.zeros(n_codes, p.shape[1], dtype=p.dtype, device=p.device))
        masses[-1].index_add_(0, c, p)
    eye = [torch.eye(len(mass), dtype=torch.float32, device=mass.device) for mass in masses]
    mass1, mass2 = (mass.to(dtype).log() for mass in masses)  # every code has a sample
    return make_batch(eye[0], eye[1], mass1, mass2, posterior_information_bits(log_post["joint"]))


def evaluation_batches(
    feats: tuple[torch.Tensor, torch.Tensor],
    log_post: dict[str, torch.Tensor],
    m: int,
    max_batches: int,
    generator: torch.Generator,
) -> list[Batch]:
    """Disjoint minibatches of at most ``m`` random samples each, in float64.

    The ``n`` samples are split into ``ceil(n / m)`` batches of nearly equal size, one pass
    over the data. Where that is more than ``max_batches``, only ``max_batches`` batches of
    ``m`` samples are drawn.
    """
    n = len(feats[0])
    order = torch.randperm(n, generator=generator).to(feats[0].device)
    n_batches = math.ceil(n / m)
    if n_batches > max_batches:
        parts = order[: max_batches * m].split(m)
    else:
        parts = order.tensor_split(n_batches)
    return [sample_batch(feats, log_post, part, dtype=torch.float64) for part in parts]


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
        return (log_joint.exp() * (log_joint - log_s - log_qy)).sum() / LN2

    return (
        mutual_information(torch.logsumexp(log_q, dim=1)),
        mutual_information(torch.logsumexp(log_q, dim=0)),
        mutual_information(log_q),
    )


def posterior_information_bits(log_p: torch.Tensor) -> float:
    """``I(X;Y) = H(mean_i p(.|x_i)) - mean_i H(p(.|x_i))`` in bits over a batch's posteriors."""
    p = log_p.exp()
    return float((p * (log_p - torch.log(p.mean(dim=0)))).sum(dim=1).mean() / LN2)


def train(
    net: CouplingNet,
    next_batch: Callable[[], Batch],
    held_out: Batch,
    *,
    steps: int,
    check_every: int,
    patience: int,
    learning_rate: float,
    tol: float,
    max_iter: int,
    grad_iters: int | None,
    sweeps_per_check: int | None,
    amp: bool,
    progress: bool,
) -> tuple[list[float], dict[str, Any]]:
    """Adam steps minimizing ``I_q(X1,X2;Y)`` on the batches ``next_batch()`` returns, stopped
    early on the objective of the ``held_out`` batch.

    Every ``check_every`` steps make one round of :func:`pid.nn.fit`, after which
    ``I_q(X1,X2;Y)`` of the learned coupling on ``held_out`` (samples no step trains on) is
    measured; training stops once it has not fallen for ``patience`` rounds, or after
    ``steps`` steps, and the weights of the best round are kept. Returns the loss of every step
    in bits and a summary of the Sinkhorn projections and the stopping.

    Raises
    ------
    SolverError
        When the loss becomes non-finite.
    """
    optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
    iterations, errors, losses = [], [], []
    scaling = {"tol": tol, "max_iter": max_iter, "sweeps_per_check": sweeps_per_check}

    def run_round(round_: int) -> dict[str, float]:
        net.train()
        start = len(losses)
        for _ in range(min(check_every, steps - start)):
            loss = step()
            if not math.isfinite(loss):
                raise SolverError(
                    f"BATCH training diverged at step {len(losses)} (loss {loss}); lower "
                    "learning_rate or embed_dim."
                )
        return {"loss": float(np.mean(losses[start:]))}

    def validate() -> dict[str, float]:
        net.eval()
        with torch.no_grad():
            log_kernel = net(held_out.x1, held_out.x2).float()
            log_q, _ = sinkhorn(log_kernel, held_out.log_a, held_out.log_b, **scaling)
            return {"held_out_bits": float(information_bits(log_q)[2])}

    def step() -> float:
        batch = next_batch()
        with torch.autocast(batch.x1.device.type, enabled=amp):
            log_kernel = net(batch.x1, batch.x2)
        problem = (log_kernel.float(), batch.log_a, batch.log_b)
        if grad_iters is None:
            log_q, info = sinkhorn_implicit(*problem, **scaling)
        else:
            log_q, info = sinkhorn(*problem, grad_iters=grad_iters, **scaling)
        loss = information_bits(log_q)[2]
        iterations.append(info.iterations)
        errors.append(info.error)
        # One reading of the loss a step, before the backward pass, which the device then runs
        # without the host waiting on it.
        losses.append(float(loss.detach()))
        if math.isfinite(losses[-1]):
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return losses[-1]

    fitted = fit(
        run_round,
        epochs=math.ceil(steps / check_every),
        name="BATCH training",
        advice="lower learning_rate or embed_dim",
        validate=validate,
        monitor="held_out_bits",
        patience=patience,
        min_delta=1e-4,
        model=net,
        postfix=("loss", "held_out_bits"),
        progress=progress,
    )
    return losses, {
        "steps_run": len(losses),
        "best_step": min(fitted.best_epoch * check_every, len(losses)),
        "held_out_bits": [record["held_out_bits"] for record in fitted.history],
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
    batches: list[Batch],
    *,
    tol: float,
    max_iter: int,
    sweeps_per_check: int | None,
    progress: bool = False,
) -> tuple[dict[str, float], dict[str, Any]]:
    """The PID terms from the best feasible point known, averaged over ``batches`` (float64)
    with weights proportional to their numbers of rows.

    On every batch the learned ``q`` is compared with the conditional product
    ``a(i, y) b(j, y) / t_y``, which lies exactly in the batch's Delta_p, and the lower
    ``I_q(X1,X2;Y)`` of the two is kept, as CVX keeps the best of its feasible points. A
    learned ``q`` whose Sinkhorn scaling did not reach ``tol`` within ``max_iter`` sweeps lies
    outside Delta_p and is not used: that batch reads off the conditional product, and the
    number of such batches is reported as ``unconverged_eval_batches``. The
    informations ``I(X1;Y)``, ``I(X2;Y)`` are those of the batch's targets ``a``, ``b`` and
    ``I_p(X1,X2;Y)`` that of the multimodal posteriors; the distribution ``p`` itself lies in
    Delta_p, so ``min(I_q(X1,X2;Y), I_p(X1,X2;Y))`` is read off. Each term is then
    non-negative by construction (thesis Eqs. 3.1 to 3.3):

    * ``R = I(X1;Y) + I(X2;Y) - I_q(X1,X2;Y) >= I_cp(X1;X2) >= 0``, the conditional product's
      co-information being its ``I(X1;X2)``;
    * ``U1 = I_q(X1,X2;Y) - I(X2;Y) >= 0`` by the chain rule on the learned ``q`` (exact up to
      its Sinkhorn residual, measured on the converged batches as
      ``sinkhorn_information_residual_bits``), and the same
      for ``U2``; when ``p`` is read off, by data processing, ``I_p(X1,X2;Y) >= I(Xi;Y)``;
    * ``S = I_p(X1,X2;Y) - I_q(X1,X2;Y) >= 0``.

    Given or trained posteriors need not obey data processing: when ``p(y|x1,x2)`` carries
    less information than ``p(y|x1)`` or ``p(y|x2)``, ``I_p(X1,X2;Y)`` is raised to their
    maximum (``S = 0``) and the shortfall is reported as ``joint_information_deficit_bits``.
    The learned ``I_q(X1,X2;Y)`` is raised the same way, by at most its Sinkhorn residual.
    What is then left below zero is float rounding, at most ``ROUNDING_BITS``, and is set to
    zero; anything more negative raises :class:`~pid.SolverError` rather than being hidden.

    Returns the keyword arguments of :class:`~pid.PIDResult` for the terms and informations,
    and diagnostics; ``progress`` shows a bar over the batches.
    """
    net.eval()
    rows, iterations, errors, gaps, residuals, converged, sizes = [], [], [], [], [], [], []
    with torch.no_grad():
        for batch in tqdm(batches, desc="BATCH read-off", disable=not progress, leave=False):
            log_kernel = net(batch.x1, batch.x2).double()
            log_q, info = sinkhorn(
                log_kernel,
                batch.log_a,
                batch.log_b,
                tol=tol,
                max_iter=max_iter,
                sweeps_per_check=sweeps_per_check,
            )
            learned = [float(v) for v in information_bits(log_q)]
            product = information_bits(conditional_product(batch))
            mi1, mi2, mi12_product = (float(v) for v in product)
            rows.append([mi1, mi2, learned[2], mi12_product, batch.mi_joint])
            if info.converged:
                residuals.append(max(abs(learned[0] - mi1), abs(learned[1] - mi2)))
            converged.append(info.converged)
            sizes.append(len(batch.x1))
            iterations.append(info.iterations)
            errors.append(info.error)
            gaps.append(batch.gap)
    table = np.array(rows)
    unconverged = len(batches) - sum(converged)
    if unconverged:
        warnings.warn(
            f"in {unconverged} of {len(batches)} read-off batches the Sinkhorn scaling did not "
            "converge, and the conditional product was read off there: its terms bound the "
            "PID, they do not estimate it; raise BatchConfig.eval_max_iter or eval_tol.",
            stacklevel=2,
        )
    weights = np.array(sizes) / np.sum(sizes)
    mi1, mi2, mi12_learned, mi12_product, mi12_p = weights @ table
    # Per batch, the better of the two feasible points of that batch's Delta_p; an
    # unconverged learned q is not one.
    use_learned = np.array(converged) & (table[:, 2] <= table[:, 3])
    mi12_q = float(weights @ np.where(use_learned, table[:, 2], table[:, 3]))
    chosen = "learned" if weights @ use_learned >= 0.5 else "conditional_product"
    deficit = max(mi1, mi2) - mi12_p
    if mi12_p < mi12_q:
        mi12_q, chosen = mi12_p, "posterior"
    # Below max(I(X1;Y), I(X2;Y)) by at most the Sinkhorn residual (learned q) or the
    # posteriors' deficit (p): both are raised to it, which is the exact bound.
    residual = float(max(residuals, default=0.0))
    mi12_q = max(mi12_q, mi1, mi2)
    mi12_p = max(mi12_p, mi12_q)
    terms = {
        "R": mi1 + mi2 - mi12_q,
        "U1": mi12_q - mi2,
        "U2": mi12_q - mi1,
        "S": mi12_p - mi12_q,
        "mi_x1_y": float(mi1),
        "mi_x2_y": float(mi2),
        "mi_x1x2_y": float(mi12_p),
    }
    if not all(math.isfinite(v) for v in terms.values()):
        raise SolverError("BATCH produced a non-finite PID term; lower learning_rate.")
    if min(terms.values()) < -ROUNDING_BITS:
        raise SolverError(f"BATCH read off a negative PID term: {terms}.")
    # What remains below zero is rounding in the differences, not information.
    terms = {name: max(value, 0.0) for name, value in terms.items()}
    return terms, {
        "read_off": chosen,
        "eval_batches": len(batches),
        "mi_x1x2_y_q_bits": float(mi12_q),
        "mi_x1x2_y_learned_bits": float(mi12_learned),
        "mi_x1x2_y_q_stderr_bits": float(
            np.sqrt(weights @ (table[:, 2] - mi12_learned) ** 2 / len(batches))
        ),
        "unconverged_eval_batches": unconverged,
        "joint_information_deficit_bits": float(max(deficit, 0.0)),
        "sinkhorn_information_residual_bits": residual,
        "label_marginal_gap": float(np.max(gaps)),
        "eval_sinkhorn": {
            "tol": tol,
            "max_iter": max_iter,
            "iterations_max": int(np.max(iterations)),
            "error_max": float(np.max(errors)),
            "converged": bool(np.max(errors) <= tol),
        },
    }


def conditional_product(batch: Batch) -> torch.Tensor:
    """``log`` of the conditional product ``a(i, y) b(j, y) / t_y``, a point of Delta_p."""
    log_t = torch.logsumexp(batch.log_a, dim=0)
    return batch.log_a[:, None, :] + batch.log_b[None, :, :] - log_t
