"""From three separate datasets to a bounds report: the work behind ``pid bounds``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.bounds.accuracy import accuracy_interval
from pid.bounds.marginals import PairwiseMarginals
from pid.bounds.synergy import SynergyBounds, synergy_bounds
from pid.discretize import Discretizer
from pid.information import entropy, mutual_information
from pid.report.document import REPORT_KIND, REPORT_SCHEMA_VERSION, alphabet_diagnostics

#: Synergy below this many bits is called negligible in the guidance.
NEGLIGIBLE_BITS = 0.05
#: An accuracy interval narrower than this is called settled in the guidance.
SETTLED_ACCURACY = 0.02


def analyze_bounds(
    labeled1: tuple[ArrayLike, ArrayLike],
    labeled2: tuple[ArrayLike, ArrayLike],
    unlabeled: tuple[ArrayLike, ArrayLike],
    *,
    n_clusters: int | None = None,
    pca: int | None = None,
    seed: int = 0,
    title: str | None = None,
    sources: dict[str, str] | None = None,
) -> tuple[SynergyBounds, dict[str, Any]]:
    """Bracket synergy from ``D1 = (x1, y)``, ``D2 = (x2, y)`` and ``DM = (x1, x2)``.

    Each modality is discretized in one code space fitted on the union of its samples in the
    two datasets that hold it (``x1``: D1 and DM; ``x2``: D2 and DM); the labels likewise on
    D1 and D2. The three pairwise marginals are reconciled
    (:meth:`PairwiseMarginals.from_samples`), bounded (:func:`synergy_bounds`), and the
    accuracy of the best multimodal model is bracketed (:func:`accuracy_interval`).

    Returns the bounds and the report dictionary :func:`pid.report.write_report` writes.
    """
    (x1a, ya), (x2b, yb), (x1m, x2m) = (
        _pair(pair, name)
        for pair, name in ((labeled1, "labeled1"), (labeled2, "labeled2"), (unlabeled, "unlabeled"))
    )
    _same_space(x1a, x1m, "x1", "labeled1", "unlabeled")
    _same_space(x2b, x2m, "x2", "labeled2", "unlabeled")
    _same_space(ya, yb, "y", "labeled1", "labeled2")
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
    marginals = PairwiseMarginals.from_samples(
        (coders["x1"].transform(x1a), coders["y"].transform(ya)),
        (coders["x2"].transform(x2b), coders["y"].transform(yb)),
        (coders["x1"].transform(x1m), coders["x2"].transform(x2m)),
    )
    bounds = synergy_bounds(marginals)
    provenance = {
        "sources": sources,
        "n_samples": {"labeled1": len(ya), "labeled2": len(yb), "unlabeled": len(x1m)},
        "seed": seed,
        "discretization": {name: coder.settings() for name, coder in coders.items()},
    }
    return bounds, bounds_report(bounds, marginals, title=title, provenance=provenance)


def bounds_report(
    bounds: SynergyBounds,
    marginals: PairwiseMarginals,
    *,
    title: str | None = None,
    provenance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report of a bounds analysis, in the layout of :func:`pid.report.build_report`.

    ``terms`` holds the exact R, U1, U2 and synergy's lower bound; ``intervals`` holds each
    term's proven range (a single point for R, U1, U2); ``bounds`` and ``accuracy`` hold the
    details, and ``guidance`` the plain-language reading.
    """
    import pid

    p_y = marginals.p_y
    info_low, info_high = bounds.information_interval
    acc_low, acc_high = accuracy_interval(info_low, info_high, p_y)
    known = {"R": bounds.R, "U1": bounds.U1, "U2": bounds.U2}
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": REPORT_KIND,
        "units": "bits",
        "title": title or "Synergy bounds without labeled pairs",
        "mode": "bounds",
        "summary": (
            f"R, U1 and U2 are exact; synergy lies between {bounds.lower:.4f} and "
            f"{bounds.upper:.4f} bits, so the two modalities together carry between "
            f"{info_low:.4f} and {info_high:.4f} bits about the label, and the best multimodal "
            f"model's accuracy lies between {acc_low:.1%} and {acc_high:.1%}."
        ),
        "guidance": guidance(bounds, (acc_low, acc_high)),
        "estimator": "bounds",
        "terms": {**known, "S": bounds.lower},
        "shares": None,
        "information": {
            "I(X1;Y)": mutual_information(marginals.p_x1_y),
            "I(X2;Y)": mutual_information(marginals.p_x2_y),
            "I(X1,X2;Y) lower": info_low,
            "I(X1,X2;Y) upper": info_high,
            "I(X1;X2)": mutual_information(marginals.p_x1_x2),
            "H(Y)": entropy(p_y),
        },
        "intervals": {
            **{name: [value, value] for name, value in known.items()},
            "S": [bounds.lower, bounds.upper],
        },
        "bootstrap": None,
        "bounds": {
            "S_R": bounds.S_R,
            "S_U": bounds.S_U,
            "S_lower": bounds.lower,
            "S_upper": bounds.upper,
        },
        "accuracy": {"lower": acc_low, "upper": acc_high},
        "diagnostics": bounds.diagnostics,
        "alphabets": alphabet_diagnostics(marginals.unimodal_distribution()),
        "provenance": {
            **(provenance or {}),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": {"pid": pid.__version__, "numpy": np.__version__},
        },
    }


