"""Validity and tightness of the synergy bounds on random joint distributions (thesis 6.4.1).

Run: ``.venv/bin/python benchmarks/bounds_validity.py [--scale 1.0] [--processes 2]``

Draws joints uniformly from the simplex (as the thesis does): 100,000 of shape 2x2x2, 10,000
of 3x3x3 and 1,000 of 5x5x3 at ``--scale 1``. For each, the exact synergy S of the full joint
is compared with S_R, S_U and S_upper computed from the pairwise marginals alone. Prints the
number of violations beyond 1e-9 bits and the mean gaps, next to the thesis's mean gaps
(0.18 bits for the lower bounds, 0.62 for the upper bound, on 2x2x2).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from _machine import describe

from pid import Distribution
from pid.bounds import PairwiseMarginals, synergy_bounds

CASES = [((2, 2, 2), 100_000), ((3, 3, 3), 10_000), ((5, 5, 3), 1_000)]
TOLERANCE = 1e-9


def bounds_and_synergy(shape: tuple[int, int, int], count: int, seed: int) -> np.ndarray:
    """Rows ``(S_R, S_U, S_upper, S)`` for ``count`` random joints."""
    rng = np.random.default_rng(seed)
    rows = np.empty((count, 4))
    for i in range(count):
        dist = Distribution.from_table(rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape))
        b = synergy_bounds(PairwiseMarginals.from_distribution(dist))
        # R + U1 + U2 = min over Delta_p of I_q(X1,X2;Y), so S needs no second solve.
        synergy = dist.mi_x1x2_y - (b.R + b.U1 + b.U2)
        rows[i] = (b.S_R, b.S_U, b.S_upper, synergy)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the counts")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    print(
        "| shape | joints | violations S_R / S_U / S_upper | mean gap S - S_R | "
        "mean gap S - S_U | mean gap S - max(S_R, S_U, 0) | mean gap S_upper - S | time (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for shape, full_count in CASES:
        count = max(int(full_count * args.scale), args.processes)
        chunks = np.array_split(np.arange(count), args.processes * 8)
        start = time.perf_counter()
        with ProcessPoolExecutor(args.processes) as pool:
            parts = pool.map(
                bounds_and_synergy,
                [shape] * len(chunks),
                [len(c) for c in chunks],
                range(len(chunks)),
            )
            rows = np.concatenate(list(parts))
        elapsed = time.perf_counter() - start
        s_r, s_u, s_upper, synergy = rows.T
        violations = [
            int(np.sum(s_r - synergy > TOLERANCE)),
            int(np.sum(s_u - synergy > TOLERANCE)),
            int(np.sum(synergy - s_upper > TOLERANCE)),
        ]
        best_lower = np.maximum(np.maximum(s_r, s_u), 0.0)
        print(
            f"| {'x'.join(map(str, shape))} | {count} | {' / '.join(map(str, violations))} | "
            f"{np.mean(synergy - s_r):.3f} | {np.mean(synergy - s_u):.3f} | "
            f"{np.mean(synergy - best_lower):.3f} | {np.mean(s_upper - synergy):.3f} | "
            f"{elapsed:.0f} |"
        )
    print("thesis (2x2x2): mean gap 0.18 for the lower bounds, 0.62 for the upper bound")


if __name__ == "__main__":
    main()
