"""FactorCL against contrastive baselines on data with a controlled unique share (Sec. 4.4.1).

For each seed and each share of unique task information (0: the label reads only shared
latents; 1: only unique ones), every method is trained on ``--train`` samples of
``pid.factorcl.shared_unique`` (data seed = training seed) and scored by a linear probe on
frozen representations (fitted on the training split, scored on ``--test`` fresh samples of
data seed ``seed + 100``). The inputs do not depend on the share, only the labels do, so each
self-supervised method is trained once per seed and probed at every share.

Prints the accuracy table (thesis Figure 4.1: mean over seeds and the seed-to-seed range),
beside the same linear probe on the raw inputs ``[x1, x2]`` and on the generating latents
``[w1, w2, ws]`` (what a linear readout reaches without any learned representation, and with
the ideal one),
the probed information ``I(Z; w)`` in bits against the generating latents at
``--probe-share`` (Table 4.1, mean over seeds) with the smallest gaps between FactorCL's
factors over the seeds, and seconds per training epoch; saves the curve to ``--figure``.

Run: ``python benchmarks/factorcl_synthetic.py [--seeds 0 1 2] [--epochs 30]``; with
``--methods`` and no names, only the two reference probes (seconds).
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
LATENTS = ("w1", "w2", "ws")
#: Linear probes without a learned representation: the raw inputs and the true latents.
REFERENCES = ("inputs", "latents")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
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
        f"test samples; {args.epochs} epochs, batch 256, seeds {args.seeds}"
    )
    # accuracy[method][seed index][share index]; probes[method][seed index][name] = I(Z; w)
    columns = [*args.methods, *REFERENCES]
    accuracy = {m: np.zeros((len(args.seeds), len(args.shares))) for m in columns}
    probes: dict[str, list[dict[str, list[float]]]] = {m: [] for m in args.methods}
    seconds: dict[str, list[float]] = {m: [] for m in args.methods}
    for s, seed in enumerate(args.seeds):
        data = {share: shared_unique(args.train, share, seed=seed) for share in args.shares}
        test = {share: shared_unique(args.test, share, seed=seed + 100) for share in args.shares}
        for k, share in enumerate(args.shares):
            (x1, x2, y, w), (t1, t2, ty, tw) = data[share], test[share]
            for name, train_x, test_x in (
                ("inputs", np.hstack([x1, x2]), np.hstack([t1, t2])),
                (
                    "latents",
                    np.hstack([w[v] for v in LATENTS]),
                    np.hstack([tw[v] for v in LATENTS]),
                ),
            ):
                accuracy[name][s, k] = linear_probe(train_x, y, test_x, ty)
        for method in args.methods:
            model = None
            for k, share in enumerate(args.shares):
                x1, x2, y, w = data[share]
                t1, t2, ty, tw = test[share]
                if model is None or method.endswith("-sup") or method == "supcon":
                    model = train(
                        x1, x2, y, method=method, epochs=args.epochs, seed=seed, device=args.device
                    )
                    seconds[method].append(np.mean([h["seconds"] for h in model.history]))
                features = model.features(x1, x2), model.features(t1, t2)
                accuracy[method][s, k] = linear_probe(features[0], y, features[1], ty)
                if share == args.probe_share:
                    z, tz = model.encode(x1, x2), model.encode(t1, t2)
                    probes[method].append(
                        {
                            name: [
                                latent_information(z[name], w[v], tz[name], tw[v]) for v in LATENTS
                            ]
                            for name in model.names
                        }
                    )
            row = " ".join(f"{a:.3f}" for a in accuracy[method][s])
            print(f"seed {seed} {method}: {row}", flush=True)

    print("\nlinear-probe test accuracy (Figure 4.1), mean over seeds [min, max]\n")
    print("|unique share|" + "|".join(columns) + "|")
    print("|---" * (len(columns) + 1) + "|")
    for k, share in enumerate(args.shares):
        cells = [
            f"{a[:, k].mean():.3f} [{a[:, k].min():.3f}, {a[:, k].max():.3f}]"
            for a in (accuracy[m] for m in columns)
        ]
        print(f"|{share:.2f}|" + "|".join(cells) + "|")
    if not args.methods:
        return
    print("\nseconds per epoch (mean)\n")
    print("|" + "|".join(args.methods) + "|")
    print("|---" * len(args.methods) + "|")
    print("|" + "|".join(f"{np.mean(seconds[m]):.2f}" for m in args.methods) + "|")
    print_probes(probes, args.probe_share)
    save_figure(args.shares, {m: accuracy[m] for m in args.methods}, args.figure)
    print(f"\nfigure: {args.figure}")


def print_probes(probes: dict[str, list[dict[str, list[float]]]], share: float) -> None:
    """Table 4.1 (mean over seeds) and the smallest factor gaps over the seeds."""
    print(f"\nI(Z; w) in bits at unique share {share} (Table 4.1), mean over seeds\n")
    print("|method|Z|I(Z; w1)|I(Z; w2)|I(Z; ws)|")
    print("|---|---|---|---|---|")
    for method, runs in probes.items():
        if not runs:
            continue
        for name in runs[0]:
            values = np.mean([run[name] for run in runs], axis=0)
            print(f"|{method}|{name}|" + "|".join(f"{v:.2f}" for v in values) + "|")
    for method, runs in probes.items():
        if not runs or "u1" not in runs[0]:
            continue
        gaps = {
            "I(Z_U1; w1) - I(Z_S1; w1)": [r["u1"][0] - r["s1"][0] for r in runs],
            "I(Z_U2; w2) - I(Z_S2; w2)": [r["u2"][1] - r["s2"][1] for r in runs],
            "I(Z_S1; ws) - I(Z_U1; ws)": [r["s1"][2] - r["u1"][2] for r in runs],
            "I(Z_S2; ws) - I(Z_U2; ws)": [r["s2"][2] - r["u2"][2] for r in runs],
        }
        print(f"\n{method}: factor gaps in bits, smallest over seeds (each seed)")
        for label, values in gaps.items():
            listed = ", ".join(f"{v:.2f}" for v in values)
            print(f"- {label}: {min(values):.2f} ({listed})")


def save_figure(shares, accuracy, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, values in accuracy.items():
        style = "-o" if method.startswith("factorcl") else "--."
        mean = values.mean(axis=0)
        spread = np.stack([mean - values.min(axis=0), values.max(axis=0) - mean])
        ax.errorbar(shares, mean, yerr=spread, fmt=style, capsize=2, label=method)
    ax.set_xlabel("share of task information unique to one modality")
    ax.set_ylabel("linear-probe test accuracy (seed range)")
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
