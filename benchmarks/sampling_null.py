"""Shuffled labels: the corrected terms against the plug-in ones, where every term is zero.

Run: ``.venv/bin/python benchmarks/sampling_null.py [--draws 20]``

For each dataset the labels are permuted ``--draws`` times (each permutation a draw of data
whose labels carry no information, so every PID term is 0) and decomposed by the default of
``pid.decompose`` (corrected for sampling bias) and by the same encoding's plug-in values;
k-means codes with plug-in values (``pid compute``'s estimate before the corrections) are
beside. Printed: the mean of each term over the draws; a row passes when every corrected
mean is within 0.02 bits of zero.

Datasets: the demo's digits (left and right image halves, ten digits; ``pid.datasets.digits``),
3,000 samples of ``generative("z1h_z2h_zch")``, 3,000 rendered scenes (``pid.datasets.scenes``)
and 3,000 noisy latent bits (integer codes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

import pid
from pid.datasets import digits, generative, latent_bits, scenes

PLUGIN = pid.SamplingOptions(correction="none", n_null=0)


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return {
        "digits (demo)": digits(),
        "generative z1h_z2h_zch, 3,000": generative("z1h_z2h_zch", 3000, seed=1),
        "scenes, 3,000": scenes(3000, seed=1),
        "latent bits, 10% noise, 3,000": latent_bits(3000, flip=0.1, seed=1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {describe()}; {args.draws} label permutations a dataset")
    columns = "corrected mean R, U1, U2, S | plug-in mean | k-means plug-in mean"
    print(f"| dataset | {columns} | pass | time (s) |")
    print("|---|---|---|---|---|---|")
    for name, (x1, x2, y) in datasets().items():
        start = time.perf_counter()
        rows = {"corrected": [], "plugin": [], "kmeans": []}
        for draw in range(args.draws):
            shuffled = np.random.default_rng(draw).permutation(y)
            result = pid.decompose(x1, x2, shuffled, seed=draw)
            rows["corrected"].append(list(result.terms().values()))
            rows["plugin"].append(list(result.sampling["plugin"].values()))
            if x1.ndim == 2:
                kmeans = pid.decompose(
                    x1, x2, shuffled, discretization="kmeans", sampling=PLUGIN, seed=draw
                )
                rows["kmeans"].append(list(kmeans.terms().values()))
        means = {key: np.mean(values, axis=0) for key, values in rows.items() if values}
        cells = [", ".join(f"{v:+.3f}" for v in means[key]) for key in ("corrected", "plugin")]
        cells.append(", ".join(f"{v:+.3f}" for v in means["kmeans"]) if "kmeans" in means else "")
        passed = "pass" if np.abs(means["corrected"]).max() <= 0.02 else "miss"
        seconds = time.perf_counter() - start
        print(f"| {name} | " + " | ".join(cells) + f" | {passed} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
