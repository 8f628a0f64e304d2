"""PID from samples against exact answers: the default estimate, k-means codes and BATCH.

Run: ``.venv/bin/python benchmarks/sampling_accuracy.py [--samples 20000] [--datasets ...]``

For each dataset of known PID, one draw of ``--samples`` samples is decomposed three ways, in
one run: the default of ``pid.decompose`` (features coded through cross-fitted posteriors,
integer codes as they are; corrected for sampling bias), the thesis's k-means codes (20 a
modality, plug-in, as ``pid compute`` did before the corrections), and BATCH (its defaults).
Each cell gives R, U1, U2, S and I(X1,X2;Y), then the largest term error and the error of
I(X1,X2;Y) in percent; a cell passes the issue's targets when the first is at most 0.1 bits
and the second at most 5%.

Datasets: the latent generative datasets (``pid.datasets.generative``, exact PID by
``generative_pid`` on 1,000,000 samples), rendered scenes with templated questions
(``pid.datasets.scenes``, exact PID of their attributes), and noisy latent bits (integer codes;
exact PID of ``latent_bits_distribution``; tables of 8x8x16, 8x8x16 and 16x16x32 cells).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.datasets import (
    generative,
    generative_pid,
    latent_bits,
    latent_bits_distribution,
    scenes,
    scenes_distribution,
)
from pid.estimators import batch

GENERATIVE = ("R", "U1", "U2", "S", "z1h_z2h_zch", "z1_z2h_zch", "z2h_zc")
BITS = {
    "bits R U1 U2 S, 10% noise": {"flip": 0.1},
    "bits U1 U2 2S, 5% noise": {"redundant": 0, "synergistic": 2, "flip": 0.05},
    "bits R U1 U2 2S, 10% noise": {"synergistic": 2, "flip": 0.1},
}
DEFAULT = (*GENERATIVE, "scenes", *BITS)
PLUGIN = pid.SamplingOptions(correction="none", n_null=0)


def dataset(name: str, n: int) -> tuple[tuple[np.ndarray, ...], pid.PIDResult]:
    """Samples of a dataset and its exact PID."""
    if name in GENERATIVE:
        return generative(name, n, seed=1), generative_pid(name)
    if name == "scenes":
        return scenes(n, seed=1), pid.estimate(scenes_distribution())
    settings = BITS[name]
    return latent_bits(n, seed=1, **settings), pid.estimate(latent_bits_distribution(**settings))


def cell(result: pid.PIDResult, exact: pid.PIDResult, seconds: float) -> str:
    terms = np.array(list(result.terms().values()))
    truth = np.array(list(exact.terms().values()))
    worst = np.abs(terms - truth).max()
    total = 100 * (result.mi_x1x2_y - exact.mi_x1x2_y) / exact.mi_x1x2_y
    mark = "pass" if worst <= 0.1 and abs(total) <= 5 else "miss"
    values = ", ".join(f"{v:.3f}" for v in terms)
    return f"{values} ({result.mi_x1x2_y:.3f}); {worst:.3f}, {total:+.1f}% {mark}; {seconds:.0f} s"


def timed(function, *args, **kwargs) -> tuple[pid.PIDResult, float]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--datasets", nargs="+", default=list(DEFAULT))
    parser.add_argument("--no-batch", action="store_true", help="leave BATCH out")
    args = parser.parse_args()
    print(f"machine: {describe()}; {args.samples} samples a dataset")
    print("| dataset | exact R, U1, U2, S (I) | default | k-means, plug-in | BATCH |")
    print("|---|---|---|---|---|")
    for name in args.datasets:
        (x1, x2, y), exact = dataset(name, args.samples)
        default, default_s = timed(pid.decompose, x1, x2, y)
        features = x1.ndim == 2
        if features:
            kmeans, kmeans_s = timed(
                pid.decompose, x1, x2, y, discretization="kmeans", sampling=PLUGIN
            )
            kmeans_cell = cell(kmeans, exact, kmeans_s)
        else:
            kmeans_cell = "(integer codes)"
        batch_cell = ""
        if not args.no_batch:
            neural, neural_s = timed(batch, x1, x2, y)
            batch_cell = cell(neural, exact, neural_s)
        truth = ", ".join(f"{v:.3f}" for v in exact.terms().values())
        print(
            f"| {name} | {truth} ({exact.mi_x1x2_y:.3f}) | {cell(default, exact, default_s)} | "
            f"{kmeans_cell} | {batch_cell} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
