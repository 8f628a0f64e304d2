"""The newton solver with numpy and in torch on every device there is, side by side in one run.

Run: ``.venv/bin/python benchmarks/cvx_devices.py [--part many large] [--size 1000]``

- ``many``: 10,000 random 5x5x2 distributions through ``cvx_batch``, once per backend.
- ``large``: a dense random 200x200x10 distribution and one of ``size x size x 10``
  (``--size``, 1000 by default), once per backend that can hold it (a shape whose Newton
  systems need more than 4 GB on the CPU is refused there, with the reason).

Each row gives the time, its ratio to numpy's, the largest term difference from numpy's answer
(where numpy ran) and the largest certified gap. Devices: numpy, torch on the CPU, and CUDA when
``torch.cuda.is_available()``. The last line gives the run's peak resident memory, a bound on
the memory of every solve in it.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch
from _machine import describe

from pid import Distribution
from pid.estimators.exact import cvx_batch

PARTS = ("many", "large")


def _backends() -> list[str | None]:
    return [None, "cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _terms(results) -> np.ndarray:
    return np.array([[r.R, r.U1, r.U2, r.S] for r in results])


def _compare(label: str, dists: list[Distribution]) -> None:
    reference, reference_s = None, None
    for device in _backends():
        name = "numpy" if device is None else f"torch {device}"
        start = time.perf_counter()
        try:
            results = cvx_batch(dists, tol_bits=1e-7, device=device)
        except ValueError as err:
            print(f"| {label} | {name} | refused: {err} | | | |")
            continue
        if device == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        gap = max(r.diagnostics["gap_bits"] for r in results)
        if device is None:
            reference, reference_s = _terms(results), elapsed
        ratio, diff = "", ""
        if reference is not None:
            ratio = f"{elapsed / reference_s:.2f}"
            diff = f"{np.abs(_terms(results) - reference).max():.1e}"
        print(f"| {label} | {name} | {elapsed:.2f} | {ratio} | {diff} | {gap:.1e} |")


def many(rng: np.random.Generator) -> None:
    tables = rng.dirichlet(np.ones(50), size=10_000).reshape(10_000, 5, 5, 2)
    _compare("10,000 x 5x5x2 (batched)", [Distribution.from_table(t) for t in tables])


def large(rng: np.random.Generator, size: int) -> None:
    for n in (200, size):
        table = rng.dirichlet(np.ones(n * n * 10)).reshape(n, n, 10)
        _compare(f"dense {n}x{n}x10", [Distribution.from_table(table)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--size", type=int, default=1000, help="alphabet size (large)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    gpu = f"; GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "; no GPU"
    print(f"machine: {describe()}; torch {torch.__version__}{gpu}")
    print(
        "| problem | backend | time (s) | time / numpy's | largest term difference from "
        "numpy (bits) | largest gap (bits) |"
    )
    print("|---|---|---|---|---|---|")
    parts = {"many": lambda: many(rng), "large": lambda: large(rng, args.size)}
    for part in args.part:
        parts[part]()
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB (Linux)
    print(f"\npeak resident memory of the run: {peak_gb:.2f} GiB")


if __name__ == "__main__":
    main()
