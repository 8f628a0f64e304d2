"""Many modalities, some missing in some samples: checked, named, with where each is present.

A sample lacks a modality where its row is all NaN (a float modality), where its entry is None,
NaN or pandas' NA (a list, or an object array such as a table column with empty cells), or
where a boolean ``mask`` says so. Labels are needed for every sample; a continuous target may be
cut into classes once for all (``label_bins``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.discretize import bin_labels
from pid.validation import as_array, check_labels, is_absent, is_missing


@dataclass(frozen=True)
class ObservedModalities:
    """Modalities by name, where each is present, and the labels.

    Attributes
    ----------
    arrays : dict
        ``{name: array}`` with one row per sample; the rows of a missing sample repeat a
        present one and are never used.
    present : dict
        ``{name: (n,) bool}``, True where the modality was observed.
    labels : ndarray of int
        The labels as codes ``0..k-1``.
    provenance : dict
        The label's bins, where a continuous target was cut.
    """

    arrays: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    labels: np.ndarray
    provenance: dict[str, Any]

    @property
    def names(self) -> list[str]:
        """The modalities, in the order given."""
        return list(self.arrays)


def observed_modalities(
    modalities: Mapping[str, ArrayLike] | Sequence[ArrayLike],
    y: ArrayLike,
    mask: Mapping[str, ArrayLike] | ArrayLike | None = None,
    label_bins: int | None = None,
) -> ObservedModalities:
    """The modalities by name (a list is named ``x1``, ``x2``, ...) with where each is
    present (module docstring), and the labels as codes ``0..k-1`` (``label_bins=K`` cuts a
    continuous target into ``K`` classes of equal frequency); bad input is refused with one
    sentence naming the argument."""
    if isinstance(modalities, Mapping):
        named = dict(modalities)
    elif isinstance(modalities, Sequence) and not isinstance(modalities, str):
        named = {f"x{k + 1}": value for k, value in enumerate(modalities)}
    else:
        raise ValueError(
            f"modalities is a {type(modalities).__name__}; pass a dict of name to array, or a "
            "list of arrays."
        )
    if len(named) < 2 or not all(isinstance(name, str) and name for name in named):
        raise ValueError(
            f"modalities holds {len(named)} entr{'y' if len(named) == 1 else 'ies'}; pass at "
            "least two, named by non-empty strings."
        )
    labels = _labels(y)
    observed = _mask(mask, list(named), len(labels))
    arrays, present = {}, {}
    for name, value in named.items():
        unmasked = observed.get(name, np.ones(len(labels), dtype=bool))
        arrays[name], present[name] = _with_gaps(value, name, unmasked)
    for name in named:
        if not present[name].any():
            raise ValueError(f"{name} is missing in every sample; drop it from modalities.")
    provenance: dict[str, Any] = {}
    if label_bins is not None:
        labels, edges = bin_labels(labels, label_bins)
        provenance["label_bins"] = {"n_bins": label_bins, "edges": edges.tolist()}
    check_labels(labels)
    classes, labels = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"y holds a single class ({classes[0]!r}); the task needs at least two labels for "
            "its information to be decomposed."
        )
    return ObservedModalities(arrays, present, labels.ravel().astype(np.int64), provenance)


def _labels(y: ArrayLike) -> np.ndarray:
    """The labels as a 1-D array of numbers or text (:func:`pid.validation.as_array`) with
    none missing."""
    labels = as_array(y, "y")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(
            f"y must be 1-D with one label per sample, got shape {labels.shape}; pass class "
            "indices (for logits, y.argmax(axis=1))."
        )
    missing = (
        np.array([is_missing(v) for v in labels])
        if labels.dtype == object
        else (
            ~np.isfinite(labels)
            if np.issubdtype(labels.dtype, np.number)
            else np.zeros(len(labels), bool)
        )
    )
    if missing.any():
        raise ValueError(
            f"y is missing (NaN, infinite or None) for {int(missing.sum())} sample(s); drop "
            "those samples, since each PID needs the label of its samples."
        )
    if labels.dtype == object:
        labels = np.asarray(labels.tolist())
    return labels


def codes_with_gaps(values: np.ndarray) -> np.ndarray:
    """A modality that :func:`stored_for_gaps` takes as integer codes, as those codes: an
    object array with None where NaN; anything else as it is."""
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.floating):
        return values
    present = ~np.isnan(values)
    if not stored_for_gaps(values, present):
        return values
    codes = np.full(len(values), None, dtype=object)
    codes[present] = values[present].astype(np.int64).tolist()
    return codes


def stored_for_gaps(values: np.ndarray, present: np.ndarray) -> bool:
    """Whether a modality is integer codes stored as floats because some samples lack it:
    1-D floats, missing somewhere (``present`` False), whole numbers where present. Such a
    modality is taken as codes; floats without gaps stay features, as in
    :func:`pid.decompose`. Infinite values are no whole numbers (they are refused)."""
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.floating) or present.all():
        return False
    kept = values[present]
    return bool(np.all(np.isfinite(kept) & (kept == np.round(kept))))


def _with_gaps(value: ArrayLike, name: str, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A modality as an array with one row per sample, and where it is present: rows of NaN,
    absent entries (:func:`pid.validation.is_absent`) and the rows ``observed`` marks False are
    missing (their rows in the array repeat a present one). Only present rows are checked, by
    :func:`pid.validation.as_array` as the samples of :func:`pid.decompose` are. Whole numbers
    with gaps become integer codes (:func:`stored_for_gaps`)."""
    n = len(observed)
    if not isinstance(value, list | tuple):
        value = np.asarray(value)
    if isinstance(value, list | tuple) or value.dtype == object:
        entries = list(value)
        _check_rows(name, len(entries), n)
        present = observed & np.array([not is_absent(entry) for entry in entries], dtype=bool)
        try:
            kept = np.asarray([entry for entry, here in zip(entries, present, strict=True) if here])
        except ValueError:
            raise ValueError(
                f"{name} holds entries of different shapes; pass one value or one feature "
                "vector of one width per sample, None where the sample lacks it."
            ) from None
        kept = as_array(kept, name)
        array = np.empty((n, *kept.shape[1:]), dtype=kept.dtype)
        if len(kept):
            array[present], array[~present] = kept, kept[0]
    else:
        array = as_array(value, name)
        present = observed.copy()
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D or 2-D with samples along the first axis, got shape "
            f"{array.shape}; flatten each sample with {name}.reshape(len({name}), -1)."
        )
    _check_rows(name, len(array), n)
    if np.issubdtype(array.dtype, np.number):
        rows = array.reshape(n, -1)
        if np.issubdtype(array.dtype, np.floating):
            present &= ~np.isnan(rows).all(axis=1)
        flawed = int((~np.isfinite(rows).all(axis=1) & present).sum())
        if flawed:
            raise ValueError(
                f"{name} has {flawed} row(s) with infinite values or only some values NaN; mark "
                "a missing sample by a row of NaN (or None) and clean the others."
            )
        if present.any():
            array = array.copy()
            array[~present] = array[np.argmax(present)]
            if stored_for_gaps(array, present):
                array = array.astype(np.int64)
    return array, present


