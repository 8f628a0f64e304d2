"""The coding loss of the posterior encoding against exact answers.

The posterior encoding codes each modality's posterior into a few codes; where those lose what
the modality's classifier holds, the codes' table counts the loss as synergy.
:class:`pid.coding_loss.CodingLoss` measures it and moves the terms within the range it leaves.
Three datasets of overlapping Gaussian clusters (identity covariance, so the posteriors are
exact softmaxes and each ``I(X;Y)`` is a Monte Carlo mean over 200,000 draws) whose exact PID
is known:

- ``noise + clusters``: x1 noise, x2 eight clusters of y: ``U2 = I(X2;Y)``, the rest 0;
- ``same clusters``: x1 = x2, eight clusters of y: ``R = I(X2;Y)``, the rest 0;
- ``separate labels``: ``y = 4 y1 + y2``, x1 four clusters of y1 and x2 of y2:
  ``U1 = I(X1;Y1)``, ``U2 = I(X2;Y2)``, ``R = S = 0``.

Printed per dataset and sample size (means over the seeds): the exact terms, the codes' terms
(the estimate without the move), the estimate, the range of S the loss leaves, the share of
draws whose S stands out from the null model, and the largest term error of the codes' terms
and of the estimate.

Run: ``OMP_NUM_THREADS=1 python benchmarks/coding_loss.py [--samples 1000 3000]
[--seeds 0 1 2]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _machine import describe

import pid

TERMS = ("R", "U1", "U2", "S")
DIMENSIONS = 16


def clusters(labels: np.ndarray, centers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Features: the label's center plus standard normal noise."""
    return centers[labels] + rng.normal(size=(len(labels), centers.shape[1]))


def information(centers: np.ndarray, draws: int = 200_000, seed: int = 99) -> float:
    """``I(X;Y)`` in bits of equiprobable labels whose features are ``centers[y] + N(0, I)``."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(centers), draws)
    x = clusters(labels, centers, rng)
    logits = x @ centers.T - 0.5 * np.sum(centers**2, axis=1)
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(np.log2(len(centers)) + log_p[np.arange(draws), labels].mean() / np.log(2))


def dataset(name: str, n: int, seed: int, spread: float):
    """Samples of dataset ``name`` and its exact R, U1, U2, S."""
    structure = np.random.default_rng(1000)
    rng = np.random.default_rng(seed)
    if name == "separate labels":
        first, second = (structure.normal(size=(4, DIMENSIONS)) * spread for _ in range(2))
        y1, y2 = rng.integers(0, 4, n), rng.integers(0, 4, n)
        x1, x2 = clusters(y1, first, rng), clusters(y2, second, rng)
        return x1, x2, 4 * y1 + y2, (0.0, information(first), information(second), 0.0)
    centers = structure.normal(size=(8, DIMENSIONS)) * spread
    y = rng.integers(0, 8, n)
    x2 = clusters(y, centers, rng)
    if name == "noise + clusters":
        return rng.normal(size=x2.shape), x2, y, (0.0, 0.0, information(centers), 0.0)
    return x2, x2.copy(), y, (information(centers), 0.0, 0.0, 0.0)


def codes_terms(result: pid.PIDResult) -> np.ndarray:
    """The codes' corrected terms, before the move: the plug-in less the bias removed."""
    sampling = result.sampling
    return np.array([sampling["plugin"][t] - sampling["bias_bits"][t] for t in TERMS])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--spread", type=float, default=0.6)
    args = parser.parse_args()
    print(f"machine: {describe()}; spread {args.spread}, seeds {args.seeds}")
    print(
        "|dataset|samples|exact R, U1, U2, S|codes' table|estimate|range of S|S stands out|"
        "largest error, codes' / estimate|seconds|"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in ("noise + clusters", "same clusters", "separate labels"):
        for n in args.samples:
            start = time.perf_counter()
            before, after, low, high, stands = [], [], [], [], []
            for seed in args.seeds:
                x1, x2, y, exact = dataset(name, n, seed, args.spread)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = pid.decompose(x1, x2, y, seed=seed)
                before.append(codes_terms(result))
                after.append(np.array([getattr(result, t) for t in TERMS]))
                s_range = result.sampling["coding_loss_bits"]["ranges"]["S"]
                low.append(s_range[0])
                high.append(s_range[1])
                stands.append(result.sampling["null"]["above_null"]["S"])
            exact = np.array(exact)
            errors = [
                np.abs(np.array(terms) - exact).max(axis=1).mean() for terms in (before, after)
            ]

            def shown(values: np.ndarray) -> str:
                return ", ".join(f"{v + 0.0:.3f}" for v in np.round(values, 3))

            print(
                f"|{name}|{n:,}|{shown(exact)}|{shown(np.mean(before, axis=0))}|"
                f"{shown(np.mean(after, axis=0))}|[{shown([np.mean(low), np.mean(high)])}]|"
                f"{sum(stands)} of {len(stands)}|{errors[0]:.3f} / {errors[1]:.3f}|"
                f"{time.perf_counter() - start:.0f}|",
                flush=True,
            )


if __name__ == "__main__":
    main()
