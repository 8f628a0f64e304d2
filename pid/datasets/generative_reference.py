"""The exact PID of the latent generative datasets, through the label's sufficient statistics.

Each modality is a one-to-one function of its latents (``x1`` of ``(z1, zc)``, ``x2`` of
``(z2, zc)``) and the label a function of ``(z1, z2, zc)``, so ``I(X1,X2;Y) = H(Y)``
exactly. For a binary label, ``T_i = p(y=1|x_i)`` is a sufficient statistic of ``x_i`` for
``y`` and known in closed form (:func:`~pid.datasets.latent.generative_posteriors`).
Bertschinger et al.'s ``R``, ``U1``, ``U2`` depend only on the pairwise marginals
``p(x1, y)`` and ``p(x2, y)``, and are unchanged when ``x_i`` is replaced by ``T_i``
(docs/estimators.md derives this), so CVX on finely binned ``T1, T2`` gives them, and
``S = H(Y) - R - U1 - U2``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from pid.datasets.latent import generative_posteriors
from pid.distribution import Distribution
from pid.estimators.exact import cvx
from pid.result import PIDResult


def generative_pid(
    dataset: str | Mapping[str, float],
    *,
    n_samples: int = 1_000_000,
    bins: int = 256,
    latent_dim: int = 2,
    dim: int = 32,
    seed: int | None = 0,
    structure_seed: int = 0,
    tol_bits: float | None = None,
) -> PIDResult:
    """The PID of a latent generative dataset, from its exact posteriors (thesis Table 3.2).

    ``dataset`` is a name of :data:`~pid.datasets.GENERATIVE` or a weights dict as in
    :func:`~pid.datasets.generative_mixture`; ``latent_dim``, ``dim`` and
    ``structure_seed`` pick the same dataset as there; ``tol_bits`` is CVX's certified gap
    (its default where ``None``; the binning's error is far larger, so a looser one is
    harmless where a table is slow to certify).

    On ``n_samples`` draws (from ``seed``) of ``T_i = p(y=1|x_i)``
    (:func:`~pid.datasets.generative_posteriors`), each ``T_i`` is cut into ``bins``
    quantile bins, and CVX (thesis Eqs. 3.1 to 3.5) on the empirical ``p(t1, t2, y)`` gives

        R = max_{q in Delta_p} I_q(T1;T2;Y),  U1 = I(T1;Y) - R,  U2 = I(T2;Y) - R,

    which depend only on ``p(t1, y)`` and ``p(t2, y)`` and equal the terms of ``(X1, X2, Y)``
    because ``T_i`` is sufficient for ``y``. The synergy completes the exact total,

        S = H(Y) - R - U1 - U2,   as   I(X1,X2;Y) = H(Y).

    The errors are the binning's (binned posteriors are no longer exactly sufficient, which
    moves ``I(T_i;Y)`` and the three terms a little) and the sampling error of the binned
    marginals. At the defaults, going to 512 bins moved no term by more
    than 0.0004 bits, and five sample seeds spread a term by up to 0.0033 bits
    (``benchmarks/generative_reference.py``, docs/benchmarks.md).

    Returns
    -------
    PIDResult
        ``estimator="cvx-sufficient-statistic"``; ``mi_x1x2_y`` is ``H(Y)``, ``mi_x1_y`` and
        ``mi_x2_y`` the binned ``I(T_i;Y)``. ``diagnostics`` holds the method, the samples,
        the bins each posterior ended up with (fewer where it has atoms), CVX's certified gap
        (``gap_bits``, a bound on each term's solver error), the binned joint's
        ``I(T1,T2;Y)``, the first-order plug-in bias of each ``I(T_i;Y)`` and the unbinned
        Monte-Carlo ``I(X_i;Y) = H(Y) - mean h(T_i)`` (``h`` the binary entropy).

    Raises
    ------
    ValueError
        If ``dataset`` is unknown, ``bins`` is not an integer of at least 2, or
        ``n_samples`` is not an integer of at least ``bins``.
    """
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2 (256 by default), got {bins!r}.")
    if (
        isinstance(n_samples, bool)
        or not isinstance(n_samples, int | np.integer)
        or n_samples < bins
    ):
        raise ValueError(
            f"n_samples must be an integer of at least bins={bins}, got {n_samples!r}; "
            "pass more samples or fewer bins."
        )
    p1, p2, y = generative_posteriors(
        dataset,
        n_samples,
        latent_dim=latent_dim,
        dim=dim,
        seed=seed,
        structure_seed=structure_seed,
    )
    dist = Distribution.from_samples(_quantile_codes(p1, bins), _quantile_codes(p2, bins), y)
    binned = cvx(dist, tol_bits=tol_bits)
    entropy_y = dist.entropy_y
    n1, n2, n_y = dist.shape
    diagnostics = {
        "method": (
            "exact I(X1,X2;Y) = H(Y); R, U1, U2 by CVX on quantile bins of the sufficient "
            "statistics p(y=1|x1), p(y=1|x2); S = H(Y) - R - U1 - U2"
        ),
        "n_samples": n_samples,
        "bins": {"x1": n1, "x2": n2},
        "gap_bits": binned.diagnostics["gap_bits"],
        "solve_time_s": binned.diagnostics["solve_time_s"],
        "binned_mi_x1x2_y": dist.mi_x1x2_y,
        "plug_in_bias_bits": {
            f"mi_x{i}_y": (n - 1) * (n_y - 1) / (2 * n_samples * math.log(2))
            for i, n in ((1, n1), (2, n2))
        },
        "mi_x1_y_unbinned": entropy_y - float(np.mean(_binary_entropy(p1))),
        "mi_x2_y_unbinned": entropy_y - float(np.mean(_binary_entropy(p2))),
    }
    provenance = {
        "dataset": dataset if isinstance(dataset, str) else dict(dataset),
        "n_samples": n_samples,
        "latent_dim": latent_dim,
        "dim": dim,
        "seed": seed,
        "structure_seed": structure_seed,
        "alphabet_sizes": {"x1": n1, "x2": n2, "y": n_y},
    }
    return PIDResult(
        R=binned.R,
        U1=binned.U1,
        U2=binned.U2,
        # Non-negative in exact arithmetic (H(Y) bounds the binned I(T1,T2;Y)); clipped
        # against rounding.
        S=max(entropy_y - binned.R - binned.U1 - binned.U2, 0.0),
        mi_x1_y=binned.mi_x1_y,
        mi_x2_y=binned.mi_x2_y,
        mi_x1x2_y=entropy_y,
        estimator="cvx-sufficient-statistic",
        diagnostics=diagnostics,
        provenance=provenance,
    )


def _quantile_codes(values: np.ndarray, bins: int) -> np.ndarray:
    """Integer codes of ``values`` in (at most) ``bins`` bins of equal count.

    The edges are the ``k / bins`` quantiles, ``k = 1 .. bins - 1``, with repeats merged, so
    an atom (a value many samples share) keeps one bin.
    """
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    return np.searchsorted(edges, values)


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    """``h(p) = -p log2 p - (1 - p) log2 (1 - p)``, with ``0 log 0 = 0``."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -p * np.log2(p) - (1 - p) * np.log2(1 - p)
    return np.where((p > 0) & (p < 1), terms, 0.0)
