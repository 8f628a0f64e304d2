"""Choosing fusion models from a PID report (thesis Section 3.3.4).

A *reference bank* holds, for synthetic datasets spread over the interaction simplex, each
dataset's normalized PID and the accuracy and model PID of every zoo model trained on it
(:mod:`pid.models.reference` builds it; one ships with the package). Given a new dataset's
report, :func:`select` finds the reference datasets ``D'`` with the most similar normalized
PID::

    s(D, D') = sum_{I in R, U1, U2, S} |I_hat_D - I_hat_D'|,

and recommends the models that did best there, with the share of the best accuracy each
reached. No torch is needed here.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from pid.estimators.exact.options import NEWTON_TOLERANCE_BITS
from pid.report import Report
from pid.report.document import check_report
from pid.result import TERMS, normalized_pid
from pid.schema import Checker, JSONLimits, describe, join, parse_json, read_json
from pid.validation import check_whole

BANK_KIND = "pid-reference-bank"
BANK_SCHEMA_VERSION = 1
#: What to do about a bank that cannot be read.
REBUILD = "rebuild it with pid zoo build-reference"

#: What each interaction asks of a fusion model, for the sentences of a recommendation.
NEEDS = {
    "R": "models that combine or align what both modalities say capture it",
    "U1": "models that keep each modality's own signal capture it",
    "U2": "models that keep each modality's own signal capture it",
    "S": "models that multiply modalities capture it",
}
WORDS = {"R": "redundancy", "U1": "uniqueness of X1", "U2": "uniqueness of X2", "S": "synergy"}
#: How each zoo family fuses the modalities, for the reasons of a recommendation.
FUSION = {
    "EF": "one network on both inputs",
    "ADDITIVE": "a sum of unimodal predictions",
    "AGREE": "a sum of unimodal predictions trained to agree",
    "ALIGN": "late fusion of aligned representations",
    "ELEM": "gated element-wise products",
    "TENSOR": "an outer product of the modalities",
    "MI": "multiplicative interactions",
    "MULT": "cross-modal attention",
    "LOWER": "a low-rank outer product",
    "REC": "late fusion with reconstruction",
}
#: Families whose prediction is a sum of unimodal ones, which cannot represent synergy.
SUMS = ("ADDITIVE", "AGREE")
#: Distances below this are treated as this when neighbours are weighted by ``1 / s``.
DISTANCE_FLOOR = 0.01
#: A nearest reference dataset beyond this distance (of at most 2) is unlike the report's:
#: within the packaged bank, each dataset's nearest of another recipe lies at most 0.62 away.
FAR_DISTANCE = 0.7


@dataclass(frozen=True)
class Recommendation:
    """One recommended model.

    ``expected_share`` is its accuracy as a fraction of the best zoo model's on the nearest
    reference datasets, averaged with weights ``1 / s`` (:func:`select`), and ``share_range``
    the lowest and highest of those fractions; ``reference_accuracy`` its weighted mean
    accuracy there; ``accuracy_interval``
    its predicted accuracy on the new data when the report holds an accuracy interval (a
    ``pid bounds`` report), else None; ``reason`` says why in one sentence.
    """

    model: str
    expected_share: float
    share_range: tuple[float, float]
    reference_accuracy: float
    accuracy_interval: tuple[float, float] | None
    reason: str


@dataclass(frozen=True)
class Selection:
    """The outcome of :func:`select`: the report's normalized PID, the nearest reference
    datasets as ``(name, s)`` pairs, the recommendations (best first) and a summary sentence."""

    shares: dict[str, float]
    neighbors: list[tuple[str, float]]
    recommendations: list[Recommendation]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def agreement(dataset_terms: dict[str, float], model_terms: dict[str, float]) -> dict[str, float]:
    """PID agreement of a model with a dataset, thesis Eq. 3.6.

    ``alpha_I(f, D) = I_hat_D * I_f(D)`` for ``I`` in R, U1, U2, S, where ``I_hat_D`` is the
    dataset's normalized PID (:func:`normalized_pid`) and ``I_f(D)`` the model's PID in bits;
    ``"total"`` is ``alpha(f, D) = sum_I alpha_I(f, D)``.
    """
    shares = normalized_pid(dataset_terms)
    alpha = {t: shares[t] * float(model_terms[t]) for t in TERMS}
    return {**alpha, "total": sum(alpha.values())}


def distance(shares_a: dict[str, float], shares_b: dict[str, float]) -> float:
    """``s(D, D') = sum_I |I_hat_D - I_hat_D'|`` (Section 3.3.4): 0 for equal normalized PIDs,
    at most 2."""
    return sum(abs(shares_a[t] - shares_b[t]) for t in TERMS)


def report_terms(report: Report) -> tuple[dict[str, float], tuple[float, float] | None]:
    """The PID terms a report holds, and its accuracy interval if it has one.

    A ``pid compute`` report (mode ``full``) gives ``R, U1, U2, S``; a ``pid bounds`` report
    (mode ``bounds``) gives ``R, U1, U2`` and a range for ``S`` (bias-corrected where the sets
    were resampled), whose midpoint is used, and the interval of the best multimodal accuracy;
    a report of many modalities (mode ``many``) or across inputs (mode ``inputs``) is
    refused.
    The report's fields are checked first (:func:`pid.report.document.check_report`).
    """
    check_report(report.to_dict(), "REPORT")
    if report.mode == "inputs":
        raise ValueError(
            f"REPORT holds the PIDs of {len(report.inputs['names'])} inputs side by side, but "
            "models are selected from the PID of one; select from the report of the input to "
            "fuse (NAME/report.json beside it)."
        )
    if report.mode == "many":
        raise ValueError(
            f"REPORT holds the PID of {len(report.modalities['names'])} modalities, but models "
            "are selected from the PID of two; run pid compute with --modalities A B for the "
            "two to fuse, and select from that report."
        )
    terms = {t: float(report.terms[t]) for t in TERMS}
    interval = None
    if report.mode == "bounds":
        figures = report.bounds or {}
        low = figures.get("S_lower_corrected", figures.get("S_lower", terms["S"]))
        high = figures.get("S_upper_corrected", figures.get("S_upper", terms["S"]))
        terms["S"] = (float(low) + float(high)) / 2
        if report.accuracy is not None:
            interval = (float(report.accuracy["lower"]), float(report.accuracy["upper"]))
    total = sum(terms.values())
    if total <= NEWTON_TOLERANCE_BITS:
        raise ValueError(
            f"REPORT's PID is zero (its terms sum to {total:.2g} bits): the modalities carry no "
            "information about the label that it shows, so no fusion model can be recommended."
        )
    return terms, interval


def load_reference(
    path: str | os.PathLike | None = None, limits: JSONLimits | None = None
) -> dict[str, Any]:
    """The reference bank: the one shipped with the package, or a JSON file built by
    ``pid zoo build-reference`` read within ``limits`` (:class:`~pid.schema.JSONLimits`);
    its layout is checked (:func:`check_reference`)."""
    if path is None:
        text = resources.files("pid").joinpath("data/reference_bank.json").read_text("utf-8")
        source = "the packaged reference bank"
        bank = parse_json(text, source=source, remedy=REBUILD, limits=limits)
    else:
        bank, source = read_json(path, what="reference bank", remedy=REBUILD, limits=limits)
    check_reference(bank, source)
    return bank


def check_reference(bank: Any, source: str = "the reference bank") -> None:
    """Refuse a bank whose layout is not the one :func:`select` reads, with one sentence
    naming ``source`` and the field: a non-empty list of ``datasets``, each with its
    ``name``, ``shares`` (the four terms, each in [0, 1]), ``pid`` where present (bits) and
    ``models`` (each with its accuracy in [0, 1], model PID and agreement in bits)."""
    checker = Checker(source, REBUILD)
    bank = checker.record(bank)
    if bank.get("kind") != BANK_KIND:
        raise ValueError(f"{source} is not a reference bank; {REBUILD}.")
    if bank.get("schema_version") != BANK_SCHEMA_VERSION:
        raise ValueError(
            f"{source} has schema_version {describe(bank.get('schema_version'))}, but this "
            f"version of pid reads {BANK_SCHEMA_VERSION}; {REBUILD}."
        )
    datasets = checker.sequence(bank, "datasets")
    if not datasets:
        checker.fail("datasets", "is empty")
    for index in range(len(datasets)):
        checker.mapping(datasets, index, "datasets")
        where = join("datasets", index)
        checker.text(datasets[index], "name", where)
        checker.numbers(datasets[index], "shares", where, keys=TERMS, low=0.0, high=1.0)
        checker.bits(datasets[index], "pid", where, keys=TERMS, required=False)
        checker.model_results(datasets[index], "models", where, terms=TERMS)


def select(
    report: Report,
    *,
    bank: dict[str, Any] | None = None,
    top: int = 3,
    neighbors: int = 3,
) -> Selection:
    """Recommend ``top`` fusion models for the dataset a PID report describes (Section 3.3.4).

    The report's normalized PID is compared with every reference dataset's by
    :func:`distance`; on the ``neighbors`` nearest, each model's accuracy is divided by the
    best model's there, these shares are averaged with weights ``w_i = 1 / max(s_i, 0.01)``,

        share(m) = sum_i w_i acc_i(m) / max_m' acc_i(m') / sum_i w_i,

    and the models with the highest weighted share are recommended, each with the range of
    its shares over the neighbours. For a
    ``pid bounds`` report, synergy is taken at the middle of its interval and each model's
    predicted accuracy is ``[share * lower, upper]`` of the report's best-accuracy interval.
    """
    top = check_whole(top, "top (--top)", 1)
    neighbors = check_whole(neighbors, "neighbors (--neighbors)", 1)
    terms, interval = report_terms(report)
    bank = load_reference() if bank is None else bank
    check_reference(bank)
    shares = normalized_pid(terms)
    ranked = sorted(bank["datasets"], key=lambda d: distance(shares, d["shares"]))
    nearest = ranked[:neighbors]
    models = sorted(set.intersection(*(set(d["models"]) for d in nearest)))
    if not models:
        raise ValueError(
            f"the {len(nearest)} nearest reference datasets "
            f"({', '.join(d['name'] for d in nearest)}) share no model to compare; pass fewer "
            "neighbors (--neighbors) or a bank whose datasets were trained on the same models."
        )
    weights = [1 / max(distance(shares, d["shares"]), DISTANCE_FLOOR) for d in nearest]
    share_of_best = {m: _weighted(weights, [_share(d, m) for d in nearest]) for m in models}
    accuracy = {
        m: _weighted(weights, [d["models"][m]["accuracy"] for d in nearest]) for m in models
    }
    # Ties go to the model the zoo trains first, as in the bank's best_model.
    order = {m: i for i, m in enumerate(nearest[0]["models"])}
    chosen = sorted(models, key=lambda m: (-share_of_best[m], -accuracy[m], order[m]))[:top]
    main = max(TERMS, key=lambda t: shares[t])
    share = f"{shares[main]:.0%}"
    summary = f"{_upper_first(WORDS[main])} is {share} of the information: {NEEDS[main]}."
    nearest_distance = distance(shares, nearest[0]["shares"])
    if nearest_distance > FAR_DISTANCE:
        summary += (
            f" The nearest reference dataset lies {nearest_distance:.2f} away (of at most 2), "
            "so no dataset of the bank has interactions like these: the recommendation is a "
            "guess."
        )
    recommendations = []
    for model in chosen:
        spread = [_share(d, model) for d in nearest]
        captured = _weighted(
            weights, [d["models"][model].get("pid", {}).get(main, math.nan) for d in nearest]
        )
        predicted = None
        if interval is not None:
            predicted = (share_of_best[model] * interval[0], interval[1])
        recommendations.append(
            Recommendation(
                model=model,
                expected_share=share_of_best[model],
                share_range=(min(spread), max(spread)),
                reference_accuracy=accuracy[model],
                accuracy_interval=predicted,
                reason=_reason(model, main, shares[main], share_of_best[model], spread, captured),
            )
        )
    return Selection(
        shares=shares,
        neighbors=[(d["name"], distance(shares, d["shares"])) for d in nearest],
        recommendations=recommendations,
        summary=summary,
    )


def _reason(
    model: str,
    term: str,
    share: float,
    share_of_best: float,
    spread: list[float],
    captured: float,
) -> str:
    """One sentence from the numbers: how the model fuses, what it reached on the nearest
    reference datasets, what it captured of the main term there, and, for a sum of unimodal
    predictions where synergy leads, that it cannot represent synergy."""
    where = (
        "the nearest reference dataset"
        if len(spread) == 1
        else f"the {len(spread)} nearest reference datasets (from {min(spread):.1%} to "
        f"{max(spread):.1%})"
    )
    bits = f", capturing {captured:.2f} bits of {WORDS[term]}" if _finite(captured) else ""
    caution = (
        f"; as a sum of unimodal predictions it cannot represent synergy, {share:.0%} of this "
        "dataset's information"
        if model in SUMS and term == "S"
        else ""
    )
    return (
        f"{model} ({FUSION.get(model, 'a fusion model')}) reached {share_of_best:.1%} of the "
        f"best accuracy on {where}{bits}{caution}."
    )


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _share(dataset: dict[str, Any], model: str) -> float:
    best = max(m["accuracy"] for m in dataset["models"].values())
    return dataset["models"][model]["accuracy"] / best if best > 0 else 0.0


def _weighted(weights: list[float], values: list[float]) -> float:
    return sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
