"""Building the :class:`~pid.report.Report` of each kind of run, in one place.

- :func:`compute_report`: the PID of paired samples (``pid compute``, ``pid demo``, and with
  its ``zoo`` section ``pid zoo train``).
- :func:`bounds_report`: exact R, U1, U2 and proven bounds on synergy and on the best
  accuracy, without labeled pairs (``pid bounds``), with its plain-words :func:`guidance`.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from pid.information import entropy, mutual_information
from pid.report.document import Report
from pid.version import __version__

if TYPE_CHECKING:
    from pid.bounds import PairwiseMarginals, SynergyBounds
    from pid.distribution import Distribution
    from pid.result import PIDResult

#: How each term reads in a sentence.
TERM_WORDS = {
    "R": "redundancy",
    "U1": "information unique to X1",
    "U2": "information unique to X2",
    "S": "synergy",
}
#: Synergy below this many bits is called negligible in the guidance of a bounds report.
NEGLIGIBLE_BITS = 0.05
#: An accuracy interval narrower than this is called settled in that guidance.
SETTLED_ACCURACY = 0.02


def compute_report(
    result: PIDResult,
    dist: Distribution | None,
    *,
    entropy_y: float | None = None,
    intervals: dict[str, tuple[float, float]] | None = None,
    bootstrap: dict[str, Any] | None = None,
    source: str | None = None,
    title: str | None = None,
    zoo: dict[str, Any] | None = None,
) -> Report:
    """The report of one decomposition of paired samples.

    Parameters
    ----------
    result : PIDResult
        The decomposition.
    dist : Distribution or None
        The discrete joint it was computed from; its marginals give the alphabet diagnostics.
        None for estimators that work on samples (BATCH): then pass ``entropy_y``.
    entropy_y : float, optional
        ``H(Y)`` in bits, when there is no ``dist``.
    intervals : dict, optional
        ``{"R": (low, high), ...}``: confidence intervals of the four terms; by default those
        of ``result.sampling``, if any.
    bootstrap : dict, optional
        How the intervals were obtained (``n_resamples``, ``confidence``); by default from
        ``result.sampling``.
    source : str, optional
        Where the data came from (a file path, a dataset name).
    title : str, optional
        A heading for the Markdown and HTML renderings.
    zoo : dict, optional
        The fusion zoo's run on the same data (:meth:`pid.models.zoo.ZooResult.summary`).
    """
    shares = result.shares()
    if dist is not None:
        entropy_y = dist.entropy_y
    if entropy_y is None:
        raise ValueError("entropy_y is needed when dist is None; pass H(Y) in bits.")
    sampling = result.sampling or None
    if intervals is None and sampling and sampling.get("intervals"):
        intervals = sampling["intervals"]
        if bootstrap is None:
            bootstrap = {
                "n_resamples": sampling.get("n_bootstrap"),
                "confidence": sampling["confidence"],
            }
    return Report(
        mode="full",
        title=title or (f"PID of {source}" if source else "PID report"),
        summary=_summary(result.mi_x1x2_y, entropy_y, shares, sampling),
        estimator=result.estimator,
        terms=result.terms(),
        information={
            "I(X1;Y)": result.mi_x1_y,
            "I(X2;Y)": result.mi_x2_y,
            "I(X1,X2;Y)": result.mi_x1x2_y,
            "H(Y)": entropy_y,
        },
        diagnostics=result.diagnostics,
        provenance=_provenance({**result.provenance, "source": source}),
        shares=shares,
        intervals={k: list(v) for k, v in intervals.items()} if intervals else None,
        bootstrap=bootstrap,
        alphabets=alphabet_diagnostics(dist) if dist is not None else None,
        result=result.to_dict(),
        zoo=zoo,
        sampling=sampling,
    )


def bounds_report(
    bounds: SynergyBounds,
    marginals: PairwiseMarginals,
    *,
    title: str | None = None,
    provenance: dict[str, Any] | None = None,
) -> Report:
    """The report of a bounds analysis (thesis Chapter 6).

    ``terms`` holds the exact R, U1, U2 and synergy's lower bound; ``intervals`` holds each
    term's proven range (a single point for R, U1, U2); ``bounds`` and ``accuracy`` hold the
    details (:func:`pid.bounds.accuracy.accuracy_interval`), and ``guidance`` the plain-words
    reading.
    """
    from pid.bounds.accuracy import accuracy_interval

    p_y = marginals.p_y
    info_low, info_high = bounds.information_interval
    acc_low, acc_high = accuracy_interval(info_low, info_high, p_y)
    known = {"R": bounds.R, "U1": bounds.U1, "U2": bounds.U2}
    return Report(
        mode="bounds",
        title=title or "Synergy bounds without labeled pairs",
        summary=(
            f"R, U1 and U2 are exact; synergy lies between {bounds.lower:.4f} and "
            f"{bounds.upper:.4f} bits, so the two modalities together carry between "
            f"{info_low:.4f} and {info_high:.4f} bits about the label, and the best multimodal "
            f"model's accuracy lies between {acc_low:.1%} and {acc_high:.1%}."
        ),
        estimator="bounds",
        terms={**known, "S": bounds.lower},
        information={
            "I(X1;Y)": mutual_information(marginals.p_x1_y),
            "I(X2;Y)": mutual_information(marginals.p_x2_y),
            "I(X1,X2;Y) lower": info_low,
            "I(X1,X2;Y) upper": info_high,
            "I(X1;X2)": mutual_information(marginals.p_x1_x2),
            "H(Y)": entropy(p_y),
        },
        diagnostics=bounds.diagnostics,
        provenance=_provenance(provenance or {}),
        intervals={
            **{name: [value, value] for name, value in known.items()},
            "S": [bounds.lower, bounds.upper],
        },
        alphabets=alphabet_diagnostics(marginals.unimodal_distribution()),
        guidance=guidance(bounds, (acc_low, acc_high)),
        bounds={
            "S_R": bounds.S_R,
            "S_U": bounds.S_U,
            "S_lower": bounds.lower,
            "S_upper": bounds.upper,
        },
        accuracy={"lower": acc_low, "upper": acc_high},
    )


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


def alphabet_diagnostics(dist: Distribution) -> dict[str, Any]:
    """How mass spreads over each variable's values: sizes, occupancy and entropy."""
    marginals = {"x1": dist.p_x1_y.sum(axis=1), "x2": dist.p_x2_y.sum(axis=1), "y": dist.p_y}
    diagnostics = {}
    for name, p in marginals.items():
        occupied = p[p > 0]
        diagnostics[name] = {
            "size": int(p.size),
            "occupied": int(occupied.size),
            "largest_share": float(p.max()),
            "smallest_nonzero_share": float(occupied.min()),
            "entropy_bits": entropy(p),
            "shares": [float(v) for v in np.sort(p)[::-1]],
        }
    return diagnostics


