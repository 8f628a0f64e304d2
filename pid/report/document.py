"""The report of every kind of run, as one typed, versioned record.

A :class:`Report` is what ``pid compute``, ``pid bounds`` and ``pid zoo train`` write as
``report.json`` (and render as ``report.md`` and ``report.html``) and what ``pid select``
reads. :mod:`pid.report.build` makes one for each kind of run; :func:`read_report` reads one
back, refusing files of another layout.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pid.result import TERMS

#: Version of the report layout; readers refuse other versions.
REPORT_SCHEMA_VERSION = 2
#: The ``kind`` every report file carries.
REPORT_KIND = "pid-report"
#: Report modes: the PID of paired samples, or synergy bounds without labeled pairs.
MODES = ("full", "bounds")


@dataclass
class Report:
    """One run's numbers and how they were obtained; bits throughout.

    Attributes
    ----------
    mode : str
        ``"full"`` (the PID of paired samples: ``pid compute``, ``pid zoo train``) or
        ``"bounds"`` (exact R, U1, U2 and bounds on S: ``pid bounds``).
    title, summary : str
        A heading, and the result in one or two sentences.
    estimator : str
        The estimator behind ``terms`` (``"bounds"`` for a bounds report).
    terms : dict
        ``R``, ``U1``, ``U2``, ``S``; for a bounds report ``S`` is the lower bound of synergy
        (bias-corrected, like R, U1, U2, where the sample sets were resampled).
    information : dict
        ``I(X1;Y)``, ``I(X2;Y)``, ``I(X1,X2;Y)`` (or its bounds), ``H(Y)`` and the like.
    diagnostics, provenance : dict
        The estimator's diagnostics; the data's source, sizes, settings, date and versions.
    shares : dict, optional
        Each term's share of ``I(X1,X2;Y)``; None where ``S`` is only bounded.
    intervals : dict, optional
        ``[low, high]`` per term: the resampling intervals (for a bounds report's ``S``, from
        the low end of its lower bound's interval to the high end of its upper bound's).
    bootstrap : dict, optional
        How the intervals were resampled (``n_resamples``, ``confidence``; a bounds report's
        also its ``intervals`` of ``S_lower`` and ``S_upper`` and ``method``).
    alphabets : dict, optional
        Per variable, how mass spreads over its values (:func:`alphabet_diagnostics`).
    result : dict, optional
        The :class:`~pid.PIDResult` itself, as :meth:`~pid.PIDResult.to_dict` writes it.
    guidance : list of str, optional
        Plain-words reading of a bounds report.
    bounds, accuracy : dict, optional
        A bounds report's R, U1, U2, ``S_R``, ``S_U`` and the proven bracket ``S_lower``,
        ``S_upper`` of the samples' marginals (with ``S_lower_corrected`` and
        ``S_upper_corrected`` where resampled), and the interval of the best multimodal
        accuracy (``lower``, ``upper``).
    zoo : dict, optional
        The fusion zoo's run: settings, seeds, and each model's accuracy (with its interval
        over several seeds), model PID and agreement.
    sampling : dict, optional
        For estimates from samples: the bias correction, the plug-in values, the null model
        and which terms stand out from it, and warnings (the result's ``sampling``).
    """

    mode: str
    title: str
    summary: str
    estimator: str
    terms: dict[str, float]
    information: dict[str, float]
    diagnostics: dict[str, Any]
    provenance: dict[str, Any]
    shares: dict[str, float] | None = None
    intervals: dict[str, list[float]] | None = None
    bootstrap: dict[str, Any] | None = None
    alphabets: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    guidance: list[str] | None = None
    bounds: dict[str, float] | None = None
    accuracy: dict[str, float] | None = None
    zoo: dict[str, Any] | None = None
    sampling: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, tagged with the kind, schema version and unit."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "kind": REPORT_KIND,
            "units": "bits",
            **asdict(self),
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "REPORT") -> Report:
        """Rebuild a report from :meth:`to_dict` output, refusing other layouts with a
        sentence naming ``source``."""
        if not isinstance(data, dict) or data.get("kind") != REPORT_KIND:
            raise ValueError(
                f"{source} is not a pid report; pass the report.json that pid compute wrote."
            )
        if data.get("schema_version") != REPORT_SCHEMA_VERSION:
            raise ValueError(
                f"{source} has schema_version {data.get('schema_version')!r}, but this "
                f"version of pid reads {REPORT_SCHEMA_VERSION}; regenerate the report."
            )
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        required = {f.name for f in fields(cls) if f.default is not None}
        missing = sorted(required - set(values))
        terms = values.get("terms")
        if missing or not isinstance(terms, dict) or not all(t in terms for t in TERMS):
            raise ValueError(
                f"{source} holds no PID values (it lacks "
                f"{', '.join(missing) or 'the terms R, U1, U2 and S'}); pass a report.json "
                "that pid compute or pid bounds wrote."
            )
        if values["mode"] not in MODES:
            raise ValueError(
                f"{source} has mode {values['mode']!r}; pid reads {' and '.join(MODES)} reports."
            )
        return cls(**values)


def read_report(path: str | os.PathLike) -> Report:
    """Read a ``report.json`` written by :func:`~pid.report.write_report`, checking its schema."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"REPORT file {str(path)!r} does not exist; check the path.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(
            f"REPORT file {path.name} is not JSON; pass the report.json that pid compute wrote."
        ) from None
    return Report.from_dict(data, f"REPORT file {path.name}")
