"""Turning features into the integer codes a discrete PID estimator needs.

The CVX estimator works on a finite joint ``p(x1, x2, y)`` (thesis Section 3.2.1), so
continuous features are first mapped to a small alphabet. A :class:`Discretizer` is fitted on
one split and applied to any other; :func:`discretize` fits one per modality and the label.

Methods
-------
``codes``
    Values that are already discrete (integers, booleans, strings, or floats holding whole
    numbers; 1-D) are relabeled ``0..k-1`` in sorted order. A value not seen at fit time is an
    error, or with ``unseen="other"`` gets one extra shared code ``k``.
``kmeans``
    Standardize each column (zero mean, unit variance on the fit split), optionally project on
    the first ``pca`` principal components, and cluster with k-means (scikit-learn ``KMeans``,
    or ``MiniBatchKMeans`` above ``minibatch_above`` samples). The code is the nearest centre.
``bins``
    Fixed-width histogram bins, as in the thesis's pre-processing: standardize, and for a
    multi-column feature project on its first principal component; then ``k`` bins of equal
    width span the fit split's range, the first and last open-ended so that values outside that
    range at transform time fall into them.
``auto`` (the default)
    ``codes`` for a 1-D integer, boolean or string array, ``kmeans`` for anything else.
    ``n_clusters`` does not apply to codes: a 1-D integer feature with many values (an age, a
    count) keeps them all unless you ask for ``bins`` or ``kmeans``.

The number of clusters or bins defaults to the Rice rule capped at :data:`MAX_DEFAULT_CLUSTERS`,
``k = min(ceil(2 n^(1/3)), 20)`` for ``n`` fit samples (Rice's rule grows the bin count
sub-linearly, as histogram estimates of information need; the cap keeps the CVX problem small
and the plug-in bias in check, see :meth:`Discretized.settings`).
k-means never asks for more clusters than there are distinct points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.validation import (
    NAMES,
    as_array,
    check_paired,
    check_seed,
    check_whole,
    discrete_values,
    unique_inverse,
)

#: The largest cluster or bin count chosen by default.
MAX_DEFAULT_CLUSTERS = 20

#: Above this many fit samples k-means runs as MiniBatchKMeans.
MINIBATCH_ABOVE = 50_000

#: Independent k-means initializations; the best (least inertia) is kept.
N_INIT = 3

#: How features become codes (:class:`Discretizer`'s ``method``).
DISCRETIZATIONS = ("auto", "codes", "kmeans", "bins")
UNSEEN = ("error", "other")


def rice_bins(n_samples: int) -> int:
    """Rice's rule for the number of histogram bins, ``ceil(2 n^(1/3))``.

    Computed exactly as the least ``k`` with ``k^3 >= 8 n``, free of floating-point cube roots.
    """
    k = max(1, round(2 * n_samples ** (1 / 3)))
    while k**3 < 8 * n_samples:
        k += 1
    while k > 1 and (k - 1) ** 3 >= 8 * n_samples:
        k -= 1
    return k


def bin_labels(y: ArrayLike, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """A numeric target cut into classes of about equal frequency, each value wholly in one.

    With ``u_1 < ... < u_m`` the distinct values of ``y`` and ``k = min(n_bins, m)``, the
    classes are ``k`` runs of consecutive values, cut one after the other: with ``s``
    samples below the last cut, the next falls where the samples at or below a value come
    nearest to ``s + (n - s) / r``, ``r`` the classes still to fill, leaving a value for each
    of them. With ``q_j`` the largest value below the ``j``-th cut, the class of ``y_i`` is

        c_i = #{j : q_j < y_i},                                                         (1)

    so a value equal to an edge lies below it, and tied values never straddle a cut: there
    are exactly ``k`` classes, ``n_bins`` where ``y`` has that many distinct values and one
    per value where it has fewer. Returns the classes and the edges ``q_j``.
    """
    values = as_array(y, "y")
    if values.dtype.kind not in "biuf":
        raise ValueError(
            f"y holds values of type {values.dtype}, labels that are classes already; drop "
            "label_bins (--label-bins), which cuts a numeric target into classes."
        )
    if values.dtype.kind == "b":
        values = values.astype(np.int64)  # whole numbers stay whole: above 2**53 floats merge
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or not np.isfinite(values).all():
        raise ValueError(
            f"y has shape {values.shape} or holds NaN or infinite values; pass a 1-D array of "
            "finite numbers to cut into bins."
        )
    if not isinstance(n_bins, (int, np.integer)) or not 2 <= n_bins <= len(values):
        raise ValueError(
            f"n_bins (--label-bins) is {n_bins!r} for {len(values)} samples; pass a whole number "
            "between 2 and the number of samples."
        )
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) == 1:
        raise ValueError(
            f"y holds the single value {distinct[0]:g}, which no bins can split into classes; "
            "pass a target that varies."
        )
    at_or_below = np.cumsum(counts)[:-1]  # samples at or below each value but the largest
    n, k = len(values), min(n_bins, len(distinct))
    cuts = np.empty(k - 1, dtype=int)  # the index of the largest value below each cut
    first = 0
    for j in range(k - 1):
        last = len(at_or_below) - (k - 2 - j)  # leaves a value for each later cut
        below = at_or_below[cuts[j - 1]] if j else 0
        target = below + (n - below) / (k - j)
        after = int(np.clip(np.searchsorted(at_or_below, target), first, last - 1))
        before = max(after - 1, first)
        nearer = target - at_or_below[before] <= at_or_below[after] - target
        cuts[j] = before if nearer else after
        first = cuts[j] + 1
    edges = distinct[cuts]
    return apply_label_bins(values, edges), edges


def apply_label_bins(y: ArrayLike, edges: ArrayLike) -> np.ndarray:
    """The classes of Eq. (1) of :func:`bin_labels`, ``c_i = #{j : q_j < y_i}``, of a target
    cut at ``edges`` (those :func:`bin_labels` returned, or a report recorded)."""
    return np.searchsorted(np.asarray(edges), np.asarray(y), side="left")


def default_clusters(n_samples: int) -> int:
    """The default cluster or bin count, ``min(ceil(2 n^(1/3)), MAX_DEFAULT_CLUSTERS)``."""
    return min(rice_bins(n_samples), MAX_DEFAULT_CLUSTERS)


class Discretizer:
    """Maps one feature (a modality or the label) to integer codes; fit once, apply anywhere.

    Parameters
    ----------
    method : {"auto", "codes", "kmeans", "bins"}
        See the module documentation.
    n_clusters : int, optional
        Clusters (``kmeans``) or bins (``bins``); default ``min(ceil(2 n^(1/3)), 20)``.
    pca : int, optional
        Principal components kept before k-means (``bins`` always uses one for multi-column
        features).
    seed : int
        Seeds PCA and k-means, so a fit is repeatable.
    unseen : {"error", "other"}
        What ``transform`` does with a discrete value absent from the fit split.
    minibatch_above : int
        Sample count above which k-means runs as MiniBatchKMeans.
    name : str
        The feature's name in messages and :meth:`settings` (e.g. ``"x1"``).
    """

    def __init__(
        self,
        method: str = "auto",
        n_clusters: int | None = None,
        *,
        pca: int | None = None,
        seed: int = 0,
        unseen: str = "error",
        minibatch_above: int = MINIBATCH_ABOVE,
        name: str = "x",
    ) -> None:
        if method not in DISCRETIZATIONS:
            raise ValueError(
                f"method {method!r} is unknown; choose one of {', '.join(DISCRETIZATIONS)}."
            )
        if unseen not in UNSEEN:
            raise ValueError(f"unseen {unseen!r} is unknown; choose 'error' or 'other'.")
        # One code a modality would carry nothing: two at least, as pid.decompose asks.
        for arg, value, least in (
            ("n_clusters (--clusters)", n_clusters, 2),
            ("pca (--pca)", pca, 1),
            ("minibatch_above", minibatch_above, 1),
        ):
            if value is not None:
                check_whole(value, arg, least)
        check_seed(seed, "seed")
        if method == "bins" and pca not in (None, 1):
            raise ValueError(
                f"pca={pca} does not apply to method='bins', which bins the first principal "
                "component of a multi-column feature; pass pca=None or use method='kmeans'."
            )
        self.method = method
        self.n_clusters = n_clusters
        self.pca = pca
        self.seed = seed
        self.unseen = unseen
        self.minibatch_above = minibatch_above
        self.name = name
        self._fit: dict[str, Any] | None = None

    # ------------------------------------------------------------------ fitting
    def fit(self, x: ArrayLike) -> Discretizer:
        """Learn the codes (or the scaling, projection and clusters or bins) from ``x``."""
        self._fit_codes(x)
        return self

    def _fit_codes(self, x: ArrayLike) -> np.ndarray | None:
        """:meth:`fit`, returning the codes of ``x`` where they come with the fit (the codes
        method: each value's position among the sorted distinct values)."""
        x = as_array(x, self.name)
        if x.ndim == 0 or len(x) == 0:
            raise ValueError(
                f"{self.name} has shape {x.shape}; pass at least one sample along the first axis."
            )
        method = self.method
        if method == "auto":
            method = "codes" if x.ndim == 1 and x.dtype.kind in "biuOUS" else "kmeans"
        codes = None
        if method == "codes":
            values, codes = unique_inverse(self._check_codes(x))
            fit = {
                "method": "codes",
                "values": values,
                "n_codes": len(values),
                "n_clusters_rule": "one code per value seen",
            }
        else:
            features = self._check_features(x)
            fit = {"n_features": features.shape[1], **self._fit_scaling(features, method)}
            projected = _project(features, fit)
            fit.update(
                self._fit_kmeans(projected) if method == "kmeans" else self._fit_bins(projected)
            )
        fit["n_fit_samples"] = len(x)
        self._fit = fit
        return None if codes is None else codes.astype(np.int64, copy=False)

    def transform(self, x: ArrayLike) -> np.ndarray:
        """The integer codes of ``x``, a 1-D ``int64`` array, using what :meth:`fit` learned."""
        fit = self._fitted()
        x = as_array(x, self.name)
        if fit["method"] == "codes":
            return self._encode(self._check_codes(x), fit["values"])
        features = self._check_features(x)
        if features.shape[1] != fit["n_features"]:
            raise ValueError(
                f"{self.name} has {features.shape[1]} feature(s) but was fitted on "
                f"{fit['n_features']}; pass the same columns as at fit time."
            )
        projected = _project(features, fit)
        if "edges" in fit:
            return np.searchsorted(fit["edges"], projected[:, 0], side="right").astype(np.int64)
        return fit["model"].predict(projected).astype(np.int64)

    def fit_transform(self, x: ArrayLike) -> np.ndarray:
        """:meth:`fit` on ``x``, then its codes."""
        codes = self._fit_codes(x)
        return self.transform(x) if codes is None else codes

    @property
    def n_codes(self) -> int:
        """How many codes ``transform`` can return (one more with ``unseen="other"``)."""
        fit = self._fitted()
        extra = 1 if fit["method"] == "codes" and self.unseen == "other" else 0
        return fit["n_codes"] + extra

    def settings(self) -> dict[str, Any]:
        """What was done, for a report's provenance; JSON-ready.

        Always: ``name``, ``method`` (``codes``, ``kmeans``, ``minibatch_kmeans`` or ``bins``),
        ``n_codes``, ``n_clusters_rule``, ``n_fit_samples``, ``n_features``, ``standardized``,
        ``pca_components``, ``pca_explained_variance``, ``seed``; plus ``unseen`` for codes,
        ``inertia_per_sample`` (mean squared distance to the nearest centre, in standardized
        units) for k-means, and ``empty_bin_fraction`` (on the fit split) for bins.
        """
        fit = self._fitted()
        out = {
            "name": self.name,
            "method": fit["method"],
            "n_codes": self.n_codes,
            "n_clusters_rule": fit["n_clusters_rule"],
            "n_fit_samples": fit["n_fit_samples"],
            "n_features": fit.get("n_features", 1),
            "standardized": fit["method"] != "codes",
            "pca_components": fit["pca"].n_components_ if fit.get("pca") else None,
            "pca_explained_variance": (
                float(fit["pca"].explained_variance_ratio_.sum()) if fit.get("pca") else None
            ),
            "seed": self.seed,
        }
        out.update({k: fit[k] for k in ("inertia_per_sample", "empty_bin_fraction") if k in fit})
        if fit["method"] == "codes":
            out["unseen"] = self.unseen
        return out

    def __repr__(self) -> str:
        state = f"fitted, {self.n_codes} codes" if self._fit else "not fitted"
        return f"Discretizer(name={self.name!r}, method={self.method!r}, {state})"

    # ------------------------------------------------------------------ codes
    def _check_codes(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 1:
            raise ValueError(
                f"{self.name} has shape {x.shape}, but discrete codes must be 1-D; "
                "use method='kmeans' or 'bins' for feature vectors."
            )
        if x.dtype.kind == "f" and not (np.all(np.isfinite(x)) and np.all(x == np.round(x))):
            raise ValueError(
                f"{self.name} holds non-integer or non-finite values, so it is not a set "
                "of codes; use method='kmeans' or 'bins' to discretize continuous values."
            )
        return discrete_values(x, self.name, text=True)

    def _encode(self, x: np.ndarray, values: np.ndarray) -> np.ndarray:
        dense = values.dtype.kind in "iu" and x.dtype.kind in "iu" and values[0] == 0
        if dense and values[-1] == len(values) - 1 and x.min() >= 0 and x.max() < len(values):
            return x.astype(np.int64, copy=False)  # codes 0..k-1 are their own positions
        position = np.searchsorted(values, x).clip(max=len(values) - 1)
        seen = values[position] == x
        if not np.all(seen):
            if self.unseen == "error":
                new = np.unique(x[~seen])
                raise ValueError(
                    f"{self.name} holds {len(new)} value(s) not seen at fit time (e.g. "
                    f"{', '.join(map(repr, new[:3].tolist()))}); fit on data covering them, or "
                    "pass unseen='other' to give them one extra shared code."
                )
            position = np.where(seen, position, len(values))
        return position.astype(np.int64)

    # ------------------------------------------------------------------ continuous
    def _check_features(self, x: np.ndarray) -> np.ndarray:
        if x.ndim and len(x) == 0:
            raise ValueError(f"{self.name} is empty; pass at least one sample.")
        if x.ndim not in (1, 2) or x.shape[-1] == 0:
            raise ValueError(
                f"{self.name} has shape {x.shape}; pass a 1-D array or a 2-D array of shape "
                "(n_samples, n_features)."
            )
        if x.dtype.kind not in "biuf":
            raise ValueError(
                f"{self.name} has values of type {x.dtype}, which cannot be clustered; pass "
                "numeric features, or keep labels as codes (method='codes', "
                "--discretization codes)."
            )
        x = x.reshape(len(x), -1).astype(float)
        bad = ~np.all(np.isfinite(x), axis=1)
        if bad.any():
            raise ValueError(
                f"{self.name} contains NaN or infinite values in {int(bad.sum())} sample(s); "
                "drop or impute them first."
            )
        return x

    def _fit_scaling(self, x: np.ndarray, method: str) -> dict[str, Any]:
        from sklearn.decomposition import PCA

        if len(x) < 2:
            raise ValueError(f"{self.name} has {len(x)} sample; fitting needs at least 2.")
        # Features are divided by their largest magnitude first, so that no sum overflows
        # for values near the float limit.
        magnitude = np.abs(x).max(axis=0)
        magnitude[magnitude == 0] = 1.0
        unit = x / magnitude
        mean, scale = unit.mean(axis=0), unit.std(axis=0)
        scale[scale == 0] = 1.0
        components = 1 if method == "bins" and x.shape[1] > 1 else self.pca
        pca = None
        if components is not None:
            limit = min(x.shape)
            if components > limit:
                raise ValueError(
                    f"pca={components} exceeds what {self.name} has ({x.shape[0]} samples of "
                    f"{x.shape[1]} features); pass pca <= {limit} or None."
                )
            pca = PCA(n_components=components, random_state=self.seed).fit((unit - mean) / scale)
        return {"magnitude": magnitude, "mean": mean, "scale": scale, "pca": pca}

    def _cluster_count(self, n: int) -> tuple[int, str]:
        if self.n_clusters is not None:
            return int(self.n_clusters), "given"
        return default_clusters(n), f"min(ceil(2 n^(1/3)), {MAX_DEFAULT_CLUSTERS})"

    def _fit_kmeans(self, z: np.ndarray) -> dict[str, Any]:
        from sklearn.cluster import KMeans, MiniBatchKMeans

        n = len(z)
        k, rule = self._cluster_count(n)
        distinct = len(np.unique(z, axis=0))
        if k > distinct:
            k, rule = distinct, f"{rule}, capped at the {distinct} distinct points"
        if n > self.minibatch_above:
            method = "minibatch_kmeans"
            model = MiniBatchKMeans(
                n_clusters=k, n_init=N_INIT, batch_size=4096, random_state=self.seed
            )
        else:
            method = "kmeans"
            model = KMeans(n_clusters=k, n_init=N_INIT, random_state=self.seed)
        model.fit(z)
        return {
            "method": method,
            "model": model,
            "n_codes": k,
            "n_clusters_rule": rule,
            "inertia_per_sample": float(model.inertia_ / n),
        }

    def _fit_bins(self, z: np.ndarray) -> dict[str, Any]:
        values = z[:, 0]
        k, rule = self._cluster_count(len(values))
        low, high = float(values.min()), float(values.max())
        if high == low:
            k, rule = 1, f"{rule}, one bin for a constant feature"
        edges = np.linspace(low, high, k + 1)[1:-1]
        used = len(np.unique(np.searchsorted(edges, values, side="right")))
        return {
            "method": "bins",
            "edges": edges,
            "n_codes": k,
            "n_clusters_rule": rule,
            "empty_bin_fraction": 1.0 - used / k,
        }

    def _fitted(self) -> dict[str, Any]:
        if self._fit is None:
            raise ValueError(f"the discretizer for {self.name} is not fitted; call fit first.")
        return self._fit


def _project(x: np.ndarray, fit: dict[str, Any]) -> np.ndarray:
    """Standardize with the fitted scaling, then project with the fitted PCA, if any."""
    z = (x / fit["magnitude"] - fit["mean"]) / fit["scale"]
    return fit["pca"].transform(z) if fit["pca"] is not None else z


@dataclass(frozen=True)
class Discretized:
    """Integer codes of paired samples and the fitted discretizers that produced them.

    Attributes
    ----------
    x1, x2, y : ndarray of int64
        The codes, one per sample.
    discretizers : tuple of three Discretizer
        Fitted on this data, in the order x1, x2, y; :meth:`transform` applies them to another
        split.
    """

    x1: np.ndarray
    x2: np.ndarray
    y: np.ndarray
    discretizers: tuple[Discretizer, Discretizer, Discretizer]

    def transform(
        self, x1: ArrayLike, x2: ArrayLike, y: ArrayLike
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Codes of another split with the same fitted discretizers."""
        arrays = check_paired(x1, x2, y)
        return tuple(d.transform(a) for d, a in zip(self.discretizers, arrays, strict=True))

    def settings(self, counts: np.ndarray | None = None) -> dict[str, Any]:
        """Each discretizer's :meth:`Discretizer.settings`, and the size of the joint table.

        ``joint`` holds ``cells``, the number of ``(x1, x2, y)`` code triples that occur, and
        ``samples_per_cell`` (samples over cells). The bias the plug-in values of such a table
        carry is measured, and removed, by :mod:`pid.sampling` (a result's ``sampling``).
        ``counts``, the joint count table of the codes where the caller has it, saves
        counting them again.
        """
        n = len(self.y)
        if counts is None:
            pairs = self.x1 * (int(self.x2.max()) + 1) + self.x2
            triples = pairs * (int(self.y.max()) + 1) + self.y
            m_joint = len(unique_inverse(triples)[0])
        else:
            m_joint = int(np.count_nonzero(counts))
        joint = {"cells": m_joint, "samples_per_cell": n / m_joint}
        return {
            **{name: d.settings() for name, d in zip(NAMES, self.discretizers, strict=True)},
            "joint": joint,
        }


def discretize(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    method: str = "auto",
    n_clusters: int | None = None,
    pca: int | None = None,
    seed: int = 0,
    y_method: str = "codes",
    unseen: str = "error",
) -> Discretized:
    """Fit a :class:`Discretizer` to each modality and the label, and return their codes.

    ``method``, ``n_clusters`` and ``pca`` apply to both modalities (build Discretizers
    yourself to treat them differently); the label uses ``y_method`` (``"codes"``: class
    labels; ``"bins"`` or ``"kmeans"`` for a continuous target) with the same ``n_clusters``.
    Feed the result to ``Distribution.from_samples(d.x1, d.x2, d.y)`` and record
    ``d.settings()`` with the PID.
    """
    arrays = check_paired(x1, x2, y)
    discretizers = (
        Discretizer(method, n_clusters, pca=pca, seed=seed, unseen=unseen, name="x1"),
        Discretizer(method, n_clusters, pca=pca, seed=seed, unseen=unseen, name="x2"),
        Discretizer(y_method, n_clusters, seed=seed, unseen=unseen, name="y"),
    )
    codes = [d.fit_transform(a) for d, a in zip(discretizers, arrays, strict=True)]
    return Discretized(*codes, discretizers=discretizers)
