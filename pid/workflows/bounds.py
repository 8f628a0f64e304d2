"""From three separate datasets to a bounds report: the work behind ``pid bounds``."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
from numpy.typing import ArrayLike

from pid.bounds import PairwiseMarginals, SynergyBounds, synergy_bounds
from pid.bounds.resampling import BoundsResampling, ResampledBounds, resample_bounds
from pid.discretize import Discretizer, bin_labels
from pid.report import Report, bounds_report
from pid.validation import check_labels, check_samples, check_seed


def analyze_bounds(
    labeled1: tuple[ArrayLike, ArrayLike],
    labeled2: tuple[ArrayLike, ArrayLike],
    unlabeled: tuple[ArrayLike, ArrayLike],
    *,
    n_clusters: int | None = None,
    pca: int | None = None,
    label_bins: int | None = None,
    seed: int = 0,
    resampling: BoundsResampling | None = None,
    title: str | None = None,
    sources: dict[str, str] | None = None,
) -> tuple[SynergyBounds, ResampledBounds | None, Report]:
    """Bracket synergy from ``D1 = (x1, y)``, ``D2 = (x2, y)`` and ``DM = (x1, x2)``.

    Each modality is discretized in one code space fitted on the union of its samples in the
    two datasets that hold it (``x1``: D1 and DM; ``x2``: D2 and DM); the labels likewise on
    D1 and D2 (a continuous target cut by ``label_bins`` into classes of equal frequency over
    both, :func:`pid.discretize.bin_labels`). The three pairwise marginals are reconciled
    (:meth:`PairwiseMarginals.from_samples`), bounded (:func:`synergy_bounds`), and the
    accuracy of the best multimodal model is bracketed
    (:func:`pid.bounds.accuracy.accuracy_interval`). Each set is then resampled
    (``resampling``, by default 100 resamples seeded by ``seed``;
    :func:`pid.bounds.resampling.resample_bounds`)
    for bias-corrected figures and their intervals, on which the report's conclusions rest;
    ``BoundsResampling(n_bootstrap=0)`` skips that.

    Returns the bounds of the sets as drawn, the resampled ones (None without resampling) and
    the :class:`~pid.report.Report` :func:`pid.report.write_report` writes.
    """
    check_seed(seed)
    resampling = resampling or BoundsResampling(seed=seed)
    (x1a, ya), (x2b, yb), (x1m, x2m) = (
        _pair(pair, name)
        for pair, name in ((labeled1, "labeled1"), (labeled2, "labeled2"), (unlabeled, "unlabeled"))
    )
    x1a, x1m = _same_space(x1a, x1m, "x1", "labeled1", "unlabeled")
    x2b, x2m = _same_space(x2b, x2m, "x2", "labeled2", "unlabeled")
    ya, yb = _same_space(ya, yb, "y", "labeled1", "labeled2")
    if label_bins is not None:
        labels, edges = bin_labels(np.concatenate([ya, yb]), label_bins)
        ya, yb = labels[: len(ya)], labels[len(ya) :]
    check_labels(np.concatenate([ya, yb]))
    if len(np.unique(np.concatenate([ya, yb]))) < 2:
        raise ValueError(
            "labeled1 and labeled2 hold a single class between them; the task needs at least "
            "two labels."
        )
    coders = {
        "x1": Discretizer("auto", n_clusters, pca=pca, seed=seed, name="x1"),
        "x2": Discretizer("auto", n_clusters, pca=pca, seed=seed, name="x2"),
        "y": Discretizer("codes", name="y"),
    }
    coders["x1"].fit(np.concatenate([x1a, x1m]))
    coders["x2"].fit(np.concatenate([x2b, x2m]))
    coders["y"].fit(np.concatenate([ya, yb]))
    codes = [
        (coders["x1"].transform(x1a), coders["y"].transform(ya)),
        (coders["x2"].transform(x2b), coders["y"].transform(yb)),
        (coders["x1"].transform(x1m), coders["x2"].transform(x2m)),
    ]
    marginals = PairwiseMarginals.from_samples(*codes)
    resampled = resample_bounds(*codes, options=resampling) if resampling.n_bootstrap else None
    bounds = resampled.bounds if resampled else synergy_bounds(marginals)
    provenance = {
        "sources": sources,
        "n_samples": {"labeled1": len(ya), "labeled2": len(yb), "unlabeled": len(x1m)},
        "seed": seed,
        "label_bins": (
            None if label_bins is None else {"n_bins": label_bins, "edges": edges.tolist()}
        ),
        "resampling": asdict(resampling),
        "discretization": {name: coder.settings() for name, coder in coders.items()},
    }
    report = bounds_report(
        bounds, marginals, resampled=resampled, title=title, provenance=provenance
    )
    return bounds, resampled, report


def _pair(pair: tuple[ArrayLike, ArrayLike], name: str) -> tuple[np.ndarray, np.ndarray]:
    """The two arrays of one dataset, checked as paired samples (``y`` a label)."""
    keys = {"labeled1": ("x1", "y"), "labeled2": ("x2", "y"), "unlabeled": ("x1", "x2")}[name]
    names = tuple(f"{name}'s {key}" for key in keys)
    return check_samples(pair, names, labels=(f"{name}'s y",))


def _same_space(
    a: np.ndarray, b: np.ndarray, variable: str, first: str, second: str
) -> tuple[np.ndarray, np.ndarray]:
    """A variable's values in its two datasets, in one form (a single column ``(n, 1)`` beside
    1-D values is made 1-D); refuses features of different widths or kinds."""
    if a.ndim != b.ndim:
        a, b = (v[:, 0] if v.ndim == 2 and v.shape[1] == 1 else v for v in (a, b))
    kinds = [np.issubdtype(v.dtype, np.number) or v.dtype == bool for v in (a, b)]
    if a.shape[1:] != b.shape[1:] or kinds[0] != kinds[1]:
        raise ValueError(
            f"{variable} has values of shape {a.shape[1:]} and type {a.dtype} in {first} but "
            f"{b.shape[1:]} and {b.dtype} in {second}; encode {variable} in one code space in "
            "both."
        )
    return a, b
