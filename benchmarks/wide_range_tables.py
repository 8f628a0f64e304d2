"""How often the dedicated solver certifies tables whose entries span many orders of magnitude.

Run: ``.venv/bin/python benchmarks/wide_range_tables.py [--orders 30] [--tables 3000] [--seed 7]``

Each table has 2 to 5 values per variable and entries ``10^-u`` with ``u`` uniform on
``[0, orders]``, half of them with some 40% of the entries zeroed. Counts the tables the path
certifies, those the conic program answers in its place (``diagnostics["algorithm"]``), and
those neither certifies within the default ``tol_bits`` (SolverError).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
from _machine import describe

from pid import Distribution, SolverError, estimate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=float, default=30.0)
    parser.add_argument("--tables", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    outcomes: Counter[str] = Counter()
    largest_gap, drawn = 0.0, 0
    start = time.perf_counter()
    while drawn < args.tables:
        shape = tuple(int(n) for n in rng.integers(2, 6, 3))
        table = 10.0 ** -rng.uniform(0, args.orders, shape)
        if rng.random() < 0.5:
            table = table * (rng.random(shape) < 0.6)
        if table.sum() == 0:
            continue
        drawn += 1
        try:
            result = estimate(Distribution.from_counts(table))
        except SolverError:
            outcomes["SolverError"] += 1
            continue
        outcomes[result.diagnostics["algorithm"]] += 1
        largest_gap = max(largest_gap, result.diagnostics["gap_bits"])
    print(f"machine: {describe()}")
    print(f"{drawn} tables, entries 1e-{args.orders:g} to 1, seed {args.seed}")
    print("| outcome | tables |")
    print("|---|---|")
    for outcome, count in sorted(outcomes.items()):
        print(f"| {outcome} | {count} |")
    print(f"largest certified gap {largest_gap:.2e} bits; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
