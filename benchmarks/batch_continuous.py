"""BATCH on continuous data against CVX: the Gaussian mixture sweep and the generative datasets.

Run: ``python benchmarks/batch_continuous.py --part gmm`` or ``--part generative``

- ``gmm``: thesis Section 3.3.1, |mu| = ``--norm`` (default 2), angles 0 to pi/2 in
  Cartesian and polar coordinates. BATCH on 20,000 samples of the raw 1-D coordinates (its
  own classifiers for the posteriors) against CVX on 50 fixed-width bins a coordinate of
  ``--reference-samples`` (default 400,000) other samples; prints each term's error. On
  20,000 samples the 2,500 cells of the binned joint would bias CVX's ``I(X1,X2;Y)``, hence
  its synergy, upward by up to ``2500 / (2 n ln 2)``, about 0.09 bits; on 400,000 by 0.005.
- ``generative``: the ten datasets of thesis Table 3.2 (32-dimensional modalities). BATCH on
  3,000 samples of the raw features against CVX on 12 k-means clusters a modality of the
  same samples and on 20 clusters of 30,000 other samples; prints the PIDs, each one's top
  term with its margin over the second, and the construction's terms.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from _machine import describe

import pid
from pid.datasets import GENERATIVE, generative, gmm
from pid.estimators import batch

TERMS = ("R", "U1", "U2", "S")


def gmm_sweep(steps: int, norm: float, reference_samples: int) -> None:
    print("| coords | angle | CVX R, U1, U2, S | BATCH R, U1, U2, S | largest error | time (s) |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for coords in ("cartesian", "polar"):
        for angle in np.linspace(0, math.pi / 2, 5):
            x1, x2, y = gmm(20_000, angle=angle, norm=norm, coords=coords, seed=0)
            reference = gmm(reference_samples, angle=angle, norm=norm, coords=coords, seed=1)
            exact = pid.decompose(*reference, method="bins", n_clusters=50).terms()
            start = time.perf_counter()
            approx = batch(x1[:, None], x2[:, None], y, steps=steps, seed=0).terms()
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
        "| dataset | truth | CVX 3k/12 R, U1, U2, S | CVX 30k/20 R, U1, U2, S "
        "| BATCH R, U1, U2, S | top (margin): CVX 3k/12, CVX 30k/20, BATCH |"
    )
    print("|---|---|---|---|---|---|")
    agree = [0, 0]
    for name, spec in GENERATIVE.items():
        x1, x2, y = generative(name, 3000, seed=0)
        coarse = pid.decompose(x1, x2, y, n_clusters=12).terms()
        fine = pid.decompose(*generative(name, 30_000, seed=1), n_clusters=20).terms()
        approx = batch(x1, x2, y, steps=steps, seed=0).terms()
        tops = [_top(terms) for terms in (coarse, fine, approx)]
        agree = [a + (top[0] == tops[2][0]) for a, top in zip(agree, tops[:2], strict=True)]
        truth = "/".join(sorted(spec.dominant))
        ranking = ", ".join(f"{top} ({margin:.3f})" for top, margin in tops)
        print(f"| {name} | {truth} | {_fmt(coarse)} | {_fmt(fine)} | {_fmt(approx)} | {ranking} |")
    print(
        f"BATCH's top term is CVX 3k/12's on {agree[0]} and CVX 30k/20's on {agree[1]} "
        f"of {len(GENERATIVE)}"
    )


def _top(terms: dict[str, float]) -> tuple[str, float]:
    """The largest term and its margin over the second largest."""
    first, second = sorted(terms, key=terms.get, reverse=True)[:2]
    return first, terms[first] - terms[second]


def _fmt(terms: dict[str, float]) -> str:
    return ", ".join(f"{terms[t]:.3f}" for t in TERMS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("gmm", "generative"), required=True)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--norm", type=float, default=2.0, help="|mu| of the mixture (gmm)")
    parser.add_argument(
        "--reference-samples", type=int, default=400_000, help="samples for CVX (gmm)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {describe()}; torch {torch.__version__}, {args.threads} thread(s)")
    {"gmm": gmm_sweep, "generative": generative_datasets}[args.part](
        args.steps, args.norm, args.reference_samples
    )


if __name__ == "__main__":
    main()
