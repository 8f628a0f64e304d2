"""The checks at the boundary of the toolkit, shared by every entry point.

The API (:func:`pid.decompose`, :func:`pid.estimate`, :class:`pid.Distribution`'s
constructors, the estimators), the file readers of :mod:`pid.io` and the command line run
their input through these functions before any work is done. Each refuses bad input with one
``ValueError`` sentence that names the argument and a remedy the caller can apply; none
changes the data silently (no value is rounded, wrapped or merged on the way in), and the
size of a table is checked before it is allocated.
"""

from __future__ import annotations

import math
import numbers
import os
import stat
import sys
import tokenize
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

#: The names of the two modalities and the label, in order.
NAMES = ("x1", "x2", "y")

#: Seeds run through numpy and scikit-learn, which take whole numbers in this range.
SEED_RANGE = (0, 2**32 - 1)

#: Whole numbers up to this magnitude are exact in a float64.
EXACT_FLOAT_INTEGER = 2**53


def as_array(value: ArrayLike, name: str) -> np.ndarray:
    """``value`` as a numpy array of numbers or text, or a ``ValueError`` naming ``name``.

    Refused: ragged nesting, complex numbers, dates and times, structured records, and object
    arrays mixing text with numbers or holding other objects. An object array of numbers
    becomes an ``int64``, ``uint64`` or ``float64`` array when that keeps every value exact
    (refused otherwise); one of text stays an object array. Missing cells (None, NaN) are kept
    for :func:`finite_rows` to find, so an object array holding them is returned as it is.
    """
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(
            f"{name} is ragged (its entries have different lengths); pass one value or one "
            "feature vector of a fixed length per sample."
        ) from None
    kind = array.dtype.kind
    if kind == "c":
        raise ValueError(
            f"{name} holds complex numbers; pass real values ({name}.real where the imaginary "
            "parts are zero, or the real and imaginary parts as separate features)."
        )
    if kind in "mM":
        raise ValueError(
            f"{name} holds {array.dtype} values; convert them to numbers "
            f"({name}.astype('int64')) or to labels ({name}.astype(str))."
        )
    if kind == "V":
        raise ValueError(
            f"{name} holds structured records of type {array.dtype}; pass one plain array "
            "per variable."
        )
    if kind == "O":
        return _typed_objects(array, name)
    return array


def _typed_objects(array: np.ndarray, name: str) -> np.ndarray:
    """An object array as numbers (when every value is kept exact) or as text."""
    present = [v for v in array.ravel() if not is_missing(v)]
    kinds = {_kind(v) for v in present}
    if "other" in kinds:
        odd = next(v for v in present if _kind(v) == "other")
        raise ValueError(
            f"{name} holds a value of type {type(odd).__name__}; pass numbers or text."
        )
    if "text" in kinds and len(kinds) > 1:
        raise ValueError(
            f"{name} mixes text and numbers; pass values of one kind, e.g. {name}.astype(str) "
            "to treat every value as a label."
        )
    if "text" in kinds or len(present) < array.size or not present:
        return array
    if kinds == {"bool"}:
        return array.astype(bool)
    if kinds <= {"bool", "int"}:
        for dtype in (np.int64, np.uint64):
            try:
                return np.array(array.tolist(), dtype=dtype)
            except OverflowError:
                continue
        raise ValueError(
            f"{name} holds integers beyond 64 bits; map them to smaller codes, e.g. "
            f"np.unique({name}, return_inverse=True)[1]."
        )
    if any(isinstance(v, numbers.Integral) and abs(int(v)) > EXACT_FLOAT_INTEGER for v in present):
        raise ValueError(
            f"{name} mixes fractions with integers beyond 2**53, which a float cannot hold "
            "exactly; pass the integers and the fractions as separate variables."
        )
    return np.array(array.tolist(), dtype=float)


def _kind(value: object) -> str:
    if isinstance(value, str | bytes | np.str_ | np.bytes_):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    return "other"


