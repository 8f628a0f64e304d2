"""The discrete joint distribution p(x1, x2, y) that every PID estimator works on."""

from __future__ import annotations

from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from pid import information
from pid._validate import check_codes

#: How far from one the total of a probability table may be before it is refused.
SUM_TOLERANCE = 1e-9


class Distribution:
    """A joint distribution ``p(x1, x2, y)`` over finite alphabets.

    ``table[i, j, k]`` is the probability that the first modality takes its ``i``-th value,
    the second its ``j``-th and the label its ``k``-th. Build one with :meth:`from_table`,
    :meth:`from_counts` or :meth:`from_samples`; the constructor expects an already valid
    table.

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
        table: np.ndarray,
        values: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        n_samples: int | None = None,
    ) -> None:
        table = np.array(table, dtype=float)
        table.setflags(write=False)
        self.table = table
        self.values = values if values is not None else tuple(np.arange(n) for n in table.shape)
        self.n_samples = n_samples

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_table(cls, table: ArrayLike, *, normalize: bool = False) -> Distribution:
        """Build a distribution from a probability table of shape (n_x1, n_x2, n_y).

        The table must be finite and non-negative and sum to one within ``1e-9``; pass
        ``normalize=True`` to divide it by its total instead.
        """
        table = _check_table(table, "table")
        total = table.sum()
        if not normalize and abs(total - 1.0) > SUM_TOLERANCE:
            raise ValueError(
                f"table sums to {total:.12g}, not 1; pass normalize=True to rescale it, "
                "or use Distribution.from_counts for counts."
            )
        return cls(table / total)

    @classmethod
    def from_counts(cls, counts: ArrayLike) -> Distribution:
        """Build a distribution from a table of non-negative counts (or weights)."""
        counts = _check_table(counts, "counts")
        total = counts.sum()
        n_samples = int(total) if np.all(counts == np.round(counts)) else None
        return cls(counts / total, n_samples=n_samples)

    @classmethod
    def from_samples(cls, x1: ArrayLike, x2: ArrayLike, y: ArrayLike) -> Distribution:
        """Build the empirical distribution of paired samples of integer codes.

        Each argument is a 1-D array of integer codes, one entry per sample; the codes may be
        any integers (they are mapped to ``0..n-1`` in sorted order and kept in ``values``).
        """
        arrays = {name: check_codes(a, name) for name, a in (("x1", x1), ("x2", x2), ("y", y))}
        lengths = {name: len(a) for name, a in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(
                f"x1, x2 and y must have one entry per sample, but their lengths are "
                f"{lengths['x1']}, {lengths['x2']} and {lengths['y']}; pass arrays of equal length."
            )
        values, codes = zip(
            *(np.unique(a, return_inverse=True) for a in arrays.values()), strict=True
        )
        shape = tuple(len(v) for v in values)
        counts = np.zeros(shape)
        np.add.at(counts, tuple(c.ravel() for c in codes), 1.0)
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
    def entropy_y(self) -> float:
        """``H(Y)`` in bits."""
        return information.entropy(self.p_y)

    @cached_property
    def mi_x1_y(self) -> float:
        """``I(X1;Y)`` in bits."""
        return information.mutual_information(self.p_x1_y)

    @cached_property
    def mi_x2_y(self) -> float:
        """``I(X2;Y)`` in bits."""
        return information.mutual_information(self.p_x2_y)

    @cached_property
    def mi_x1x2_y(self) -> float:
        """``I(X1,X2;Y)`` in bits: the total information both modalities give about the task."""
        n1, n2, ny = self.shape
        return information.mutual_information(self.table.reshape(n1 * n2, ny))

    @cached_property
    def mi_x1_x2(self) -> float:
        """``I(X1;X2)`` in bits."""
        return information.mutual_information(self.p_x1_x2)

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
        if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer):
            raise ValueError(f"n_samples is {n_samples!r}; pass a positive whole number.")
        if n_samples < 1:
            raise ValueError(f"n_samples is {n_samples}; pass a positive whole number.")
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


def _check_table(table: ArrayLike, name: str) -> np.ndarray:
    try:
        table = np.asarray(table, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array of shape (n_x1, n_x2, n_y).") from None
    if table.ndim != 3:
        raise ValueError(
            f"{name} must have three axes (x1, x2, y), got shape {table.shape}; "
            "add singleton axes for missing variables."
        )
    if table.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value per axis.")
    if not np.all(np.isfinite(table)):
        raise ValueError(f"{name} contains NaN or infinite entries; replace them with numbers.")
    if np.any(table < 0):
        raise ValueError(f"{name} contains negative entries; probabilities must be >= 0.")
    if table.sum() <= 0:
        raise ValueError(f"{name} sums to zero; at least one entry must be positive.")
    return table
