"""The boundary checks: paired samples, integer codes and tolerances, each refused with one
sentence naming the argument and the fix."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: The names of the two modalities and the label, in order.
NAMES = ("x1", "x2", "y")


def check_paired(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, names: tuple[str, str, str] = NAMES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate paired samples and return them as arrays, samples along the first axis.

    Each modality is 1-D (one value per sample) or 2-D (one feature vector per sample); the
    label is 1-D, and a column of shape ``(n, 1)`` is flattened. All three must be non-empty
    and of equal length. ``names`` are the names used in error messages.
    """
    arrays = []
    for value, name, max_ndim in zip((x1, x2, y), names, (2, 2, 1), strict=True):
        array = np.asarray(value)
        if name == names[2] and array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim == 0 or array.ndim > max_ndim:
            raise ValueError(_shape_advice(name, array.shape, max_ndim))
        if len(array) == 0:
            raise ValueError(f"{name} is empty; pass at least one sample.")
        arrays.append(array)
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(
            f"{', '.join(names[:2])} and {names[2]} must have one entry per sample, but their "
            f"lengths are {lengths[0]}, {lengths[1]} and {lengths[2]}; pass arrays of equal length."
        )
    return tuple(arrays)


def check_labels(y: np.ndarray, name: str = "y") -> None:
    """Refuse a continuous target where class labels are needed: a float array holding
    values that are not whole numbers."""
    if not np.issubdtype(y.dtype, np.floating):
        return
    finite = y[np.isfinite(y)]
    fractional = finite != np.round(finite)
    if fractional.any():
        count = len(np.unique(finite))
        raise ValueError(
            f"{name} holds {count} distinct values, some not whole numbers: a continuous target, "
            "not class labels; cut it into K classes of equal frequency (label_bins=K in "
            "pid.decompose, --label-bins K on the command line, pid.discretize.bin_labels "
            "elsewhere), or pass class labels."
        )


def _shape_advice(name: str, shape: tuple[int, ...], max_ndim: int) -> str:
    if max_ndim == 1:
        return (
            f"{name} must be 1-D with one label per sample, got shape {shape}; "
            f"pass class indices (for logits, {name}.argmax(axis=1))."
        )
    return (
        f"{name} must be 1-D or 2-D with samples along the first axis, got shape {shape}; "
        f"flatten each sample with {name}.reshape(len({name}), -1)."
    )


def finite_rows(arrays: tuple[np.ndarray, ...]) -> np.ndarray:
    """Which samples have only finite values.

    In numeric arrays NaN and infinities are not finite; in object arrays (a table column
    mixing strings and missing cells) None and float NaN are not.
    """
    keep = np.ones(len(arrays[0]), dtype=bool)
    for array in arrays:
        if np.issubdtype(array.dtype, np.number):
            finite = np.isfinite(array)
        elif array.dtype == object:
            finite = np.array([not _missing(v) for v in array.ravel()]).reshape(array.shape)
        else:
            continue
        keep &= finite.reshape(len(array), -1).all(axis=1)
    return keep


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and not np.isfinite(value))


def check_codes(codes: ArrayLike, name: str) -> np.ndarray:
    """A 1-D array of integer codes as ``int64``: integers, booleans, or floats holding whole
    numbers; anything else is refused naming ``name``."""
    codes = np.asarray(codes)
    if codes.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of integer codes, got shape {codes.shape}; "
            "flatten it or discretize multi-column data first."
        )
    if codes.size == 0:
        raise ValueError(f"{name} is empty; pass at least one sample.")
    if codes.dtype == bool or np.issubdtype(codes.dtype, np.integer):
        return codes.astype(np.int64)
    if np.issubdtype(codes.dtype, np.floating):
        if not np.all(np.isfinite(codes)):
            raise ValueError(f"{name} contains NaN or infinite values; pass integer codes.")
        if np.all(codes == np.round(codes)):
            return codes.astype(np.int64)
    raise ValueError(
        f"{name} must hold integer codes, got values of type {codes.dtype}; "
        "discretize continuous features first."
    )


def check_tolerance(value: float, name: str = "tol_bits") -> float:
    """A tolerance in bits: a positive, finite number (a solver cannot certify a zero gap)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{name} is {value!r}; pass a positive number of bits, e.g. 1e-7.")
    if not 0 < value < np.inf:
        raise ValueError(f"{name} is {value!r}; pass a positive number of bits, e.g. 1e-7.")
    return float(value)
