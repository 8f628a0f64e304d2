"""Solve time of the CVX estimator (cvxpy + Clarabel) on dense random distributions.

Run: ``.venv/bin/python benchmarks/cvx_scaling.py [--sizes 10x10x2 20x20x5 ...]``
"""

from __future__ import annotations

import argparse
import time

import cvxpy
import numpy as np
from _machine import describe

import pid

DEFAULT_SIZES = ["5x5x2", "10x10x2", "20x20x5", "30x30x5", "50x50x10"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"machine: {describe()}; cvxpy {cvxpy.__version__}")
    print("| size | variables | time (s) | max marginal residual |")
    print("|---|---|---|---|")
    for size in args.sizes:
        shape = tuple(int(n) for n in size.split("x"))
        table = rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
        start = time.perf_counter()
        result = pid.estimate(pid.Distribution.from_table(table))
        wall = time.perf_counter() - start
        d = result.diagnostics
        print(f"| {size} | {d['n_variables']} | {wall:.2f} | {d['max_marginal_residual']:.1e} |")


if __name__ == "__main__":
    main()
