"""The way in from samples: 20,000,000 integer codes against a plain ``np.bincount``.

Codes of 100 x 100 x 10 values (``y`` a noisy function of ``x1 + x2``), side by side in one
run, best of ``--repeats``: ``np.bincount`` of the flat codes (the floor of any counting),
``Distribution.from_samples``, one CVX solve of the table, ``pid.decompose`` without the
sampling correction and null model (``SamplingOptions(correction="none", n_null=0)``), and
``pid.decompose`` with its defaults (the bias correction draws the tables of its subsamples
and permutations from the sample's count table and solves each), once.

Run: ``python benchmarks/large_codes.py [--samples 20000000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.distribution import Distribution
from pid.estimators.exact import cvx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    rng = np.random.default_rng(0)
    n = args.samples
    x1, x2 = rng.integers(0, 100, n), rng.integers(0, 100, n)
    y = (x1 + x2 + rng.integers(0, 3, n)) % 10
    plain = pid.SamplingOptions(correction="none", n_null=0)
    best: dict[str, float] = {}

    def timed(name: str, run) -> object:
        start = time.perf_counter()
        out = run()
        best[name] = min(best.get(name, np.inf), time.perf_counter() - start)
        return out

    for _ in range(args.repeats):
        timed("np.bincount", lambda: np.bincount((x1 * 100 + x2) * 10 + y, minlength=100_000))
        table = timed("Distribution.from_samples", lambda: Distribution.from_samples(x1, x2, y))
        timed("one CVX solve", lambda table=table: cvx(table))
        timed("decompose, no correction", lambda: pid.decompose(x1, x2, y, sampling=plain))
    timed("decompose, defaults", lambda: pid.decompose(x1, x2, y))
    floor = best["np.bincount"]
    print(f"\n{n:,} codes of 100 x 100 x 10 values, best of {args.repeats} (defaults: once)\n")
    print("|step|seconds|over the bincount|")
    print("|---|---|---|")
    for name, seconds in best.items():
        print(f"|{name}|{seconds:.3f}|{seconds / floor:.1f}|")
    target = 3 * floor + best["one CVX solve"]
    print(f"\n3 bincounts plus the solve: {target:.3f} s")


if __name__ == "__main__":
    main()