def is_absent(value: object) -> bool:
    """Whether one entry of an object array marks a value as absent: None, pandas' ``NA``
    (what a nullable column holds in an empty cell), or a float NaN."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    pandas = sys.modules.get("pandas")  # pandas' NA can exist only once pandas is imported
    return pandas is not None and value is pandas.NA


def is_missing(value: object) -> bool:
    """Whether one cell of an object array is missing: absent (:func:`is_absent`), or a float
    infinity."""
    return is_absent(value) or (isinstance(value, float | np.floating) and bool(np.isinf(value)))


def check_paired(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, names: tuple[str, str, str] = NAMES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate paired samples and return them as arrays, samples along the first axis.

    Each modality is 1-D (one value per sample) or 2-D (one feature vector per sample); the
    label is 1-D, and a column of shape ``(n, 1)`` is flattened. All three must be non-empty
    and of equal length, and hold numbers or text (:func:`as_array`). ``names`` are the names
    used in error messages.
    """
    return check_samples((x1, x2, y), names, labels=(names[2],))


def check_samples(
    arrays: Sequence[ArrayLike], names: Sequence[str], labels: Sequence[str] = ()
) -> tuple[np.ndarray, ...]:
    """Validate arrays of paired samples, named ``names``, as :func:`check_paired` does: the
    ones named in ``labels`` 1-D (a column of shape ``(n, 1)`` flattened), the others 1-D or
    2-D, all non-empty and of one length."""
    checked = []
    for value, name in zip(arrays, names, strict=True):
        array = as_array(value, name)
        max_ndim = 1 if name in labels else 2
        if name in labels and array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim == 0:
            raise ValueError(
                f"{name} is a single value, not samples; pass an array with one entry per sample."
            )
        if array.ndim > max_ndim:
            raise ValueError(_shape_advice(name, array.shape, max_ndim))
        if len(array) == 0:
            raise ValueError(f"{name} is empty; pass at least one sample.")
        if array.ndim == 2 and array.shape[1] == 0:
            raise ValueError(
                f"{name} has shape {array.shape}, no feature per sample; pass at least one."
            )
        checked.append(array)
    lengths = [len(a) for a in checked]
    if len(set(lengths)) != 1:
        raise ValueError(
            f"{listed(list(names))} must have one entry per sample, but their lengths are "
            f"{listed([str(n) for n in lengths])}; pass arrays of equal length."
        )
    return tuple(checked)


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


