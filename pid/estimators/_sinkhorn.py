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

    Returns
    -------
    log_q : tensor of shape (m, m, k)
        ``log q``, differentiable with respect to ``log_kernel`` when ``grad_iters > 0``.
    info : SinkhornInfo
    """
    total = torch.logsumexp(log_rows.flatten(), 0).exp()
    log_u = torch.zeros_like(log_rows)
    log_v = torch.zeros_like(log_cols)
    error = float("inf")
    iterations = 0
    with torch.no_grad():
        kernel = log_kernel.detach()
        for iterations in range(1, max_iter + 1):
            row_lse = torch.logsumexp(kernel + log_v[None, :, :], dim=1)
            if iterations > 1:
                error = float(((log_u + row_lse).exp() - log_rows.exp()).abs().sum() / total)
                if error <= tol:
                    iterations -= 1
                    break
            log_u = log_rows - row_lse
            log_v = log_cols - torch.logsumexp(kernel + log_u[:, None, :], dim=0)
        else:
            row_lse = torch.logsumexp(kernel + log_v[None, :, :], dim=1)
            error = float(((log_u + row_lse).exp() - log_rows.exp()).abs().sum() / total)
    for _ in range(grad_iters):
        log_u = log_rows - torch.logsumexp(log_kernel + log_v[None, :, :], dim=1)
        log_v = log_cols - torch.logsumexp(log_kernel + log_u[:, None, :], dim=0)
    log_q = log_kernel + log_u[:, None, :] + log_v[None, :, :]
    return log_q, SinkhornInfo(iterations, error, error <= tol)