def _check_rows(name: str, rows: int, n: int) -> None:
    """Refuse a modality whose number of rows is not the number of labels."""
    if rows != n:
        raise ValueError(
            f"{name} has {rows} rows but y has {n} labels; pass one row per sample, with "
            "a row of NaN (or None) where the sample lacks it."
        )


def _mask(
    mask: Mapping[str, ArrayLike] | ArrayLike | None, names: list[str], n: int
) -> dict[str, np.ndarray]:
    """``mask`` as ``{name: (n,) bool}``, True where the modality is present."""
    if mask is None:
        return {}
    if isinstance(mask, Mapping):
        unknown = [key for key in mask if key not in names]
        if unknown:
            raise ValueError(
                f"mask names {unknown[0]!r}, which is no modality; use the names "
                f"{', '.join(names)}."
            )
        given = {name: np.asarray(value) for name, value in mask.items()}
    else:
        table = np.asarray(mask)
        if table.ndim != 2 or table.shape[1] != len(names):
            raise ValueError(
                f"mask has shape {table.shape}; pass one column per modality, shape "
                f"({n}, {len(names)}), or a dict of name to (n,) booleans."
            )
        given = {name: table[:, k] for k, name in enumerate(names)}
    for name, value in given.items():
        if value.dtype != bool or value.shape != (n,):
            raise ValueError(
                f"mask of {name} has shape {value.shape} and dtype {value.dtype}; pass {n} "
                "booleans, True where the modality is present."
            )
    return given
