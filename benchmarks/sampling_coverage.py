"""Coverage of the 95% intervals: how often they hold the exact PID over independent draws.

Run: ``.venv/bin/python benchmarks/sampling_coverage.py [--draws 100] [--resamples 100]
[--datasets NAME ...] [--recipes] [--recipe-seeds 0 1] [--classifiers logistic auto]``

Each dataset of known PID is drawn ``--draws`` times independently and decomposed by the
default of ``pid.decompose`` with ``--resamples`` resamples for the intervals (about the
corrected terms). Printed per term: the share of draws whose interval holds the exact
value, the mean interval width and the mean error; a dataset passes when every term's
coverage is at least 90%.

Datasets: noisy latent bits (one bit of each interaction, 10% label noise; integer codes,
5,000 samples), a noisy XOR (synergy only, R = U1 = U2 = 0 at the edge of their range; codes,
1,000 samples), a random 12x12x4 table (Dirichlet 0.3; codes, 5,000 samples) and 3,000
samples of the latent generative dataset ``U2`` (features through the posterior encoding;
exact PID by ``generative_pid``).

``--recipes`` measures instead the 24 recipes of the reference bank at its 3,000 samples
(features through the posterior encoding, exact PID by their construction), one draw of each
recipe per ``--recipe-seeds`` value, pooled into one row per ``--classifiers`` choice of
``PosteriorOptions.modality_classifiers``; a line names each missed term and its error.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.datasets import generative, generative_pid, latent_bits_distribution
from pid.models.reference import construction_pid, make_dataset, reference_recipes
from pid.result import TERMS


def datasets():
    """``(draw(seed) -> samples, exact PID)`` by name."""
    bits = latent_bits_distribution(flip=0.1)
    xor = latent_bits_distribution(redundant=0, unique1=0, unique2=0, flip=0.1)
    table = pid.Distribution.from_table(
        np.random.default_rng(5).dirichlet(np.full(576, 0.3)).reshape(12, 12, 4)
    )
    return {
        "latent bits, 10% noise, 5,000": (lambda seed: bits.sample(5000, seed), pid.estimate(bits)),
        "XOR, 10% noise, 1,000": (lambda seed: xor.sample(1000, seed), pid.estimate(xor)),
        "random 12x12x4, 5,000": (lambda seed: table.sample(5000, seed), pid.estimate(table)),
        "generative U2, 3,000": (
            lambda seed: generative("U2", 3000, seed=seed),
            generative_pid("U2"),
        ),
    }


def row(name: str, hits: list, widths: list, errors: list, seconds: float) -> str:
    """A table row: coverage, mean width and mean error of each term, and whether it passes."""
    coverage = np.mean(hits, axis=0)
    cells = [
        ", ".join(f"{v:.0%}" for v in coverage),
        ", ".join(f"{v:.3f}" for v in np.mean(widths, axis=0)),
        ", ".join(f"{v:+.3f}" for v in np.mean(errors, axis=0)),
    ]
    passed = "pass" if coverage.min() >= 0.9 else "miss"
    return f"| {name} | " + " | ".join(cells) + f" | {passed} | {seconds:.0f} |"


def check(result: pid.PIDResult, truth: np.ndarray, hits: list, widths: list, errors: list) -> None:
    """Record whether each term's interval holds ``truth``, its width and its error."""
    intervals = np.array([result.sampling["intervals"][t] for t in TERMS])
    hits.append((intervals[:, 0] <= truth) & (truth <= intervals[:, 1]))
    widths.append(intervals[:, 1] - intervals[:, 0])
    errors.append(np.array([result.terms()[t] for t in TERMS]) - truth)


def recipes(seeds: list[int], classifiers: str, sampling: pid.SamplingOptions) -> None:
    """One pooled row over the reference recipes, each drawn once per seed, and the misses."""
    start = time.perf_counter()
    posterior = pid.PosteriorOptions(modality_classifiers=(classifiers, classifiers))
    hits: list = []
    widths: list = []
    errors: list = []
    misses = []
    for recipe in reference_recipes():
        truth = np.array([construction_pid(recipe).terms()[t] for t in TERMS])
        for seed in seeds:
            x1, x2, y = make_dataset(recipe, 3000, seed=seed)
            result = pid.decompose(x1, x2, y, posterior=posterior, sampling=sampling)
            check(result, truth, hits, widths, errors)
            misses += [
                f"{recipe['name']} (seed {seed}) {t} {errors[-1][k]:+.3f}"
                for k, t in enumerate(TERMS)
                if not hits[-1][k]
            ]
    name = f"{len(hits)} recipe draws, 3,000, {classifiers}"
    print(row(name, hits, widths, errors, time.perf_counter() - start), flush=True)
    print("missed: " + "; ".join(misses), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--resamples", type=int, default=100)
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--recipes", action="store_true")
    parser.add_argument("--recipe-seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--classifiers", nargs="+", default=["logistic"])
    args = parser.parse_args()
    sampling = pid.SamplingOptions(n_bootstrap=args.resamples)
    draws = f"seeds {args.recipe_seeds} of each recipe" if args.recipes else f"{args.draws} draws"
    print(f"machine: {describe()}; {draws}, {args.resamples} resamples each")
    print("| dataset | coverage R, U1, U2, S | mean width | mean error | pass | time (s) |")
    print("|---|---|---|---|---|---|")
    if args.recipes:
        for classifiers in args.classifiers:
            recipes(args.recipe_seeds, classifiers, sampling)
        return
    for name, (draw, exact) in datasets().items():
        if args.datasets and name not in args.datasets:
            continue
        start = time.perf_counter()
        truth = np.array([exact.terms()[t] for t in TERMS])
        hits: list = []
        widths: list = []
        errors: list = []
        for seed in range(args.draws):
            check(
                pid.decompose(*draw(1000 + seed), sampling=sampling, seed=seed),
                truth,
                hits,
                widths,
                errors,
            )
        print(row(name, hits, widths, errors, time.perf_counter() - start), flush=True)


if __name__ == "__main__":
    main()
