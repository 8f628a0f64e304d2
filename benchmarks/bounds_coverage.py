"""Synergy bounds from finite sample sets: do their intervals hold the true synergy, and are
their conclusions right?

Run: ``.venv/bin/python benchmarks/bounds_coverage.py [--joints 50] [--resamples 100]``

Each of ``--joints`` joint distributions of known PID (half random tables, Dirichlet 0.3,
3 to 6 values of x1 and x2 and 2 to 4 labels; half noisy latent bits, a random subset of
redundancy, uniqueness and XOR synergy with 2 to 20% label noise, mixed with a random table of
weight 0 to 0.3) gives three independent sample sets of 1,000, 2,000 or 5,000 samples each
(labeled x1, labeled x2, unlabeled pairs), bounded by :func:`pid.bounds.resampling.
resample_bounds`. Printed: how often the 95% interval of synergy holds the exact synergy
(target: 90%), how often each figure's interval holds the figure of the population's
marginals, and the conclusions of the guidance about which term is largest and whether fusion
pays off, right and wrong against the exact PID, beside those the plug-in bounds without
intervals would state.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.bounds import PairwiseMarginals, synergy_bounds
from pid.bounds.resampling import FIGURES, BoundsResampling, resample_bounds
from pid.datasets import latent_bits_distribution
from pid.report.build import guidance

SIZES = (1000, 2000, 5000)


def joint(k: int, rng: np.random.Generator) -> pid.Distribution:
    """The ``k``-th joint: a random table for even ``k``, noisy latent bits for odd."""
    if k % 2 == 0:
        shape = (rng.integers(3, 7), rng.integers(3, 7), rng.integers(2, 5))
        table = rng.dirichlet(np.full(int(np.prod(shape)), 0.3)).reshape(shape)
        return pid.Distribution.from_table(table)
    while True:
        counts = rng.integers(0, 2, 4)
        if counts.any():
            break
    bits = latent_bits_distribution(
        redundant=int(counts[0]),
        unique1=int(counts[1]),
        unique2=int(counts[2]),
        synergistic=int(counts[3]),
        flip=float(rng.uniform(0.02, 0.2)),
    )
    weight = rng.uniform(0.0, 0.3)
    noise = rng.dirichlet(np.full(bits.table.size, 0.3)).reshape(bits.table.shape)
    return pid.Distribution.from_table((1 - weight) * bits.table + weight * noise)


def three_sets(dist: pid.Distribution, n: int, seed: int):
    first, second, third = (dist.sample(n, seed + k) for k in range(3))
    return (first[0], first[2]), (second[1], second[2]), (third[0], third[1])


#: The opening of each conclusion of the guidance, by the verdict it states.
OPENINGS = {
    "S": "Synergy is the largest",
    "not S": "Synergy is not the largest",
    "yes": "Complex fusion is worth trying",
    "no": "Complex fusion is unlikely",
}


def verdicts(sentences: list[str]) -> tuple[str, str]:
    """Which term is largest (``"S"``, ``"not S"`` or ``""``) and whether fusion pays off
    (``"yes"``, ``"no"`` or ``""``), as the guidance states them."""

    def stated(sentence: str, choices: tuple[str, str]) -> str:
        return next((c for c in choices if sentence.startswith(OPENINGS[c])), "")

    return stated(sentences[0], ("S", "not S")), stated(sentences[2], ("yes", "no"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--joints", type=int, default=50)
    parser.add_argument("--resamples", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"machine: {describe()}; {args.joints} joints, {args.resamples} resamples of each set")
    start = time.perf_counter()
    holds_s, holds_population = [], []
    claims = {"intervals": {"right": 0, "wrong": 0}, "plug-in": {"right": 0, "wrong": 0}}
    for k in range(args.joints):
        dist = joint(k, rng)
        exact = pid.estimate(dist)
        population = synergy_bounds(PairwiseMarginals.from_distribution(dist))
        truth = np.array([population.R, population.U1, population.U2])
        truth = np.append(truth, [population.lower, population.upper])
        sets = three_sets(dist, SIZES[k % len(SIZES)], 1000 * k)
        options = BoundsResampling(n_bootstrap=args.resamples, seed=k)
        resampled = resample_bounds(*sets, options=options)
        low, high = resampled.interval("S")
        holds_s.append(low <= exact.S <= high)
        holds_population.append(
            (resampled.intervals[:, 0] <= truth) & (truth <= resampled.intervals[:, 1])
        )
        largest_is_s = exact.S > max(exact.R, exact.U1, exact.U2)
        for name, sentences in (
            ("intervals", guidance(resampled.bounds, (0.0, 1.0), resampled)),
            ("plug-in", guidance(resampled.bounds, (0.0, 1.0))),
        ):
            largest, fusion = verdicts(sentences)
            if largest:
                right = largest_is_s == (largest == "S")
                claims[name]["right" if right else "wrong"] += 1
            if fusion:
                stated = sentences[2].split(" bits")[0].rsplit(" ", 1)[-1]
                right = exact.S >= float(stated) if fusion == "yes" else exact.S <= float(stated)
                claims[name]["right" if right else "wrong"] += 1
    seconds = time.perf_counter() - start
    coverage = np.mean(holds_population, axis=0)
    print("| figure | intervals holding it |")
    print("|---|---|")
    print(f"| exact synergy (interval of S) | {np.mean(holds_s):.0%} |")
    for name, share in zip(FIGURES, coverage, strict=True):
        print(f"| {name} of the population's marginals | {share:.0%} |")
    print()
    print("| conclusions (largest term, fusion) | right | wrong |")
    print("|---|---|---|")
    for name, counts in claims.items():
        print(f"| {name} | {counts['right']} | {counts['wrong']} |")
    print(f"\n{seconds:.0f} s")


if __name__ == "__main__":
    main()
