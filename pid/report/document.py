"""The report as a JSON-ready dictionary with a versioned schema."""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from pid.distribution import Distribution
from pid.information import entropy
from pid.result import PIDResult

#: Version of the report layout; readers refuse other versions.
REPORT_SCHEMA_VERSION = 1
REPORT_KIND = "pid-report"
TERM_WORDS = {
    "R": "redundancy",
    "U1": "information unique to X1",
    "U2": "information unique to X2",
    "S": "synergy",
}


def build_report(
    result: PIDResult,
    dist: Distribution | None,
    *,
    entropy_y: float | None = None,
    intervals: dict[str, tuple[float, float]] | None = None,
    bootstrap: dict[str, Any] | None = None,
    source: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Assemble the report of one decomposition.

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
        ``{"R": (low, high), ...}``: confidence intervals of the four terms.
    bootstrap : dict, optional
        How the intervals were obtained (``n_resamples``, ``confidence``, ``seed``).
    source : str, optional
        Where the data came from (a file path, a dataset name).
    title : str, optional
        A heading for the Markdown and HTML renderings.
    """
    import pid

    shares = result.shares()
    if dist is not None:
        entropy_y = dist.entropy_y
    if entropy_y is None:
        raise ValueError("entropy_y is needed when dist is None; pass H(Y) in bits.")
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": REPORT_KIND,
        "units": "bits",
        "title": title or (f"PID of {source}" if source else "PID report"),
        "mode": "full",
        "summary": _summary(result.mi_x1x2_y, entropy_y, shares),
        "estimator": result.estimator,
        "terms": result.terms(),
        "shares": shares,
        "information": {
            "I(X1;Y)": result.mi_x1_y,
            "I(X2;Y)": result.mi_x2_y,
            "I(X1,X2;Y)": result.mi_x1x2_y,
            "H(Y)": entropy_y,
        },
        "intervals": {k: list(v) for k, v in intervals.items()} if intervals else None,
        "bootstrap": bootstrap,
        "diagnostics": result.diagnostics,
        "alphabets": alphabet_diagnostics(dist) if dist is not None else None,
        "provenance": {
            **result.provenance,
            "source": source,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": {
                "pid": pid.__version__,
                "numpy": np.__version__,
                "python": platform.python_version(),
            },
        },
        "result": result.to_dict(),
    }


def _summary(total: float, entropy_y: float, shares: dict[str, float]) -> str:
    if total <= 0:
        return "The two modalities carry no information about the label: all four terms are 0."
    largest = max(shares, key=shares.get)
    fraction = f" ({total / entropy_y:.0%} of H(Y) = {entropy_y:.3f} bits)" if entropy_y else ""
    return (
        f"Together the two modalities carry {total:.4f} bits about the label{fraction}. "
        f"The largest part is {TERM_WORDS[largest]}: {shares[largest]:.0%} of the total."
    )


def read_report(path: str | os.PathLike) -> dict[str, Any]:
    """Read a ``report.json`` written by :func:`~pid.report.write_report`, checking its schema."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"REPORT file {str(path)!r} does not exist; check the path.")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(
            f"REPORT file {path.name} is not JSON; pass the report.json that pid compute wrote."
        ) from None
    if not isinstance(report, dict) or report.get("kind") != REPORT_KIND:
        raise ValueError(
            f"REPORT file {path.name} is not a pid report; pass the report.json that pid "
            "compute wrote."
        )
    if report.get("schema_version") != REPORT_SCHEMA_VERSION:
        raise ValueError(
            f"REPORT file {path.name} has schema_version {report.get('schema_version')!r}, "
            f"but this version of pid reads {REPORT_SCHEMA_VERSION}; regenerate the report."
        )
    return report


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
