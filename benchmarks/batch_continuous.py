"""BATCH on continuous data against CVX: the Gaussian mixture sweep and the generative datasets.

Run: ``python benchmarks/batch_continuous.py --part gmm``, ``--part generative``,
``--part reference`` or ``--part seeds``

- ``gmm``: thesis Section 3.3.1, |mu| = ``--norm`` (default 2), angles 0 to pi/2 in
  Cartesian and polar coordinates. BATCH on 20,000 samples of the raw 1-D coordinates (its
  own classifiers for the posteriors) against CVX on 50 fixed-width bins a coordinate of
  ``--reference-samples`` (default 400,000) other samples; prints each term's error. On
  20,000 samples the 2,500 cells of the binned joint would bias CVX's ``I(X1,X2;Y)``, hence
  its synergy, upward by up to ``2500 / (2 n ln 2)``, about 0.09 bits; on 400,000 by 0.005.
- ``generative``: the ten datasets of thesis Table 3.2 (32-dimensional modalities). BATCH on
  3,000 samples of the raw features against CVX on 12 k-means clusters a modality of the
  same samples and on 20 clusters of 30,000 other samples, and the exact PID
  (:func:`pid.datasets.generative_pid`: CVX on 256 quantile bins of the closed-form
  posteriors ``p(y=1|x_i)`` of 1,000,000 samples, ``S = H(Y) - R - U1 - U2``); prints the
  PIDs, each one's top term with its margin over the second, how often each estimate's top
  term is the exact one's and among the construction's, and each one's largest error per
  term against the exact PID.
- ``reference``: the exact PID's resolution: 64, 128, 256 and 512 bins and sample seeds 0
  and 1 on the two mixtures whose top two terms are closest, printing the largest change;
  then each term's range over sample seeds 0 to 4 at the defaults on all six mixtures.
- ``seeds``: BATCH with training seeds 0 to 4 on the mixture whose exact top two terms are
  closest, and how often its top term is the exact one's.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from _machine import describe

import pid
from pid.datasets import GENERATIVE, generative, generative_pid, gmm
from pid.estimators import BatchConfig, batch

TERMS = ("R", "U1", "U2", "S")


def gmm_sweep(steps: int, norm: float, reference_samples: int) -> None:
    print("| coords | angle | CVX R, U1, U2, S | BATCH R, U1, U2, S | largest error | time (s) |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for coords in ("cartesian", "polar"):
        for angle in np.linspace(0, math.pi / 2, 5):
            x1, x2, y = gmm(20_000, angle=angle, norm=norm, coords=coords, seed=0)
            reference = gmm(reference_samples, angle=angle, norm=norm, coords=coords, seed=1)
            exact = pid.decompose(*reference, discretization="bins", n_clusters=50).terms()
            start = time.perf_counter()
            config = BatchConfig(steps=steps)
            approx = batch(x1[:, None], x2[:, None], y, config=config, seed=0).terms()
            elapsed = time.perf_counter() - start
            error = max(abs(approx[t] - exact[t]) for t in TERMS)
            worst = max(worst, error)
            print(
                f"| {coords} | {math.degrees(angle):.1f} | {_fmt(exact)} | {_fmt(approx)} | "
                f"{error:.3f} | {elapsed:.0f} |"
            )
    print(f"largest error over the sweep: {worst:.3f} bits")


def generative_datasets(steps: int, norm: float, reference_samples: int) -> None:
    del norm, reference_samples  # the mixture's settings
    print(
        "| dataset | truth | exact R, U1, U2, S | CVX 3k/12 R, U1, U2, S "
        "| CVX 30k/20 R, U1, U2, S | BATCH R, U1, U2, S "
        "| top (margin): exact, CVX 3k/12, CVX 30k/20, BATCH |"
    )
    print("|---|---|---|---|---|---|---|")
    estimates = {"CVX 3k/12": {}, "CVX 30k/20": {}, "BATCH": {}}
    exact, truth = {}, {}
    for name, spec in GENERATIVE.items():
        x1, x2, y = generative(name, 3000, seed=0)
        exact[name] = generative_pid(name).terms()
        truth[name] = spec.dominant
        estimates["CVX 3k/12"][name] = pid.decompose(x1, x2, y, n_clusters=12).terms()
        fine = generative(name, 30_000, seed=1)
        estimates["CVX 30k/20"][name] = pid.decompose(*fine, n_clusters=20).terms()
        estimates["BATCH"][name] = batch(x1, x2, y, config=BatchConfig(steps=steps), seed=0).terms()
        rows = [exact[name]] + [terms[name] for terms in estimates.values()]
        ranking = ", ".join(f"{top} ({margin:.3f})" for top, margin in map(_top, rows))
        cells = " | ".join(_fmt(terms) for terms in rows)
        print(f"| {name} | {'/'.join(sorted(spec.dominant))} | {cells} | {ranking} |")
    print()
    print(
        "| estimate | top term = exact's | top term among the construction's "
        "| largest error against exact: R, U1, U2, S |"
    )
    print("|---|---|---|---|")
    exact_in_truth = sum(_top(exact[n])[0] in truth[n] for n in GENERATIVE)
    print(f"| exact | - | {exact_in_truth} of {len(GENERATIVE)} | - |")
    for label, terms in estimates.items():
        same = sum(_top(terms[n])[0] == _top(exact[n])[0] for n in GENERATIVE)
        in_truth = sum(_top(terms[n])[0] in truth[n] for n in GENERATIVE)
        errors = []
        for t in TERMS:
            worst = max(GENERATIVE, key=lambda n, t=t: abs(terms[n][t] - exact[n][t]))
            errors.append(f"{abs(terms[worst][t] - exact[worst][t]):.3f} ({worst})")
        print(
            f"| {label} | {same} of {len(GENERATIVE)} | {in_truth} of {len(GENERATIVE)} "
            f"| {', '.join(errors)} |"
        )


def reference_resolution(steps: int, norm: float, reference_samples: int) -> None:
    """The exact reference at 64 to 512 bins and two sample seeds, on the two mixtures whose
    top two terms are closest; then its spread over five sample seeds on every mixture."""
    del steps, norm, reference_samples
    mixtures = _mixtures()
    margins = {name: _top(generative_pid(name).terms())[1] for name in mixtures}
    closest = sorted(mixtures, key=margins.get)[:2]
    print(
        "two closest mixtures (top-two margin at 256 bins, seed 0): "
        + ", ".join(f"{name} ({margins[name]:.3f})" for name in closest)
    )
    print("| dataset | bins | seed | R, U1, U2, S | bins used x1, x2 | CVX gap | time (s) |")
    print("|---|---|---|---|---|---|---|")
    worst = {"bins": 0.0, "seed": 0.0}
    for name in closest:
        results = {}
        for bins in (64, 128, 256, 512):
            for seed in (0, 1):
                start = time.perf_counter()
                result = generative_pid(name, bins=bins, seed=seed)
                elapsed = time.perf_counter() - start
                results[bins, seed] = result.terms()
                used = result.diagnostics["bins"]
                print(
                    f"| {name} | {bins} | {seed} | {_fmt(result.terms())} "
                    f"| {used['x1']}, {used['x2']} | {result.diagnostics['gap_bits']:.1e} "
                    f"| {elapsed:.0f} |"
                )
        for (bins, seed), terms in results.items():
            for t in TERMS:
                worst["bins"] = max(worst["bins"], abs(terms[t] - results[256, seed][t]))
                worst["seed"] = max(worst["seed"], abs(terms[t] - results[bins, 1 - seed][t]))
    print(
        f"largest change of a term from 256 bins (same seed): {worst['bins']:.4f} bits; "
        f"between the two seeds (same bins): {worst['seed']:.4f} bits"
    )
    print()
    print("| dataset | R, U1, U2, S: range over seeds 0 to 4 at 256 bins | largest range |")
    print("|---|---|---|")
    for name in mixtures:
        terms = np.array(
            [list(generative_pid(name, seed=seed).terms().values()) for seed in range(5)]
        )
        spread = terms.max(axis=0) - terms.min(axis=0)
        print(f"| {name} | {', '.join(f'{v:.4f}' for v in spread)} | {spread.max():.4f} |")


def training_seeds(steps: int, norm: float, reference_samples: int) -> None:
    """BATCH's top term over training seeds 0 to 4 on the mixture whose exact top two terms
    are closest (the same 3,000 samples as ``generative``)."""
    del norm, reference_samples
    mixtures = _mixtures()
    exact = {name: generative_pid(name).terms() for name in mixtures}
    name = min(mixtures, key=lambda n: _top(exact[n])[1])
    top, margin = _top(exact[name])
    print(f"{name}: exact {_fmt(exact[name])}, top {top} by {margin:.3f} bits")
    print("| training seed | BATCH R, U1, U2, S | top (margin) |\n|---|---|---|")
    x1, x2, y = generative(name, 3000, seed=0)
    same = 0
    for seed in range(5):
        terms = batch(x1, x2, y, config=BatchConfig(steps=steps), seed=seed).terms()
        first, lead = _top(terms)
        same += first == top
        print(f"| {seed} | {_fmt(terms)} | {first} ({lead:.3f}) |")
    print(f"BATCH's top term is the exact one's for {same} of 5 training seeds")


def _mixtures() -> list[str]:
    """The datasets of Table 3.2 whose label reads more than one channel."""
    return [name for name in GENERATIVE if len(GENERATIVE[name].channels) > 1]


def _top(terms: dict[str, float]) -> tuple[str, float]:
    """The largest term and its margin over the second largest."""
    first, second = sorted(terms, key=terms.get, reverse=True)[:2]
    return first, terms[first] - terms[second]


def _fmt(terms: dict[str, float]) -> str:
    return ", ".join(f"{terms[t]:.3f}" for t in TERMS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--part", choices=("gmm", "generative", "reference", "seeds"), required=True
    )
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--norm", type=float, default=2.0, help="|mu| of the mixture (gmm)")
    parser.add_argument(
        "--reference-samples", type=int, default=400_000, help="samples for CVX (gmm)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {describe()}; torch {torch.__version__}, {args.threads} thread(s)")
    parts = {
        "gmm": gmm_sweep,
        "generative": generative_datasets,
        "reference": reference_resolution,
        "seeds": training_seeds,
    }
    parts[args.part](args.steps, args.norm, args.reference_samples)


if __name__ == "__main__":
    main()
