"""Building the :class:`~pid.report.Report` of each kind of run, in one place.

- :func:`compute_report`: the PID of paired samples (``pid compute``, ``pid demo``, and with
  its ``zoo`` section ``pid zoo train``).
- :func:`bounds_report`: R, U1, U2 and bounds on synergy and on the best accuracy, without
  labeled pairs (``pid bounds``), proven for the samples' marginals and, resampled, with
  their intervals, and its plain-words :func:`guidance`.
- :func:`many_report`: the PID of every pair of more than two modalities (``pid compute``),
  with the plain-words summary of :meth:`pid.many.ManyResult.summary`.
- :func:`inputs_report`: the PIDs of many inputs side by side (``pid compute`` of a folder,
  a pattern or several paths), from the report of each.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from pid.bounds.resampling import FIGURES
from pid.estimators.exact.options import NEWTON_TOLERANCE_BITS
from pid.information import entropy, mutual_information
from pid.report.document import Report
from pid.sampling import null_level
from pid.validation import listed
from pid.version import __version__

if TYPE_CHECKING:
    from pid.bounds import PairwiseMarginals, SynergyBounds
    from pid.bounds.resampling import ResampledBounds
    from pid.distribution import Distribution
    from pid.many import ManyResult
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
#: The least term a report across inputs names as the largest (it shows at three decimals).
SHOWN_BITS = 0.0005
#: Values of each variable whose shares a report lists (largest first); the rest are summed.
SHOWN_VALUES = 20


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
    resampled: ResampledBounds | None = None,
    title: str | None = None,
    provenance: dict[str, Any] | None = None,
) -> Report:
    """The report of a bounds analysis (thesis Chapter 6).

    ``bounds`` holds R, U1, U2, ``S_R``, ``S_U`` and the proven bracket ``[S_lower,
    S_upper]`` of the marginals given (and, resampled, both ends bias-corrected);
    ``accuracy`` the interval of the best multimodal accuracy
    (:func:`pid.bounds.accuracy.accuracy_interval`); ``guidance`` the plain-words reading.
    Without ``resampled``, ``terms`` holds R, U1, U2 and ``S_lower`` of these marginals and
    ``intervals`` is None. With it (:func:`pid.bounds.resampling.resample_bounds`), ``terms``
    holds the bias-corrected figures, ``intervals`` their sampling intervals (for S, from the
    low end of ``S_lower``'s to the high end of ``S_upper``'s), the accuracy interval follows
    the intervals, and the guidance states a conclusion only where they support it.
    """
    from pid.bounds.accuracy import accuracy_interval

    p_y = marginals.p_y
    info_low, info_high = bounds.information_interval
    reach = resampled.information_interval if resampled else (info_low, info_high)
    acc_low, acc_high = accuracy_interval(*reach, p_y)
    known = {"R": bounds.R, "U1": bounds.U1, "U2": bounds.U2}
    terms = {**known, "S": bounds.lower}
    summary = (
        f"R, U1 and U2 are exact for the marginals of these samples; synergy lies between "
        f"{bounds.lower:.4f} and {bounds.upper:.4f} bits for them"
    )
    intervals = bootstrap = None
    figures = {**known, "S_R": bounds.S_R, "S_U": bounds.S_U, "S_lower": bounds.lower}
    figures["S_upper"] = bounds.upper
    if resampled:
        corrected = dict(zip(FIGURES, resampled.corrected.tolist(), strict=True))
        terms = {name: corrected[name] for name in known} | {"S": max(corrected["S_lower"], 0)}
        intervals = {name: list(resampled.interval(name)) for name in terms}
        bootstrap = {k: v for k, v in resampled.to_dict().items() if k not in ("corrected",)}
        figures |= {"S_lower_corrected": corrected["S_lower"]}
        figures |= {"S_upper_corrected": corrected["S_upper"]}
        low, high = intervals["S"]
        summary += (
            f", and between {low:.4f} and {high:.4f} bits at {resampled.confidence:.0%} "
            f"confidence once the sampling error of the marginals is counted "
            f"({resampled.n_bootstrap} resamples of each set, bias-corrected)"
        )
    summary += (
        f"; the best multimodal model's accuracy lies between {acc_low:.1%} and {acc_high:.1%}."
    )
    return Report(
        mode="bounds",
        title=title or "Synergy bounds without labeled pairs",
        summary=summary,
        estimator="bounds",
        terms=terms,
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
        intervals=intervals,
        bootstrap=bootstrap,
        alphabets=alphabet_diagnostics(marginals.unimodal_distribution()),
        guidance=guidance(bounds, (acc_low, acc_high), resampled),
        bounds=figures,
        accuracy={"lower": acc_low, "upper": acc_high},
    )


def many_report(
    result: ManyResult, *, source: str | None = None, title: str | None = None
) -> Report:
    """The report of the PID of many modalities: every pair, each against the others, and the
    bounds of pairs observed together too rarely (:func:`pid.decompose_many`).

    ``modalities`` holds :meth:`~pid.many.ManyResult.to_dict`; ``guidance`` the plain-words
    :meth:`~pid.many.ManyResult.summary`; ``information`` ``H(Y)``; ``terms`` is empty. The
    summary names the most synergistic and the most redundant pair, among those whose term
    stands out (:meth:`pid.many.ManyResult.stands`).
    """
    names = result.names
    summary = (
        f"{len(names)} modalities ({', '.join(names)}), {len(names) * (len(names) - 1) // 2} "
        f"pairs, {result.n_samples:,} samples; H(Y) = {result.entropy_y:.3f} bits."
    )
    for term, kind in (("S", "synergistic"), ("R", "redundant")):
        standing = [pair for pair in result.pairs if result.stands(result.pairs[pair], term)]
        if standing:
            a, b = max(standing, key=lambda pair: getattr(result.pairs[pair], term))
            value = getattr(result.pairs[a, b], term)
            summary += f" The most {kind} pair is {a} and {b} ({term} {value:.3f} bits)."
    rare = len(result.bounds) + len(result.unbounded) - len(result.one_class)
    fewer = f"observed together on fewer than {result.provenance['min_pair_samples']} samples"
    reasons = [
        f"{count} {reason}"
        for count, reason in (
            (rare, fewer),
            (len(result.one_class), "only on samples of one label"),
        )
        if count
    ]
    if reasons:
        total = rare + len(result.one_class)
        summary += (
            f" {total} pair{'s were' if total > 1 else ' was'} not decomposed "
            f"({', '.join(reasons)}){_bounded(len(result.bounds), len(result.unbounded))}"
        )
    return Report(
        mode="many",
        title=title or (f"PID of {source}" if source else "PID of many modalities"),
        summary=summary,
        estimator=result.provenance["estimator"],
        terms={},
        information={"H(Y)": result.entropy_y},
        diagnostics={},
        provenance=_provenance({**result.provenance, "source": source}),
        guidance=result.summary(),
        modalities=result.to_dict(),
    )


def _bounded(bounded: int, unbounded: int) -> str:
    """How many of the pairs not decomposed are bounded, and how many cannot be, in words
    that end the sentence saying how many were not decomposed."""
    how = (
        "bounded from each modality's labeled samples instead, where every label is observed "
        "with both"
    )
    if not unbounded:
        return f" and {'is' if bounded == 1 else 'are'} {how}."
    never = (
        "some label is never observed with one of the two modalities, so nothing about "
        f"{'it' if unbounded == 1 else 'them'} can be bounded."
    )
    if not bounded:
        return f": in {'it' if unbounded == 1 else 'each'}, {never}"
    other = "the other" if unbounded == 1 else f"the other {unbounded}"
    return f": {bounded} {'is' if bounded == 1 else 'are'} {how}; in {other}, {never}"


def inputs_report(
    reports: Sequence[tuple[str, Report]],
    *,
    source: str | None = None,
    title: str | None = None,
) -> Report:
    """The report across many inputs, from each input's name and its own report
    (:func:`compute_report`), in the order given (natural order of the names).

    ``inputs`` holds the ``names`` and per input its ``name``, ``source``, ``report`` (where
    its report lies beside this one: ``NAME/report.json``), ``n_samples``, ``terms``,
    ``information``, ``intervals`` (None without resamples) and ``null`` (each term's 95%
    quantile over label permutations, the number of them and which terms stand out from them
    by their permutation p-values, :func:`pid.sampling.permutation_p_values`; None without a
    null model).
    ``provenance`` holds what the provenance of every input shares (the settings, the seed).
    The summary names the input where each term is largest, among those where it stands out
    from the null model and, with intervals, its interval lies above 0; the title, unless
    given, the first input and the last.
    """
    if not reports:
        raise ValueError("reports is empty; pass the report of at least one input.")
    entries = []
    for name, report in reports:
        null = (report.sampling or {}).get("null") or {}
        entries.append(
            {
                "name": name,
                "source": report.provenance.get("source") or name,
                "report": f"{name}/report.json",
                "n_samples": report.provenance.get("n_samples"),
                "terms": dict(report.terms),
                "information": dict(report.information),
                "intervals": report.intervals,
                "null": (
                    {key: null[key] for key in ("n_permutations", "q95", "above_null")}
                    if null.get("n_permutations")
                    else None
                ),
            }
        )
    provenances = [
        {k: v for k, v in report.provenance.items() if k not in ("source", "created", "versions")}
        for _, report in reports
    ]
    shared = {k: v for k, v in provenances[0].items() if all(p.get(k) == v for p in provenances)}
    names = [name for name, _ in reports]
    return Report(
        mode="inputs",
        title=title or f"PID of {len(names)} inputs, {names[0]} to {names[-1]}",
        summary=_inputs_summary(entries),
        estimator=reports[0][1].estimator,
        terms={},
        information={},
        diagnostics={},
        provenance=_provenance({**shared, "source": source, "n_inputs": len(names)}),
        inputs={"names": names, "entries": entries},
    )


def _inputs_summary(entries: list[dict[str, Any]]) -> str:
    """How many inputs, and where each term is largest among the inputs where it stands out
    (:func:`_input_stands`) and shows at three decimals; the sentence says which tests it
    passed."""
    names = [entry["name"] for entry in entries]
    span = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
    text = f"{len(names)} input{'s' * (len(names) > 1)}, {span}."
    nulls = [bool(entry["null"]) for entry in entries]
    intervals = [bool(entry["intervals"]) for entry in entries]
    mixed = any(nulls) != all(nulls) or any(intervals) != all(intervals)
    among, test = (
        (
            "each term passes the tests its input has (its null model, its interval)",
            "passes the tests its input has",
        )
        if mixed
        else {
            (True, True): (
                "each term stands out from its null model and its interval lies above 0",
                "stands out from its null model, with an interval above 0,",
            ),
            (True, False): (
                "each term stands out from its null model only (a test for no information at "
                "all; no interval, from --bootstrap, tests the term itself)",
                "stands out from its null model",
            ),
            (False, True): ("each term's interval lies above 0", "has an interval above 0"),
            (False, False): ("", ""),
        }[all(nulls), all(intervals)]
    )
    largest, quiet = [], []
    for term, words in TERM_WORDS.items():
        standing = [
            entry
            for entry in entries
            if _input_stands(entry, term) and entry["terms"][term] >= SHOWN_BITS
        ]
        if standing:
            top = max(standing, key=lambda entry: entry["terms"][term])
            verb = "" if largest else "is "
            value = top["terms"][term]
            largest.append(f"the most {words} {verb}at {top['name']} ({value:.3f} bits)")
        else:
            quiet.append(words)
    if largest:
        phrase = f"Among the inputs where {among}, {listed(largest)}" if among else listed(largest)
        text += f" {phrase[0].upper()}{phrase[1:]}."
    if quiet:
        text += (
            f" No input holds {' or '.join(quiet)} that {test + ' and ' if test else ''}reaches "
            f"{SHOWN_BITS:.4f} bits."
        )
    return text


def _input_stands(entry: dict[str, Any], term: str) -> bool:
    """Whether a term of an input of :func:`inputs_report` stands out: from its null model
    where there is one, and with an interval above 0 where there are intervals (the tests
    :meth:`pid.many.ManyResult.stands` puts to a pair's term)."""
    null, intervals = entry["null"], entry["intervals"]
    return (null is None or null["above_null"][term]) and (not intervals or intervals[term][0] > 0)


def guidance(
    bounds: SynergyBounds,
    accuracy: tuple[float, float],
    resampled: ResampledBounds | None = None,
) -> list[str]:
    """Three sentences: is synergy the largest interaction, are labeled pairs worth
    collecting, is complex fusion worth trying.

    With ``resampled``, each conclusion is stated only where the sampling intervals support
    it (synergy's whole interval above every other term's, say), and said to be not
    determined otherwise; without, it holds for the marginals as given."""
    if resampled:
        ranges = {name: resampled.interval(name) for name in ("R", "U1", "U2", "S")}
        where = f"at {resampled.confidence:.0%} confidence"
    else:
        ranges = {"R": (bounds.R,) * 2, "U1": (bounds.U1,) * 2, "U2": (bounds.U2,) * 2}
        ranges["S"] = (bounds.lower, bounds.upper)
        where = "for these marginals"
    s_low, s_high = ranges.pop("S")
    above = max(ranges, key=lambda name: ranges[name][1])
    below = max(ranges, key=lambda name: ranges[name][0])
    # By more than the solver's tolerance, within which bounds of 0 can come out at 1e-16.
    if s_low > ranges[above][1] + NEWTON_TOLERANCE_BITS:
        largest = (
            f"Synergy is the largest interaction ({where}): at least {s_low:.3f} bits, more "
            f"than {above}'s {ranges[above][1]:.3f} at most."
        )
    elif s_high < ranges[below][0] - NEWTON_TOLERANCE_BITS:
        largest = (
            f"Synergy is not the largest interaction ({where}): at most {s_high:.3f} bits, "
            f"below {below}'s {ranges[below][0]:.3f} at least."
        )
    else:
        top = max(ranges, key=lambda name: sum(ranges[name]))
        low, high = ranges[top]
        largest = (
            f"Whether synergy is the largest interaction is not determined: it lies between "
            f"{s_low:.3f} and {s_high:.3f} bits ({where}), and {top} between {low:.3f} and "
            f"{high:.3f}."
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
    if s_low > NEGLIGIBLE_BITS:
        fusion = (
            f"Complex fusion is worth trying: at least {s_low:.3f} bits ({where}) appear only "
            "when both modalities are seen together, which models that multiply modalities "
            "(tensor fusion, multiplicative interactions, cross-modal attention) can capture."
        )
    elif s_high < NEGLIGIBLE_BITS:
        fusion = (
            f"Complex fusion is unlikely to pay off: synergy is at most {s_high:.3f} bits "
            f"({where}), so late fusion of good unimodal models loses little."
        )
    else:
        fusion = (
            f"Whether complex fusion pays off is not determined: synergy may be anywhere from "
            f"{s_low:.3f} to {s_high:.3f} bits ({where}); start with late fusion and try a "
            "multiplicative model if the accuracy stays well below the upper bound."
        )
    return [largest, labels, fusion]


def alphabet_diagnostics(dist: Distribution, shown: int = SHOWN_VALUES) -> dict[str, Any]:
    """How mass spreads over each variable's values: sizes, occupancy and entropy, and the
    shares of the ``shown`` largest values.

    ``shares`` lists those shares, largest first; ``rest`` sums up the other values (their
    ``count`` and total ``share``), so that the report stays the same size whatever the
    alphabet's (a variable with a million values included).
    """
    marginals = {"x1": dist.p_x1_y.sum(axis=1), "x2": dist.p_x2_y.sum(axis=1), "y": dist.p_y}
    diagnostics = {}
    for name, p in marginals.items():
        occupied = p[p > 0]
        ordered = np.sort(p)[::-1]
        diagnostics[name] = {
            "size": int(p.size),
            "occupied": int(occupied.size),
            "largest_share": float(p.max()),
            "smallest_nonzero_share": float(occupied.min()),
            "entropy_bits": entropy(p),
            "shares": [float(v) for v in ordered[:shown]],
            "rest": {"count": int(ordered[shown:].size), "share": float(ordered[shown:].sum())},
        }
    return diagnostics


def _summary(
    total: float,
    entropy_y: float,
    shares: dict[str, float],
    sampling: dict[str, Any] | None = None,
) -> str:
    """The summary of :func:`compute_report`: the information about the label, as a share of
    ``H(Y)`` (and by how much an estimate above ``H(Y)`` overshoots it), its largest term and
    what the null model and the intervals say; for a total at or below 0, whether it was
    corrected for sampling bias."""
    corrected = bool(sampling) and sampling["correction"] != "none"
    if total <= 0 and sampling:
        how = (
            "Corrected for sampling bias"
            if corrected
            else "Uncorrected for sampling bias (plug-in values)"
        )
        text = (
            f"{how}, the information the two modalities carry about the label is {total:.4f} "
            "bits: the samples show none beyond their sampling error."
        )
        return " ".join(filter(None, (text, null_sentence(sampling))))
    if total <= 0:
        return "The two modalities carry no information about the label: all four terms are 0."
    largest = max(shares, key=shares.get)
    fraction = f" ({total / entropy_y:.0%} of H(Y) = {entropy_y:.3f} bits)" if entropy_y else ""
    over = round(total - entropy_y, 4)
    text = f"Together the two modalities carry {total:.4f} bits about the label{fraction}."
    if over > 0:  # more than any population holds: said, not clipped, so the numbers add up
        what = "The bias correction overshoots H(Y)" if corrected else "That exceeds H(Y)"
        why = "within its uncertainty" if corrected else "an error of the estimate"
        text += (
            f" {what} by {over:.4f} bits, {why}: the modalities carry at most H(Y) about the label."
        )
    text += f" The largest part is {TERM_WORDS[largest]}: {shares[largest]:.0%} of the terms' sum."
    return " ".join(filter(None, (text, sampling and null_sentence(sampling))))


def null_sentence(sampling: dict[str, Any]) -> str:
    """Which terms stand out from the null model, in words (empty without a null model); and,
    with intervals, which of those that do have an interval reaching 0 all the same.

    The labels' permutations test for no information at all, not for a zero term: a term that
    is zero in truth (the unique informations of an AND gate) stands out from them as soon as
    the modalities inform the label, so its interval is the check of the term itself."""
    null = sampling["null"]
    if null["n_permutations"] == 0:
        return ""
    above = null["above_null"]
    quiet = [t for t, stands in above.items() if not stands]
    intervals = sampling.get("intervals") or {}
    reaching = [t for t in above if t not in quiet and t in intervals and intervals[t][0] <= 0]
    test = (
        f"permutation p-value over {null['n_permutations']} label permutations (1 + "
        "permutations at or above the term, over their number + 1)"
    )
    level = null_level(null["n_permutations"])
    quiet_words, reaching_words = ([TERM_WORDS[t] for t in ts] for ts in (quiet, reaching))
    if not quiet:
        sentence = f"Every term stands out from the null model: its {test} is at most {level:.3g}."
    else:
        sentence = (
            f"The {listed(quiet_words)} cannot be told from zero: {_its(quiet)} {test} is above "
            f"{level:.3g}."
        )
    if reaching:
        sentence += (
            f" The {listed(reaching_words)} {'stands' if len(reaching) == 1 else 'stand'} out from "
            f"the null model, which tests for no information at all, but {_its(reaching)} "
            "interval reaches 0: it may be zero."
        )
    return sentence


def _its(terms: list[str]) -> str:
    return "its" if len(terms) == 1 else "their"


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
