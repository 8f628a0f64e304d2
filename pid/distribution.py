"""The discrete joint distribution p(x1, x2, y) that every PID estimator works on."""

from __future__ import annotations

import math
from functools import cached_property
from itertools import accumulate

import numpy as np
from numpy.typing import ArrayLike

from pid import information
from pid.validation import (
    EXACT_FLOAT_INTEGER,
    NAMES,
    check_table,
    check_table_size,
    check_whole,
    discrete_values,
    unique_inverse,
)

#: How far from one the total of a probability table may be before it is refused.
SUM_TOLERANCE = 1e-9

#: The most cells :meth:`Distribution.from_samples` fills by default (400 MB of float64);
#: larger joints are refused before they are allocated.
MAX_TABLE_CELLS = 5 * 10**7


def count_codes(
    c1: np.ndarray,
    c2: np.ndarray,
    y: np.ndarray,
    shape: tuple[int, int, int],
    *,
    max_cells: int = MAX_TABLE_CELLS,
) -> np.ndarray:
    """The joint count table, of ``shape``, of paired integer codes ``0..k-1`` (``k`` the
    size of each axis of ``shape``), one count a cell; a table of more than ``max_cells``
    cells is refused before it is allocated."""
    cells = math.prod(shape)
    check_table_size(shape, cells, max_cells, "the joint table p(x1, x2, y)")
    flat = np.multiply(c1, shape[1], dtype=np.int64)
    flat += c2
    flat *= shape[2]
    flat += y
    return np.bincount(flat, minlength=cells).reshape(shape)


