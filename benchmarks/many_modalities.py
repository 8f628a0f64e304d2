"""Five modalities of known pairwise structure, complete and with missing samples.

Run: ``.venv/bin/python benchmarks/many_modalities.py [--samples 4000] [--resamples 30]
[--masks 1]``

The data is :func:`pid.datasets.many.five_modalities` (widths 8 to 512; x1, x2, x3 redundant
about one bit, x3 and x4 a 2-bit XOR, x5 noise), whose exact pairwise PID is
:func:`~pid.datasets.many.five_modalities_pid`. Three runs of :func:`pid.decompose_many` with
the default settings (posterior encoding, quadratic-shuffle correction, 20 label
permutations):

1. complete data, with ``--resamples`` resamples for the intervals: each pair's dominant term
   against the constructed one, and the plain-words summary;
2. 30% of each modality missing at random (independently): each pair's terms against the
   complete data's intervals; with ``--masks K``, K such masks, and per term the share inside
   and the mean and spread of (missing - complete) over the pairs and masks;
3. x3 and x4 never observed together (each present on its own half of the samples), the
   others 30% missing: the bounds of (x3, x4) against its exact synergy of 2 bits.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.datasets.many import FIVE_MODALITIES_STRUCTURE, five_modalities, five_modalities_pid
from pid.result import TERMS
from pid.sweep import SweepOptions

#: Share of each modality missing at random in runs 2 and 3.
MISSING = 0.3


def _terms(result: pid.PIDResult) -> str:
    return ", ".join(f"{getattr(result, t):.3f}" for t in TERMS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--resamples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--masks", type=int, default=1, help="missing-data masks in run 2")
    args = parser.parse_args()
    features, y = five_modalities(args.samples, seed=args.seed)
    exact = five_modalities_pid()
    names = list(features)
    print(f"machine: {describe()}; {args.samples} samples, seed {args.seed}\n")

    started = time.perf_counter()
    sampling = pid.SamplingOptions(n_bootstrap=args.resamples)
    complete = pid.decompose_many(
        features, y, sampling=sampling, sweep=SweepOptions(n_jobs=args.jobs)
    )
    seconds = time.perf_counter() - started
    print(f"## 1. Complete data ({args.resamples} resamples; {seconds:.0f} s)\n")
    print("| pair | exact R, U1, U2, S | estimate R, U1, U2, S | constructed | found | match |")
    print("|---|---|---|---|---|---|")
    matches = 0
    for pair, (term, _) in FIVE_MODALITIES_STRUCTURE.items():
        found = complete.dominant(*pair)
        matches += found == term
        print(
            f"| {pair[0]} + {pair[1]} | {_terms(exact[pair])} | {_terms(complete.pairs[pair])} "
            f"| {term or 'none'} | {found or 'none'} | {'yes' if found == term else 'NO'} |"
        )
    for name in names:
        rest = complete.rest[name]
        print(f"| {name} + rest | {_terms(exact[(name, 'rest')])} | {_terms(rest)} | | | |")
    print(f"\n{matches} of {len(FIVE_MODALITIES_STRUCTURE)} pairs' dominant term as constructed.")
    print("\nSummary:\n")
    print("\n".join(f"- {line}" for line in complete.summary()))

    rng = np.random.default_rng(args.seed + 1)
    mask = {name: rng.random(len(y)) >= MISSING for name in names}
    started = time.perf_counter()
    gaps = pid.decompose_many(features, y, mask=mask, sweep=SweepOptions(n_jobs=args.jobs))
    seconds = time.perf_counter() - started
    print(f"\n## 2. {MISSING:.0%} of each modality missing at random ({seconds:.0f} s)\n")
    print("| pair | samples | estimate R, U1, U2, S | complete-data interval of each | inside |")
    print("|---|---|---|---|---|")
    inside_all = 0
    for pair, result in gaps.pairs.items():
        intervals = complete.pairs[pair].sampling["intervals"]
        inside = [intervals[t][0] <= getattr(result, t) <= intervals[t][1] for t in TERMS]
        inside_all += all(inside)
        spans = "; ".join(f"[{intervals[t][0]:.3f}, {intervals[t][1]:.3f}]" for t in TERMS)
        print(
            f"| {pair[0]} + {pair[1]} | {gaps.count(*pair)} | {_terms(result)} | {spans} "
            f"| {sum(inside)} of 4 |"
        )
    print(f"\n{inside_all} of {len(gaps.pairs)} pairs with all four terms inside.")
    if args.masks > 1:
        _coverage(features, y, complete, gaps, args)

    halves = rng.random(len(y)) < 0.5
    apart = {**mask, "x3": halves, "x4": ~halves}
    started = time.perf_counter()
    never = pid.decompose_many(features, y, mask=apart, sweep=SweepOptions(n_jobs=args.jobs))
    seconds = time.perf_counter() - started
    bound = never.bounds[("x3", "x4")]
    low, high = bound.synergy_range
    truth = exact[("x3", "x4")]
    print(f"\n## 3. x3 and x4 never observed together ({seconds:.0f} s)\n")
    print("| figure | exact | from the labeled samples (bias-corrected) | 95% interval |")
    print("|---|---|---|---|")
    for name, value in (("R", truth.R), ("U1", truth.U1), ("U2", truth.U2)):
        span = bound.sampling["intervals"][name]
        print(
            f"| {name} | {value:.3f} | {getattr(bound, name):.3f} "
            f"| [{span[0]:.3f}, {span[1]:.3f}] |"
        )
    print(f"| S | {truth.S:.3f} | in [0, {bound.upper:.3f}] | [{low:.3f}, {high:.3f}] |")
    print(f"\nTrue synergy inside the bounds: {'yes' if low <= truth.S <= high else 'NO'}.")
    codes = {
        name: setting.get("n_codes") for name, setting in never.provenance["bounds_coding"].items()
    }
    print(f"Codes of the bounded modalities (k-means): {codes}.")
    others = sum(
        all(
            complete.pairs[pair].sampling["intervals"][t][0]
            <= getattr(result, t)
            <= complete.pairs[pair].sampling["intervals"][t][1]
            for t in TERMS
        )
        for pair, result in never.pairs.items()
    )
    print(
        f"Other pairs with all four terms inside the complete data's intervals: {others} of "
        f"{len(never.pairs)}."
    )
    print("\nSummary:\n")
    print("\n".join(f"- {line}" for line in never.summary()))


def _coverage(
    features: dict[str, np.ndarray],
    y: np.ndarray,
    complete: pid.ManyResult,
    first: pid.ManyResult,
    args: argparse.Namespace,
) -> None:
    """Run 2 over ``args.masks`` masks (the first one above): per term, how many of the pairs'
    estimates lie inside the complete data's intervals, and (missing - complete)."""
    runs = [first]
    started = time.perf_counter()
    for k in range(1, args.masks):
        rng = np.random.default_rng([args.seed, 2, k])
        mask = {name: rng.random(len(y)) >= MISSING for name in features}
        runs.append(
            pid.decompose_many(
                features, y, mask=mask, against_rest=False, sweep=SweepOptions(n_jobs=args.jobs)
            )
        )
    seconds = time.perf_counter() - started
    print(f"\n### Over {args.masks} masks ({seconds:.0f} s for the {args.masks - 1} more)\n")
    print("| term | inside the complete data's interval | mean of missing - complete | sd |")
    print("|---|---|---|---|")
    inside_all = total = 0
    for t in TERMS:
        inside, gaps = 0, []
        for run in runs:
            for pair, result in run.pairs.items():
                low, high = complete.pairs[pair].sampling["intervals"][t]
                inside += low <= getattr(result, t) <= high
                gaps.append(getattr(result, t) - getattr(complete.pairs[pair], t))
        inside_all += inside
        total += len(gaps)
        print(
            f"| {t} | {inside} of {len(gaps)} | {np.mean(gaps):+.4f} | {np.std(gaps, ddof=1):.4f} |"
        )
    print(f"\nAll terms: {inside_all} of {total} inside ({inside_all / total:.1%}).")


if __name__ == "__main__":
    main()