def check_features(x: ArrayLike, name: str, dtype: DTypeLike | None = None) -> np.ndarray:
    """One modality's features for a model or a critic: real numbers (integers, floats or
    booleans), finite, as vectors ``(n, d)`` or sequences ``(n, T, d)`` holding at least one
    value; a 1-D array is one feature a sample, returned as a column.

    Complex numbers, text, missing cells and non-finite values are refused in one sentence
    naming ``name``. The values keep their type, or are cast to ``dtype`` (e.g.
    ``np.float32``) before the finite check, so that one beyond its range is refused too.
    """
    array = as_array(x, name)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim not in (2, 3):
        raise ValueError(
            f"{name} has shape {array.shape}; pass vectors (n, d) or sequences (n, T, d), "
            "samples along the first axis."
        )
    if array.dtype.kind == "O" and any(map(is_missing, array.ravel())):
        raise ValueError(f"{name} has missing values (None or NaN); drop or impute those samples.")
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} holds values of type {array.dtype}; pass real numbers (integers, floats "
            "or booleans)."
        )
    if array.size == 0:
        raise ValueError(
            f"{name} has shape {array.shape}, no values; pass at least one sample and one feature."
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values; drop or impute those samples.")
    if dtype is None:
        return array
    with np.errstate(over="ignore"):
        cast = array.astype(dtype)
    if not np.isfinite(cast).all():
        largest = float(np.abs(array).max())
        raise ValueError(
            f"{name} holds values up to {largest:.3g} in magnitude, beyond the range of "
            f"{np.dtype(dtype).name}; rescale them (e.g. standardize each feature)."
        )
    return cast


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


def finite_rows(arrays: tuple[np.ndarray, ...]) -> np.ndarray:
    """Which samples have only finite values.

    In numeric arrays NaN and infinities are not finite; in object arrays (a table column
    mixing strings and missing cells) None and float NaN are not.
    """
    keep = np.ones(len(arrays[0]), dtype=bool)
    for array in arrays:
        if array.dtype.kind in "biu":  # integers are always finite
            continue
        if np.issubdtype(array.dtype, np.number):
            finite = np.isfinite(array)
        elif array.dtype == object:
            finite = np.array([not is_missing(v) for v in array.ravel()]).reshape(array.shape)
        else:
            continue
        keep &= finite.reshape(len(array), -1).all(axis=1)
    return keep


def discrete_values(values: ArrayLike, name: str, *, text: bool = False) -> np.ndarray:
    """A 1-D array of discrete values, each kept exactly, ready for ``np.unique``.

    Integers keep their type (``uint64`` codes above ``2**63`` included), booleans become
    ``int64``, and floats must be finite whole numbers: ``int64`` up to ``2**53`` in
    magnitude, kept as floats beyond (where ``int64`` would wrap them). ``text=True`` lets
    strings through as well; anything else is refused naming ``name``.
    """
    array = as_array(values, name)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of codes, got shape {array.shape}; flatten it, or "
            "discretize multi-column data first."
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty; pass at least one sample.")
    kind = array.dtype.kind
    if kind == "O" and any(map(is_missing, array)):
        raise ValueError(f"{name} has missing values (None or NaN); drop those samples.")
    if kind == "b":
        return array.astype(np.int64)
    if kind in "iu":
        return array
    if kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError(
                f"{name} contains NaN or infinite values; drop those samples or pass codes."
            )
        if np.all(array == np.round(array)):
            exact = np.abs(array).max() <= EXACT_FLOAT_INTEGER
            return array.astype(np.int64) if exact else array
    elif text and kind in "USO":
        return array
    wanted = "integer codes or text labels" if text else "integer codes"
    raise ValueError(
        f"{name} must hold {wanted}, got values of type {array.dtype}; discretize continuous "
        "features first."
    )


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of a 1-D array: its sorted distinct values
    and each entry's index among them.

    Integers spanning at most ``max(2 n, 2**16)`` values (``n`` entries) take a counting pass,
    ``O(n + span)``, instead of a sort: count each value, number the present ones in order,
    read each entry's number; codes already ``0..k-1`` with every code present come back as
    they are. Anything else goes to ``np.unique``.
    """
    if values.ndim == 1 and values.size and values.dtype.kind in "iu":
        low, high = values.min(), values.max()
        span = int(high) - int(low) + 1
        if span <= max(2 * values.size, 1 << 16):
            offsets = values if low == 0 or values.dtype.kind == "u" else values.astype(np.int64)
            if low != 0:
                offsets = offsets - low  # in int64 where signed: int8's 0 - (-128) overflows
            present = np.bincount(offsets, minlength=span) > 0
            if low == 0 and present.all() and values.dtype == np.int64:
                return np.arange(span, dtype=values.dtype), values
            number = np.cumsum(present) - 1
            # Exact in the values' own type: each sum is one of the values, so it wraps back.
            distinct = np.flatnonzero(present).astype(values.dtype) + low
            return distinct, number[offsets]
    uniques, inverse = np.unique(values, return_inverse=True)
    return uniques, inverse.ravel()


def check_codes(codes: ArrayLike, name: str) -> np.ndarray:
    """A 1-D array of integer codes as ``int64`` indices: integers, booleans, or floats
    holding whole numbers, all within the range of ``int64``; anything else is refused
    naming ``name``."""
    values = discrete_values(codes, name)
    if values.dtype.kind == "f" or (
        values.dtype.kind == "u" and values.max() > np.iinfo(np.int64).max
    ):
        extreme = values[np.argmax(np.abs(values.astype(float)))]
        raise ValueError(
            f"{name} holds codes beyond the range of int64 indices (e.g. {extreme:.4g}); "
            f"map them to 0..k-1 with np.unique({name}, return_inverse=True)[1]."
        )
    return values.astype(np.int64, copy=False)


#: What each kind of path that is not a regular file is called in a refusal.
SPECIAL_FILES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_regular_file(path: str | os.PathLike, label: str) -> None:
    """Refuse a path that does not exist, or one that is not a regular file (a folder, a
    FIFO, a device, a socket), saying which it is; ``label`` names the argument (``"DATA
    file"``). Checked before the file is opened: reading a FIFO would wait forever."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{label} {str(path)!r} does not exist; check the path.")
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in SPECIAL_FILES if test(mode)), "a special file")
        raise ValueError(
            f"{label} {str(path)!r} is {kind}, not a regular file; pass the path of a file "
            "(save streamed data to one first)."
        )


