"""Small tables: ``pid.estimate`` against the cvxpy formulation and BROJA_2PID, per size class.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/small_tables.py [--broja DIR]
[--tables 20] [--classes 2x2x2 3x3x3 ...] [--crossover]``

For each size class, ``--tables`` random tables (uniform on the simplex, seeded) are solved
by ``pid.estimate(dist)`` (the dedicated solver with its defaults: the compiled small-table
method up to ``NewtonOptions.small_multipliers`` multipliers, the path above), by the same
with the path only (``NewtonOptions(small_multipliers=0)``), by
``pid.estimate(dist, method="cvxpy")`` and, with ``--broja DIR`` (a directory holding
``BROJA_2PID.py`` of github.com/Abzinger/BROJA_2PID, which needs ``ecos``), by
``BROJA_2PID.pid``. Each call is timed whole (validation and result building included) on a
fresh :class:`pid.Distribution` (its cached marginals and informations are part of the call);
the methods take turns table by table, each table is timed ``--repeats`` times and its best
time kept, and a class's cell is the median over its tables, in milliseconds. The last
columns are the largest difference, in bits, of any of R, U1, U2, S between ``pid.estimate``
and each other method over the class (cvxpy is certified to 1e-5 bits by default,
``pid.estimate`` to 1e-7).

``--crossover`` times instead the small-table method (whatever its threshold) against the
path on larger classes (:data:`CROSSOVER`, 3 tables each, one run), around the default
threshold.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
import time
from collections.abc import Callable

import numpy as np
from _machine import describe

from pid import Distribution, estimate
from pid.estimators.exact import NewtonOptions

CLASSES = ("2x2x2", "3x3x3", "4x4x2", "8x8x4", "16x16x2", "30x30x5")
PATH_ONLY = NewtonOptions(small_multipliers=0)
SMALL_ONLY = NewtonOptions(small_multipliers=10**9)
CROSSOVER = (
    "40x40x3",
    "30x30x5",
    "50x50x4",
    "12x12x20",
    "25x25x10",
    "60x60x5",
    "40x40x8",
    "70x70x5",
    "20x20x20",
)


def _shape(name: str) -> tuple[int, int, int]:
    n1, n2, ny = (int(v) for v in name.split("x"))
    return n1, n2, ny


def _best_ms(call: Callable[[], np.ndarray], repeats: int) -> tuple[float, np.ndarray]:
    """The best wall-clock time of ``repeats`` calls, in ms, and the terms of the last."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        terms = call()
        best = min(best, time.perf_counter() - start)
    return best * 1e3, terms


def _pid_terms(table: np.ndarray, **options) -> np.ndarray:
    result = estimate(Distribution(table), **options)
    return np.array([result.R, result.U1, result.U2, result.S])


def _broja_terms(broja, table: np.ndarray) -> np.ndarray:
    """BROJA_2PID takes ``{(t, s1, s2): p}`` with the target first."""
    pdf = {(int(k), int(i), int(j)): float(table[i, j, k]) for i, j, k in np.ndindex(table.shape)}
    result = broja.pid(pdf, output=0)
    return np.array([result["SI"], result["UIY"], result["UIZ"], result["CI"]])


def run_class(name: str, tables: int, repeats: int, broja, rng: np.random.Generator) -> dict:
    """Median times (ms) of each method over the class, and the largest disagreement."""
    shape = _shape(name)
    methods: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "pid.estimate": lambda t: _pid_terms(t),
        "path": lambda t: _pid_terms(t, options=PATH_ONLY),
        "cvxpy": lambda t: _pid_terms(t, method="cvxpy"),
    }
    if broja is not None:
        methods["BROJA"] = lambda t: _broja_terms(broja, t)
    times: dict[str, list[float]] = {m: [] for m in methods}
    disagreement = dict.fromkeys(methods, 0.0)
    for _ in range(tables):
        table = rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
        terms = {}
        for method, solve in methods.items():
            elapsed, terms[method] = _best_ms(lambda: solve(table), repeats)  # noqa: B023
            times[method].append(elapsed)
        for method in methods:
            gap = float(np.abs(terms[method] - terms["pid.estimate"]).max())
            disagreement[method] = max(disagreement[method], gap)
    return {
        "cells": int(np.prod(shape)),
        "ms": {m: float(np.median(t)) for m, t in times.items()},
        "disagreement": disagreement,
    }


def crossover(names: tuple[str, ...], rng: np.random.Generator) -> None:
    """Median ms of the small-table method and of the path, 3 tables a class."""
    print("| class | multipliers | small-table method (ms) | path (ms) | path / small |")
    print("|" + "---|" * 5)
    for name in names:
        n1, n2, ny = _shape(name)
        times: dict[str, list[float]] = {"small": [], "path": []}
        for _ in range(3):
            table = rng.dirichlet(np.ones(n1 * n2 * ny)).reshape(n1, n2, ny)
            for method, options in (("small", SMALL_ONLY), ("path", PATH_ONLY)):
                call = lambda: _pid_terms(table, options=options)  # noqa: B023, E731
                times[method].append(_best_ms(call, 1)[0])
        small, path = (float(np.median(times[m])) for m in ("small", "path"))
        print(f"| {name} | {(n1 + n2 - 1) * ny} | {small:.1f} | {path:.1f} | {path / small:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broja", help="directory holding BROJA_2PID.py")
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--classes", nargs="+", default=list(CLASSES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crossover", action="store_true", help="the threshold's classes")
    args = parser.parse_args()
    broja = None
    if args.broja:
        sys.path.insert(0, args.broja)
        try:
            broja = importlib.import_module("BROJA_2PID")
        except ImportError as error:
            print(f"BROJA_2PID is not importable from {args.broja}: {error}")
    rng = np.random.default_rng(args.seed)
    warm = np.full((2, 2, 2), 0.125)  # imports and caches warmed up
    _pid_terms(warm)
    _pid_terms(warm, method="cvxpy")
    if broja is not None:
        _broja_terms(broja, warm)
    if args.crossover:
        print(f"{datetime.date.today()}; {describe()}; 3 tables a class, one run, median (ms)\n")
        crossover(CROSSOVER, rng)
        return
    print(
        f"{datetime.date.today()}; {describe()}; {args.tables} tables a class, best of "
        f"{args.repeats} runs, median over tables (ms)\n"
    )
    print(
        "| class | cells | pid.estimate (ms) | path only | cvxpy | BROJA | cvxpy / pid | "
        "BROJA / pid | path / pid | max difference from path, cvxpy, BROJA (bits) |"
    )
    print("|" + "---|" * 10)
    for name in args.classes:
        row = run_class(name, args.tables, args.repeats, broja, rng)
        ms, differences = row["ms"], row["disagreement"]
        fast = ms["pid.estimate"]
        cells = [f"{ms.get(m, np.nan):.2f}" for m in ("pid.estimate", "path", "cvxpy", "BROJA")]
        ratios = [f"{ms.get(m, np.nan) / fast:.1f}" for m in ("cvxpy", "BROJA", "path")]
        spread = ", ".join(f"{differences.get(m, np.nan):.1e}" for m in ("path", "cvxpy", "BROJA"))
        print(f"| {name} | {row['cells']} | " + " | ".join(cells + ratios) + f" | {spread} |")


if __name__ == "__main__":
    main()
