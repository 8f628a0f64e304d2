"""How much memory the dedicated solver needs, checked before any solve.

A shape whose Newton systems would not fit is refused with a sentence before any work is
done, and a batch of same-shaped problems is split into stacked solves that fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pid.estimators.exact.options import NewtonOptions
from pid.estimators.exact.systems import schur_fallback_fits, schur_numbers, solves_matrix_free
from pid.validation import check_table_size

if TYPE_CHECKING:
    import torch


def numbers_per_problem(shape: tuple[int, ...], options: NewtonOptions) -> int:
    """Working numbers of one Newton solve of an ``(n1, n2, ny)`` problem.

    An upper bound on the peak measured (tracemalloc) from 5x5x2 to 300x300x10. Matrix-free
    solves work on ``(n1, n2)`` arrays and the ``ny x ny`` diagonal blocks, and hold at most
    some seven ``(n1, n2, ny)`` arrays (measured 6.8 a cell), when the primal point is rounded
    for a certificate, plus the Schur systems they fall back on where those are small enough;
    the others hold the Schur systems (:func:`schur_numbers`), the ``(n1, n2, ny)`` arrays of
    the primal point, and for small systems the whole Hessian.
    """
    n1, n2, ny = shape
    pairs = n1 * n2 * ny
    if solves_matrix_free(shape, options):
        fallback = schur_numbers(shape) if schur_fallback_fits(shape, options) else 0
        return 12 * pairs + 4 * (n1 + n2) * ny * ny + fallback
    numbers = schur_numbers(shape) + 10 * pairs
    if (n1 + n2) * ny <= options.small_system:
        numbers += 4 * ((n1 + n2) * ny) ** 2
    return numbers


def capacity(device: torch.device | None, options: NewtonOptions) -> float:
    """Numbers one problem may hold: ``options.max_numbers`` on the CPU, a share
    (``options.cuda_memory_share``) of a CUDA device's memory there."""
    if device is None or device.type != "cuda":
        return options.max_numbers
    import torch

    return options.cuda_memory_share * torch.cuda.get_device_properties(device).total_memory / 8


def check_size(shape: tuple[int, ...], device: torch.device | None, options: NewtonOptions) -> None:
    """Refuse, before any solve, a shape whose Newton systems exceed :func:`capacity`,
    naming the variables whose alphabets are too large."""
    where = "" if device is None else f" on {device}"
    check_table_size(
        shape,
        numbers_per_problem(shape, options),
        capacity(device, options),
        f"the newton solver{where}",
    )


def chunks(
    indices: list[int],
    shape: tuple[int, ...],
    device: torch.device | None,
    options: NewtonOptions,
) -> list[list[int]]:
    """Split a group into stacked solves of at most ``options.cpu_chunk_numbers`` numbers on
    the CPU, of a quarter of the device's capacity on CUDA."""
    on_cuda = device is not None and device.type == "cuda"
    budget = capacity(device, options) / 4 if on_cuda else options.cpu_chunk_numbers
    size = max(1, int(budget // numbers_per_problem(shape, options)))
    return [indices[i : i + size] for i in range(0, len(indices), size)]