class Distribution:
    """A joint distribution ``p(x1, x2, y)`` over finite alphabets.

    ``table[i, j, k]`` is the probability that the first modality takes its ``i``-th value,
    the second its ``j``-th and the label its ``k``-th. Build one with :meth:`from_table`,
    :meth:`from_counts` or :meth:`from_samples`; the constructor takes a table that already
    sums to one (and checks it, as they do).

    Attributes
    ----------
    table : ndarray of shape (n_x1, n_x2, n_y)
        The probabilities, read-only.
    values : tuple of three ndarrays
        The original value of each index along each axis (``0..n-1`` for tables).
    n_samples : int or None
        The number of samples the table was counted from, when known.
    """

    def __init__(
        self,
        table: ArrayLike,
        values: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        n_samples: int | None = None,
    ) -> None:
        table = check_table(table, "table")
        with np.errstate(over="ignore"):
            total = table.sum()
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise ValueError(
                f"table sums to {total:.12g}, not 1; build it with Distribution.from_table("
                "table, normalize=True) or Distribution.from_counts."
            )
        table.setflags(write=False)
        self.table = table
        if values is None:
            values = tuple(np.arange(n) for n in table.shape)
        elif len(values) != 3 or any(
            np.ndim(v) != 1 or len(v) != n for v, n in zip(values, table.shape, strict=False)
        ):
            raise ValueError(
                f"values must hold one 1-D array per axis with {table.shape} entries; pass the "
                "value of each index along x1, x2 and y."
            )
        self.values = values
        self.n_samples = n_samples

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_table(cls, table: ArrayLike, *, normalize: bool = False) -> Distribution:
        """Build a distribution from a probability table of shape (n_x1, n_x2, n_y).

        The table must be finite and non-negative and sum to one within ``1e-9``; pass
        ``normalize=True`` to divide it by its total instead.
        """
        table = check_table(table, "table")
        if not normalize:
            return cls(table)
        return cls(_normalized(table))

    @classmethod
    def from_counts(cls, counts: ArrayLike) -> Distribution:
        """Build a distribution from a table of non-negative counts (or weights).

        ``n_samples`` is the total when every count is a whole number and the total is exact
        in a float (at most ``2**53``), else None.
        """
        counts = check_table(counts, "counts")
        with np.errstate(over="ignore"):  # a total beyond the float range is inf: not exact
            total = counts.sum()
        whole = np.all(counts == np.round(counts)) and total <= EXACT_FLOAT_INTEGER
        return cls(_normalized(counts), n_samples=int(total) if whole else None)

    @classmethod
    def from_samples(
        cls, x1: ArrayLike, x2: ArrayLike, y: ArrayLike, *, max_cells: int = MAX_TABLE_CELLS
    ) -> Distribution:
        """Build the empirical distribution of paired samples of integer codes.

        Each argument is a 1-D array of integer codes, one entry per sample; the codes may be
        any integers (they are mapped to ``0..n-1`` in sorted order and kept exactly in
        ``values``; floats holding whole numbers count as integers). A joint table of more
        than ``max_cells`` cells is refused before it is allocated.
        """
        check_whole(max_cells, "max_cells", 1)
        arrays = {
            name: discrete_values(a, name) for name, a in zip(NAMES, (x1, x2, y), strict=True)
        }
        lengths = {name: len(a) for name, a in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(
                f"x1, x2 and y must have one entry per sample, but their lengths are "
                f"{lengths['x1']}, {lengths['x2']} and {lengths['y']}; pass arrays of equal length."
            )
        values, codes = zip(*(unique_inverse(a) for a in arrays.values()), strict=True)
        counts = count_codes(*codes, tuple(len(v) for v in values), max_cells=max_cells)
        n = lengths["x1"]
        return cls(counts / n, values=tuple(values), n_samples=n)

    # ------------------------------------------------------------------ marginals
    @property
    def shape(self) -> tuple[int, int, int]:
        """Alphabet sizes ``(n_x1, n_x2, n_y)``."""
        return self.table.shape

    @cached_property
    def p_x1_y(self) -> np.ndarray:
        """Marginal ``p(x1, y)``, shape (n_x1, n_y)."""
        return self.table.sum(axis=1)

    @cached_property
    def p_x2_y(self) -> np.ndarray:
        """Marginal ``p(x2, y)``, shape (n_x2, n_y)."""
        return self.table.sum(axis=0)

    @cached_property
    def p_x1_x2(self) -> np.ndarray:
        """Marginal ``p(x1, x2)``, shape (n_x1, n_x2)."""
        return self.table.sum(axis=2)

    @cached_property
    def p_y(self) -> np.ndarray:
        """Marginal ``p(y)``, shape (n_y,)."""
        return self.table.sum(axis=(0, 1))

    # ------------------------------------------------------------------ information
    @cached_property
    def _entropies(self) -> dict[str, float]:
        """``H(Y)``, ``H(X1)``, ``H(X2)``, ``H(X1,X2)``, ``H(X1,Y)``, ``H(X2,Y)`` and
        ``H(X1,X2,Y)`` in bits, from one pass over the marginals laid end to end:
        ``-sum p log2 p`` of each, with ``0 log 0 = 0``."""
        parts = (
            ("y", self.p_y),
            ("x1", self.p_x1_y.sum(axis=1)),
            ("x2", self.p_x2_y.sum(axis=1)),
            ("x1x2", self.p_x1_x2),
            ("x1y", self.p_x1_y),
            ("x2y", self.p_x2_y),
            ("x1x2y", self.table),
        )
        flat = np.concatenate([part.ravel() for _, part in parts])
        starts = list(accumulate((part.size for _, part in parts[:-1]), initial=0))
        plogp = flat * np.log2(np.where(flat > 0, flat, 1.0))
        totals = (-np.add.reduceat(plogp, starts)).tolist()
        return {name: total for (name, _), total in zip(parts, totals, strict=True)}

    @cached_property
    def entropy_y(self) -> float:
        """``H(Y)`` in bits."""
        return self._entropies["y"]

    @cached_property
    def mi_x1_y(self) -> float:
        """``I(X1;Y) = H(X1) + H(Y) - H(X1,Y)`` in bits."""
        h = self._entropies
        return h["x1"] + h["y"] - h["x1y"]

    @cached_property
    def mi_x2_y(self) -> float:
        """``I(X2;Y) = H(X2) + H(Y) - H(X2,Y)`` in bits."""
        h = self._entropies
        return h["x2"] + h["y"] - h["x2y"]

    @cached_property
    def mi_x1x2_y(self) -> float:
        """``I(X1,X2;Y) = H(X1,X2) + H(Y) - H(X1,X2,Y)`` in bits: the total information both
        modalities give about the task."""
        h = self._entropies
        return h["x1x2"] + h["y"] - h["x1x2y"]

    @cached_property
    def mi_x1_x2(self) -> float:
        """``I(X1;X2) = H(X1) + H(X2) - H(X1,X2)`` in bits."""
        h = self._entropies
        return h["x1"] + h["x2"] - h["x1x2"]

    @cached_property
    def co_information(self) -> float:
        """Co-information ``I(X1;X2;Y) = I(X1;Y) + I(X2;Y) - I(X1,X2;Y)`` in bits."""
        return information.co_information(self.table)

    # ------------------------------------------------------------------ transforms
    def sample(
        self, n_samples: int, seed: int | None = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n_samples`` independent draws ``(x1, x2, y)`` from the table, as values of
        :attr:`values` (integer codes for tables)."""
        n_samples = check_whole(n_samples, "n_samples", 1, np.iinfo(np.int64).max)
        rng = np.random.default_rng(seed)
        flat = rng.choice(self.table.size, size=n_samples, p=self.table.ravel() / self.table.sum())
        cells = np.unravel_index(flat, self.shape)
        return tuple(v[c] for v, c in zip(self.values, cells, strict=True))

    def swap_modalities(self) -> Distribution:
        """The same distribution with the roles of ``x1`` and ``x2`` exchanged."""
        v1, v2, vy = self.values
        return Distribution(self.table.transpose(1, 0, 2), (v2, v1, vy), self.n_samples)

    def __repr__(self) -> str:
        n1, n2, ny = self.shape
        samples = f", n_samples={self.n_samples}" if self.n_samples is not None else ""
        return f"Distribution(|X1|={n1}, |X2|={n2}, |Y|={ny}{samples})"


def _normalized(table: np.ndarray) -> np.ndarray:
    """The table divided by its total, scaled by its largest entry first so that a total
    beyond the float range (counts near 1e308) still divides exactly."""
    scaled = table / table.max()
    return scaled / scaled.sum()


def as_distribution(value: object, name: str = "dist") -> Distribution:
    """``value`` if it is a :class:`Distribution`, else a ``ValueError`` saying how to make
    one (estimators take distributions, not bare tables)."""
    if isinstance(value, Distribution):
        return value
    if isinstance(value, np.ndarray | list | tuple):
        raise ValueError(
            f"{name} is of type {type(value).__name__}, not a Distribution; wrap a probability "
            "table with pid.Distribution.from_table(table) (or from_counts for counts)."
        )
    raise ValueError(
        f"{name} is of type {type(value).__name__}, not a Distribution; build one with "
        "pid.Distribution.from_table, from_counts or from_samples."
    )
