"""InfoNCE lower and NCE-CLUB upper bounds on Gaussians of known information (Figure 4.3).

For each true mutual information, ``pid.factorcl.correlated_gaussians`` draws ``--samples``
pairs in ``R^dim``; ``pid.factorcl.mi_bounds`` trains one separable critic by InfoNCE on 80%
of them and evaluates ``I_NCE`` and ``I_NCE-CLUB`` on the held-out 20%. Prints both bounds,
whether ``I_NCE <= I <= I_NCE-CLUB`` holds, and the seconds taken. For comparison it prints
the value NCE-CLUB takes with the optimal critic ``log p(x1 | x2)``, in closed form for these
Gaussians: ``dim rho^2 / (1 - rho^2)`` (CLUB's own gap above ``I`` is not the estimator's).

Run: ``python benchmarks/factorcl_gaussian_bounds.py [--dim 20] [--steps 2000]``
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from _machine import describe

from pid.factorcl import correlated_gaussians, mi_bounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dim", type=int, default=20)
    parser.add_argument("--mi", type=float, nargs="+", default=[2.0, 4.0, 6.0, 8.0, 10.0])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {describe()}; torch {torch.__version__}, 1 thread, CPU")
    print(
        f"dim={args.dim}, {args.samples} samples (80% train / 20% eval), {args.steps} Adam "
        f"steps, batch {args.batch_size} (log batch = {torch.tensor(args.batch_size).log():.3f} "
        f"nats), seeds 0..{args.seeds - 1}\n"
    )
    header = (
        "| true I (nats) | seed | I_NCE | I_NCE-CLUB | optimal critic's CLUB | bracket | seconds |"
    )
    print(header)
    print("|---|---|---|---|---|---|---|")
    for mi in args.mi:
        rho2 = 1.0 - math.exp(-2.0 * mi / args.dim)
        optimal = args.dim * rho2 / (1.0 - rho2)
        for seed in range(args.seeds):
            start = time.perf_counter()
            x1, x2 = correlated_gaussians(args.samples, args.dim, mi, seed=seed)
            bounds = mi_bounds(
                x1, x2, steps=args.steps, batch_size=args.batch_size, seed=seed, device="cpu"
            )
            lower, upper = bounds["infonce"], bounds["nce_club"]
            holds = "yes" if lower <= mi <= upper else "NO"
            elapsed = time.perf_counter() - start
            print(
                f"| {mi:.0f} | {seed} | {lower:.3f} | {upper:.3f} | {optimal:.3f} | {holds} "
                f"| {elapsed:.1f} |"
            )


if __name__ == "__main__":
    main()
