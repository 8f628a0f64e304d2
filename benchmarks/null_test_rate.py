"""How often the label-permutation test calls a term informative where every term is zero.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/null_test_rate.py [--draws 1000]
[--samples 300]``

Each draw is ``--samples`` independent codes x1, x2 in {0, 1, 2} and y in {0, 1} (every PID
term is 0), decomposed by ``pid.decompose`` with its defaults (bias-corrected plug-in values,
20 label permutations). Printed per term: the share of draws in which the term stands out of
the permutations (``sampling["null"]["above_null"]``: its permutation p-value
``(1 + #{null >= v}) / (n_null + 1)`` is at most 0.05) and, beside it, the share in which it
exceeds the permutations' 95th percentile (``q95``), the rule the p-value replaced. A test at
level 0.05 should stand out in at most 5% of the draws.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.result import TERMS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    print(f"machine: {describe()}; {args.draws} draws of {args.samples} samples")
    start = time.perf_counter()
    p_value_rule, percentile_rule = [], []
    for draw in range(args.draws):
        rng = np.random.default_rng(draw)
        x1, x2 = rng.integers(0, 3, args.samples), rng.integers(0, 3, args.samples)
        y = rng.integers(0, 2, args.samples)
        result = pid.decompose(x1, x2, y, seed=draw)
        null = result.sampling["null"]
        terms = result.terms()
        p_value_rule.append([null["above_null"][t] for t in TERMS])
        percentile_rule.append([terms[t] > null["q95"][t] for t in TERMS])
    print("| rule | R | U1 | U2 | S | any of the four |")
    print("|---|---|---|---|---|---|")
    for name, flags in (("p-value <= 0.05", p_value_rule), ("value > q95", percentile_rule)):
        shares = np.mean(flags, axis=0)
        cells = " | ".join(f"{share:.3f}" for share in shares)
        print(f"| {name} | {cells} | {np.mean(np.any(flags, axis=1)):.3f} |")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
