"""Training throughput of the BATCH estimator: samples per second of minibatch training.

Each training step builds an ``m x m x |Y|`` joint for ``m`` samples, so a step processes ``m``
samples; the figure is ``steps * m / time`` over the training loop (posteriors given, so no
classifier is trained). Runs on the CPU, and on CUDA as well when it is present.

Run: ``python benchmarks/batch_throughput.py [--batch-sizes 128 256 512] [--steps 30]``
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _machine import describe

from pid.estimators import BatchConfig, batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--labels", type=int, default=4)
    parser.add_argument("--dim", type=int, default=32, help="features per modality")
    parser.add_argument("--threads", type=int, default=1, help="torch threads on the CPU")
    parser.add_argument(
        "--grad-iters", type=int, default=None, help="backpropagated sweeps (default: implicit)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # The optimizer's first construction imports torch's compiler stack (seconds): not training.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    gpu = f"; GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    print(
        f"machine: {describe()}; torch {torch.__version__}, {torch.get_num_threads()} threads{gpu}"
    )
    print(
        f"continuous features, d={args.dim} per modality, |Y|={args.labels}, {args.steps} steps, "
        f"grad_iters={args.grad_iters}"
    )
    print("| device | batch size | samples/s | Sinkhorn sweeps per step (mean) |")
    print("|---|---|---|---|")
    rng = np.random.default_rng(0)
    for size in args.batch_sizes:
        n = 4 * size
        y = rng.integers(0, args.labels, n)
        x1 = rng.normal(size=(n, args.dim)) + y[:, None]
        x2 = rng.normal(size=(n, args.dim)) - y[:, None]
        post = rng.dirichlet(np.ones(args.labels), size=n)
        posteriors = {"x1": post, "x2": post, "joint": post}
        for device in devices:
            result = batch(
                x1,
                x2,
                y,
                posteriors=posteriors,
                config=BatchConfig(
                    steps=args.steps,
                    batch_size=size,
                    max_eval_batches=1,
                    grad_iters=args.grad_iters,
                ),
                device=device,
            )
            d = result.diagnostics
            rate = args.steps * size / d["train_time_s"]
            sweeps = d["train_sinkhorn"]["iterations_mean"]
            print(f"| {device} | {size} | {rate:,.0f} | {sweeps:.1f} |")


if __name__ == "__main__":
    main()
