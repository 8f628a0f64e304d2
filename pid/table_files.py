"""Reading the columns of tables (``.csv``, ``.parquet``) as the arrays of named keys.

A key's columns are the one of its name and those starting with ``<key>_`` (``x1_age``,
``x1_bmi``), or those ``columns`` names for it; pandas and pyarrow are imported by the
functions that read.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pid.validation import DAMAGED_FILE_ERRORS, first_line, preview

Columns = Mapping[str, str | Sequence[str]]


def label_name(columns: Columns) -> str:
    """The name of the label's array or column: the one ``columns["y"]`` gives (a name, or a
    list of one), ``"y"`` by default."""
    named = columns.get("y", "y")
    return named if isinstance(named, str) else as_names(named)[0]


def table_header(path: Path) -> list[str]:
    """The column names of a table as written, read without its rows; a name given to more
    than one column is refused (pandas would rename the second ``x1`` to ``x1.1``, which no
    key claims)."""
    import pandas as pd

    try:
        if path.suffix.lower() == ".csv":
            first = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
            names = [str(c) for c in first.iloc[0]]
        else:
            import pyarrow.parquet

            names = [str(c) for c in pyarrow.parquet.read_schema(path).names]
    except DAMAGED_FILE_ERRORS as err:
        raise ValueError(
            f"DATA file {path.name} could not be read as {path.suffix} ({first_line(err)}); "
            "check that it is a valid table."
        ) from None
    repeated = [name for name, count in Counter(names).items() if name and count > 1]
    if repeated:
        raise ValueError(
            f"DATA file {path.name} names more than one column {', '.join(map(repr, repeated))}; "
            "give each column a name of its own (e.g. x1_a, x1_b for the features of x1)."
        )
    return names


def as_names(given: str | Sequence[str]) -> list[str]:
    """One name or several, as a list."""
    return [given] if isinstance(given, str) else list(given)


def read_table(
    path: Path, keys: Sequence[str], columns: Columns, label: str | None
) -> list[np.ndarray]:
    """The arrays of ``keys`` from a table: each key's columns (those ``columns`` names for
    it, else the column of its name or those starting with ``<key>_``), side by side; the
    ``label`` key's is one column."""
    import pandas as pd

    table_header(path)  # refuses a name given to two columns before pandas renames one
    try:
        frame = pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    except DAMAGED_FILE_ERRORS as err:
        raise ValueError(
            f"DATA file {path.name} could not be read as {path.suffix} ({first_line(err)}); "
            "check that it is a valid table."
        ) from None
    frame.columns = [str(c) for c in frame.columns]
    # A column given for a key (or the label's) is its alone; any other, the longest key's.
    given = {k: as_names(columns.get(k, k)) for k in keys if k == label or k in columns}
    by_name = [k for k in keys if k not in given]
    taken = {c for chosen in given.values() for c in chosen}
    owners = {c: None if c in taken else _owner(c, by_name) for c in frame.columns}
    arrays = []
    for k in keys:
        chosen = _table_columns(path.name, k, k == label, given.get(k), owners)
        values = [_column_values(frame[c], f"column {c!r} of {path.name}") for c in chosen]
        arrays.append(values[0] if len(chosen) == 1 else np.column_stack(values))
    return arrays


def _column_values(column: Any, source: str) -> np.ndarray:
    """The values of a table column, as read, an empty cell as NaN whatever the column's dtype
    (pandas' nullable dtypes hold NA there: their numbers become floats); a column whose text
    cells mix numbers with other text (which pandas then reads as text throughout) is refused,
    naming the first cell that is not a number."""
    import pandas as pd

    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) and column.hasnans:
        numeric = pd.api.types.is_numeric_dtype(column.dtype)
        values = column.to_numpy(dtype=float if numeric else object, na_value=np.nan)
    else:
        values = column.to_numpy()
    if values.dtype != object:
        return values
    text = np.array([isinstance(v, str) for v in values])
    if not text.any():
        return values
    parsed = pd.to_numeric(column.where(text), errors="coerce").to_numpy()
    numbers = text & ~np.isnan(parsed.astype(float))
    if numbers.any() and not numbers[text].all():
        row = int(np.flatnonzero(text & ~numbers)[0])
        cell = str(values[row])
        shown = cell if len(cell) <= 20 else f"{cell[:20]}..."
        try:
            what = "a number beyond the float range" if math.isinf(float(cell)) else "text"
        except ValueError:
            what = "text"
        raise ValueError(
            f"{source} holds {shown!r} in row {row + 1}, {what} among numbers; correct or "
            "empty that cell (--drop-nonfinite, drop_nonfinite=True, then drops its row)."
        )
    return values


def _table_columns(
    name: str, key: str, is_label: bool, given: list[str] | None, owners: dict[str, str | None]
) -> list[str]:
    """The columns holding ``key``: those ``given``, else those ``owners`` gives it by name."""
    present = list(owners)
    if given is None:
        chosen = [c for c in present if owners[c] == key]
        missing = [] if chosen else [f"named {key!r} or starting with {key + '_'!r}"]
    else:
        chosen = given
        missing = [f"named {c!r}" for c in chosen if c not in present]
    if missing:
        raise ValueError(
            f"{name} has no column {', '.join(missing)} for {key} (its columns are "
            f"{preview(present)}); rename them or pass columns={{{key!r}: [...]}} "
            f"(on the command line: --columns {key}=NAME,...)."
        )
    if not chosen or (is_label and len(chosen) != 1):
        wanted = "one label column" if is_label else "at least one column"
        raise ValueError(f"columns[{key!r}] must name {wanted}, got {len(chosen)}.")
    return chosen


def _owner(column: str, keys: Sequence[str]) -> str | None:
    """The key a table column belongs to by name: the longest of ``keys`` that it is, or that
    it starts with followed by ``_``; None if none."""
    matching = [k for k in keys if column == k or column.startswith(f"{k}_")]
    return max(matching, key=len, default=None)
