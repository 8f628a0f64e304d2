"""The classifiers of each modality in the posterior encoding: logistic, perceptron or auto.

``pid.decompose``'s default on features, with ``PosteriorOptions.modality_classifiers`` each
of ``logistic``, ``perceptron`` and ``auto`` (both fitted on each fold, the perceptron kept
where it predicts the fold's calibration samples better by more than two standard errors, Eq.
(2) of :mod:`pid.posterior`), on data of known PID:

- ``mixture``: the latent generative mixture of ``benchmarks/batch_large.py`` (all four
  interactions, two 256-dimensional tanh modalities; exact PID from
  :func:`pid.datasets.generative_pid`) at each of ``--samples``;
- ``bank``: the 24 recipes of the reference bank at its 3,000 samples (seed 0), against their
  construction (:func:`pid.models.reference.construction_pid`).

Printed: each run's terms, largest term error and seconds; for the bank, the largest and mean
of the datasets' largest errors and the mean absolute term error of each kind.

Run: ``OMP_NUM_THREADS=1 python benchmarks/modality_classifiers.py [--parts mixture bank]``
"""

from __future__ import annotations

import argparse
import statistics
import time

from _machine import describe

import pid
from pid.datasets import generative_mixture, generative_pid
from pid.models.reference import construction_pid, make_dataset, reference_recipes
from pid.result import TERMS

#: The mixture's weights of the four interactions (as in batch_large.py).
WEIGHTS = {"R": 1.0, "U1": 1.0, "U2": 0.5, "S": 1.0}
KINDS = ("logistic", "perceptron", "auto")


def run(x1, x2, y, kind: str, exact: dict[str, float]) -> tuple[dict[str, float], float, float]:
    """Terms, largest term error and seconds of the default with ``kind`` for each modality."""
    options = pid.PosteriorOptions(modality_classifiers=(kind, kind))
    start = time.perf_counter()
    terms = pid.decompose(x1, x2, y, posterior=options).terms()
    seconds = time.perf_counter() - start
    return terms, max(abs(terms[t] - exact[t]) for t in TERMS), seconds


def row(name: str, kind: str, terms: dict[str, float], error: float, seconds: float) -> str:
    values = ", ".join(f"{terms[t]:.3f}" for t in TERMS)
    return f"|{name}|{kind}|{values}|{error:.3f}|{seconds:.0f}|"


def mixture(samples: list[int], dim: int) -> None:
    exact = generative_pid(WEIGHTS, dim=dim).terms()
    print(f"\nmixture {WEIGHTS}, dim {dim}; exact " + ", ".join(f"{exact[t]:.3f}" for t in TERMS))
    print("|samples|classifiers|R, U1, U2, S|largest error|seconds|\n|---|---|---|---|---|")
    for n in samples:
        x1, x2, y = generative_mixture(WEIGHTS, n, dim=dim, seed=1)
        for kind in KINDS:
            print(row(f"{n:,}", kind, *run(x1, x2, y, kind, exact)), flush=True)


def bank(samples: int) -> None:
    print(f"\nreference recipes, {samples:,} samples (seed 0)")
    print("|dataset|classifiers|R, U1, U2, S|largest error|seconds|\n|---|---|---|---|---|")
    largest: dict[str, list[float]] = {kind: [] for kind in KINDS}
    absolute: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for recipe in reference_recipes():
        exact = construction_pid(recipe).terms()
        x1, x2, y = make_dataset(recipe, samples, seed=0)
        for kind in KINDS:
            terms, error, seconds = run(x1, x2, y, kind, exact)
            largest[kind].append(error)
            absolute[kind] += [abs(terms[t] - exact[t]) for t in TERMS]
            print(row(recipe["name"], kind, terms, error, seconds), flush=True)
    print("\n|classifiers|largest error|mean of the largest|mean absolute term error|")
    print("|---|---|---|---|")
    for kind in KINDS:
        print(
            f"|{kind}|{max(largest[kind]):.3f}|{statistics.mean(largest[kind]):.3f}|"
            f"{statistics.mean(absolute[kind]):.4f}|"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", nargs="+", default=["mixture", "bank"])
    parser.add_argument("--samples", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--bank-samples", type=int, default=3000)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    if "mixture" in args.parts:
        mixture(args.samples, args.dim)
    if "bank" in args.parts:
        bank(args.bank_samples)


if __name__ == "__main__":
    main()