#: What numpy, pandas, pyarrow and torch raise on the bytes of a damaged file, besides their
#: own error types derived from these (numpy parses a damaged .npy header as Python tokens).
DAMAGED_FILE_ERRORS = (
    ValueError,
    SyntaxError,
    tokenize.TokenError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RuntimeError,
    EOFError,
    OSError,
    zlib.error,
)


def first_line(err: BaseException) -> str:
    """The first line of an error's message (its type's name where it has none), to quote a
    library's error inside a sentence of ours."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def preview(names: Sequence[str], limit: int = 8) -> str:
    """``names`` joined by commas, the first ``limit`` of them where there are more."""
    shown = ", ".join(names[:limit])
    return f"{shown}, ... ({len(names)} in all)" if len(names) > limit else shown


def check_whole(value: object, name: str, minimum: int, maximum: int | None = None) -> int:
    """A whole number of at least ``minimum`` (and at most ``maximum``), as an ``int``;
    ``name`` names it in the refusal (e.g. ``"n_clusters (--clusters)"``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} is {value!r}; pass a whole number of at least {minimum}.")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise ValueError(f"{name} is {value}; pass a whole number {bound}.")
    return int(value)


def check_between(value: object, name: str, low: float, high: float) -> float:
    """A real number strictly between ``low`` and ``high``, as a ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low < value < high:
        raise ValueError(
            f"{name} is {value!r}; pass a number strictly between {low:g} and {high:g}."
        )
    return float(value)


def check_number(
    value: object,
    name: str,
    low: float = 0.0,
    high: float = math.inf,
    *,
    above: bool = False,
) -> float:
    """``value`` as a ``float``: a finite real number (not a boolean or text) with
    ``low <= value`` (``low < value`` when ``above``) and ``value < high``, such as a noise
    scale (``>= 0``), a temperature (``> 0``) or a masking probability (``>= 0`` and ``< 1``);
    anything else is refused in one sentence naming ``name`` (e.g. ``"noise (--noise)"``)."""
    in_range = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (low < value if above else low <= value)
        and value < high
    )
    if not in_range:
        bounds = [f"{'>' if above else '>='} {low:g}"]
        if math.isfinite(high):
            bounds.append(f"< {high:g}")
        raise ValueError(f"{name} is {value!r}; pass a finite number {' and '.join(bounds)}.")
    return float(value)


def check_instance(value: object, expected: type, name: str) -> None:
    """Refuse ``value`` unless it is None or an instance of ``expected`` (the settings
    objects, e.g. :class:`pid.SamplingOptions`)."""
    if value is not None and not isinstance(value, expected):
        raise ValueError(
            f"{name} is of type {type(value).__name__}; pass a {expected.__name__} (e.g. "
            f"{expected.__name__}()) or None."
        )


def check_seed(seed: object, name: str = "seed (--seed)") -> int:
    """A seed numpy and scikit-learn both take: a whole number from 0 to ``2**32 - 1``."""
    return check_whole(seed, name, *SEED_RANGE)


def check_tolerance(value: float, name: str = "tol_bits") -> float:
    """A tolerance in bits: a positive, finite number (a solver cannot certify a zero gap)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{name} is {value!r}; pass a positive number of bits, e.g. 1e-7.")
    if not 0 < value < np.inf:
        raise ValueError(f"{name} is {value!r}; pass a positive number of bits, e.g. 1e-7.")
    return float(value)


