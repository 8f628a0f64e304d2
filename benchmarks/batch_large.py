"""BATCH end to end on a large dataset of known PID: time of each phase and error of each term.

Data: a latent generative dataset (:func:`pid.datasets.generative_mixture`, all four
interactions by default) of ``--samples`` samples of two ``--dim``-dimensional modalities; its
exact PID comes from the label's sufficient statistics (:func:`pid.datasets.generative_pid`).
BATCH runs on the features as a user would call it, ``pid.estimators.batch(x1, x2, y,
device=...)``: the cross-fitted classifiers of the posterior encoding (torch perceptrons on a
GPU, scikit-learn's on the CPU unless ``--torch-classifiers``), then the coupling's training
and its read-off. The issue's target is 1,000,000 samples of 256 dimensions in at most 60 s on
one GPU, each term within 0.05 bits of the exact one.

Run: ``python benchmarks/batch_large.py [--samples 1000000] [--dim 256] [--device auto]``
"""

from __future__ import annotations

import argparse
import time

import torch
from _machine import describe

import pid
from pid.backend import resolve_device
from pid.datasets import generative_mixture, generative_pid
from pid.estimators import batch
from pid.result import TERMS

#: The dataset's weights of the four interactions (generative_mixture).
WEIGHTS = {"R": 1.0, "U1": 1.0, "U2": 0.5, "S": 1.0}
#: Largest error of a term, in bits, the target allows.
TARGET_BITS = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=256, help="features per modality")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch threads on the CPU")
    parser.add_argument(
        "--torch-classifiers",
        action="store_true",
        help="torch classifiers on the CPU too (the GPU's path, on the CPU)",
    )
    parser.add_argument("--max-train", type=int, default=None, help="PosteriorOptions.max_train")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    gpu = f"; GPU {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    threads = torch.get_num_threads()
    print(f"machine: {describe()}; torch {torch.__version__}, {threads} threads{gpu}")
    start = time.perf_counter()
    exact = generative_pid(WEIGHTS, dim=args.dim)
    print(f"exact PID of {WEIGHTS}, dim {args.dim}: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    x1, x2, y = generative_mixture(WEIGHTS, args.samples, dim=args.dim, seed=1)
    x1, x2 = x1.astype("float32"), x2.astype("float32")
    print(f"{args.samples:,} samples drawn (float32): {time.perf_counter() - start:.1f} s")
    torch_classifiers = args.torch_classifiers or device.type == "cuda"
    options = pid.PosteriorOptions(
        device=str(device) if torch_classifiers else None, max_train=args.max_train
    )
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = batch(x1, x2, y, device=str(device), posterior=options, progress=True)
    total = time.perf_counter() - start
    diagnostics = result.diagnostics
    classifiers = diagnostics["classifiers"]
    print(
        f"\nclassifiers: {classifiers['classifiers']['joint']}, "
        f"{classifiers['max_train']:,} training samples a fold, {classifiers['folds']} folds"
    )
    print(
        "\n|samples|dim|device|classifiers (s)|coupling training (s)|steps|total (s)|"
        + "|".join(f"{t} error" for t in TERMS)
        + "|largest|within 0.05 bits|"
    )
    print("|---" * (9 + len(TERMS)) + "|")
    errors = [result.terms()[t] - exact.terms()[t] for t in TERMS]
    largest = max(map(abs, errors))
    print(
        f"|{args.samples:,}|{args.dim}|{device}|{classifiers['seconds']:.1f}|"
        f"{diagnostics['train_time_s']:.1f}|{diagnostics['steps']}|{total:.1f}|"
        + "|".join(f"{e:+.4f}" for e in errors)
        + f"|{largest:.4f}|{'yes' if largest <= TARGET_BITS else 'no'}|"
    )
    print("exact: " + ", ".join(f"{t} {exact.terms()[t]:.4f}" for t in TERMS))
    print("BATCH: " + ", ".join(f"{t} {result.terms()[t]:.4f}" for t in TERMS))


if __name__ == "__main__":
    main()
