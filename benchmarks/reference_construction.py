"""The reference bank's datasets measured against their construction.

Run: ``.venv/bin/python benchmarks/reference_construction.py [--samples 3000]``

Each dataset of :func:`pid.models.reference.reference_recipes` (the ten of thesis Table 3.2
and the mixtures) has a known PID: :func:`pid.datasets.generative_pid` of its recipe (200,000
draws, 64 bins). Side by side on the same ``--samples`` samples (seed 0, as the bank draws
them): the default of ``pid.decompose`` (posterior encoding, bias-corrected) as the packaged
bank stores it and as this code computes it (the same unless the estimator changed since the
bank was built), and the bank's k-means plug-in figures (as the zoo measures models). Printed per
dataset: the exact terms, each estimate's terms, its largest term error and whether it is
within 0.1 bits or 10% of the exact I(X1,X2;Y), the target of the bank.
"""

from __future__ import annotations

import argparse
import time

from _machine import describe

import pid
from pid.models.reference import construction_pid, make_dataset, reference_recipes
from pid.result import TERMS
from pid.selection import load_reference


def verdict(terms: dict[str, float], exact: pid.PIDResult) -> tuple[float, str]:
    """The largest term error, and whether it is within 0.1 bits or 10% of I."""
    error = max(abs(terms[t] - exact.terms()[t]) for t in TERMS)
    allowed = max(0.1, 0.1 * exact.mi_x1x2_y)
    return error, "pass" if error <= allowed else "miss"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args()
    bank = {entry["name"]: entry for entry in load_reference()["datasets"]}
    print(f"machine: {describe()}; {args.samples} samples a dataset")
    print(
        "| dataset | exact R, U1, U2, S (I) | bank: default as stored | default now "
        "| bank: k-means plug-in | time (s) |"
    )
    print("|---|---|---|---|---|---|")
    passes = {"stored": 0, "default": 0, "k-means": 0}
    recipes = reference_recipes()
    for recipe in recipes:
        start = time.perf_counter()
        exact = construction_pid(recipe)
        entry = bank[f"{recipe['name']} (seed 0)"]
        result = pid.decompose(*make_dataset(recipe, args.samples, seed=0))
        estimates = {
            "stored": entry["pid"],
            "default": result.terms(),
            "k-means": entry["zoo_codes_pid"],
        }
        cells = []
        for name, terms in estimates.items():
            error, passed = verdict(terms, exact)
            passes[name] += passed == "pass"
            values = ", ".join(f"{terms[t]:.3f}" for t in TERMS)
            cells.append(f"{values}; {error:.3f} {passed}")
        truth = ", ".join(f"{exact.terms()[t]:.3f}" for t in TERMS)
        seconds = time.perf_counter() - start
        print(
            f"| {recipe['name']} | {truth} ({exact.mi_x1x2_y:.3f}) | {' | '.join(cells)} "
            f"| {seconds:.0f} |",
            flush=True,
        )
    print(
        "\nwithin 0.1 bits or 10% of I, of "
        f"{len(recipes)}: " + ", ".join(f"{name} {count}" for name, count in passes.items())
    )


if __name__ == "__main__":
    main()
