"""The PID of finite samples: its bias, corrections of it, a null model and intervals.

Plug-in PID terms of the empirical joint of ``n`` samples are biased, synergy most of all: a
sparsely sampled table looks more informative than its population. The four terms are linear
in four informations (thesis Eqs. 3.1 to 3.3),

    R = I1 + I2 - Iu,   U1 = Iu - I2,   U2 = Iu - I1,   S = I12 - Iu,

with ``I1 = I(X1;Y)``, ``I2 = I(X2;Y)``, ``I12 = I(X1,X2;Y)`` and the union information
``Iu = R + U1 + U2 = min_{q in Delta_p} I_q(X1,X2;Y)``; every correction here estimates the
bias of those four and removes it (:data:`CORRECTIONS`):

- ``"none"``: the plug-in values.
- ``"miller-madow"``: ``I1``, ``I2``, ``I12`` less their first-order bias
  ``b = (m_xy - m_x - m_y + 1) / (2 n ln 2)``, ``m`` the occupied cells of each table (Miller
  1955), and ``Iu`` less ``max(b1, b2)``. No such formula applies to ``Iu``, but since
  ``Iu = I1 + U2 = I2 + U1``, its bias is ``b1`` plus that of ``U2`` and ``b2`` plus that of
  ``U1``; ``max(b1, b2)`` is the least bias under which neither uniqueness is taken as biased
  downwards (plug-in uniqueness, a non-negative minimum, is biased upwards where it is zero).
  Left at its plug-in value, ``Iu`` would push ``R = I1 + I2 - Iu`` down by ``b1 + b2``.
- ``"shuffle"``: the terms less their mean over label permutations, the bias at zero
  information.
- ``"quadratic"``: quadratic extrapolation in the sample size (Strong et al. 1998, Treves and
  Panzeri 1995): each information on the whole sample, on two halves and on four quarters is
  fitted by ``a + b / n + c / n^2``, and ``a`` is the estimate.
- ``"union"``: quadratic extrapolation for ``I1``, ``I2``, ``I12``; for ``Iu`` the bias that
  ``I12`` has on the same data with ``x2`` permuted within each label, Kocillari et al.'s
  (2024) assumption that the union information is as biased as the information of
  conditionally independent modalities.
- ``"quadratic-shuffle"`` (the default): quadratic extrapolation, less its mean over label
  permutations, the bias it leaves at zero information (the combination Panzeri et al. 2007
  recommend for plain mutual information).

``docs/benchmarks.md`` compares them against exact answers; the default is the one that came
closest. The null model recomputes the corrected terms with the labels permuted (the joint of
the modalities kept), and a term stands out from it where its permutation p-value is small
(Eq. 3 of :func:`permutation_p_values`, at most :data:`NULL_LEVEL` from 19 permutations on;
:func:`null_level`); otherwise it cannot be told from zero.
Intervals (Eq. 2 of ``_intervals``) are centred on the sample's corrected estimate, a normal
interval whose variance adds the spread of the corrected terms of resampled rows (every
correction applied to each resample as to the sample; their centre is not used, since a
resample repeats rows and so adds bias of its own) and the spread of the null model's terms,
the error the correction itself leaves.

The tables of the halves, quarters, permutations and resamples are drawn from the sample's
count table itself (:class:`pid.sample_tables.CountDraws`), so their cost grows with the
number of cells, not of samples; views whose joint information is a classifier's loss keep
their rows (:class:`pid.sample_tables.RowDraws`).

Where the joint information comes from a classifier's held-out cross-entropy (the posterior
encoding, :mod:`pid.posterior`), ``I12`` is ``H(Y)`` less the mean log-loss of the rows
concerned, and the codes' joint table is used for ``I1``, ``I2`` and ``Iu`` only (and for the
``I12`` of the modalities made independent given the label, under ``"union"``). The
classifiers are trained once; what finite training costs them, their *training deficits*
``d1, d2, d12`` (bits of ``I1``, ``I2``, ``I12``; :attr:`pid.posterior.PosteriorEncoding.
training_deficits`), is added to ``I12`` and to the intervals (not under ``"none"``, which
keeps the plug-in values). Unique information never decreases when its own modality is
refined and never increases when the other one is (Bertschinger et al. 2014), and
``R = I1 - U1 = I2 - U2``; so if better-trained classifiers gained ``d1`` bits of ``I1`` and
``d2`` of ``I2``, the terms would move within

    R + [0, d1 + d2],   U1 + [-d2, d1],   U2 + [-d1, d2],   S + [-d1 - d2 - d12, d12]   (1)

(with ``I12`` corrected by ``d12``, itself uncertain by its size), and each interval is
widened by these ranges beyond its sampling error.

Where each modality's classifier is given (``classifier_informations``), the resolution the
codes lose is measured too: the classifier's held-out information ``Ic_i = H(Y) - CE_i``
exceeds the codes' ``I(Xi;Y)`` by ``l_i``, the *coding loss* (where beyond the sampling error
of both). The codes are a function of the features, so by the same monotonicity the terms of
the features lie within Eq. (1) of :class:`pid.coding_loss.CodingLoss`; the estimate is the
point of that range nearest the codes' terms, and the intervals widen by that range too.
Without it, the loss would count as synergy (and as the other modality's uniqueness), which the
null model, on permuted labels, cannot see. Neither range holds what a better classifier family
would gain.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from pid.coding_loss import CODING_LOSS_BITS, CodingLoss
from pid.distribution import count_codes
from pid.result import TERMS, PIDResult
from pid.sample_tables import CountDraws, RowDraws, ViewInformations, count_draws_apply
from pid.sweep import SweepOptions
from pid.validation import (
    check_between,
    check_codes,
    check_instance,
    check_seed,
    check_tolerance,
    check_whole,
)

#: The corrections of :func:`sample_pid`.
CORRECTIONS = ("none", "miller-madow", "shuffle", "quadratic", "union", "quadratic-shuffle")
#: The correction used unless another is named.
DEFAULT_CORRECTION = "quadratic-shuffle"
#: The informations the terms are made of, in the order of every array here.
INFORMATIONS = ("I(X1;Y)", "I(X2;Y)", "I(X1,X2;Y)", "I_union")
#: Fewer samples than this per occupied cell of the tables behind a plug-in value is warned of.
LOW_SAMPLES_PER_CELL = 10.0
#: Sample sizes of quadratic extrapolation, as fractions of the whole sample.
EXTRAPOLATION = (1, 2, 4)
#: Level of the null test: a term stands out from the null model where its permutation p-value
#: is at most this (given enough permutations, :func:`null_level`).
NULL_LEVEL = 0.05


@dataclass(frozen=True)
class SamplingOptions:
    """How the PID of samples is corrected and qualified.

    Attributes
    ----------
    correction : str
        One of :data:`CORRECTIONS`; ``"none"`` keeps the plug-in values.
    n_null : int
        Label permutations of the null model (and of the corrections that use them); 0
        skips the null model where the correction does not need it. A p-value reaches
        :data:`NULL_LEVEL` from 19 permutations on; with fewer the null test runs at the
        coarser level of :func:`null_level`.
    n_bootstrap : int
        Resamples of the rows for the intervals; 0 for none.
    confidence : float
        Coverage of the intervals.
    tol_bits : float
        Certified gap of the exact solver on each table the corrections, the null model and
        the resamples solve: far below their sampling error, and several times faster than
        the solver's default.
    sweep : SweepOptions
        Where those tables are solved (:func:`pid.sweep.run_sweep`): in this process by
        default, or in chunks on several processes or a Ray or Dask cluster, with the same
        results.
    """

    correction: str = DEFAULT_CORRECTION
    n_null: int = 20
    n_bootstrap: int = 0
    confidence: float = 0.95
    tol_bits: float = 1e-4
    sweep: SweepOptions = field(default_factory=SweepOptions)

    def __post_init__(self) -> None:
        if self.correction not in CORRECTIONS:
            raise ValueError(
                f"correction {self.correction!r} is unknown; choose one of "
                f"{', '.join(CORRECTIONS)}."
            )
        for name in ("n_null", "n_bootstrap"):  # stored as int, so that they write as JSON
            object.__setattr__(self, name, check_whole(getattr(self, name), name, 0))
        if self.n_null < 2 and self.correction in ("shuffle", "quadratic-shuffle"):
            raise ValueError(
                f"n_null is {self.n_null}; pass a whole number of at least 2 for "
                f"correction={self.correction!r}, which removes the mean over label permutations."
            )
        if self.n_bootstrap == 1:
            raise ValueError("n_bootstrap is 1; pass 0 (no intervals) or at least 2.")
        check_between(self.confidence, "confidence", 0, 1)
        check_tolerance(self.tol_bits)
        check_instance(self.sweep, SweepOptions, "sweep")


@dataclass(frozen=True)
class SampledPID:
    """The PID of samples with its bias, null model and intervals, in bits.

    Attributes
    ----------
    informations, plugin : ndarray, shape (4,)
        The corrected and the plug-in ``I1, I2, I12, Iu`` (:data:`INFORMATIONS`).
    null : ndarray, shape (n_null, 4)
        The corrected terms R, U1, U2, S of each label permutation.
    intervals : ndarray of shape (4, 2), or None
        Each term's interval, when rows were resampled.
    training_deficits : ndarray of shape (3,), or None
        Bits of ``I1``, ``I2``, ``I12`` that finite training cost the classifiers, where
        the codes come from classifiers (``I12`` includes its own).
    correction : str
        The correction applied.
    samples_per_cell : float
        Samples over occupied cells of the tables behind the plug-in values.
    n_samples : int
        Samples the estimate is made of.
    n_bootstrap : int
        Resamples behind the intervals (0: none).
    confidence : float
        Coverage of the intervals.
    coding_loss : CodingLoss, optional
        What the codes lose against the modalities' classifiers, where they were given: the
        informations and intervals include its move and range.
    tested_informations : ndarray of shape (4,), optional
        The informations the null model is compared with: without the joint classifier's
        training deficit in ``I12`` (the coding loss measured without it). The label
        permutations train no classifier, so their terms have no deficit to match; with it,
        a synergy of zero would stand out by the deficit alone.
    """

    informations: np.ndarray
    plugin: np.ndarray
    null: np.ndarray
    intervals: np.ndarray | None
    training_deficits: np.ndarray | None
    correction: str
    samples_per_cell: float
    n_samples: int
    n_bootstrap: int
    confidence: float
    coding_loss: CodingLoss | None = None
    tested_informations: np.ndarray | None = None

    @property
    def terms(self) -> np.ndarray:
        """The corrected R, U1, U2, S (a bias-corrected term can dip below zero by its
        sampling error)."""
        return terms_of(self.informations)

    @property
    def tested_terms(self) -> np.ndarray:
        """The terms the null model is compared with (:attr:`tested_informations`; the terms
        themselves where those are not given)."""
        if self.tested_informations is None:
            return self.terms
        return terms_of(self.tested_informations)

    @property
    def plugin_terms(self) -> np.ndarray:
        """The plug-in R, U1, U2, S."""
        return terms_of(self.plugin)

    def result(
        self, *, estimator: str, diagnostics: dict[str, Any], provenance: dict[str, Any]
    ) -> PIDResult:
        """The :class:`~pid.PIDResult` of the estimate: the corrected terms and informations,
        with :meth:`to_dict` as its ``sampling``."""
        r, u1, u2, s = (float(v) for v in self.terms)
        i1, i2, i12, _ = (float(v) for v in self.informations)
        return PIDResult(
            R=r,
            U1=u1,
            U2=u2,
            S=s,
            mi_x1_y=i1,
            mi_x2_y=i2,
            mi_x1x2_y=i12,
            estimator=estimator,
            diagnostics=diagnostics,
            provenance=provenance,
            sampling=self.to_dict(),
        )

    def warnings(self) -> list[str]:
        """Plain-words cautions about the estimate (none where neither a correction nor
        intervals were asked for: the table is then taken as the distribution itself)."""
        notes = []
        uncorrected = self.correction == "none"
        if (not uncorrected or self.intervals is not None) and (
            self.samples_per_cell < LOW_SAMPLES_PER_CELL
        ):
            notes.append(
                f"only {self.samples_per_cell:.1f} samples per occupied cell (fewer than "
                f"{LOW_SAMPLES_PER_CELL:g}): the plug-in values are strongly biased"
                f"{'' if uncorrected else ' and the corrected ones uncertain'}; use fewer codes "
                "or more samples."
            )
        if uncorrected and self.intervals is not None:
            notes.append(
                "correction='none' keeps the plug-in terms, which the sample's sparsity biases "
                "upwards (synergy most): their intervals hold the sampling spread, not that "
                "bias, and can miss the population's terms; keep the default correction for "
                "intervals about them."
            )
        lost = self.coding_loss
        if lost is not None and lost.room - lost.floor > CODING_LOSS_BITS:
            low, high = lost.record(self.terms)["ranges"]["S"]
            notes.append(
                f"the codes of x1 and x2 hold {lost.lost[0]:.3f} and {lost.lost[1]:.3f} bits "
                "less about y than their classifiers, which leaves the features' synergy "
                f"anywhere from {low:.3f} to {high:.3f} bits (R, U1 and U2 within ranges as "
                "wide); the estimate lies within it and its intervals hold it; pass more codes "
                "(n_clusters, --clusters) with more samples to narrow it."
            )
        return notes

    def to_dict(self) -> dict[str, Any]:
        """The JSON form kept in a result's ``sampling``: corrected and plug-in values, the
        bias removed, the null model and which terms stand out from it, and the intervals.

        The null model's record holds the permutations' ``mean`` and 95% quantile (``q95``,
        a description of their spread), each term's permutation ``p_value`` (Eq. 3 of
        :func:`permutation_p_values`, of :attr:`tested_terms`), the ``level`` of the test
        (:func:`null_level`) and ``above_null``, whether ``p_value <= level``: the test
        itself, which a term above ``q95`` can still fail. Without permutations the mean and
        ``q95`` are NaN and the rest None."""
        terms, plugin = self.terms, self.plugin_terms
        moved = 0.0 if self.coding_loss is None else self.coding_loss.moved
        n_null = len(self.null)
        null_mean = self.null.mean(axis=0) if n_null else np.full(4, math.nan)
        null_high = np.quantile(self.null, 0.95, axis=0) if n_null else null_mean
        p_values = permutation_p_values(self.tested_terms, self.null)
        level = null_level(n_null) if n_null else None
        return {
            "correction": self.correction,
            "n_samples": self.n_samples,
            "samples_per_cell": self.samples_per_cell,
            "plugin": dict(zip(TERMS, plugin.tolist(), strict=True)),
            "bias_bits": dict(zip(TERMS, (plugin - terms + moved).tolist(), strict=True)),
            "informations": dict(zip(INFORMATIONS, self.informations.tolist(), strict=True)),
            "plugin_informations": dict(zip(INFORMATIONS, self.plugin.tolist(), strict=True)),
            "null": {
                "n_permutations": n_null,
                "mean": dict(zip(TERMS, null_mean.tolist(), strict=True)),
                "q95": dict(zip(TERMS, null_high.tolist(), strict=True)),
                "p_value": {
                    t: float(p) if n_null else None for t, p in zip(TERMS, p_values, strict=True)
                },
                "level": level,
                "above_null": {
                    t: bool(p <= level) if n_null else None
                    for t, p in zip(TERMS, p_values, strict=True)
                },
            },
            "intervals": (
                None
                if self.intervals is None
                else {t: self.intervals[i].tolist() for i, t in enumerate(TERMS)}
            ),
            "training_deficit_bits": (
                None
                if self.training_deficits is None
                else dict(zip(INFORMATIONS[:3], self.training_deficits.tolist(), strict=True))
            ),
            "coding_loss_bits": None
            if self.coding_loss is None
            else self.coding_loss.record(terms),
            "n_bootstrap": self.n_bootstrap,
            "confidence": self.confidence,
            "warnings": self.warnings(),
        }


def permutation_p_values(terms: np.ndarray, null: np.ndarray) -> np.ndarray:
    """Each term's permutation p-value against its values over the null model (a column of
    ``null``, shape ``(n_null, 4)``),

        p = (1 + #{null >= v}) / (n_null + 1),                                    (3)

    the share of the ``n_null + 1`` values, the term's own ``v`` among them, at or above
    ``v``: where the labels are independent of the modalities its value is exchangeable with
    the permutations', so ``P(p <= a) <= a`` for every level ``a`` (a test of no information
    at all, not of a zero term where the modalities inform the label)."""
    return (1 + np.sum(null >= terms, axis=0)) / (len(null) + 1)


def null_level(n_null: int) -> float:
    """The level of the null test over ``n_null`` permutations, ``max(NULL_LEVEL,
    1 / (n_null + 1))``: :data:`NULL_LEVEL` from 19 permutations on; below that no p-value
    (Eq. 3) reaches it, and a term stands out where it exceeds every permutation, a test at
    level ``1 / (n_null + 1)``."""
    return max(NULL_LEVEL, 1 / (n_null + 1))


def terms_of(informations: np.ndarray) -> np.ndarray:
    """R, U1, U2, S from ``I1, I2, I12, Iu`` (last axis): ``R = I1 + I2 - Iu``,
    ``U1 = Iu - I2``, ``U2 = Iu - I1``, ``S = I12 - Iu`` (thesis Eqs. 3.1 to 3.3)."""
    i1, i2, i12, iu = np.moveaxis(np.asarray(informations, dtype=float), -1, 0)
    return np.stack([i1 + i2 - iu, iu - i2, iu - i1, i12 - iu], axis=-1)


def sample_pid(
    c1: np.ndarray,
    c2: np.ndarray,
    y: np.ndarray,
    *,
    options: SamplingOptions | None = None,
    estimator: str = "cvx",
    estimator_options: dict[str, Any] | None = None,
    joint_posteriors: np.ndarray | None = None,
    training_deficits: np.ndarray | None = None,
    classifier_informations: np.ndarray | None = None,
    whole: np.ndarray | None = None,
    table: np.ndarray | None = None,
    seed: int = 0,
    progress: bool = False,
) -> SampledPID:
    """The corrected PID of paired codes, its null model and intervals.

    Parameters
    ----------
    c1, c2, y : ndarray of int
        Codes ``0..k-1`` of the two modalities and the labels, one per sample.
    options : SamplingOptions, optional
        The correction, the null model's permutations and the resamples.
    estimator, estimator_options : str, dict
        The estimator of the terms of each table (:func:`pid.estimate`) and its options
        (CVX's ``tol_bits`` is ``options.tol_bits`` here).
    joint_posteriors : ndarray of shape (n, n_labels), optional
        Held-out ``p(y | x1, x2)`` of each sample: ``I12`` is then ``H(Y)`` less the mean
        log-loss, and the codes give ``I1``, ``I2`` and ``Iu`` only.
    training_deficits : ndarray of shape (3,), optional
        What finite training cost the classifiers behind the codes and ``joint_posteriors``,
        in bits of ``I1``, ``I2``, ``I12``: ``I12`` gains its deficit and the intervals widen
        by Eq. (1) of the module docstring.
    classifier_informations : ndarray of shape (2, 2), optional
        A row for the classifier of ``x1`` and of ``x2`` whose posteriors the codes are made
        of: ``H(Y)`` less its held-out cross-entropy, and that information's standard error
        (the spread of the held-out log-loss over ``sqrt(n)``; the codes' spread over the
        label permutations is added to it), in bits: the terms move and the intervals widen
        by what the codes lose against them
        (:class:`pid.coding_loss.CodingLoss`; not under ``"none"``, which keeps the plug-in
        values).
    whole : ndarray of shape (4,), optional
        The plug-in ``I1, I2, I12, Iu`` of the whole sample where the caller has solved it
        already, to its own tolerance: they replace the values solved here to
        ``options.tol_bits``.
    table : ndarray of shape (max(c1) + 1, max(c2) + 1, max(y) + 1), optional
        The count table of the codes where the caller has it: it saves counting them again.
        It is used as given where the views are drawn from counts (its shape and total are
        checked, not its cells).
    seed : int
        Seeds the subsamples, permutations and resamples.
    progress : bool
        Show a bar of the tables solved (the sample's, its subsamples', the null model's and
        the resamples') on standard error.
    """
    check_instance(options, SamplingOptions, "options")
    options = options or SamplingOptions()
    seed = check_seed(seed, "seed")
    c1, c2, y = _check_samples(c1, c2, y, joint_posteriors, options)
    training_deficits, classifier_informations, whole = _check_given(
        training_deficits, classifier_informations, whole
    )
    settings = dict(estimator_options or {})
    if estimator == "cvx":
        settings["tol_bits"] = options.tol_bits
    rng = np.random.default_rng(seed)
    n, correction = len(y), options.correction
    in_counts = count_draws_apply(n, joint_posteriors is not None)
    shape = (int(c1.max()) + 1, int(c2.max()) + 1, int(y.max()) + 1)
    if table is not None and (np.shape(table) != shape or not np.isclose(np.sum(table), n)):
        raise ValueError(
            f"table has shape {np.shape(table)} and {np.sum(table):g} samples, where the codes "
            f"make {shape} and {n}; pass the count table of c1, c2 and y, or none."
        )
    if not in_counts:
        draws: CountDraws | RowDraws = RowDraws(c1, c2, y, shape, rng)
    else:
        counts = count_codes(c1, c2, y, shape) if table is None else np.asarray(table)
        draws = CountDraws(counts, rng)
    views = ViewInformations(draws, joint_posteriors, estimator, settings, options.sweep)
    extrapolated = correction in ("quadratic", "union", "quadratic-shuffle")
    shuffled = correction in ("shuffle", "quadratic-shuffle")
    plan: list[Any] = []
    from_tables: list[int] = []  # views whose I12 stays the table's under a classifier

    def views_of(view: Any) -> list[int]:
        """Plan ``view``'s table (and its parts' where extrapolating)."""
        views_ = [view]
        if extrapolated:
            views_ += draws.split(view, EXTRAPOLATION[1:])
        plan.extend(views_)
        return list(range(len(plan) - len(views_), len(plan)))

    def sample(view: Any) -> tuple[list[int], list[int]]:
        """Plan one sample's views, and for the union correction those of the same sample
        with ``x2`` permuted within each label."""
        if correction != "union":
            return views_of(view), []
        within = views_of(draws.permute_within(view))
        from_tables.extend(within)
        return views_of(view), within

    whole_sample = draws.whole()
    data = sample(whole_sample)
    nulls = [sample(draws.permute_labels(whole_sample)) for _ in range(options.n_null)]
    resamples = [sample(draws.resample(whole_sample)) for _ in range(options.n_bootstrap)]
    known = {} if whole is None else {data[0][0]: whole}
    values = views.informations(plan, from_tables, known, progress=progress)
    if views.joint_loss is not None:
        # A classifier that learned nothing (its labels permuted) has I12 = 0 exactly.
        values[[k for blocks, _ in nulls for k in blocks], 2] = 0.0

    def corrected(planned: tuple[list[int], list[int]]) -> np.ndarray:
        blocks, within = planned
        if extrapolated:
            estimate = _extrapolate(values[blocks])
        elif correction == "miller-madow":
            estimate = values[blocks[0]] - views.first_order_bias(blocks[0])
        else:
            estimate = values[blocks[0]].copy()
        if within:
            # Iu is as biased as I12 of conditionally independent modalities (Kocillari et al.).
            bias = values[within[0], 2] - _extrapolate(values[within])[2]
            estimate[3] = values[blocks[0], 3] - bias
        return estimate

    null_estimates = np.array([corrected(planned) for planned in nulls]).reshape(-1, 4)
    null_bias = null_estimates.mean(axis=0) if shuffled else np.zeros(4)
    informations = corrected(data) - null_bias
    tested = informations.copy()  # the permutations train no classifier: no deficit to match
    deficits = None if correction == "none" else training_deficits
    if deficits is not None:
        informations[2] += deficits[2]
    coding = None
    if classifier_informations is not None and correction != "none":
        # The gap's standard error: the classifier's, and the codes' corrected information's
        # over the label permutations (the error the correction leaves).
        spread = null_estimates[:, :2].std(axis=0, ddof=1) if options.n_null > 1 else 0.0
        held, errors = classifier_informations.T
        gaps = np.column_stack([held, np.hypot(errors, spread)])
        coding = CodingLoss.of(informations, gaps)
        tested += CodingLoss.of(tested, gaps).shift
    null = np.empty((options.n_null, 4))
    for k in range(options.n_null):
        others = np.delete(null_estimates, k, axis=0)
        null[k] = terms_of(null_estimates[k] - (others.mean(axis=0) if shuffled else 0.0))
    intervals = None
    if resamples:
        boot = np.array([corrected(planned) for planned in resamples]) - null_bias
        intervals = _intervals(terms_of(informations), terms_of(boot), null, options)
        if deficits is not None:
            intervals += _training_ranges(deficits)
        if coding is not None:
            intervals += coding.ranges()
    if coding is not None:
        informations = informations + coding.shift
    return SampledPID(
        informations=informations,
        plugin=values[data[0][0]].copy(),
        null=null,
        intervals=intervals,
        training_deficits=deficits,
        correction=correction,
        samples_per_cell=views.samples_per_cell(data[0][0]),
        n_samples=n,
        n_bootstrap=options.n_bootstrap,
        confidence=options.confidence,
        coding_loss=coding,
        tested_informations=tested,
    )


def _check_samples(
    c1: np.ndarray,
    c2: np.ndarray,
    y: np.ndarray,
    joint_posteriors: np.ndarray | None,
    options: SamplingOptions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The codes as integer arrays of one length, or a ``ValueError`` naming the argument."""
    c1, c2, y = (check_codes(codes, name) for codes, name in ((c1, "c1"), (c2, "c2"), (y, "y")))
    for codes, name in ((c1, "c1"), (c2, "c2"), (y, "y")):
        if codes.min() < 0:
            raise ValueError(
                f"{name} has negative codes; pass codes 0..k-1 (np.unique(..., "
                "return_inverse=True) makes them)."
            )
    if not len(c1) == len(c2) == len(y):
        raise ValueError(
            f"c1, c2 and y have {len(c1)}, {len(c2)} and {len(y)} samples; pass one code of "
            "each per sample."
        )
    least = EXTRAPOLATION[-1] if options.correction != "none" else 1
    if len(y) < least:
        raise ValueError(
            f"{len(y)} samples are too few for correction={options.correction!r} (at least "
            f"{least}); pass more samples or correction='none'."
        )
    if joint_posteriors is not None and np.shape(joint_posteriors) != (len(y), y.max() + 1):
        raise ValueError(
            f"joint_posteriors has shape {np.shape(joint_posteriors)}; pass one row of "
            f"{y.max() + 1} label probabilities per sample, shape ({len(y)}, {y.max() + 1})."
        )
    if joint_posteriors is not None:
        p = np.asarray(joint_posteriors, dtype=float)
        if not np.all(np.isfinite(p) & (p >= 0)) or np.any(p.sum(axis=1) <= 0):
            raise ValueError(
                "joint_posteriors holds negative, NaN or infinite values, or a row without "
                "mass; pass label probabilities, each row non-negative with a positive sum."
            )
    return c1, c2, y


def _check_given(
    training_deficits: np.ndarray | None,
    classifier_informations: np.ndarray | None,
    whole: np.ndarray | None,
) -> list[np.ndarray | None]:
    """The training deficits (three non-negative bits), the classifiers' informations (two
    rows of finite bits and non-negative standard errors) and the whole sample's informations
    (four finite bits) as float arrays, or a ``ValueError`` naming the argument."""
    checked = []
    for values, name, shape, signed, what in (  # signed: the part that must not be negative
        (training_deficits, "training_deficits", (3,), np.s_[:], "3 non-negative numbers of bits"),
        (
            classifier_informations,
            "classifier_informations",
            (2, 2),
            np.s_[:, 1],
            "2 rows, each a finite information and a non-negative standard error in bits",
        ),
        (whole, "whole", (4,), np.s_[:0], "4 finite numbers of bits"),
    ):
        if values is not None:
            array = np.asarray(values, dtype=float)
            if not (
                array.shape == shape and np.all(np.isfinite(array)) and np.all(array[signed] >= 0)
            ):
                names = ", ".join(INFORMATIONS[: shape[0]])
                raise ValueError(
                    f"{name} is {np.asarray(values).tolist()!r}; pass {what} ({names}), or none."
                )
            values = array
        checked.append(values)
    return checked


def _intervals(
    estimate: np.ndarray, boot: np.ndarray, null: np.ndarray, options: SamplingOptions
) -> np.ndarray:
    """Each term's interval about the corrected ``estimate``,

        estimate +- z * sqrt(sd(boot)^2 + sd(null)^2),                            (2)

    ``z`` the normal quantile of ``options.confidence``: the spread of the corrected terms of
    resampled rows (their sampling error; not their centre, since a resample repeats rows and
    so adds bias of its own) and that of the corrected terms on permuted labels (the error
    left by the bias correction, which a resample, corrected by the same null, does not
    see)."""
    z = NormalDist().inv_cdf(0.5 + options.confidence / 2)
    spread = boot.var(axis=0, ddof=1) + (null.var(axis=0, ddof=1) if len(null) > 1 else 0.0)
    half_width = z * np.sqrt(spread)
    return np.stack([estimate - half_width, estimate + half_width], axis=1)


def _training_ranges(deficits: np.ndarray) -> np.ndarray:
    """How far each term of the features may lie from that of the codes, shape (4, 2): Eq. (1)
    of the module docstring for deficits ``d1, d2, d12``."""
    d1, d2, d12 = deficits
    return np.array([[0.0, d1 + d2], [-d2, d1], [-d1, d2], [-d1 - d2 - d12, d12]])


def _extrapolate(values: np.ndarray) -> np.ndarray:
    """``a`` of ``Q(N) = a + b / N + c / N^2`` through the mean values at the sizes of
    :data:`EXTRAPOLATION` (``values`` holds the whole sample's row, then the halves', then the
    quarters')."""
    splits = np.cumsum(EXTRAPOLATION)[:-1]
    means = np.stack([part.mean(axis=0) for part in np.split(values, splits)])
    inverse = np.asarray(EXTRAPOLATION, dtype=float)  # n / N
    design = np.stack([np.ones_like(inverse), inverse, inverse**2], axis=1)
    return np.linalg.solve(design, means)[0]


def warn_if_sparse(sampled: SampledPID) -> None:
    """Warn (``UserWarning``) of each caution of :meth:`SampledPID.warnings`."""
    for note in sampled.warnings():
        warnings.warn(note, stacklevel=3)
