"""The PID of many modalities: every pair, each modality against all the others, and pairs
that are never observed together.

For modalities ``X_1 .. X_M`` and a label ``Y``, :func:`decompose_many` decomposes

- every pair ``(X_i, X_j)``: ``I(X_i,X_j;Y) = R_ij + U_ij + U_ji + S_ij`` (thesis Eqs. 3.1
  to 3.3), ``U_ij`` the information unique to ``X_i`` in that pair;
- each modality against all the others taken together, ``(X_i, X_{-i})``: what ``X_i`` adds
  to the rest (its unique information there) and what appears only with it (synergy);

each with :func:`pid.decompose`, so with its encodings, bias corrections, null model and
intervals. A sample may lack some modalities (a row of NaN, None, or ``mask``;
:mod:`pid.modalities`): each pair is decomposed on the samples where both are present, the
rest on the samples where all are.

A pair observed together on fewer than ``min_pair_samples`` samples, or only on samples of one
label, cannot be decomposed; its two modalities are still each observed with the label, which
fixes ``R``, ``U_ij`` and ``U_ji`` (they depend on ``p(x_i, y)`` and ``p(x_j, y)`` only) and
bounds synergy to ``[0, S_upper]`` over every joint consistent with those marginals
(:func:`pid.bounds.unpaired.unpaired_bounds`). ``docs/many_modalities.md`` has the details.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.api import check_settings, decompose, is_codes
from pid.bounds.resampling import BoundsResampling
from pid.bounds.unpaired import UnpairedBounds, unpaired_bounds_from_samples
from pid.discretize import Discretizer
from pid.estimators import SAMPLE_ESTIMATORS
from pid.information import entropy
from pid.modalities import observed_modalities
from pid.posterior import PosteriorOptions
from pid.result import TERMS, PIDResult, json_ready
from pid.sampling import SamplingOptions
from pid.sweep import SweepOptions, run_sweep
from pid.validation import check_instance

#: Pairs observed together on fewer samples than this are bounded instead of decomposed.
MIN_PAIR_SAMPLES = 20
#: A term below this many bits is not named in the summary, nor one within its null model.
TRACE_BITS = 0.05
#: Nor one below this share of ``H(Y)``.
TRACE_SHARE = 0.05

Pair = tuple[str, str]
#: One decomposition: a pair (or a modality, against the rest), its two arrays, the labels and
#: the settings of :func:`pid.decompose`.
Task = tuple[Pair | str, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]


@dataclass(frozen=True)
class ManyResult:
    """The PID of every pair of modalities, and of each against all the others, in bits.

    Attributes
    ----------
    names : tuple of str
        The modalities, in the order of every matrix.
    pairs : dict
        ``{(a, b): PIDResult}`` for each pair decomposed, ``a`` before ``b`` in ``names``;
        ``U1`` belongs to ``a``.
    rest : dict
        ``{a: PIDResult}``: modality ``a`` (``U1``) against all the others together (``U2``).
    bounds : dict
        ``{(a, b): UnpairedBounds}`` for each pair observed together too rarely to be
        decomposed: exact ``R``, ``U1``, ``U2`` of the labeled marginals, and synergy's range.
    unbounded : tuple of pairs
        Pairs neither decomposed nor bounded (a label never observed with one of them).
    counts : ndarray of int, shape (M, M)
        Samples where both modalities are present (the diagonal: where each one is).
    n_samples : int
        Samples in all, labels for each.
    entropy_y : float
        ``H(Y)`` of all the labels.
    provenance : dict
        The settings, the rest's sample count and how the bounded pairs were coded.
    one_class : tuple of pairs
        Pairs observed together only on samples of one label, where their joint says nothing
        about ``y``: bounded (or, in ``unbounded``, not) like the pairs observed too rarely.
    """

    names: tuple[str, ...]
    pairs: dict[Pair, PIDResult]
    rest: dict[str, PIDResult]
    bounds: dict[Pair, UnpairedBounds]
    unbounded: tuple[Pair, ...]
    counts: np.ndarray
    n_samples: int
    entropy_y: float
    provenance: dict[str, Any] = field(default_factory=dict)
    one_class: tuple[Pair, ...] = ()

    def count(self, a: str, b: str) -> int:
        """Samples where both ``a`` and ``b`` are present."""
        return int(self.counts[self.names.index(a), self.names.index(b)])

    def matrix(self, term: str) -> np.ndarray:
        """``R``, ``U`` or ``S`` over the pairs, shape (M, M), in the order of ``names``.

        ``R[i, j] = R[j, i]`` and ``S[i, j] = S[j, i]`` are the redundancy and synergy of the
        pair; ``U[i, j]`` is the information unique to ``names[i]`` in the pair with
        ``names[j]``. The diagonal is NaN, and so is every entry of a pair neither decomposed
        nor bounded, and ``S`` of a bounded pair (its range is :meth:`synergy_range`); ``R``
        and ``U`` of a bounded pair are those of its labeled marginals.
        """
        if term not in ("R", "U", "S"):
            raise ValueError(f"term is {term!r}; pass 'R', 'U' or 'S'.")
        index = {name: k for k, name in enumerate(self.names)}
        values = np.full((len(self.names),) * 2, math.nan)
        known = {**self.bounds, **self.pairs}
        for (a, b), result in known.items():
            i, j = index[a], index[b]
            if term == "U":
                values[i, j], values[j, i] = result.U1, result.U2
            elif term == "R" or isinstance(result, PIDResult):
                values[i, j] = values[j, i] = getattr(result, term)
        return values

    def synergy_range(self, a: str, b: str) -> tuple[float, float]:
        """What is known of the synergy of ``a`` and ``b``: its interval where the pair was
        decomposed with resamples (its value twice without), ``[0, S_upper]`` where it was
        bounded, ``(nan, nan)`` where neither."""
        pair = self._pair(a, b)
        if pair in self.pairs:
            result = self.pairs[pair]
            intervals = (result.sampling or {}).get("intervals")
            return tuple(intervals["S"]) if intervals else (result.S, result.S)
        if pair in self.bounds:
            return self.bounds[pair].synergy_range
        return (math.nan, math.nan)

    def ranked_by_synergy(self) -> list[Pair]:
        """The decomposed pairs, most synergistic first (pairs of equal synergy in the order
        of ``names``); bounded pairs, whose synergy is not known, are left out.

        Synergies that agree to within ten times the largest certified gap of the pairs'
        solves (``diagnostics["gap_bits"]``) count as equal: below that, their order is the
        solver's rounding, not the data's."""
        order = list(self.pairs)
        gaps = [result.diagnostics.get("gap_bits") or 0.0 for result in self.pairs.values()]
        resolution = 10 * max(gaps, default=0.0)

        def synergy(pair: Pair) -> float:
            value = self.pairs[pair].S
            return round(value / resolution) if resolution > 0 else value

        return sorted(order, key=lambda pair: (-synergy(pair), order.index(pair)))

    def dominant(self, a: str, b: str) -> str | None:
        """The largest term of a decomposed pair among those that stand out (:meth:`stands`):
        ``"R"``, ``"U1"`` (``a``'s), ``"U2"`` or ``"S"``; None where none does. A pair bounded
        or left unbounded is refused."""
        pair = self._pair(a, b)
        if pair in self.bounds:
            raise ValueError(
                f"the pair {a}, {b} was bounded, not decomposed, so no term of it is known to "
                f"dominate; read its R, U and synergy range from the result's bounds[{pair!r}]."
            )
        if pair not in self.pairs:
            raise ValueError(
                f"the pair {a}, {b} was neither decomposed nor bounded (it is in unbounded); "
                "ask dominant about a pair in pairs."
            )
        result = self.pairs[pair]
        if pair != (a, b):
            result = _swapped(result)
        standing = [term for term in TERMS if self.stands(result, term)]
        return max(standing, key=lambda term: getattr(result, term), default=None)

    def stands(self, result: PIDResult | UnpairedBounds, term: str) -> bool:
        """Whether a term of one of the decompositions (or ``R`` or ``U`` of a bounded pair)
        stands out: at least :data:`TRACE_BITS` and :data:`TRACE_SHARE` of ``H(Y)``, standing
        out from the null model where there is one (its permutation p-value at most the test's
        level, :func:`pid.sampling.null_level`), and with an interval above 0 where there are
        intervals."""
        value = getattr(result, term)
        sampling = result.sampling or {}
        above = (sampling.get("null") or {}).get("above_null", {}).get(term)
        interval = (sampling.get("intervals") or {}).get(term)
        return (
            value >= max(TRACE_BITS, TRACE_SHARE * self.entropy_y)
            and above is not False
            and (interval is None or interval[0] > 0)
        )

    def summary(self) -> list[str]:
        """Plain-words sentences drawn from the numbers: which modalities are redundant or
        synergistic with which, which carry nothing about ``y``, what each adds to the others,
        and what is known of the pairs never observed together."""
        lines = []
        counts = [self.count(a, b) for a, b in self.pairs]
        if counts and min(counts) < self.n_samples:
            lines.append(
                f"Each pair was decomposed on the samples where both modalities are present: "
                f"from {min(counts):,} to {max(counts):,} of the {self.n_samples:,} samples."
            )
        lines += [self._pair_sentence(a, b, r) for (a, b), r in self.pairs.items()]
        lines = [line for line in lines if line]
        lines += [self._modality_sentence(name) for name in self.names]
        lines = [line for line in lines if line]
        lines += [
            _bounds_sentence(a, b, self._seen(a, b), bound) for (a, b), bound in self.bounds.items()
        ]
        lines += [
            f"{a} and {b} {self._seen(a, b)}, and some label is never observed with one of "
            "them, so nothing about the pair can be bounded."
            for a, b in self.unbounded
        ]
        return lines

    def _seen(self, a: str, b: str) -> str:
        """How a pair that was not decomposed was observed together, in words."""
        count = self.count(a, b)
        if (a, b) in self.one_class:
            return f"were observed together only on samples of one label ({count:,} samples)"
        if count == 0:
            return "were never observed together"
        return f"were observed together on only {count} samples"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (:func:`pid.result.json_ready`): names, counts, the three
        matrices (None where unknown), each pair's and each rest's result, the bounds, the
        ranking and the summary."""
        record = {
            "units": "bits",
            "names": list(self.names),
            "n_samples": self.n_samples,
            "entropy_y": self.entropy_y,
            "counts": self.counts.tolist(),
            "matrices": {term: self.matrix(term) for term in ("R", "U", "S")},
            "pairs": [
                {
                    "modalities": list(pair),
                    "n_samples": self.count(*pair),
                    "dominant": self.dominant(*pair),
                    "result": r.to_dict(),
                }
                for pair, r in self.pairs.items()
            ],
            "rest": [
                {
                    "modality": name,
                    "n_samples": r.provenance.get("n_samples"),
                    "result": r.to_dict(),
                }
                for name, r in self.rest.items()
            ],
            "bounds": [
                {"modalities": list(pair), "n_samples": self.count(*pair), **bound.to_dict()}
                for pair, bound in self.bounds.items()
            ],
            "unbounded": [list(pair) for pair in self.unbounded],
            "one_class": [list(pair) for pair in self.one_class],
            "ranking": [list(pair) for pair in self.ranked_by_synergy()],
            "summary": self.summary(),
            "provenance": self.provenance,
        }
        return json_ready(record)

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def _pair(self, a: str, b: str) -> Pair:
        for name in (a, b):
            if name not in self.names:
                raise ValueError(
                    f"{name!r} is no modality here; pick from {', '.join(self.names)}."
                )
        if a == b:
            raise ValueError(f"a pair needs two modalities, got {a!r} twice.")
        return (a, b) if self.names.index(a) < self.names.index(b) else (b, a)

    def _pair_sentence(self, a: str, b: str, result: PIDResult) -> str:
        """Whether the pair is redundant or synergistic, by the larger of R and S that stands
        out, in words (empty if neither does), with its share of the sum of the four terms'
        positive parts: a term estimated below 0 (the correction's error about a true 0)
        would make that sum, ``I(X1,X2;Y)``, smaller than the term it is compared with."""
        total = sum(max(getattr(result, term), 0.0) for term in TERMS)
        standing = [term for term in ("R", "S") if self.stands(result, term)]
        if not standing:
            return ""
        term = max(standing, key=lambda name: getattr(result, name))
        value = getattr(result, term)
        largely = value >= total / 2
        if term == "R":
            verb = "are largely redundant" if largely else "share some information"
        else:
            verb = "are largely synergistic" if largely else "have some synergy"
        return f"{a} and {b} {verb} ({term} {value:.2f} of {total:.2f} bits)."

    def _modality_sentence(self, name: str) -> str:
        """Whether ``name`` carries anything about ``y``, alone or with others, and what it
        adds to all the others. ``R`` and ``U`` of a bounded pair count as those of a
        decomposed one: the labeled samples of each modality fix them."""
        alone = together = False
        partners: dict[str, float] = {}
        own_bits: list[tuple[float, bool]] = []  # R or own U standing out, and if bounded
        for (a, b), result in {**self.pairs, **self.bounds}.items():
            if name not in (a, b):
                continue
            own = "U1" if name == a else "U2"
            bounded = isinstance(result, UnpairedBounds)
            for term in ("R", own):
                if self.stands(result, term):
                    alone = True
                    own_bits.append((getattr(result, term), bounded))
            if not bounded and self.stands(result, "S"):
                partners[b if name == a else a] = result.S
        rest = self.rest.get(name)
        if rest is not None:
            alone |= self.stands(rest, "R") or self.stands(rest, "U1")
            together |= self.stands(rest, "S")
        unknown = {
            (b if name == a else a): bound.synergy_range[1]
            for (a, b), bound in self.bounds.items()
            if name in (a, b) and bound.synergy_range[1] >= TRACE_BITS
        }
        if not alone and not partners and not together and unknown:
            return (
                f"{name} carries no information about y on its own, nor together with the "
                f"modalities observed with it; with {' and '.join(unknown)}, too rarely observed "
                f"with it to decompose, up to {max(unknown.values()):.2f} bits of synergy cannot "
                "be ruled out."
            )
        if not alone and not partners and not together and rest is not None:
            return f"{name} carries no information about y, alone or together with the others."
        if not alone and not partners and not together and any(name in p for p in self.pairs):
            return (
                f"{name} carries no information about y, alone or with any one other modality "
                "(it was not decomposed against all the others together)."
            )
        if not alone and not partners and together:
            return (
                f"{name} carries no information about y on its own nor with any one other "
                f"modality, only together with all the others (synergy {rest.S:.2f} bits)."
            )
        if not alone and partners:
            with_ = " and ".join(partners)
            return (
                f"{name} carries no information about y on its own, only together with {with_} "
                f"(synergy up to {max(partners.values()):.2f} bits)."
            )
        if rest is not None and self.stands(rest, "U1"):
            return (
                f"{name} carries {rest.U1:.2f} bits about y that none of the other modalities "
                "has, alone or together."
            )
        if rest is None and alone:
            bits, bounded = max(own_bits)
            where = "a pair bounded from each modality's labeled samples" if bounded else "a pair"
            return (
                f"{name} carries information about y on its own (up to {bits:.2f} bits of R or "
                f"its own U in {where}); what it adds to all the others together was not "
                "measured (it was not decomposed against them)."
            )
        return ""


def decompose_many(
    modalities: Mapping[str, ArrayLike] | Sequence[ArrayLike],
    y: ArrayLike,
    *,
    mask: Mapping[str, ArrayLike] | ArrayLike | None = None,
    against_rest: bool = True,
    min_pair_samples: int = MIN_PAIR_SAMPLES,
    sweep: SweepOptions | None = None,
    progress: bool = False,
    estimator: str = "cvx",
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    posterior: PosteriorOptions | None = None,
    sampling: SamplingOptions | None = None,
    label_bins: int | None = None,
    seed: int = 0,
    bounds_sampling: BoundsResampling | None = None,
    **options: Any,
) -> ManyResult:
    """PID of every pair of modalities and of each against all the others (module docstring).

    Each pair's ``R + U_ij + U_ji + S = I(X_i,X_j;Y)`` (thesis Eqs. 3.1 to 3.3). A pair
    bounded instead has exact ``R``, ``U`` of its codes' labeled marginals and synergy in
    ``[0, S_upper]`` (:func:`pid.bounds.unpaired.unpaired_bounds`, Eq. 1 there); codes of
    features for the bounds come from k-means (or ``discretization="bins"``), not from
    posteriors, which keep what each modality says about ``y`` but not how two combine;
    the figures are bias-corrected with intervals from resamples of each modality's labeled
    samples (:func:`pid.bounds.unpaired.unpaired_bounds_from_samples`).

    Parameters
    ----------
    modalities : dict or list
        ``{name: array}`` (a list is named ``x1``, ``x2``, ...), at least two, one row per
        sample: 1-D codes or 2-D features, of any widths. A sample lacks a modality where its
        row is all NaN, where its entry is None, or where ``mask`` says so (its row is then
        never read). 1-D floats with gaps whose other values are whole numbers are codes
        (:func:`pid.modalities.stored_for_gaps`), as ``pid compute`` reads them.
    y : array
        The label of every sample (``label_bins=K`` cuts a continuous target into ``K``
        classes of equal frequency, once for all pairs).
    mask : dict or array of bool, optional
        Where each modality is present: ``{name: (n,) bool}`` or an ``(n, M)`` array.
    against_rest : bool
        Also decompose each modality against the others taken together (the joint code where
        all are codes, else their features side by side, whose posterior is learned by the
        perceptron: :attr:`PosteriorOptions.modality_classifiers`), on the samples that have
        all, where there are more than two modalities.
    min_pair_samples : int
        Pairs observed together on fewer samples are bounded, not decomposed (as are pairs
        observed together only on samples of one label, and no modality is decomposed against
        the rest where the samples that have all hold one label).
    sweep : SweepOptions, optional
        Where the pairs are decomposed (:func:`pid.sweep.run_sweep`: one after another in this
        process by default, or on processes or a Ray or Dask cluster); the results are the
        same.
    progress : bool
        Show a bar over the pairs.
    estimator, discretization, n_clusters, pca, posterior, sampling, seed, options
        As for :func:`pid.decompose`, which decomposes each pair and each rest.
    bounds_sampling : BoundsResampling, optional
        How the bounds of pairs observed together too rarely are resampled (default: 100
        resamples, seeded by ``seed``; ``n_bootstrap=0`` for the plug-in figures).
    """
    check_settings(estimator, options, discretization, n_clusters, pca, posterior, sampling)
    check_instance(sweep, SweepOptions, "sweep")
    check_instance(bounds_sampling, BoundsResampling, "bounds_sampling")
    if (
        isinstance(min_pair_samples, bool)
        or not isinstance(min_pair_samples, int)
        or min_pair_samples < 1
    ):
        raise ValueError(
            f"min_pair_samples is {min_pair_samples!r}; pass a whole number of at least 1."
        )
    observed = observed_modalities(modalities, y, mask, label_bins)
    names, arrays, present = observed.names, observed.arrays, observed.present
    labels, label_provenance = observed.labels, observed.provenance
    settings = {
        "estimator": estimator,
        "discretization": discretization,
        "n_clusters": n_clusters,
        "pca": pca,
        "posterior": posterior,
        "sampling": sampling,
        "seed": seed,
        **options,
    }
    stacked = np.stack([present[name] for name in names], axis=1).astype(np.int64)
    counts = stacked.T @ stacked
    tasks: list[Task] = []
    undecomposed, one_class = [], []
    for a, b in itertools.combinations(names, 2):
        rows = present[a] & present[b]
        if rows.sum() < min_pair_samples:
            undecomposed.append((a, b))
        elif _one_label(labels[rows]):
            undecomposed.append((a, b))
            one_class.append((a, b))
        else:
            tasks.append(((a, b), arrays[a][rows], arrays[b][rows], labels[rows], settings))
    everywhere = np.logical_and.reduce([present[name] for name in names])
    rest_samples = int(everywhere.sum())
    decomposable = rest_samples >= min_pair_samples and not _one_label(labels[everywhere])
    if against_rest and len(names) > 2 and decomposable:
        for name in names:
            others = joint_modality([arrays[o][everywhere] for o in names if o != name])
            own = arrays[name][everywhere]
            tasks.append((name, own, others, labels[everywhere], _rest_settings(settings, others)))
    results = _run(tasks, sweep, progress)
    pairs = {key: result for key, result in results.items() if isinstance(key, tuple)}
    rest = {key: result for key, result in results.items() if isinstance(key, str)}
    coding = {"discretization": discretization, "n_clusters": n_clusters, "pca": pca, "seed": seed}
    resampling = bounds_sampling or BoundsResampling(seed=seed)
    bounds, unbounded, coding = _bound(undecomposed, arrays, present, labels, coding, resampling)
    _, label_counts = np.unique(labels, return_counts=True)
    provenance = {
        **label_provenance,
        "n_samples": len(labels),
        "rest_samples": rest_samples,
        "min_pair_samples": min_pair_samples,
        "estimator": estimator,
        "seed": seed,
        "bounds_coding": coding,
    }
    return ManyResult(
        names=tuple(names),
        pairs=pairs,
        rest=rest,
        bounds=bounds,
        unbounded=tuple(unbounded),
        counts=counts,
        n_samples=len(labels),
        entropy_y=entropy(label_counts / label_counts.sum()),
        provenance=provenance,
        one_class=tuple(one_class),
    )


def _one_label(labels: np.ndarray) -> bool:
    """Whether samples all hold the same label, so that nothing in them informs about it."""
    return bool(np.all(labels == labels[0]))


def joint_modality(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Several modalities (same rows) as one: the joint code where all are 1-D codes, else
    their features side by side, each code one-hot (``[x_1, ..., x_k]``)."""
    if all(is_codes(a) for a in arrays):
        codes = np.stack([np.unique(a, return_inverse=True)[1].ravel() for a in arrays], axis=1)
        return np.unique(codes, axis=0, return_inverse=True)[1].ravel()
    columns = []
    for a in arrays:
        if is_codes(a):
            inverse = np.unique(a, return_inverse=True)[1].ravel()
            columns.append(np.eye(inverse.max() + 1)[inverse])
        else:
            columns.append(np.asarray(a, dtype=float).reshape(len(a), -1))
    return np.concatenate(columns, axis=1)


def _run(
    tasks: list[Task], sweep: SweepOptions | None, progress: bool
) -> dict[Pair | str, PIDResult]:
    """Each task's :func:`pid.decompose` with its settings, where ``sweep`` says."""
    answers = run_sweep(_decompose_one, tasks, sweep, progress=progress, description="pairs")
    return {key: result for (key, *_), result in zip(tasks, answers, strict=True)}


def _rest_settings(settings: dict[str, Any], rest: np.ndarray) -> dict[str, Any]:
    """The settings of a modality against the rest: those of the pairs, with the rest's
    posterior learned by the perceptron where the rest is features through posteriors, since
    a linear model cannot see how the modalities in it combine."""
    posterior_encoding = settings["discretization"] in ("auto", "posterior")
    if is_codes(rest) or not posterior_encoding or settings["estimator"] in SAMPLE_ESTIMATORS:
        return settings
    first = (settings["posterior"] or PosteriorOptions()).modality_classifiers[0]
    posterior = replace(
        settings["posterior"] or PosteriorOptions(), modality_classifiers=(first, "perceptron")
    )
    return {**settings, "posterior": posterior}


def _decompose_one(
    key: Pair | str, x1: np.ndarray, x2: np.ndarray, y: np.ndarray, settings: dict[str, Any]
) -> PIDResult:
    """:func:`pid.decompose` of one pair (or one modality and the rest), its errors naming it."""
    try:
        return decompose(x1, x2, y, **settings)
    except ValueError as error:
        what = (
            f"{key} against the others" if isinstance(key, str) else f"the pair {key[0]}, {key[1]}"
        )
        raise ValueError(f"{what} ({len(y)} samples): {error}") from None


def _bound(
    pairs: list[Pair],
    arrays: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
    labels: np.ndarray,
    coding: dict[str, Any],
    resampling: BoundsResampling,
) -> tuple[dict[Pair, UnpairedBounds], list[Pair], dict[str, Any]]:
    """The bounds of each pair from its two labeled sample sets, the pairs that cannot be
    bounded (a label never observed with one of them), and how each modality was coded
    (``coding``: the discretization, number of codes, PCA and seed of the features)."""
    method = coding["discretization"]
    method = method if method in ("kmeans", "bins") else "kmeans"
    sets: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
    settings: dict[str, Any] = {}
    for name in dict.fromkeys(itertools.chain(*pairs)):
        values, rows = arrays[name][present[name]], present[name]
        pca = coding["pca"]
        if pca is not None and coding["discretization"] in ("auto", "posterior"):
            # There pca caps each modality's components, as in pid.posterior: a narrower
            # modality keeps all it has.
            pca = min(pca, *values.reshape(len(values), -1).shape)
        discretizer = Discretizer(
            "codes" if is_codes(values) else method,
            coding["n_clusters"],
            pca=pca,
            seed=coding["seed"],
            name=name,
        )
        codes = discretizer.fit_transform(values)
        settings[name] = discretizer.settings()
        every_label = len(np.unique(labels[rows])) == int(labels.max()) + 1
        sets[name] = (codes, labels[rows]) if every_label else None
    bounds, unbounded = {}, []
    for a, b in pairs:
        if sets[a] is None or sets[b] is None:
            unbounded.append((a, b))
        else:
            bounds[(a, b)] = unpaired_bounds_from_samples(
                sets[a], sets[b], labels, options=resampling
            )
    return bounds, unbounded, settings


def _swapped(result: PIDResult) -> PIDResult:
    """The same decomposition with the two modalities exchanged, its sampling record too (the
    null test and interval of each term go with the term)."""
    return replace(
        result,
        U1=result.U2,
        U2=result.U1,
        mi_x1_y=result.mi_x2_y,
        mi_x2_y=result.mi_x1_y,
        sampling=_swap_keys(result.sampling),
    )


#: The names of a record that the exchange of the two modalities exchanges.
_EXCHANGED = {"U1": "U2", "U2": "U1", "I(X1;Y)": "I(X2;Y)", "I(X2;Y)": "I(X1;Y)"}
#: The keys exchanged within ``coding_loss_bits``, a record by modality.
_MODALITIES = {**_EXCHANGED, "x1": "x2", "x2": "x1"}


def _swap_keys(record: Any, exchanged: dict[str, str] = _EXCHANGED) -> Any:
    """``record`` with the keys of ``exchanged`` exchanged at every depth, and ``x1`` and
    ``x2`` within ``coding_loss_bits``."""
    if not isinstance(record, dict):
        return record
    return {
        exchanged.get(key, key): _swap_keys(
            value, _MODALITIES if key == "coding_loss_bits" else _EXCHANGED
        )
        for key, value in record.items()
    }


def _bounds_sentence(a: str, b: str, seen: str, bound: UnpairedBounds) -> str:
    """What is known of a pair that was not decomposed, in words (``seen``: how the two were
    observed together)."""
    confidence = bound.sampling.get("confidence")
    where = f" (at {confidence:.0%} confidence)" if confidence else ""
    return (
        f"{a} and {b} {seen}: from each one's samples with labels, their redundancy is "
        f"{_bits(bound.R)} bits and their unique information {_bits(bound.U1)} ({a}) and "
        f"{_bits(bound.U2)} ({b}), but their synergy is not determined: it lies between 0 and "
        f"{bound.synergy_range[1]:.2f} bits{where} for every joint consistent with those "
        "samples."
    )


def _bits(value: float) -> str:
    """Bits to two decimals, without the sign of a rounded zero."""
    return f"{round(value, 2) + 0.0:.2f}"
