"""Log-domain Sinkhorn scaling of a batch of matrices onto given row and column sums.

BATCH (thesis Section 3.2.2) projects an unnormalized joint ``A[i, j, y]`` of a minibatch onto
the marginal constraints of Delta_p. Each label's slice ``A_y`` is scaled independently,

    q(i, j, y) = u(i, y) A_y(i, j) v(j, y),

with ``u, v`` chosen so that ``sum_j q(i, j, y) = a(i, y)`` and ``sum_i q(i, j, y) = b(j, y)``.
A strictly positive ``A_y`` can be scaled exactly whenever ``sum_i a(i, y) = sum_j b(j, y)``
(Sinkhorn's theorem). Working with ``log u``, ``log v`` and ``logsumexp`` keeps peaked kernels
(large logits) from overflowing, which the plain-domain iteration cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from pid.errors import SolverError
from pid.validation import check_whole

#: Sweeps between two readings of Sinkhorn's error by the host, off the CPU
#: (:func:`sinkhorn`'s ``sweeps_per_check``).
SWEEPS_PER_CHECK_ON_DEVICE = 4


@dataclass(frozen=True)
class SinkhornInfo:
    """How a Sinkhorn projection ended.

    Attributes
    ----------
    iterations : int
        Row-and-column sweeps run before the tolerance was met or the cap reached.
    error : float
        ``sum_{i,y} |sum_j q(i, j, y) - a(i, y)| / sum_{i,y} a(i, y)``: the L1 violation of the
        row sums relative to the total mass (the column sums are exact after the last sweep).
    converged : bool
        Whether ``error <= tol``.
    """

    iterations: int
    error: float
    converged: bool


def sinkhorn(
    log_kernel: torch.Tensor,
    log_rows: torch.Tensor,
    log_cols: torch.Tensor,
    *,
    tol: float,
    max_iter: int,
    grad_iters: int = 0,
    sweeps_per_check: int | None = None,
) -> tuple[torch.Tensor, SinkhornInfo]:
    """Scale ``exp(log_kernel)`` of shape (m, m, k) to row sums ``a`` and column sums ``b``.

    Alternates ``log u = log a - logsumexp_j(log A + log v)`` and
    ``log v = log b - logsumexp_i(log A + log u)`` until the relative L1 error of the row sums
    is at most ``tol`` or ``max_iter`` sweeps have run. The error is read off the row update
    itself, so checking it costs nothing extra.

    The sweeps run without autograd; then ``grad_iters`` more sweeps are recorded, starting
    from the converged scalings. Their gradient with respect to ``log_kernel`` is the implicit
    gradient of the fixed point up to a remainder that shrinks geometrically with
    ``grad_iters`` (each sweep contracts), at a memory cost independent of how many sweeps
    convergence took.

    Parameters
    ----------
    log_kernel : tensor of shape (m, m, k)
        ``log A``; finite.
    log_rows, log_cols : tensors of shape (m, k)
        ``log a`` and ``log b``; finite, with ``sum_i a(i, y) = sum_j b(j, y)`` for each ``y``.
    tol : float
        Relative tolerance on the row sums.
    max_iter : int
        Cap on the number of sweeps without autograd.
    grad_iters : int
        Sweeps recorded for backpropagation (0 when no gradient is needed).
    sweeps_per_check : int, optional
        Sweeps run between two readings of their errors by the host. Every sweep's error is
        computed and the scalings of the first sweep within ``tol`` are returned, so the
        result does not depend on it; reading less often saves waiting on a GPU at the cost
        of up to ``sweeps_per_check - 1`` sweeps past convergence. By default 1 on the CPU and
        :data:`SWEEPS_PER_CHECK_ON_DEVICE` elsewhere.

    Returns
    -------
    log_q : tensor of shape (m, m, k)
        ``log q``, differentiable with respect to ``log_kernel`` when ``grad_iters > 0``.
    info : SinkhornInfo
    """
    if sweeps_per_check is None:
        sweeps_per_check = 1 if log_kernel.device.type == "cpu" else SWEEPS_PER_CHECK_ON_DEVICE
    check_whole(sweeps_per_check, "sweeps_per_check", 1)
    check_whole(max_iter, "max_iter", 0)
    total = torch.logsumexp(log_rows.flatten(), 0).exp()
    rows = log_rows.exp()
    log_u = torch.zeros_like(log_rows)
    log_v = torch.zeros_like(log_cols)
    done = 0  # sweeps run; (log_u, log_v) are the scalings after them

    def row_error(log_u: torch.Tensor, row_lse: torch.Tensor) -> torch.Tensor:
        return ((log_u + row_lse).exp() - rows).abs().sum() / total

    with torch.no_grad():
        kernel = log_kernel.detach()
        # Each error is read off the next sweep's row update, computed with the check.
        row_lse = torch.logsumexp(kernel + log_v[None, :, :], dim=1)
        iterations, error = 0, None
        while done < max_iter:
            # Up to sweeps_per_check sweeps, each one's error kept on the device, then read by
            # the host together: the first sweep within tol is the answer.
            before, states, errors = done, [], []
            for _ in range(min(sweeps_per_check, max_iter - done)):
                log_u = log_rows - row_lse
                log_v = log_cols - torch.logsumexp(kernel + log_u[:, None, :], dim=0)
                done += 1
                row_lse = torch.logsumexp(kernel + log_v[None, :, :], dim=1)
                states.append((log_u, log_v))
                errors.append(row_error(log_u, row_lse))
            values = torch.stack(errors).tolist()
            within = [i for i, value in enumerate(values) if value <= tol]
            stop = within[0] if within else len(values) - 1
            (log_u, log_v), error, iterations = states[stop], values[stop], before + stop + 1
            if within:
                break
        if error is None:  # no sweep: the error of the kernel itself
            error = float(row_error(log_u, row_lse))
    for _ in range(grad_iters):
        log_u = log_rows - torch.logsumexp(log_kernel + log_v[None, :, :], dim=1)
        log_v = log_cols - torch.logsumexp(log_kernel + log_u[:, None, :], dim=0)
    log_q = log_kernel + log_u[:, None, :] + log_v[None, :, :]
    return log_q, SinkhornInfo(iterations, error, error <= tol)


def sinkhorn_implicit(
    log_kernel: torch.Tensor,
    log_rows: torch.Tensor,
    log_cols: torch.Tensor,
    *,
    tol: float,
    max_iter: int,
    sweeps_per_check: int | None = None,
) -> tuple[torch.Tensor, SinkhornInfo]:
    """:func:`sinkhorn` with the exact gradient of its fixed point (implicit differentiation).

    At the fixed point ``log q = log A + log u + log v`` with ``q``'s row and column sums held
    fixed, a change ``d log A`` moves ``log q`` by its projection onto
    ``{z : sum_j q(i, j) z(i, j) = 0, sum_i q(i, j) z(i, j) = 0}`` (orthogonal for the
    ``q``-weighted inner product; the scalings absorb the rest). That projection is
    self-adjoint, so for an upstream gradient ``h = dL/d log q``

        dL/d log A = h - q (alpha_i + beta_j),

    where ``alpha``, ``beta`` solve ``sum_j h(i, j) = sum_j q(i, j) (alpha_i + beta_j)`` and
    ``sum_i h(i, j) = sum_i q(i, j) (alpha_i + beta_j)``, per label. Eliminating ``alpha``
    leaves the Laplacian-like system ``(diag(b) - Q^T diag(1/a) Q) beta = r_2 - Q^T (r_1 / a)``
    of size ``m2``, solved by a Cholesky factorization in float64. Unlike backpropagating
    through sweeps, the gradient does not degrade when the scaling contracts slowly
    (peaked kernels).
    """
    log_q, info = sinkhorn(
        log_kernel.detach(),
        log_rows,
        log_cols,
        tol=tol,
        max_iter=max_iter,
        sweeps_per_check=sweeps_per_check,
    )
    if not log_kernel.requires_grad:
        return log_q, info
    return _ImplicitProjection.apply(log_kernel, log_q), info


class _ImplicitProjection(torch.autograd.Function):
    """Identity on the converged ``log q``; backward is the implicit gradient above."""

    @staticmethod
    def forward(ctx, log_kernel: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(log_q)
        return log_q.clone()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (log_q,) = ctx.saved_tensors
        q = log_q.double().exp().permute(2, 0, 1)  # (k, m1, m2)
        h = grad.double().permute(2, 0, 1)
        a, b = q.sum(2), q.sum(1)
        r1, r2 = h.sum(2), h.sum(1)
        q_over_a = q / a[:, :, None]
        system = torch.diag_embed(b) - q.transpose(1, 2) @ q_over_a
        # The system is symmetric positive semi-definite with the constant vector as its null
        # space, to which the right-hand side is orthogonal; adding b's mean times the
        # projector onto it makes it positive definite, so a Cholesky factorization solves it.
        m2 = system.shape[-1]
        system = system + b.mean(1, keepdim=True)[:, :, None] / m2
        rhs = r2 - (q_over_a.transpose(1, 2) @ r1[:, :, None]).squeeze(2)
        factor, failed = torch.linalg.cholesky_ex(system)
        if failed.any():
            raise SolverError(
                "BATCH's Sinkhorn gradient system is singular (a label's coupling splits into "
                "disconnected blocks); lower max_logit or pass grad_iters=5."
            )
        beta = torch.cholesky_solve(rhs[:, :, None], factor).squeeze(2)
        alpha = (r1 - (q @ beta[:, :, None]).squeeze(2)) / a
        grad_kernel = h - q * (alpha[:, :, None] + beta[:, None, :])
        return grad_kernel.permute(1, 2, 0).to(grad.dtype), None
