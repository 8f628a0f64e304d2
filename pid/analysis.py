"""From paired samples to a full PID report: the work behind ``pid compute`` and ``pid demo``."""

from __future__ import annotations

import sys
from typing import Any

from numpy.typing import ArrayLike

from pid._samples import check_paired
from pid.api import estimate_prepared, prepare
from pid.bootstrap import bootstrap
from pid.report import build_report
from pid.result import PIDResult


def analyze(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    estimator: str = "cvx",
    n_clusters: int | None = None,
    pca: int | None = None,
    seed: int = 0,
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    drop_nonfinite: bool = False,
    source: str | None = None,
    title: str | None = None,
    progress: bool = False,
) -> tuple[PIDResult, dict[str, Any]]:
    """Discretize, decompose, optionally bootstrap, and assemble the report.

    Returns the :class:`PIDResult` and the report dictionary that
    :func:`pid.report.write_report` writes. With ``n_bootstrap > 0`` the report holds a
    percentile interval for each term from that many resamples, each discretized afresh
    (:func:`pid.bootstrap.bootstrap`). ``progress`` prints each step to standard error and
    shows a bar during the bootstrap.
    """
    x1, x2, y = check_paired(x1, x2, y)
    _step(progress, "discretizing")
    data = prepare(
        x1, x2, y, n_clusters=n_clusters, pca=pca, seed=seed, drop_nonfinite=drop_nonfinite
    )
    n1, n2, ny = data.dist.shape
    _step(progress, f"decomposing a {n1} x {n2} x {ny} joint ({estimator})")
    result = estimate_prepared(data, estimator)
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
            n_clusters=n_clusters,
            pca=pca,
            progress=progress,
        )
        boot = {"n_resamples": n_bootstrap, "confidence": confidence, "seed": seed}
    report = build_report(
        result, data.dist, intervals=intervals, bootstrap=boot, source=source, title=title
    )
    return result, report


def _step(progress: bool, message: str) -> None:
    if progress:
        print(f"pid: {message}...", file=sys.stderr, flush=True)
