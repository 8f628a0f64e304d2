"""From paired samples to a full PID report: the work behind ``pid compute`` and ``pid demo``,
for two modalities (:func:`analyze`) or more (:func:`analyze_many`)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.api import check_settings, decompose, estimate_prepared, prepare
from pid.discretize import bin_labels
from pid.estimators import SAMPLE_ESTIMATORS
from pid.information import entropy
from pid.many import ManyResult, decompose_many
from pid.posterior import PosteriorOptions
from pid.report import Report, compute_report, many_report
from pid.result import PIDResult
from pid.sampling import SamplingOptions
from pid.sweep import SweepOptions
from pid.validation import check_paired, finite_rows


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
    posterior: PosteriorOptions | None = None,
    sampling: SamplingOptions | None = None,
    label_bins: int | None = None,
    seed: int = 0,
    drop_nonfinite: bool = False,
    source: str | None = None,
    title: str | None = None,
    progress: bool = False,
) -> tuple[PIDResult, Report]:
    """Encode, decompose with the corrections of ``sampling``, and assemble the report.

    Returns the :class:`PIDResult` and the :class:`~pid.report.Report` that
    :func:`pid.report.write_report` writes. ``label_bins`` cuts a continuous target into
    classes of equal frequency (:func:`pid.api.prepare`). ``estimator_options`` go to the
    estimator (as in :func:`pid.decompose`; one it does not take is refused). With
    ``sampling.n_bootstrap > 0`` the report holds an interval for each term about the
    corrected estimate, from that many resamples of the coded samples and the null model's
    spread. ``progress`` prints each step to standard error and shows a bar over long fits.
    """
    options = dict(estimator_options or {})
    check_settings(estimator, options, discretization, n_clusters, pca, posterior, sampling)
    x1, x2, y = check_paired(x1, x2, y)
    if estimator in SAMPLE_ESTIMATORS:
        step(progress, f"training the {estimator} estimator")
        result = decompose(
            x1,
            x2,
            y,
            estimator=estimator,
            label_bins=label_bins,
            seed=seed,
            drop_nonfinite=drop_nonfinite,
            posterior=posterior,
            progress=progress,
            **options,
        )
        kept = y[finite_rows((x1, x2, y))]
        if label_bins is not None:
            kept = bin_labels(kept, label_bins)[0]
        _, counts = np.unique(kept, return_counts=True)
        entropy_y = entropy(counts / counts.sum())
        return result, compute_report(result, None, entropy_y=entropy_y, source=source, title=title)
    step(progress, "encoding the samples")
    data = prepare(
        x1,
        x2,
        y,
        discretization=discretization,
        n_clusters=n_clusters,
        pca=pca,
        posterior=posterior,
        label_bins=label_bins,
        seed=seed,
        drop_nonfinite=drop_nonfinite,
        progress=progress,
    )
    n1, n2, ny = data.dist.shape
    sampling = sampling or SamplingOptions()
    step(
        progress,
        f"decomposing a {n1} x {n2} x {ny} joint ({estimator}), correcting its bias "
        f"({sampling.correction}, {sampling.n_null} label permutations"
        f"{f', {sampling.n_bootstrap} resamples' if sampling.n_bootstrap else ''})",
    )
    result = estimate_prepared(data, estimator, sampling=sampling, progress=progress, **options)
    report = compute_report(result, data.dist, source=source, title=title)
    return result, report


def analyze_many(
    modalities: dict[str, ArrayLike],
    y: ArrayLike,
    *,
    estimator: str = "cvx",
    estimator_options: dict[str, Any] | None = None,
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    posterior: PosteriorOptions | None = None,
    sampling: SamplingOptions | None = None,
    label_bins: int | None = None,
    seed: int = 0,
    sweep: SweepOptions | None = None,
    source: str | None = None,
    title: str | None = None,
    progress: bool = False,
) -> tuple[ManyResult, Report]:
    """Decompose every pair of modalities and each against the others
    (:func:`pid.decompose_many`, with the same settings as :func:`analyze`; the pairs run
    where ``sweep`` says), and assemble the report (:func:`pid.report.many_report`)."""
    step(progress, f"decomposing the pairs of {len(modalities)} modalities ({estimator})")
    result = decompose_many(
        modalities,
        y,
        estimator=estimator,
        discretization=discretization,
        n_clusters=n_clusters,
        pca=pca,
        posterior=posterior,
        sampling=sampling,
        label_bins=label_bins,
        seed=seed,
        sweep=sweep,
        progress=progress,
        **(estimator_options or {}),
    )
    return result, many_report(result, source=source, title=title)


def step(progress: bool, message: str) -> None:
    """Print ``pid: MESSAGE...`` to standard error where ``progress`` is on."""
    if progress:
        print(f"pid: {message}...", file=sys.stderr, flush=True)
