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
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from pid.estimators.exact.options import NEWTON_TOLERANCE_BITS
from pid.report import Report
from pid.report.document import check_report
from pid.result import TERMS, normalized_pid
from pid.schema import Checker, JSONLimits, describe, join, parse_json, read_json
from pid.validation import check_number, check_whole, listed

BANK_KIND = "pid-reference-bank"
BANK_SCHEMA_VERSION = 1
#: What to do about a bank that cannot be read.
REBUILD = "rebuild it with pid zoo build-reference"

#: The fusion models each interaction asks for, for the sentences of a recommendation.
NEEDS = {
    "R": "models that combine or align what both modalities say",
    "U1": "models that keep each modality's own signal",
    "U2": "models that keep each modality's own signal",
    "S": "models that multiply modalities",
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
#: Families whose logits are a sum of unimodal ones (:class:`pid.models.fusion.Additive`):
#: they learn no interaction of the modalities, and what synergy their predictions show comes
#: from taking the argmax of that sum and from measuring the PID on clustered codes.
SUMS = ("ADDITIVE", "AGREE")
#: Distances below this are treated as this when neighbours are weighted by ``1 / s``.
DISTANCE_FLOOR = 0.01
#: A nearest reference dataset beyond this distance (of at most 2) is unlike the report's:
#: within the packaged bank, each dataset's nearest of another recipe lies at most 0.62 away.
FAR_DISTANCE = 0.7
#: Default ``lead_tolerance`` of :func:`select`: terms whose shares of the information lie
#: within this of the largest share lead together, so that a near-tie (R 0.50 and S 0.50, or
#: R 0.499 and S 0.501) is not decided by the order of the terms.
LEAD_TOLERANCE = 0.05
#: Models whose expected shares of the best accuracy differ by less than this are tied, where
#: the bank does not say how many test samples its accuracies were measured on (its
#: ``settings`` lack ``n_samples`` or ``split``): one test sample of the 600 that a reference
#: dataset of 3,000 samples split 60/20/20 holds, as in the packaged bank.
TIE_TOLERANCE = 1 / 600


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
    datasets as ``(name, s)`` pairs, the recommendations (best first), a summary of a few
    sentences, the models left out of the recommendations though ``tied`` with the last one
    (best first), and the ``tie_tolerance`` that tells them apart."""

    shares: dict[str, float]
    neighbors: list[tuple[str, float]]
    recommendations: list[Recommendation]
    summary: str
    tied: list[str] = field(default_factory=list)
    tie_tolerance: float | None = None

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
    its layout is checked (:func:`check_reference`).

    Each dataset's ``best_model`` is the model of highest *test* accuracy there (ties to the
    one the zoo trains first): the model whose accuracy the shares of :func:`select` divide
    by, an after-the-fact figure of the reference data, unlike
    :meth:`pid.models.zoo.ZooResult.best`, which chooses on validation accuracy. The bank
    stores no validation accuracies."""
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
    ``models`` (each with its accuracy in [0, 1], model PID and agreement in bits), and,
    where present, ``settings.n_samples`` (a whole number) and ``settings.split`` (three
    fractions), which give each dataset's number of test samples (:func:`bank_test_size`)."""
    checker = Checker(source, REBUILD)
    bank = checker.record(bank)
    if bank.get("kind") != BANK_KIND:
        raise ValueError(f"{source} is not a reference bank; {REBUILD}.")
    if bank.get("schema_version") != BANK_SCHEMA_VERSION:
        raise ValueError(
            f"{source} has schema_version {describe(bank.get('schema_version'))}, but this "
            f"version of pid reads {BANK_SCHEMA_VERSION}; {REBUILD}."
        )
    settings = checker.mapping(bank, "settings", required=False)
    if settings is not None:
        checker.integer(settings, "n_samples", "settings", low=1, required=False)
        split = checker.sequence(settings, "split", "settings", required=False)
        if split is not None and len(split) != 3:
            checker.fail("settings.split", f"holds {len(split)} fractions, not 3")
        for index in range(len(split or ())):
            checker.number(split, index, "settings.split", low=0.0, high=1.0)
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


def bank_test_size(bank: dict[str, Any]) -> int | None:
    """The number of test samples each reference dataset's accuracies were measured on,
    ``max(4, round(split[2] * n_samples))`` of the bank's ``settings`` (as
    :func:`pid.models.split_indices` draws them), or None where the settings do not say."""
    settings = bank.get("settings") or {}
    n_samples, split = settings.get("n_samples"), settings.get("split")
    if n_samples is None or split is None:
        return None
    return max(4, round(split[2] * n_samples))


def select(
    report: Report,
    *,
    bank: dict[str, Any] | None = None,
    top: int = 3,
    neighbors: int = 3,
    lead_tolerance: float = LEAD_TOLERANCE,
    tie_tolerance: float | None = None,
) -> Selection:
    """Recommend ``top`` fusion models for the dataset a PID report describes (Section 3.3.4).

    The report's normalized PID is compared with every reference dataset's by
    :func:`distance`; on the ``neighbors`` nearest (all of them, said in the summary, where the
    bank holds fewer), each model's accuracy is divided by the best model's there, these
    shares are averaged with weights ``w_i = 1 / max(s_i, 0.01)``,

        share(m) = sum_i w_i acc_i(m) / max_m' acc_i(m') / sum_i w_i,

    and the models with the highest weighted share are recommended, each with the range of
    its shares over the neighbours. For a
    ``pid bounds`` report, synergy is taken at the middle of its interval and each model's
    predicted accuracy is ``[share * lower, upper]`` of the report's best-accuracy interval.

    The summary names the term of the largest share, or every term within ``lead_tolerance``
    (a fraction of the information) of it, and the reasons say what each model captured of
    them. Models left out whose share lies less than ``tie_tolerance`` below the last
    recommended one's are named as tied with it (``Selection.tied``) rather than dropped
    unsaid; by default the tolerance is one test sample of the reference datasets,
    ``1 / n_test`` (:func:`bank_test_size`; :data:`TIE_TOLERANCE` where the bank does not
    say), the least a share moves when one test prediction changes.
    """
    top = check_whole(top, "top (--top)", 1)
    neighbors = check_whole(neighbors, "neighbors (--neighbors)", 1)
    lead_tolerance = check_number(lead_tolerance, "lead_tolerance", 0.0, 1.0)
    terms, interval = report_terms(report)
    bank = load_reference() if bank is None else bank
    check_reference(bank)
    n_test = None  # the test size the tolerance stands for, where it does
    if tie_tolerance is not None:
        tie_tolerance = check_number(tie_tolerance, "tie_tolerance", 0.0, 1.0)
    else:
        n_test = bank_test_size(bank)
        tie_tolerance = TIE_TOLERANCE if n_test is None else 1 / n_test
    shares = normalized_pid(terms)
    ranked = sorted(
        ((distance(shares, d["shares"]), d) for d in bank["datasets"]), key=lambda pair: pair[0]
    )
    distances = [gap for gap, _ in ranked[:neighbors]]
    nearest = [dataset for _, dataset in ranked[:neighbors]]
    models = sorted(set.intersection(*(set(d["models"]) for d in nearest)))
    if not models:
        raise ValueError(
            f"the {len(nearest)} nearest reference datasets "
            f"({', '.join(d['name'] for d in nearest)}) share no model to compare; pass fewer "
            "neighbors (--neighbors) or a bank whose datasets were trained on the same models."
        )
    weights = [1 / max(gap, DISTANCE_FLOOR) for gap in distances]
    share_of_best = {m: _weighted(weights, [_share(d, m) for d in nearest]) for m in models}
    accuracy = {
        m: _weighted(weights, [d["models"][m]["accuracy"] for d in nearest]) for m in models
    }
    # Ties go to the model the zoo trains first, as in the bank's best_model.
    order = {m: i for i, m in enumerate(nearest[0]["models"])}
    ordered = sorted(models, key=lambda m: (-share_of_best[m], -accuracy[m], order[m]))
    chosen = ordered[:top]
    floor = share_of_best[chosen[-1]] - tie_tolerance
    tied = [m for m in ordered[top:] if share_of_best[m] > floor]
    leading = leading_terms(shares, lead_tolerance)
    summary = _lead_sentence(shares, leading, lead_tolerance)
    nearest_distance = distances[0]
    if nearest_distance > FAR_DISTANCE:
        summary += (
            f" The nearest reference dataset lies {nearest_distance:.2f} away (of at most 2), "
            "so no dataset of the bank has interactions like these: the recommendation is a "
            "guess."
        )
    if neighbors > len(nearest):
        summary += (
            f" The bank holds {len(nearest)} reference datasets, fewer than the {neighbors} "
            f"asked for (neighbors, --neighbors), so all {len(nearest)} are pooled."
        )
    if tied:
        summary += " " + _tie_sentence(chosen[-1], tied, share_of_best, tie_tolerance, n_test)
    recommendations = []
    for model in chosen:
        spread = [_share(d, model) for d in nearest]
        captured = {
            t: _weighted(
                weights, [d["models"][model].get("pid", {}).get(t, math.nan) for d in nearest]
            )
            for t in leading
        }
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
                reason=_reason(model, shares, share_of_best[model], spread, captured),
            )
        )
    return Selection(
        shares=shares,
        neighbors=[(d["name"], gap) for d, gap in zip(nearest, distances, strict=True)],
        recommendations=recommendations,
        summary=summary,
        tied=tied,
        tie_tolerance=tie_tolerance,
    )