def _summary(
    total: float,
    entropy_y: float,
    shares: dict[str, float],
    sampling: dict[str, Any] | None = None,
) -> str:
    if total <= 0:
        return "The two modalities carry no information about the label: all four terms are 0."
    largest = max(shares, key=shares.get)
    fraction = f" ({total / entropy_y:.0%} of H(Y) = {entropy_y:.3f} bits)" if entropy_y else ""
    text = (
        f"Together the two modalities carry {total:.4f} bits about the label{fraction}. "
        f"The largest part is {TERM_WORDS[largest]}: {shares[largest]:.0%} of the total."
    )
    return text + (" " + null_sentence(sampling) if sampling else "")


def null_sentence(sampling: dict[str, Any]) -> str:
    """Which terms stand out from the null model, in words (empty without a null model)."""
    above = sampling["null"]["above_null"]
    if sampling["null"]["n_permutations"] == 0:
        return ""
    quiet = [TERM_WORDS[t] for t, stands in above.items() if not stands]
    if not quiet:
        return (
            f"Every term exceeds the 95% quantile of its value over "
            f"{sampling['null']['n_permutations']} label permutations."
        )
    words = quiet[0] if len(quiet) == 1 else ", ".join(quiet[:-1]) + " and " + quiet[-1]
    return (
        f"The {words} cannot be told from zero: at or below the 95% quantile of "
        f"{'its' if len(quiet) == 1 else 'their'} value over "
        f"{sampling['null']['n_permutations']} label permutations."
    )


def _provenance(provenance: dict[str, Any]) -> dict[str, Any]:
    """``provenance`` with the date and the versions of the software that made the report."""
    return {
        **provenance,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {
            "pid": __version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }
