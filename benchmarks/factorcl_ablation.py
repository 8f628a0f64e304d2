"""What FactorCL's factorization owes to each critic setting (docs/factorcl.md).

At unique share 1 of ``pid.factorcl.shared_unique`` (4,000 training and 2,000 test samples,
30 epochs), FactorCL-SUP and FactorCL-SSL are trained with several
:class:`~pid.factorcl.objectives.CriticSettings` (upper-bound critic steps per batch, critic
temperature or unbounded dot-product critics, weight of the factorization term, and, for
FactorCL-SUP, whether the condition is the label alone or the label and the augmented pair)
over three seeds. For each setting: linear-probe accuracy, the four factor gaps in bits (the unique
representation's information about its modality's own latent minus the shared one's, and the
shared one's about the common latent minus the unique one's), all held out, and the batch
estimates of S, U1 and U2 (nats) of the last epoch.

Run: ``python benchmarks/factorcl_ablation.py [--seeds 0 1 2] [--methods factorcl-sup]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _machine import describe

from pid.factorcl import linear_probe, shared_unique, train
from pid.factorcl.objectives import CriticSettings
from pid.factorcl.probing import probe

SETTINGS = {
    "factorcl-sup": [
        CriticSettings(1, 0.1, 0.0, views_in_condition=False),
        CriticSettings(5, 0.1, 0.3, views_in_condition=False),
        CriticSettings(1, 0.1, 0.0),
        CriticSettings(5, 0.1, 0.0),
        CriticSettings(5, 0.1, 0.3),
    ],
    "factorcl-ssl": [
        CriticSettings(1, None, 0.0),
        CriticSettings(1, 0.1, 0.0),
        CriticSettings(5, 0.1, 0.0),
        CriticSettings(5, 0.1, 0.3),
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--methods", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {describe()}; torch {torch.__version__}, 1 thread, CPU")
    print(
        "|method|critic steps|temperature|factor weight|condition|accuracy|U1-S1 on w1|"
        "U2-S2 on w2|S1-U1 on ws|S2-U2 on ws|S, U1, U2 (nats)|"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for method in args.methods:
        for settings in SETTINGS[method]:
            rows, estimates = [], []
            for seed in args.seeds:
                rows.append(run(method, settings, seed, args.epochs))
                estimates.append(rows[-1].pop())
            values = np.array(rows)
            cells = [f"{v.mean():.3f}" for v in values.T[:1]] + [
                f"{v.mean():.2f} (min {v.min():.2f})" for v in values.T[1:]
            ]
            parts = np.mean(estimates, axis=0)
            temperature = "dot" if settings.temperature is None else settings.temperature
            if method.endswith("-ssl"):
                condition = "views"
            else:
                condition = "label, views" if settings.views_in_condition else "label"
            print(
                f"|{method}|{settings.steps}|{temperature}|{settings.factor_weight}|{condition}|"
                + "|".join(cells)
                + "|"
                + ", ".join(f"{p:.2f}" for p in parts)
                + "|",
                flush=True,
            )


def run(method: str, settings: CriticSettings, seed: int, epochs: int) -> list:
    """Accuracy, the four factor gaps (bits) and the last epoch's (S, U1, U2)."""
    x1, x2, y, w = shared_unique(4000, 1.0, seed=seed)
    t1, t2, ty, tw = shared_unique(2000, 1.0, seed=seed + 100)
    model = train(
        x1, x2, y, method=method, epochs=epochs, seed=seed, device="cpu", critics=settings
    )
    accuracy = linear_probe(model.features(x1, x2), y, model.features(t1, t2), ty)
    report = probe(
        model,
        np.concatenate([x1, t1]),
        np.concatenate([x2, t2]),
        {name: np.concatenate([w[name], tw[name]]) for name in ("w1", "w2", "ws")},
    )
    bits = dict(zip(report.representations, report.information, strict=True))
    last = model.history[-1]
    return [
        accuracy,
        bits["u1"][0] - bits["s1"][0],
        bits["u2"][1] - bits["s2"][1],
        bits["s1"][2] - bits["u1"][2],
        bits["s2"][2] - bits["u2"][2],
        (last["S"], last["U1"], last["U2"]),
    ]


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - start:.0f} s")