def guidance(bounds: SynergyBounds, accuracy: tuple[float, float]) -> list[str]:
    """Three sentences: is synergy the largest interaction, are labeled pairs worth
    collecting, is complex fusion worth trying."""
    others = {"R": bounds.R, "U1": bounds.U1, "U2": bounds.U2}
    top = max(others, key=others.get)
    if bounds.lower > others[top]:
        largest = (
            f"Synergy is certainly the largest interaction: at least {bounds.lower:.3f} bits, "
            f"more than {top} = {others[top]:.3f}."
        )
    elif bounds.upper < others[top]:
        largest = (
            f"Synergy is certainly not the largest interaction: at most {bounds.upper:.3f} "
            f"bits, below {top} = {others[top]:.3f}."
        )
    else:
        largest = (
            f"Synergy may or may not be the largest interaction: it lies between "
            f"{bounds.lower:.3f} and {bounds.upper:.3f} bits, against {top} = {others[top]:.3f}."
        )
    low, high = accuracy
    if high - low < SETTLED_ACCURACY:
        labels = (
            f"Labeled pairs would add little here: the unimodal data already pins the best "
            f"multimodal accuracy to {low:.1%}-{high:.1%}."
        )
    else:
        labels = (
            f"Labeling some pairs is worth it if the answer matters: the best multimodal "
            f"accuracy could lie anywhere from {low:.1%} to {high:.1%}, and only paired labels "
            "can tell how much synergy there is."
        )
    if bounds.lower > NEGLIGIBLE_BITS:
        fusion = (
            f"Complex fusion is worth trying: at least {bounds.lower:.3f} bits appear only when "
            "both modalities are seen together, which models that multiply modalities (tensor "
            "fusion, multiplicative interactions, cross-modal attention) can capture."
        )
    elif bounds.upper < NEGLIGIBLE_BITS:
        fusion = (
            f"Complex fusion is unlikely to pay off: synergy is at most {bounds.upper:.3f} bits, "
            "so late fusion of good unimodal models loses little."
        )
    else:
        fusion = (
            f"Complex fusion may or may not pay off: synergy is not ruled out (up to "
            f"{bounds.upper:.3f} bits); start with late fusion and try a multiplicative model "
            "if the accuracy stays well below the upper bound."
        )
    return [largest, labels, fusion]


def _pair(pair: tuple[ArrayLike, ArrayLike], name: str) -> tuple[np.ndarray, np.ndarray]:
    first, second = (np.asarray(a) for a in pair)
    if len(first) != len(second):
        raise ValueError(
            f"{name} holds {len(first)} and {len(second)} entries; pass one of each per sample."
        )
    if len(first) == 0:
        raise ValueError(f"{name} is empty; pass at least one sample.")
    return first, second


def _same_space(a: np.ndarray, b: np.ndarray, variable: str, first: str, second: str) -> None:
    """Refuse a variable whose two datasets hold features of different shapes or kinds."""
    width = [1 if v.ndim == 1 else v.shape[1] for v in (a, b)]
    kinds = [np.issubdtype(v.dtype, np.number) or v.dtype == bool for v in (a, b)]
    if a.ndim != b.ndim or width[0] != width[1] or kinds[0] != kinds[1]:
        raise ValueError(
            f"{variable} has {width[0]} feature(s) of type {a.dtype} in {first} but {width[1]} "
            f"of type {b.dtype} in {second}; encode {variable} in one code space in both."
        )
