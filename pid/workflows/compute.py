"""From paired samples to a full PID report: the work behind ``pid compute`` and ``pid demo``."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid._validate import check_paired, finite_rows
from pid.api import check_settings, decompose, estimate_prepared, prepare
from pid.estimators import SAMPLE_ESTIMATORS
from pid.information import entropy
from pid.report import Report, compute_report
from pid.result import PIDResult
from pid.workflows.resample import bootstrap


def analyze(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    estimator: str = "cvx",
    estimator_options: dict[str, Any] | None = None,
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    seed: int = 0,
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    drop_nonfinite: bool = False,
    source: str | None = None,
    title: str | None = None,
    progress: bool = False,
) -> tuple[PIDResult, Report]:
    """Discretize, decompose, optionally bootstrap, and assemble the report.

    Returns the :class:`PIDResult` and the :class:`~pid.report.Report` that
    :func:`pid.report.write_report` writes. ``estimator_options`` go to the estimator (as in
    :func:`pid.decompose`; one it does not take is refused). With ``n_bootstrap > 0`` the report
    holds a percentile interval for each term from that many resamples, each discretized afresh
    (:func:`pid.workflows.resample.bootstrap`). ``progress`` prints each step to standard
    error and shows a bar during the bootstrap.
    """
    options = dict(estimator_options or {})
    check_settings(estimator, options, discretization, n_clusters, pca)
    x1, x2, y = check_paired(x1, x2, y)
    if estimator in SAMPLE_ESTIMATORS:
        if n_bootstrap:
            raise ValueError(
                f"--bootstrap is not available with --estimator {estimator}, which would train "
                "once per resample; run it with different --seed values instead."
            )
        _step(progress, f"training the {estimator} estimator")
        result = decompose(
            x1,
            x2,
            y,
            estimator=estimator,
            seed=seed,
            drop_nonfinite=drop_nonfinite,
            progress=progress,
            **options,
        )
        _, counts = np.unique(y[finite_rows((x1, x2, y))], return_counts=True)
        entropy_y = entropy(counts / counts.sum())
        return result, compute_report(
            result, None, entropy_y=entropy_y, source=source, title=title
        )
    _step(progress, "discretizing")
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
    n1, n2, ny = data.dist.shape
    _step(progress, f"decomposing a {n1} x {n2} x {ny} joint ({estimator})")
    result = estimate_prepared(data, estimator, **options)
    intervals = boot = None
    if n_bootstrap:
        keep = data.kept_rows
        intervals, _ = bootstrap(
            x1[keep],
            x2[keep],
            y[keep],
            n_resamples=n_bootstrap,
            estimator=estimator,
            confidence=confidence,
            seed=seed,
            discretization=discretization,
            n_clusters=n_clusters,
            pca=pca,
            progress=progress,
            **options,
        )
        boot = {"n_resamples": n_bootstrap, "confidence": confidence, "seed": seed}
    report = compute_report(
        result, data.dist, intervals=intervals, bootstrap=boot, source=source, title=title
    )
    return result, report


def _step(progress: bool, message: str) -> None:
    if progress:
        print(f"pid: {message}...", file=sys.stderr, flush=True)
