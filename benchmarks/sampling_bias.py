"""Bias corrections of the PID of samples against exact answers, side by side in one run.

Run: ``.venv/bin/python benchmarks/sampling_bias.py [--sizes 1000 5000 20000] [--draws 10]``

Each exact table is sampled ``--draws`` times at each size; every correction of
:mod:`pid.sampling` is applied to the same samples. Printed per table and size: the mean
error of each term (its bias) and the root-mean-square error over the terms and draws, for
each correction; the exact PID is CVX on the table itself.

Tables: noisy latent bits (``pid.datasets.latent_bits_distribution``: one bit of each
interaction with 10% label noise; no redundancy, one bit unique to each modality, two
synergistic, 5% noise); a random 12x12x4 table (Dirichlet 0.3); a random 20x20x10 table
(Dirichlet 0.3, the size of the k-means codes of ``pid compute``); a 12x12x4 table with the
label independent of both modalities (every term 0).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.datasets import latent_bits_distribution
from pid.sampling import CORRECTIONS, SamplingOptions, sample_pid


def tables() -> dict[str, pid.Distribution]:
    """The exact tables, by name."""
    independent = np.einsum(
        "ij,k->ijk",
        np.random.default_rng(6).dirichlet(np.ones(144)).reshape(12, 12),
        np.full(4, 0.25),
    )
    return {
        "bits R U1 U2 S, 10% noise": latent_bits_distribution(flip=0.1),
        "bits U1 U2 2S, 5% noise": latent_bits_distribution(
            redundant=0, unique1=1, unique2=1, synergistic=2, flip=0.05
        ),
        "random 12x12x4": pid.Distribution.from_table(
            np.random.default_rng(5).dirichlet(np.full(576, 0.3)).reshape(12, 12, 4)
        ),
        "random 20x20x10": pid.Distribution.from_table(
            np.random.default_rng(1).dirichlet(np.full(4000, 0.3)).reshape(20, 20, 10)
        ),
        "independent 12x12x4": pid.Distribution.from_table(independent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--tables", nargs="+", help="names of tables to run (default: all)")
    args = parser.parse_args()
    print(f"machine: {describe()}; {args.draws} draws a size")
    print("| table | n | exact R, U1, U2, S | " + " | ".join(CORRECTIONS) + " |")
    print("|---|---|---|" + "---|" * len(CORRECTIONS))
    for name, dist in tables().items():
        if args.tables and name not in args.tables:
            continue
        exact = np.array(list(pid.estimate(dist).terms().values()))
        for n in args.sizes:
            errors = {c: [] for c in CORRECTIONS}
            start = time.perf_counter()
            for draw in range(args.draws):
                x1, x2, y = dist.sample(n, seed=1000 * n + draw)
                codes = [np.unique(v, return_inverse=True)[1] for v in (x1, x2, y)]
                for correction in CORRECTIONS:
                    sampled = sample_pid(
                        *codes, options=SamplingOptions(correction=correction), seed=draw
                    )
                    errors[correction].append(sampled.terms - exact)
            cells = []
            for correction in CORRECTIONS:
                e = np.array(errors[correction])
                bias = ", ".join(f"{v:+.3f}" for v in e.mean(axis=0))
                cells.append(f"{bias} (rms {np.sqrt(np.mean(e**2)):.3f})")
            exact_cell = ", ".join(f"{v:.3f}" for v in exact)
            print(f"| {name} | {n} | {exact_cell} | " + " | ".join(cells) + " |", flush=True)
            print(f"<!-- {time.perf_counter() - start:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
