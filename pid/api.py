"""One-line entry points: from paired samples of any kind to a corrected decomposition."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.discretize import bin_labels, discretize
from pid.distribution import Distribution, count_codes
from pid.estimators import (
    ESTIMATORS,
    SAMPLE_ESTIMATORS,
    check_estimator,
    check_options,
    estimate,
)
from pid.modalities import stored_for_gaps
from pid.posterior import MIN_SAMPLES, PosteriorOptions, encode_posteriors
from pid.result import PIDResult
from pid.sampling import SamplingOptions, sample_pid, warn_if_sparse
from pid.validation import (
    NAMES,
    as_array,
    check_instance,
    check_labels,
    check_paired,
    check_seed,
    check_whole,
    finite_rows,
    unique_inverse,
)

#: How samples become the codes of a discrete joint: ``"codes"`` (integer codes as they are),
#: ``"kmeans"`` and ``"bins"`` (the thesis's clustering of the features), ``"posterior"``
#: (codes of cross-fitted posteriors, :mod:`pid.posterior`), or ``"auto"``
#: (:func:`resolve_encoding`): codes when both modalities are 1-D discrete, posteriors
#: otherwise (below a hundred samples, k-means of the features beside the codes of a discrete
#: modality).
ENCODINGS = ("auto", "codes", "kmeans", "bins", "posterior")


@dataclass(frozen=True)
class Prepared:
    """Paired samples turned into the codes of a discrete joint, and how that was done.

    ``codes`` holds the integer codes ``0..k-1`` of ``x1``, ``x2`` and ``y``; ``dist`` their
    empirical joint and ``counts`` its count table; ``joint_posteriors`` the held-out
    ``p(y | x1, x2)`` of each sample for the posterior encoding (None otherwise) and
    ``training_deficits`` what finite training cost its classifiers
    (:attr:`pid.posterior.PosteriorEncoding.training_deficits`); ``kept_rows`` marks the input
    samples used (all but non-finite rows that were dropped); ``seed`` seeded the encoding.
    """

    codes: tuple[np.ndarray, np.ndarray, np.ndarray]
    dist: Distribution
    counts: np.ndarray
    provenance: dict[str, Any]
    kept_rows: np.ndarray
    seed: int
    joint_posteriors: np.ndarray | None = None
    training_deficits: np.ndarray | None = None

    @property
    def classifier_informations(self) -> np.ndarray | None:
        """``H(Y) - CE_i``, what the classifier of ``x1`` and of ``x2`` holds about the label
        on held-out samples, and its standard error, shape (2, 2), for the posterior encoding
        (None otherwise)."""
        encoding = self.provenance["discretization"]
        losses, errors = (
            encoding.get("cross_entropy_bits"),
            encoding.get("cross_entropy_standard_errors"),
        )
        if self.joint_posteriors is None or not losses or not errors:
            return None
        held = [self.dist.entropy_y - losses[key] for key in ("x1", "x2")]
        return np.array([held, [errors["x1"], errors["x2"]]]).T


def prepare(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    posterior: PosteriorOptions | None = None,
    label_bins: int | None = None,
    seed: int = 0,
    drop_nonfinite: bool = False,
    progress: bool = False,
) -> Prepared:
    """Validate paired samples and turn them into the codes of a discrete joint.

    ``discretization`` is one of :data:`ENCODINGS`. Integer codes pass through; ``"kmeans"``
    and ``"bins"`` standardize the features, optionally reduce them with PCA (``pca``
    components) and cluster them into ``n_clusters`` codes a modality (thesis Section 3.2.1;
    :func:`pid.discretize.discretize`); ``"posterior"`` codes cross-fitted posteriors
    ``p(y | x_i)`` into ``n_clusters`` codes, after at most ``pca`` components a modality
    (:func:`pid.posterior.encode_posteriors`, whose classifiers ``posterior`` sets up). An
    encoding named outright refuses settings it does not use (``posterior`` here,
    ``n_clusters`` and ``pca`` of ``"codes"`` in :func:`check_settings`); under ``"auto"``
    they apply where the samples resolve to an encoding that uses them and go unused where the
    samples are codes, so that one set of settings serves inputs of both kinds (the pairs of
    :func:`pid.decompose_many`, the inputs of ``pid compute``, whose ``--device`` reaches
    both the classifiers and the estimator). Rows with NaN or infinite values are refused
    unless ``drop_nonfinite=True``, which drops them and records how many (a 1-D modality of
    whole numbers with NaN gaps is then read as integer codes, as by
    :func:`pid.decompose_many`). ``y`` holds class
    labels; a continuous target is refused unless ``label_bins=K`` cuts it into ``K`` classes
    of about equal frequency, tied values in one (:func:`pid.discretize.bin_labels`, edges in
    the provenance).
    """
    if discretization not in ENCODINGS:
        raise ValueError(
            f"discretization {discretization!r} is unknown; choose one of {', '.join(ENCODINGS)}."
        )
    check_seed(seed)
    for name, value, least in (("n_clusters (--clusters)", n_clusters, 2), ("pca (--pca)", pca, 1)):
        if value is not None:
            check_whole(value, name, least)
    arrays, keep, provenance = clean_samples(x1, x2, y, drop_nonfinite, label_bins)
    n = len(arrays[2])
    requested, discretization = discretization, resolve_encoding(discretization, *arrays[:2])
    if n_clusters is not None and n_clusters > n and discretization != "codes":
        raise ValueError(
            f"n_clusters (--clusters) is {n_clusters} but there are {n} samples; ask for "
            "between 2 and the number of samples."
        )
    if posterior is not None and requested not in ("auto", "posterior"):
        raise ValueError(
            f"posterior sets up the posterior encoding, but discretization is "
            f"{discretization!r}; drop posterior or pass discretization='posterior'."
        )
    joint = deficits = None
    if discretization == "posterior":
        encoding = encode_posteriors(
            *arrays,
            options=posterior,
            n_codes=n_clusters,
            max_components=pca,
            seed=seed,
            progress=progress,
        )
        codes = (encoding.codes1, encoding.codes2, encoding.labels)
        joint, settings = encoding.posteriors["joint"], encoding.settings()
        deficits = encoding.training_deficits
    else:
        coded = discretize(
            *arrays, method=discretization, n_clusters=n_clusters, pca=pca, seed=seed
        )
        codes = (coded.x1, coded.x2, coded.y)
    if discretization == "codes":  # every code 0..k-1 is some sample's value
        shape = tuple(d.n_codes for d in coded.discretizers)
    else:  # codes no sample has (an empty cluster) are dropped
        distinct, codes = zip(*(unique_inverse(c) for c in codes), strict=True)
        shape = tuple(len(values) for values in distinct)
    counts = count_codes(*codes, shape)
    if discretization != "posterior":
        settings = coded.settings(counts)
    dist = Distribution.from_counts(counts)
    provenance = {**provenance, "seed": seed, "discretization": settings}
    return Prepared(codes, dist, counts, provenance, keep, seed, joint, deficits)


def decompose(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    estimator: str = "cvx",
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    posterior: PosteriorOptions | None = None,
    sampling: SamplingOptions | None = None,
    label_bins: int | None = None,
    seed: int = 0,
    drop_nonfinite: bool = False,
    **options: Any,
) -> PIDResult:
    """PID of paired samples: how X1 and X2 inform Y, in bits, corrected for sampling bias.

    Each modality may be integer codes (1-D) or continuous features (1-D or 2-D: embeddings,
    logits, predictions); ``y`` holds class labels (``label_bins=K`` cuts a continuous target
    into ``K`` classes of equal frequency). The samples become codes (:func:`prepare`:
    ``discretization``, ``n_clusters``, ``pca``, ``posterior``, ``seed``; by default integer
    codes as they are and features through their cross-fitted posteriors), and
    ``I(X1,X2;Y) = R + U1 + U2 + S`` is decomposed with the named estimator (thesis Eqs. 3.1
    to 3.3 for the default ``"cvx"``), to which ``options`` go (for ``"cvx"``: ``method``,
    ``tol_bits``, ``device``, ...; see :func:`pid.estimators.estimate`). The terms are
    corrected for the bias of a finite sample and come with a null model and, when asked for,
    intervals (``sampling``, :class:`pid.sampling.SamplingOptions`); the plug-in values and
    the bias removed are in the result's ``sampling``. Estimators on samples (``"batch"``)
    skip the encoding and the corrections: their settings are refused with them, and ``seed``
    (and ``posterior``, the classifiers BATCH cross-fits on features) go to the estimator. An
    option the estimator does not take is refused. ``U1`` belongs to ``x1``. The result's
    ``provenance`` holds the encoding, the sample count and the seed.

    >>> import numpy as np, pid
    >>> x1 = np.array([0, 0, 1, 1]); x2 = np.array([0, 1, 0, 1])
    >>> plain = pid.SamplingOptions(correction="none", n_null=0)   # a truth table: no bias
    >>> round(pid.decompose(x1, x2, x1 ^ x2, sampling=plain).S, 6)
    1.0
    """
    check_settings(estimator, options, discretization, n_clusters, pca, posterior, sampling)
    seed = check_seed(seed)
    if estimator in SAMPLE_ESTIMATORS:
        arrays, keep, provenance = clean_samples(x1, x2, y, drop_nonfinite, label_bins)
        posteriors = options.get("posteriors")
        if isinstance(posteriors, Mapping) and not keep.all():  # one row per sample kept
            options = {
                **options,
                "posteriors": {key: _kept_rows(p, keep) for key, p in posteriors.items()},
            }
        if posterior is not None:  # BATCH cross-fits the posteriors of features with it
            options = {**options, "posterior": posterior}
        result = ESTIMATORS[estimator](*arrays, seed=seed, **options)
        return replace(result, provenance={**result.provenance, **provenance})
    data = prepare(
        x1,
        x2,
        y,
        discretization=discretization,
        n_clusters=n_clusters,
        pca=pca,
        posterior=posterior,
        label_bins=label_bins,
        seed=seed,
        drop_nonfinite=drop_nonfinite,
    )
    return estimate_prepared(data, estimator, sampling=sampling, **options)


def check_settings(
    estimator: str,
    options: dict[str, Any],
    discretization: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    posterior: PosteriorOptions | None = None,
    sampling: SamplingOptions | None = None,
) -> None:
    """Refuse settings that nothing would use: estimator options the named estimator does not
    take, encoding and sampling settings for an estimator that works on the samples, and
    ``n_clusters`` or ``pca`` with ``discretization="codes"``. Under ``"auto"`` the settings of
    an encoding apply where the samples resolve to it (:func:`prepare`)."""
    check_estimator(estimator)
    check_instance(posterior, PosteriorOptions, "posterior")
    check_instance(sampling, SamplingOptions, "sampling")
    if estimator in SAMPLE_ESTIMATORS:
        given = {
            "discretization": discretization != "auto",
            "n_clusters": n_clusters,
            "pca": pca,
            "sampling": sampling,
        }
        unused = [name for name, value in given.items() if value not in (None, False)]
        if unused:
            names, verb, pronoun = _agreeing(unused)
            raise ValueError(
                f"{names} {verb} up the discretization and its sampling corrections, which "
                f"estimator={estimator!r} does not use (it works on the samples themselves); "
                f"drop {pronoun}, or use estimator='cvx'."
            )
    coding = {"n_clusters (--clusters)": n_clusters, "pca (--pca)": pca}
    coded = [name for name, value in coding.items() if value is not None]
    if discretization == "codes" and coded:
        names, verb, pronoun = _agreeing(coded)
        raise ValueError(
            f"{names} {verb} up the encoding of features (discretization 'kmeans', 'bins' or "
            f"'posterior'), and discretization='codes' keeps the codes as they are; drop "
            f"{pronoun}, or choose one of those discretizations."
        )
    if options.get("method") in ENCODINGS and estimator == "cvx":
        raise ValueError(
            f"method={options['method']!r} names a discretization; pass "
            f"discretization={options['method']!r} (method chooses the CVX solver: 'newton' "
            "or 'cvxpy')."
        )
    check_options(estimator, options)


def _agreeing(names: list[str]) -> tuple[str, str, str]:
    """Setting names joined for a sentence, with the verb and the pronoun that agree."""
    if len(names) == 1:
        return names[0], "sets", "it"
    return " and ".join(names), "set", "them"


def estimate_prepared(
    data: Prepared,
    estimator: str = "cvx",
    *,
    sampling: SamplingOptions | None = None,
    progress: bool = False,
    **options: Any,
) -> PIDResult:
    """Decompose prepared samples, corrected for sampling bias (:func:`pid.sampling.sample_pid`),
    recording how they were prepared in the provenance and the correction in ``sampling``.

    The estimator's own solve of the whole sample gives the diagnostics; the terms and
    informations are the corrected ones. ``progress`` shows a bar of the correction's solves
    on standard error.
    """
    plugin = estimate(data.dist, estimator, **options)
    whole = [plugin.mi_x1_y, plugin.mi_x2_y, plugin.mi_x1x2_y, plugin.R + plugin.U1 + plugin.U2]
    sampled = sample_pid(
        *data.codes,
        options=sampling,
        estimator=estimator,
        estimator_options=options,
        joint_posteriors=data.joint_posteriors,
        training_deficits=data.training_deficits,
        classifier_informations=data.classifier_informations,
        whole=np.array(whole),
        table=data.counts,
        seed=data.seed,
        progress=progress,
    )
    warn_if_sparse(sampled)
    return sampled.result(
        estimator=plugin.estimator,
        diagnostics=plugin.diagnostics,
        provenance={**plugin.provenance, **data.provenance},
    )


def resolve_encoding(discretization: str, x1: ArrayLike, x2: ArrayLike) -> str:
    """The encoding ``discretization`` stands for: ``"auto"`` is ``"codes"`` when both
    modalities are 1-D discrete (integers, booleans or strings), else ``"posterior"`` from
    :data:`pid.posterior.MIN_SAMPLES` samples on; below, ``"kmeans"``, or where one modality
    is discrete, ``"auto"`` of :func:`pid.discretize.discretize` (its codes kept, the other
    modality clustered: text cannot be)."""
    if discretization != "auto":
        return discretization
    discrete = is_codes(x1), is_codes(x2)
    if all(discrete):
        return "codes"
    if len(np.asarray(x1)) >= MIN_SAMPLES:
        return "posterior"
    return "auto" if any(discrete) else "kmeans"


def is_codes(x: ArrayLike) -> bool:
    """Whether a modality is 1-D discrete values (integers, booleans or strings), which the
    ``"auto"`` encoding takes as codes."""
    return np.ndim(x) == 1 and np.asarray(x).dtype.kind in "biuOUS"


def _kept_rows(values: ArrayLike, keep: np.ndarray) -> ArrayLike:
    """The rows of ``values`` that ``keep`` marks, or ``values`` as given when it does not
    have one row per sample (the estimator then refuses its shape)."""
    array = np.asarray(values)
    return array[keep] if array.ndim >= 1 and len(array) == len(keep) else values


def clean_samples(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, drop_nonfinite: bool, label_bins: int | None
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, dict[str, Any]]:
    """Paired samples checked, non-finite rows refused or dropped, class labels (a continuous
    target cut into ``label_bins`` classes, or refused) and at least two classes.

    Returns the kept samples, the mask of kept rows and their count (and the label's bins) for
    the provenance.
    """
    arrays = check_paired(x1, x2, y)
    keep = finite_rows(arrays)
    dropped = int(len(keep) - keep.sum())
    if dropped and not drop_nonfinite:
        raise ValueError(
            f"{dropped} sample(s) hold NaN or infinite values; clean them, or pass "
            "drop_nonfinite=True (--drop-nonfinite) to drop those rows."
        )
    if len(arrays[2]) == dropped:
        raise ValueError("no sample is left after dropping non-finite rows; clean the data.")
    if dropped:  # object columns that held missing cells become typed arrays
        # Whole numbers with gaps are codes (stored_for_gaps), as in decompose_many.
        codes = [a.dtype.kind == "f" and stored_for_gaps(a, ~np.isnan(a)) for a in arrays[:2]]
        arrays = tuple(as_array(a[keep], name) for a, name in zip(arrays, NAMES, strict=True))
        arrays = tuple(
            a.astype(np.int64) if k < 2 and codes[k] else a for k, a in enumerate(arrays)
        )
    provenance: dict[str, Any] = {"n_samples": len(arrays[2]), "dropped_nonfinite": dropped}
    if label_bins is not None:
        labels, edges = bin_labels(arrays[2], label_bins)
        arrays = (*arrays[:2], labels)
        provenance["label_bins"] = {"n_bins": label_bins, "edges": edges.tolist()}
    labels = arrays[2]
    check_labels(labels)
    if not np.any(labels != labels[0]):
        raise ValueError(
            f"y holds a single class ({labels[:1].tolist()[0]!r}); the task needs at least two "
            "labels for its information to be decomposed."
        )
    return arrays, keep, provenance


__all__ = [
    "ENCODINGS",
    "Prepared",
    "check_settings",
    "clean_samples",
    "decompose",
    "estimate_prepared",
    "is_codes",
    "prepare",
    "resolve_encoding",
]