def leading_terms(shares: dict[str, float], tolerance: float = LEAD_TOLERANCE) -> list[str]:
    """The terms whose shares lie within ``tolerance`` of the largest, in the order of
    :data:`~pid.result.TERMS` (so that which of two near-equal shares is larger does not
    change the list)."""
    largest = max(shares[t] for t in TERMS)
    return [t for t in TERMS if shares[t] >= largest - tolerance]


def _lead_sentence(shares: dict[str, float], leading: list[str], tolerance: float) -> str:
    """What the leading terms are and which models capture them."""
    if len(leading) == 1:
        (term,) = leading
        return (
            f"{_upper_first(WORDS[term])} is {shares[term]:.0%} of the information: "
            f"{NEEDS[term]} capture it."
        )
    named = listed([f"{WORDS[t]} ({shares[t]:.0%})" for t in leading])
    needs: dict[str, list[str]] = {}
    for term in leading:
        needs.setdefault(NEEDS[term], []).append(WORDS[term])
    what = "; ".join(f"{models} capture {listed(words)}" for models, words in needs.items())
    return (
        f"{_upper_first(named)} lead together, within {tolerance:.0%} of the information of "
        f"the largest: {what}."
    )


def _tie_sentence(
    last: str,
    tied: list[str],
    share_of_best: dict[str, float],
    tolerance: float,
    n_test: int | None,
) -> str:
    """That the models of ``tied``, left out, are as good a pick as ``last``, the last
    recommended."""
    one = len(tied) == 1
    figures = listed([f"{share_of_best[m]:.2%}" for m in tied])
    why = f" (one test sample of the {n_test} of each reference dataset)" if n_test else ""
    return (
        f"{listed(tied)} {'is' if one else 'are'} tied with {last}, the last recommended: "
        f"{'its' if one else 'their'} expected share{'' if one else 's'} of the best accuracy, "
        f"{figures}, {'lies' if one else 'lie'} less than {tolerance:.2%}{why} below {last}'s "
        f"{share_of_best[last]:.2%}, too close to rank."
    )


def _reason(
    model: str,
    shares: dict[str, float],
    share_of_best: float,
    spread: list[float],
    captured: dict[str, float],
) -> str:
    """One sentence from the numbers: how the model fuses, what it reached on the nearest
    reference datasets, what it captured there of each leading term (the keys of
    ``captured``), and, for a sum of unimodal predictions where synergy leads, where the
    synergy of its predictions comes from."""
    where = (
        "the nearest reference dataset"
        if len(spread) == 1
        else f"the {len(spread)} nearest reference datasets (from {min(spread):.1%} to "
        f"{max(spread):.1%})"
    )
    parts = [f"{bits:.2f} bits of {WORDS[t]}" for t, bits in captured.items() if _finite(bits)]
    bits = f", capturing {listed(parts)}" if parts else ""
    caution = ""
    if model in SUMS and "S" in captured:
        origin = (
            "that synergy comes only from taking the argmax of its summed unimodal logits and "
            "from measuring the PID on clustered codes, not from a learned interaction of the "
            "modalities"
            if _finite(captured["S"])
            else "its logits are a sum of unimodal ones, so it learns no interaction of the "
            "modalities"
        )
        caution = f"; {origin}, while synergy is {shares['S']:.0%} of this dataset's information"
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
