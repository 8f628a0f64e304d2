"""Seconds per training epoch of FactorCL and the baselines, on the CPU and on CUDA if present.

Data: ``pid.factorcl.shared_unique`` (4,000 samples of two 100-dimensional modalities by
default); default network sizes (hidden 128, embed_dim 32, critic_hidden 128), batch 256.
Prints the median over ``--epochs`` epochs of each method's per-epoch time.

Run: ``python benchmarks/factorcl_speed.py [--samples 4000] [--epochs 3] [--threads 1]
[--devices cpu cuda]``
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _machine import describe

from pid.factorcl import METHODS, shared_unique, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--devices", nargs="+", help="devices to time (default: cpu, and cuda where present)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    devices = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    gpu = f"; GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "; no GPU"
    print(f"machine: {describe()}; torch {torch.__version__}, {args.threads} thread(s){gpu}")
    print(f"{args.samples} samples, dim 100 per modality, batch 256, median of {args.epochs}\n")
    print("| method | " + " | ".join(f"{d} s/epoch" for d in devices) + " |")
    print("|---" * (len(devices) + 1) + "|")
    x1, x2, y, _ = shared_unique(args.samples, 0.5, seed=0)
    for method in METHODS:
        cells = []
        for device in devices:
            model = train(x1, x2, y, method=method, epochs=args.epochs, device=device)
            cells.append(f"{np.median([h['seconds'] for h in model.history]):.2f}")
        print(f"| {method} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
