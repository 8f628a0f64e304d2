"""The report of every kind of run, as one typed, versioned record.

A :class:`Report` is what ``pid compute``, ``pid bounds`` and ``pid zoo train`` write as
``report.json`` (and render as ``report.md`` and ``report.html``) and what ``pid select``
reads. :mod:`pid.report.build` makes one for each kind of run; :func:`read_report` reads one
back, refusing files of another layout.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any

from pid.result import TERMS
from pid.schema import BITS_LIMIT, Checker, JSONLimits, describe, join, read_json

#: Version of the report layout; readers refuse other versions.
REPORT_SCHEMA_VERSION = 2
#: The ``kind`` every report file carries.
REPORT_KIND = "pid-report"
#: Report modes: the PID of paired samples, synergy bounds without labeled pairs, the PID of
#: every pair of many modalities, or the PIDs of many inputs side by side.
MODES = ("full", "bounds", "many", "inputs")
#: What to do about a report that cannot be read.
REMEDY = "pass a report.json that pid compute, pid bounds or pid zoo train wrote"


@dataclass
class Report:
    """One run's numbers and how they were obtained; bits throughout.

    Attributes
    ----------
    mode : str
        ``"full"`` (the PID of paired samples: ``pid compute``, ``pid zoo train``),
        ``"bounds"`` (exact R, U1, U2 and bounds on S: ``pid bounds``), ``"many"`` (the PID
        of every pair of more than two modalities: ``pid compute``) or ``"inputs"`` (the PID
        of each of many inputs, side by side: ``pid compute`` of a folder, a pattern or
        several paths).
    title, summary : str
        A heading, and the result in one or two sentences.
    estimator : str
        The estimator behind ``terms`` (``"bounds"`` for a bounds report).
    terms : dict
        ``R``, ``U1``, ``U2``, ``S``; for a bounds report ``S`` is the lower bound of synergy
        (bias-corrected, like R, U1, U2, where the sample sets were resampled); empty for a
        report of many modalities or inputs, whose terms are in ``modalities`` or
        ``inputs``.
    information : dict
        ``I(X1;Y)``, ``I(X2;Y)``, ``I(X1,X2;Y)`` (or its bounds), ``H(Y)`` and the like.
    diagnostics, provenance : dict
        The estimator's diagnostics; the data's source, sizes, settings, date and versions.
    shares : dict, optional
        Each term's share of the sum of the four terms, negative terms read as 0
        (:func:`pid.result.normalized_pid`: not a share of ``I(X1,X2;Y)``, which the terms add
        up to only where none is below 0); None where ``S`` is only bounded.
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
        Plain-words reading of a bounds report, or of the pairs of many modalities.
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
    modalities : dict, optional
        The PID of many modalities (:meth:`pid.many.ManyResult.to_dict`): names, sample
        counts, the matrices of R, U and S, each pair's and each rest's result, the bounds of
        pairs observed together too rarely, and the ranking by synergy.
    inputs : dict, optional
        The PIDs of many inputs (:func:`pid.report.build.inputs_report`): their ``names`` in
        natural order, and per input its terms, information, intervals, null model and the
        path of its own report.
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
    modalities: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None

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
        sentence naming ``source`` and the field (:func:`check_report`)."""
        return cls(**check_report(data, source))


def check_report(data: Any, source: str = "REPORT") -> dict[str, Any]:
    """The fields of a report's JSON form, each checked: the kind, schema version and mode;
    ``terms`` (the four, in bits), ``information``, ``bounds`` and each model PID of ``zoo``
    finite numbers of bits within :data:`~pid.schema.BITS_LIMIT`; ``shares`` and accuracies
    within [0, 1]; ``intervals`` pairs ``[low, high]``; the other sections objects (or
    strings, or lists of strings) of the right type. A wrong field is refused with one
    sentence naming ``source`` and its path. Keys no report has are left out."""
    checker = Checker(source, REMEDY)
    data = checker.record(data)
    if data.get("kind") != REPORT_KIND:
        raise ValueError(f"{source} is not a pid report; {REMEDY}.")
    if data.get("schema_version") != REPORT_SCHEMA_VERSION:
        raise ValueError(
            f"{source} has schema_version {describe(data.get('schema_version'))}, but this "
            f"version of pid reads {REPORT_SCHEMA_VERSION}; regenerate the report."
        )
    mode = checker.text(data, "mode", choices=MODES)
    checker.bits(data, "terms", keys=None if mode in ("many", "inputs") else TERMS)
    checker.bits(data, "information")
    checker.numbers(data, "shares", keys=TERMS, low=0.0, high=1.0, required=False)
    intervals = checker.mapping(data, "intervals", required=False) or {}
    for name in intervals:
        checker.interval(intervals, name, "intervals", low=-BITS_LIMIT, high=BITS_LIMIT)
    checker.bits(data, "bounds", required=False)
    accuracy = checker.numbers(
        data, "accuracy", keys=("lower", "upper"), low=0.0, high=1.0, required=False
    )
    if accuracy and accuracy["lower"] > accuracy["upper"]:
        checker.fail("accuracy", "has its lower end above its upper end")
    for name in ("title", "summary", "estimator"):
        checker.text(data, name)
    for name in ("diagnostics", "provenance"):
        checker.mapping(data, name)
    for name in ("bootstrap", "alphabets", "result", "sampling"):
        checker.mapping(data, name, required=False)
    checker.texts(data, "guidance", required=False)
    modalities = checker.mapping(data, "modalities", required=mode == "many")
    if modalities is not None:
        names = checker.texts(modalities, "names", "modalities")
        matrices = checker.mapping(modalities, "matrices", "modalities")
        for term in ("R", "U", "S"):
            rows = checker.sequence(matrices, term, "modalities.matrices")
            if len(rows) != len(names):
                checker.fail(
                    f"modalities.matrices.{term}", f"has {len(rows)} rows for {len(names)} names"
                )
        for name in ("pairs", "rest", "bounds", "ranking", "counts", "summary"):
            checker.sequence(modalities, name, "modalities")
    inputs = checker.mapping(data, "inputs", required=mode == "inputs")
    if inputs is not None:
        _check_inputs(checker, inputs)
    zoo = checker.mapping(data, "zoo", required=False)
    if zoo is not None:
        checker.model_results(zoo, "models", "zoo", terms=TERMS)
        checker.text(zoo, "best_model", "zoo")
        checker.integer(zoo, "n_test", "zoo", low=0)
    names = {f.name for f in fields(Report)}
    return {k: v for k, v in data.items() if k in names}


def _check_inputs(checker: Checker, inputs: dict[str, Any]) -> None:
    """The ``inputs`` section: the names, and per input its name, terms and information in
    bits, the intervals of its terms and its null model where it has them."""
    names = checker.texts(inputs, "names", "inputs")
    entries = checker.sequence(inputs, "entries", "inputs")
    if len(entries) != len(names):
        checker.fail("inputs.entries", f"has {len(entries)} entries for {len(names)} names")
    for index in range(len(entries)):
        checker.mapping(entries, index, "inputs.entries")
        where = join("inputs.entries", index)
        for name in ("name", "source", "report"):
            checker.text(entries[index], name, where)
        checker.bits(entries[index], "terms", where, keys=TERMS)
        checker.bits(entries[index], "information", where)
        intervals = checker.mapping(entries[index], "intervals", where, required=False) or {}
        for name in intervals:
            checker.interval(
                intervals, name, join(where, "intervals"), low=-BITS_LIMIT, high=BITS_LIMIT
            )
        null = checker.mapping(entries[index], "null", where, required=False)
        if null is not None:
            checker.bits(null, "q95", join(where, "null"), keys=TERMS)
            checker.mapping(null, "above_null", join(where, "null"))


def read_report(path: str | os.PathLike, limits: JSONLimits | None = None) -> Report:
    """Read a ``report.json`` written by :func:`~pid.report.write_report`, checking its whole
    schema (:func:`check_report`) and reading it within ``limits`` (size, nesting, integers;
    :class:`~pid.schema.JSONLimits`)."""
    data, source = read_json(path, what="REPORT file", remedy=REMEDY, limits=limits)
    return Report.from_dict(data, source)