def check_table(table: ArrayLike, name: str) -> np.ndarray:
    """A table of probabilities or counts, shape ``(n_x1, n_x2, n_y)``, as a float array:
    real numbers (integers, floats or booleans), finite, non-negative, not all zero."""
    array = as_array(table, name)
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must be a numeric array of shape (n_x1, n_x2, n_y), got values of type "
            f"{array.dtype}; pass probabilities or counts."
        )
    if array.ndim != 3:
        raise ValueError(
            f"{name} must have three axes (x1, x2, y), got shape {array.shape}; "
            "add singleton axes for missing variables."
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value per axis.")
    array = array.astype(float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite entries; replace them with numbers.")
    if np.any(array < 0):
        raise ValueError(f"{name} contains negative entries; probabilities must be >= 0.")
    if not np.any(array > 0):
        raise ValueError(f"{name} sums to zero; at least one entry must be positive.")
    return array


def check_table_size(
    shape: Sequence[int], needed: float, limit: float, what: str, names: Sequence[str] = NAMES
) -> None:
    """Refuse, before it is allocated, a table whose ``needed`` numbers (8 bytes each) exceed
    ``limit``.

    ``shape`` holds the alphabet sizes of ``names``; the sentence blames the variables whose
    alphabets are too large (those above the cube root of the cells that would fit, and not
    below the square root of the largest alphabet, so the largest is always among them) and
    says how to shrink them. ``what`` describes the table, e.g. ``"the joint
    table p(x1, x2, y)"``.
    """
    if needed <= limit:
        return
    cells = math.prod(shape)
    fitting = cells * limit / needed
    largest = max(shape)
    blamed = [
        n
        for n, size in zip(names, shape, strict=True)
        if size > fitting ** (1 / 3) and size**2 >= largest
    ]
    sizes = {n: size for n, size in zip(names, shape, strict=True)}
    counts = listed([str(sizes[n]) for n in blamed])
    verb = "holds" if len(blamed) == 1 else "hold"
    raise ValueError(
        f"{listed(blamed)} {verb} {counts} distinct values, so {what} would need "
        f"{format_bytes(needed * 8)}, more than its limit of {format_bytes(limit * 8)}; "
        f"{_size_remedy(blamed, names)}."
    )


def _size_remedy(blamed: list[str], names: Sequence[str]) -> str:
    """How the caller shrinks the alphabets of ``blamed``."""
    remedies = []
    features = [n for n in blamed if n != names[2]]
    if features:
        remedies.append(
            f"map {listed(features)} to fewer codes (numbers can be clustered: "
            "discretization='kmeans' with n_clusters=K in pid.decompose, --discretization "
            "kmeans --clusters K in pid compute)"
        )
    if names[2] in blamed:
        remedies.append(
            f"merge the classes of {names[2]} (cut a continuous target into K classes: "
            "label_bins=K, --label-bins K)"
        )
    return ", and ".join(remedies)


def listed(items: list[str]) -> str:
    """Items joined for a sentence: ``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def format_bytes(count: float) -> str:
    """A byte count for a message, in the largest unit that keeps it at least one, e.g.
    ``"16 TB"``."""
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count:.0f} bytes"
