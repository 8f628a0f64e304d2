"""Time ``pid compute`` from file to report on 100,000 samples of two 512-dimensional modalities.

Run: ``.venv/bin/python benchmarks/compute_pipeline.py [--samples N] [--dim D] [--pca K]``

The data is the redundancy-plus-synergy dataset of thesis Table 3.2
(``pid.datasets.generative("z1h_z2h_zch")``), saved as float32 ``.npz``. The command runs in a
fresh process, as a user would run it, and its wall time includes Python start-up, loading,
discretization (MiniBatchKMeans above 50,000 samples), the CVX solve and the report.
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
        command = [sys.executable, "-m", "pid", "compute", str(data), "--out", f"{tmp}/report"]
        if args.pca:
            command += ["--pca", str(args.pca)]
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        print(run.stdout.splitlines()[2])
    print(
        f"{args.samples} samples x 2 modalities x {args.dim} dims ({size:.0f} MiB .npz), "
        f"pca={args.pca}: file to report in {wall:.1f} s"
    )


if __name__ == "__main__":
    main()
