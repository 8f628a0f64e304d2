"""Where arrays live: the torch device, and the array operations of the exact solver.

:func:`resolve_device` turns ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` into a
``torch.device``: ``"auto"`` means CUDA when it is available, else the CPU, and nothing in the
toolkit hard-codes a device.

The exact solver (:mod:`pid.estimators.exact`) is written once against the small namespace
that :func:`namespace` returns: numpy's functions for numpy arrays (``device=None``, the
default CPU path), torch's for tensors, so that the same solver runs on a CUDA device when
one is asked for. Every tensor is double precision: the certificate needs it.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from scipy.linalg import cho_solve
from scipy.sparse import csr_matrix

if TYPE_CHECKING:
    import torch

Array: TypeAlias = "np.ndarray | torch.Tensor"


class NumpyArrays:
    """numpy's operations under the names the solver uses."""

    LinAlgError: type[Exception] = np.linalg.LinAlgError
    where = staticmethod(np.where)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log2 = staticmethod(np.log2)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    isfinite = staticmethod(np.isfinite)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    concatenate = staticmethod(np.concatenate)
    stack = staticmethod(np.stack)
    permute = staticmethod(np.transpose)
    nonzero = staticmethod(np.nonzero)
    flatnonzero = staticmethod(np.flatnonzero)
    ix_ = staticmethod(np.ix_)
    cholesky = staticmethod(np.linalg.cholesky)
    inv = staticmethod(np.linalg.inv)
    solve = staticmethod(np.linalg.solve)
    eigh = staticmethod(np.linalg.eigh)

    @staticmethod
    def asarray(values: Any) -> np.ndarray:
        return np.asarray(values, dtype=float)

    @staticmethod
    def to_numpy(values: np.ndarray) -> np.ndarray:
        return values

    @staticmethod
    def as_float(mask: np.ndarray) -> np.ndarray:
        return mask.astype(float)

    @staticmethod
    def copy(values: np.ndarray) -> np.ndarray:
        return values.copy()

    contiguous = staticmethod(np.ascontiguousarray)

    @staticmethod
    def zeros(shape: int | tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape)

    @staticmethod
    def full(shape: int | tuple[int, ...], value: float) -> np.ndarray:
        return np.full(shape, value)

    @staticmethod
    def eye(n: int) -> np.ndarray:
        return np.eye(n)

    @staticmethod
    def arange(n: int) -> np.ndarray:
        return np.arange(n)

    @staticmethod
    def amax(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
        return values.max(axis=axis)

    @staticmethod
    def einsum(subscripts: str, *operands: np.ndarray) -> np.ndarray:
        # numpy contracts two operands well on its own; three need a planned order.
        return np.einsum(subscripts, *operands, optimize=len(operands) > 2)

    @staticmethod
    def cho_solve(lower: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """``x`` with ``L L^T x = rhs``, for the lower Cholesky factor ``L``."""
        return cho_solve((lower, True), rhs, False)

    @staticmethod
    def largest_indices(values: np.ndarray, k: int) -> np.ndarray:
        """Positions of the ``k`` largest entries along the last axis, largest first."""
        return np.argsort(-values, axis=-1, kind="stable")[..., :k]

    @staticmethod
    def take_along_last(values: np.ndarray, index: np.ndarray) -> np.ndarray:
        return np.take_along_axis(values, index, axis=-1)

    @staticmethod
    def take_rows(values: np.ndarray, index: np.ndarray) -> np.ndarray:
        return np.take(values, index, axis=0)

    @staticmethod
    def scatter_sum(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
        """``out[k] = sum of values[index == k]`` over ``size`` slots (1-D)."""
        return np.bincount(index, weights=values, minlength=size)

    @staticmethod
    def block_diagonal(free: np.ndarray) -> FreeBlockDiagonal:
        """Block-diagonal matrices of ``n x k x k`` blocks on flat vectors of length ``n k``,
        restricted to the rows and columns where ``free`` (``n x k``) holds: on clustered data
        a third of the entries or more are outside them, and the products skip them. The
        pattern is built once; :meth:`FreeBlockDiagonal.of` fills it with blocks."""
        return FreeBlockDiagonal(free)

    @staticmethod
    def sparse(
        rows: np.ndarray, columns: np.ndarray, values: np.ndarray, shape: tuple[int, int]
    ) -> SparseMatrix:
        """The ``shape`` matrix with ``values`` at distinct positions ``(rows, columns)``."""
        index = _index_type(max(*shape, len(values)))
        positions = (rows.astype(index, copy=False), columns.astype(index, copy=False))
        return SparseMatrix(csr_matrix((values, positions), shape))


def _index_type(largest: int) -> type:
    """The narrowest index type of compressed rows up to ``largest``: scipy converts wider
    indices to it at every construction otherwise."""
    return np.int32 if largest < 2**31 else np.int64


class FreeBlockDiagonal:
    """The pattern of a block-diagonal matrix kept on the free rows and columns of its blocks
    (see :meth:`NumpyArrays.block_diagonal`), as compressed rows."""

    def __init__(self, free: np.ndarray) -> None:
        count, width = free.shape
        mask = free[:, :, None] & free[:, None, :]
        self.entries = np.flatnonzero(mask)  # the kept entries of the flat blocks, by rows
        block, row, column = np.unravel_index(self.entries, mask.shape)
        size = count * width
        index = _index_type(max(size, len(self.entries)))
        # Shared by every matrix of the pattern, which only multiplies.
        self.starts = np.zeros(size + 1, dtype=index)
        np.cumsum(np.bincount(block * width + row, minlength=size), out=self.starts[1:])
        self.columns = (block * width + column).astype(index)
        self.shape = (size, size)

    def of(self, blocks: np.ndarray) -> SparseMatrix:
        """The matrix of ``blocks`` on this pattern."""
        values = blocks.reshape(-1)[self.entries]
        return SparseMatrix(csr_matrix((values, self.columns, self.starts), self.shape))


class SparseMatrix:
    """A sparse matrix (see :meth:`NumpyArrays.sparse`), as compressed rows."""

    def __init__(self, matrix: csr_matrix) -> None:
        self.matrix = matrix

    def times(self, vector: np.ndarray) -> np.ndarray:
        return self.matrix @ vector


class TorchArrays:
    """torch's operations on one device, under the same names as :class:`NumpyArrays`."""

    def __init__(self, device: torch.device) -> None:
        import torch

        self.torch = torch
        self.device = device
        self.LinAlgError: type[Exception] = torch.linalg.LinAlgError
        self.where = torch.where
        self.exp = torch.exp
        self.log = torch.log
        self.log2 = torch.log2
        self.sqrt = torch.sqrt
        self.abs = torch.abs
        self.isfinite = torch.isfinite
        self.concatenate = torch.cat
        self.stack = torch.stack
        self.permute = torch.permute
        self.einsum = torch.einsum
        self.cholesky = torch.linalg.cholesky
        self.inv = torch.linalg.inv
        self.solve = torch.linalg.solve
        self.eigh = torch.linalg.eigh

    def asarray(self, values: Any) -> torch.Tensor:
        return self.torch.as_tensor(values, dtype=self.torch.float64, device=self.device)

    @staticmethod
    def to_numpy(values: torch.Tensor) -> np.ndarray:
        return values.detach().cpu().numpy()

    def as_float(self, mask: torch.Tensor) -> torch.Tensor:
        return mask.to(self.torch.float64)

    @staticmethod
    def copy(values: torch.Tensor) -> torch.Tensor:
        return values.clone()

    @staticmethod
    def contiguous(values: torch.Tensor) -> torch.Tensor:
        return values.contiguous()

    def zeros(self, shape: int | tuple[int, ...]) -> torch.Tensor:
        return self.torch.zeros(shape, dtype=self.torch.float64, device=self.device)

    def full(self, shape: int | tuple[int, ...], value: float) -> torch.Tensor:
        return self.torch.full(
            (shape,) if isinstance(shape, int) else shape,
            value,
            dtype=self.torch.float64,
            device=self.device,
        )

    def eye(self, n: int) -> torch.Tensor:
        return self.torch.eye(n, dtype=self.torch.float64, device=self.device)

    def arange(self, n: int) -> torch.Tensor:
        return self.torch.arange(n, device=self.device)

    def maximum(self, a: torch.Tensor, b: torch.Tensor | float) -> torch.Tensor:
        return self.torch.clamp(a, min=b) if isinstance(b, float) else self.torch.maximum(a, b)

    def minimum(self, a: torch.Tensor, b: torch.Tensor | float) -> torch.Tensor:
        return self.torch.clamp(a, max=b) if isinstance(b, float) else self.torch.minimum(a, b)

    def amax(self, values: torch.Tensor, axis: int | tuple[int, ...]) -> torch.Tensor:
        return self.torch.amax(values, dim=axis)

    def nonzero(self, values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.torch.nonzero(values, as_tuple=True)

    def flatnonzero(self, values: torch.Tensor) -> torch.Tensor:
        return self.torch.nonzero(values.reshape(-1), as_tuple=True)[0]

    @staticmethod
    def ix_(rows: torch.Tensor, cols: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return rows[:, None], cols[None, :]

    def cho_solve(self, lower: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
        """``x`` with ``L L^T x = rhs``, for the lower Cholesky factor ``L``."""
        return self.torch.cholesky_solve(rhs[:, None], lower)[:, 0]

    def largest_indices(self, values: torch.Tensor, k: int) -> torch.Tensor:
        """Positions of the ``k`` largest entries along the last axis, largest first."""
        return self.torch.topk(values, k, dim=-1).indices

    def take_along_last(self, values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return self.torch.gather(values, -1, index)

    @staticmethod
    def take_rows(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return values.index_select(0, index)

    def scatter_sum(self, index: torch.Tensor, values: torch.Tensor, size: int) -> torch.Tensor:
        """``out[k] = sum of values[index == k]`` over ``size`` slots (1-D)."""
        return self.zeros(size).index_add_(0, index, values)

    @staticmethod
    def block_diagonal(free: torch.Tensor) -> WholeBlockDiagonal:
        """Block-diagonal matrices of ``n x k x k`` blocks on flat vectors of length ``n k``,
        kept whole: on a device one batched product beats gathering the ``free`` entries.
        They equal numpy's restricted ones on vectors that vanish outside ``free`` where no
        block mixes free and other cells, as the solver's do not."""
        return WholeBlockDiagonal()

    def sparse(
        self,
        rows: torch.Tensor,
        columns: torch.Tensor,
        values: torch.Tensor,
        shape: tuple[int, int],
    ) -> CompressedRows:
        """The ``shape`` matrix with ``values`` at distinct positions ``(rows, columns)``."""
        torch = self.torch
        index = torch.int32 if _index_type(max(*shape, len(values))) is np.int32 else torch.int64
        order = torch.argsort(rows, stable=True)
        starts = torch.zeros(shape[0] + 1, dtype=index, device=self.device)
        starts[1:] = torch.cumsum(torch.bincount(rows, minlength=shape[0]), 0)
        with warnings.catch_warnings():  # compressed rows are a beta feature of torch
            warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
            matrix = torch.sparse_csr_tensor(
                starts,
                columns[order].to(index),
                values[order],
                shape,
                check_invariants=False,
            )
        return CompressedRows(matrix)


class WholeBlockDiagonal:
    """Block-diagonal matrices kept whole (see :meth:`TorchArrays.block_diagonal`)."""

    @staticmethod
    def of(blocks: torch.Tensor) -> BatchedBlocks:
        """The matrix of ``blocks``."""
        return BatchedBlocks(blocks)


class BatchedBlocks:
    """A block-diagonal matrix as one batched product."""

    def __init__(self, blocks: torch.Tensor) -> None:
        self.blocks = blocks

    def times(self, vector: torch.Tensor) -> torch.Tensor:
        width = self.blocks.shape[-1]
        return (self.blocks @ vector.reshape(-1, width, 1)).reshape(-1)


class CompressedRows:
    """A sparse matrix (see :meth:`TorchArrays.sparse`) as torch's compressed rows."""

    def __init__(self, matrix: torch.Tensor) -> None:
        self.matrix = matrix

    def times(self, vector: torch.Tensor) -> torch.Tensor:
        return self.matrix @ vector


Arrays: TypeAlias = "NumpyArrays | TorchArrays"


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The ``torch.device`` for ``device``: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ...

    ``"auto"`` picks ``cuda`` when ``torch.cuda.is_available()`` and the CPU otherwise.
    Asking for CUDA where there is none is an error rather than a silent fall-back to the CPU.
    """
    import torch

    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device {device!r} is not a torch device; pass 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} asks for CUDA, which is not available here; "
            "pass device='auto' or 'cpu'."
        )
    return resolved


def namespace(device: Any = None) -> Arrays:
    """numpy's operations for ``device=None``, else torch's on :func:`resolve_device`."""
    if device is None:
        return NumpyArrays()
    return _torch_arrays(resolve_device(device))


@cache
def _torch_arrays(device: torch.device) -> TorchArrays:
    return TorchArrays(device)
