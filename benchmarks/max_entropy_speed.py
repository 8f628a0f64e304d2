"""The maximum-entropy solver behind S_R: dual Newton against iterative proportional fitting.

Run: ``.venv/bin/python benchmarks/max_entropy_speed.py [--tol-bits 1e-9]``

Solves ``max_r H_r(X1, X2, Y)`` over joints with the three pairwise marginals of a random
distribution, with ``method="newton"`` and ``method="ipf"`` side by side in one run, on: a dense
20x20x5 distribution, a sparse one (5% of its cells nonzero), 50x50x5 with 3% of its cells
nonzero and 100x100x10 with 1%. Prints, per problem and method, the time, steps (Newton steps
after the IPF warm start, or IPF sweeps), certified gap and marginal residual; the time ratio
IPF / Newton; and the difference of the certified upper bounds (IPF minus Newton, in bits).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

from pid.bounds.max_entropy import MaxEntropyJoint, maximize_joint_entropy

#: (name, shape, fraction of the joint's cells that are nonzero)
PROBLEMS = [
    ("dense 20x20x5", (20, 20, 5), 1.0),
    ("sparse 20x20x5, 5% cells", (20, 20, 5), 0.05),
    ("50x50x5, 3% cells", (50, 50, 5), 0.03),
    ("100x100x10, 1% cells", (100, 100, 10), 0.01),
]


def random_marginals(
    shape: tuple[int, int, int], fraction: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise marginals of a joint drawn uniformly from the simplex of its nonzero cells."""
    rng = np.random.default_rng(seed)
    table = rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
    table *= rng.random(shape) < fraction
    table /= table.sum()
    return table.sum(axis=1), table.sum(axis=0), table.sum(axis=2)


def timed(marginals: tuple[np.ndarray, ...], method: str, tol_bits: float):
    start = time.perf_counter()
    fit = maximize_joint_entropy(*marginals, tol_bits=tol_bits, method=method)
    return fit, time.perf_counter() - start


def row(name: str, fit: MaxEntropyJoint, seconds: float) -> str:
    return (
        f"| {name} | {fit.method} | {seconds:.3f} | {fit.steps} | {fit.gap_bits:.1e} | "
        f"{fit.residual:.1e} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tol-bits", type=float, default=1e-9)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    timed(random_marginals((3, 3, 2), 1.0), "newton", args.tol_bits)  # imports, first calls
    print("| problem | method | time (s) | steps | gap (bits) | residual |")
    print("|---|---|---|---|---|---|")
    summary = []
    for name, shape, fraction in PROBLEMS:
        marginals = random_marginals(shape, fraction)
        newton, newton_s = timed(marginals, "newton", args.tol_bits)
        ipf, ipf_s = timed(marginals, "ipf", args.tol_bits)
        print(row(name, newton, newton_s))
        print(row(name, ipf, ipf_s))
        summary.append((name, ipf_s / newton_s, ipf.upper_bits - newton.upper_bits))
    print("\n| problem | IPF / Newton time | IPF upper - Newton upper (bits) |\n|---|---|---|")
    for name, ratio, difference in summary:
        print(f"| {name} | {ratio:.1f}x | {difference:.1e} |")


if __name__ == "__main__":
    main()
