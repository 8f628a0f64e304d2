"""Time of the three synergy bounds on one dense random distribution.

Run: ``.venv/bin/python benchmarks/bounds_speed.py [--shape 100x100x10]``

Splits ``synergy_bounds`` into its parts: the CVX solve for R, U1, U2 (the dedicated solver),
the certified maximum-entropy solve behind S_R, the disagreement bound S_U and the coupling
bound S_upper.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

from pid import Distribution, estimate
from pid.bounds import (
    PairwiseMarginals,
    coupling_entropy,
    disagreement_bound,
    maximize_joint_entropy,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", default="100x100x10")
    args = parser.parse_args()
    shape = tuple(int(n) for n in args.shape.split("x"))
    table = np.random.default_rng(0).dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
    marginals = PairwiseMarginals.from_distribution(Distribution.from_table(table))
    print(f"machine: {describe()}")
    timings = {}
    start = time.perf_counter()
    result = estimate(marginals.unimodal_distribution())
    timings["R, U1, U2 (CVX)"] = time.perf_counter() - start
    start = time.perf_counter()
    maximize_joint_entropy(marginals.p_x1_y, marginals.p_x2_y, marginals.p_x1_x2)
    timings["S_R (maximum entropy)"] = time.perf_counter() - start
    start = time.perf_counter()
    disagreement_bound(marginals, result.U1, result.U2)
    timings["S_U (disagreement)"] = time.perf_counter() - start
    start = time.perf_counter()
    coupling_entropy(marginals.p_x1_x2, marginals.p_y)
    timings["S_upper (coupling)"] = time.perf_counter() - start
    print(f"| part ({args.shape}) | time (s) |\n|---|---|")
    for part, seconds in timings.items():
        print(f"| {part} | {seconds:.2f} |")
    print(f"| all three bounds | {sum(timings.values()):.2f} |")


if __name__ == "__main__":
    main()
