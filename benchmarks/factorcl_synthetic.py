"""FactorCL against contrastive baselines on data with a controlled unique share (Sec. 4.4.1).

For each share of unique task information (0: the label reads only shared latents; 1: only
unique ones), every method is trained on ``--train`` samples of ``pid.factorcl.shared_unique``
and scored by a linear probe on frozen representations (fitted on the training split, scored
on ``--test`` fresh samples). Prints the accuracy table (thesis Figure 4.1), the probed
information ``I(Z; w)`` in bits against the generating latents at ``--probe-share`` (Table
4.1), and seconds per training epoch; saves the accuracy curve to ``--figure``.

Run: ``python benchmarks/factorcl_synthetic.py [--epochs 30] [--figure PATH]``
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
import torch
from _machine import describe

from pid.factorcl import latent_information, linear_probe, shared_unique, train
from pid.file_set import write_bytes_atomic

METHODS = (
    "simclr",
    "cross-self",
    "supcon",
    "ourcl-ssl",
    "ourcl-sup",
    "factorcl-ssl",
    "factorcl-sup",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--probe-share", type=float, default=1.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--figure", default="docs/figures/factorcl_unique_share.png")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {describe()}; torch {torch.__version__}, 1 thread, device {args.device}")
    print(
        f"shared_unique: latent_dim=10, dim=100, label_dim=6; {args.train} train / {args.test} "
        f"test samples; {args.epochs} epochs, batch 256, seed 0"
    )
    accuracy = {m: [] for m in args.methods}
    seconds = {m: [] for m in args.methods}
    probes = {}
    for share in args.shares:
        x1, x2, y, _ = shared_unique(args.train, share, seed=0)
        t1, t2, ty, _ = shared_unique(args.test, share, seed=1)
        for method in args.methods:
            model = train(x1, x2, y, method=method, epochs=args.epochs, device=args.device)
            accuracy[method].append(
                linear_probe(model.features(x1, x2), y, model.features(t1, t2), ty)
            )
            seconds[method].append(np.mean([h["seconds"] for h in model.history]))
            if share == args.probe_share:
                probes[method] = probe(model, x1, x2, t1, t2, share)
        row = " | ".join(f"{accuracy[m][-1]:.3f}" for m in args.methods)
        print(f"unique share {share:.2f}: {row}", flush=True)

    print("\nlinear-probe test accuracy (Figure 4.1)\n")
    print("| unique share | " + " | ".join(args.methods) + " |")
    print("|---" * (len(args.methods) + 1) + "|")
    for k, share in enumerate(args.shares):
        print(
            f"| {share:.2f} | " + " | ".join(f"{accuracy[m][k]:.3f}" for m in args.methods) + " |"
        )
    print("\nseconds per epoch (mean over shares)\n")
    print("| " + " | ".join(args.methods) + " |")
    print("|---" * len(args.methods) + "|")
    print("| " + " | ".join(f"{np.mean(seconds[m]):.2f}" for m in args.methods) + " |")
    if probes:
        print(f"\nI(Z; w) in bits at unique share {args.probe_share} (Table 4.1)\n")
        print("| method | Z | I(Z; w1) | I(Z; w2) | I(Z; ws) |")
        print("|---|---|---|---|---|")
        for method, rows in probes.items():
            for name, values in rows.items():
                print(f"| {method} | {name} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
    save_figure(args.shares, accuracy, args.figure)
    print(f"\nfigure: {args.figure}")


def probe(model, x1, x2, t1, t2, share) -> dict[str, list[float]]:
    """``I(Z; w1), I(Z; w2), I(Z; ws)`` of each representation, fitted on train, read on test."""
    _, _, _, w = shared_unique(len(x1), share, seed=0)
    _, _, _, tw = shared_unique(len(t1), share, seed=1)
    z, tz = model.encode(x1, x2), model.encode(t1, t2)
    return {
        name: [latent_information(z[name], w[k], tz[name], tw[k]) for k in ("w1", "w2", "ws")]
        for name in model.names
    }


def save_figure(shares, accuracy, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, values in accuracy.items():
        style = "-o" if method.startswith("factorcl") else "--."
        ax.plot(shares, values, style, label=method)
    ax.set_xlabel("share of task information unique to one modality")
    ax.set_ylabel("linear-probe test accuracy")
    ax.set_title("Synthetic data (pid.factorcl.shared_unique)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    write_bytes_atomic(path, buffer.getvalue())


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - start:.0f} s")
