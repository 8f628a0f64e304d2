"""Accuracy of BATCH against exact answers: thesis Table 3.1 gates and CVX on discrete data.

Prints each term's error in bits. The gates use each input pair equally often, as integer
codes (empirical posteriors) and as float features (the cross-fitted posteriors of
:mod:`pid.posterior`). The discrete data has ``k`` codes per modality built from a shared
part ``r`` and private parts ``a, b``, with ``y = (r mod 2, a + b mod 2)`` and 10% of the
labels redrawn; it is compared with CVX's plug-in PID of the same samples (BATCH is given the
empirical posteriors, so both target the same Delta_p; neither is corrected for sampling bias).

Run: ``python benchmarks/batch_accuracy.py [--codes 20 30 40 50] [--steps 300]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.datasets import canonical
from pid.estimators import BatchConfig, batch
from pid.estimators.neural import empirical_posteriors

PLUGIN = pid.SamplingOptions(correction="none", n_null=0)


def gate(name: str, repeats: int = 128):
    x1 = np.repeat([0, 0, 1, 1], repeats)
    x2 = np.repeat([0, 1, 0, 1], repeats)
    return x1, x2, {"and": x1 & x2, "or": x1 | x2, "xor": x1 ^ x2}[name]


def shared_and_parity(codes: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_shared = {20: 4, 30: 5, 50: 5}.get(codes, 5)
    r = rng.integers(0, n_shared, n)
    a, b = rng.integers(0, codes // n_shared, n), rng.integers(0, codes // n_shared, n)
    y = 2 * (r % 2) + (a + b) % 2
    y = np.where(rng.random(n) < 0.1, rng.integers(0, 4, n), y)
    return codes // n_shared * r + a, codes // n_shared * b + r, y


def row(name: str, result: pid.PIDResult, exact: pid.PIDResult, seconds: float) -> str:
    errors = [result.terms()[k] - exact.terms()[k] for k in ("R", "U1", "U2", "S")]
    cells = " | ".join(f"{e:+.4f}" for e in errors)
    return f"| {name} | {cells} | {max(map(abs, errors)):.4f} | {seconds:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--codes", type=int, nargs="+", default=[20, 30, 40, 50])
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    config = BatchConfig(steps=args.steps, batch_size=args.batch_size)
    print(f"machine: {describe()}; steps {args.steps}, batch size {args.batch_size}")
    print("| data | R error | U1 error | U2 error | S error | max | BATCH time (s) |")
    print("|---|---|---|---|---|---|---|")
    for name in ("and", "or", "xor"):
        x1, x2, y = gate(name)
        exact = pid.estimate(canonical(name))
        # Integer codes use the empirical posteriors; the same inputs as floats are read as
        # features, whose posteriors are cross-fitted.
        for label, inputs in (
            ("exact posteriors", (x1, x2)),
            ("cross-fitted posteriors", (x1.astype(float), x2.astype(float))),
        ):
            start = time.perf_counter()
            result = batch(*inputs, y, config=config)
            print(row(f"{name.upper()}, {label}", result, exact, time.perf_counter() - start))
    for codes in args.codes:
        x1, x2, y = shared_and_parity(codes, args.samples)
        exact = pid.decompose(x1, x2, y, sampling=PLUGIN)
        start = time.perf_counter()
        result = batch(x1, x2, y, posteriors=empirical_posteriors(x1, x2, y), config=config)
        shape = f"{len(np.unique(x1))}x{len(np.unique(x2))}x4"
        print(row(f"{shape}, n={args.samples} vs CVX", result, exact, time.perf_counter() - start))


if __name__ == "__main__":
    main()
