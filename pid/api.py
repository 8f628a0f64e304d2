"""One-line entry points: from paired samples of any kind to a decomposition."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid._validate import check_paired, finite_rows
from pid.discretize import DISCRETIZATIONS, Discretized, discretize
from pid.distribution import Distribution
from pid.estimators import ESTIMATORS, SAMPLE_ESTIMATORS, check_options, estimate
from pid.result import PIDResult


@dataclass(frozen=True)
class Prepared:
    """Paired samples turned into a discrete joint, and how that was done.

    ``kept_rows`` marks the input samples used (all but non-finite rows that were dropped).
    """

    discretized: Discretized
    dist: Distribution
    provenance: dict[str, Any]
    kept_rows: np.ndarray


def prepare(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    seed: int = 0,
    drop_nonfinite: bool = False,
) -> Prepared:
    """Validate paired samples, discretize them (thesis Section 3.2.1) and count the joint.

    Integer codes pass through; continuous features are standardized, optionally reduced with
    PCA, and clustered (:func:`pid.discretize.discretize`, whose ``method`` is
    ``discretization`` here). Rows with NaN or infinite values
    are refused unless ``drop_nonfinite=True``, which drops them and records how many.
    """
    arrays, keep, provenance = _clean(x1, x2, y, drop_nonfinite)
    n = len(arrays[2])
    if n_clusters is not None and not 1 < n_clusters <= n:
        raise ValueError(
            f"n_clusters (--clusters) is {n_clusters} but there are {n} samples; ask for "
            "between 2 and the number of samples."
        )
    codes = discretize(
        *arrays, method=discretization, n_clusters=n_clusters, pca=pca, seed=seed
    )
    dist = Distribution.from_samples(codes.x1, codes.x2, codes.y)
    provenance = {**provenance, "seed": seed, "discretization": codes.settings()}
    return Prepared(codes, dist, provenance, keep)


def decompose(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    estimator: str = "cvx",
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    seed: int = 0,
    drop_nonfinite: bool = False,
    **options: Any,
) -> PIDResult:
    """PID of paired samples: how X1 and X2 inform Y, in bits.

    Each modality may be integer codes (1-D) or continuous features (1-D or 2-D: embeddings,
    logits, predictions); ``y`` holds class labels. The samples are discretized
    (:func:`prepare`: ``discretization``, ``n_clusters``, ``pca``, ``seed``), their empirical
    joint ``p(x1, x2, y)`` is counted, and ``I(X1,X2;Y) = R + U1 + U2 + S`` is decomposed with
    the named estimator (thesis Eqs. 3.1 to 3.3 for the default ``"cvx"``), to which
    ``options`` go (for ``"cvx"``: ``method``, ``tol_bits``, ``device``, ...; see
    :func:`pid.estimators.estimate`). Estimators on samples (``"batch"``) skip the
    discretization: its settings are refused with them, and ``seed`` goes to the estimator.
    An option the estimator does not take is refused. ``U1`` belongs to ``x1``. The result's
    ``provenance`` holds the discretization settings, the sample count and the seed.

    >>> import numpy as np, pid
    >>> x1 = np.array([0, 0, 1, 1]); x2 = np.array([0, 1, 0, 1])
    >>> round(pid.decompose(x1, x2, x1 ^ x2).S, 6)
    1.0
    """
    check_settings(estimator, options, discretization, n_clusters, pca)
    if estimator in SAMPLE_ESTIMATORS:
        arrays, _, provenance = _clean(x1, x2, y, drop_nonfinite)
        result = ESTIMATORS[estimator](*arrays, seed=seed, **options)
        return replace(result, provenance={**result.provenance, **provenance})
    data = prepare(
        x1,
        x2,
        y,
        discretization=discretization,
        n_clusters=n_clusters,
        pca=pca,
        seed=seed,
        drop_nonfinite=drop_nonfinite,
    )
    return estimate_prepared(data, estimator, **options)


def check_settings(
    estimator: str,
    options: dict[str, Any],
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
) -> None:
    """Refuse settings that the named estimator would not use: estimator options it does not
    take, and discretization settings for an estimator that works on the samples."""
    if estimator in ESTIMATORS and estimator in SAMPLE_ESTIMATORS:
        given = {"discretization": discretization != "auto", "n_clusters": n_clusters, "pca": pca}
        unused = [name for name, value in given.items() if value not in (None, False)]
        if unused:
            raise ValueError(
                f"{', '.join(unused)} set(s) up the discretization, which estimator="
                f"{estimator!r} does not use (it works on the samples themselves); drop "
                f"{'it' if len(unused) == 1 else 'them'}, or use estimator='cvx'."
            )
    if options.get("method") in DISCRETIZATIONS and estimator == "cvx":
        raise ValueError(
            f"method={options['method']!r} names a discretization; pass "
            f"discretization={options['method']!r} (method chooses the CVX solver: 'newton' "
            "or 'cvxpy')."
        )
    check_options(estimator, options)


def estimate_prepared(data: Prepared, estimator: str = "cvx", **options: Any) -> PIDResult:
    """Decompose prepared samples, recording how they were prepared in the provenance."""
    result = estimate(data.dist, estimator, **options)
    return replace(result, provenance={**result.provenance, **data.provenance})


def _clean(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, drop_nonfinite: bool
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, dict[str, Any]]:
    """Paired samples checked, non-finite rows refused or dropped, and at least two classes.

    Returns the kept samples, the mask of kept rows and their count for the provenance.
    """
    arrays = check_paired(x1, x2, y)
    keep = finite_rows(arrays)
    dropped = int(len(keep) - keep.sum())
    if dropped and not drop_nonfinite:
        raise ValueError(
            f"{dropped} sample(s) hold NaN or infinite values; clean them, or pass "
            "drop_nonfinite=True (--drop-nonfinite) to drop those rows."
        )
    arrays = tuple(a[keep] for a in arrays)
    if len(arrays[2]) == 0:
        raise ValueError("no sample is left after dropping non-finite rows; clean the data.")
    classes = np.unique(arrays[2])
    if len(classes) < 2:
        raise ValueError(
            f"y holds a single class ({classes[:1].tolist()[0]!r}); the task needs at least two "
            "labels for its information to be decomposed."
        )
    return arrays, keep, {"n_samples": len(arrays[2]), "dropped_nonfinite": dropped}


__all__ = ["Prepared", "check_settings", "decompose", "estimate_prepared", "prepare"]
