"""Time ``pid compute`` from file to report on 100,000 samples of two 512-dimensional modalities.

Run: ``.venv/bin/python benchmarks/compute_pipeline.py [--samples N] [--dim D] [--pca K]``

The data is the redundancy-plus-synergy dataset of thesis Table 3.2
(``pid.datasets.generative("z1h_z2h_zch")``), saved as float32 ``.npz``. Each command runs in
a fresh process, as a user would run it, and its wall time includes Python start-up, loading,
the encoding, the CVX solves and the report. Side by side in one run: the default (posterior
encoding, corrections and a 20-permutation null model) and k-means codes with plug-in values
(``--discretization kmeans --correction none --null 0``, the estimate before the corrections;
MiniBatchKMeans above 50,000 samples), and the default with each modality's classifier chosen
by fold (``--modality-classifiers auto``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import describe

from pid.datasets import generative


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--pca", type=int, default=None)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "embeddings.npz"
        x1, x2, y = generative("z1h_z2h_zch", args.samples, dim=args.dim, seed=0)
        np.savez(data, x1=x1.astype(np.float32), x2=x2.astype(np.float32), y=y)
        size = data.stat().st_size / 2**20
        print(f"{args.samples} samples x 2 modalities x {args.dim} dims ({size:.0f} MiB .npz)")
        print("| encoding | R, U1, U2, S, I(X1,X2;Y) | time, file to report (s) |")
        print("|---|---|---|")
        for label, extra in (
            ("default (posteriors, corrected)", []),
            (
                "k-means, plug-in",
                ["--discretization", "kmeans", "--correction", "none", "--null", "0"],
            ),
            ("default, --modality-classifiers auto", ["--modality-classifiers", "auto"]),
        ):
            command = [sys.executable, "-m", "pid", "compute", str(data), "--out", f"{tmp}/r"]
            command += extra
            if args.pca:
                command += ["--pca", str(args.pca)]
            start = time.perf_counter()
            run = subprocess.run(command, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - start
            values = ", ".join(run.stdout.splitlines()[2].split()[1:])
            print(f"| {label} | {values} | {wall:.1f} |", flush=True)


if __name__ == "__main__":
    main()
