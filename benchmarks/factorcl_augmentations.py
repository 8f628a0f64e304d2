"""What FactorCL-SSL's augmentations keep, and what that does to its representations.

For a family of masking-and-noise strengths (``mask_prob``, ``noise``), on 4,000 samples of
``pid.factorcl.shared_unique`` at unique share 1 (seed 0): the share of each modality's
linear shared and unique parts the augmented views keep
(:func:`pid.factorcl.probing.augmentation_effect`), the information the view ``x1'`` keeps
about the latents (``I(X1'; w) / I(X1; w)``, Gaussian probe bounds), the warnings the toolkit
prints, and FactorCL-SSL's linear-probe accuracy and ``I(Z_U1; w1)`` when trained with it
(30 epochs, 2,000 test samples).

Run: ``python benchmarks/factorcl_augmentations.py``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _machine import describe

from pid.factorcl import latent_information, linear_probe, shared_unique, train
from pid.factorcl.augment import augment
from pid.factorcl.probing import augmentation_effect, augmentation_warnings, probe

STRENGTHS = ((0.3, 0.1), (0.6, 0.1), (0.3, 1.0), (0.9, 0.1), (0.9, 1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {describe()}; torch {torch.__version__}, 1 thread, CPU")
    x1, x2, y, w = shared_unique(4000, 1.0, seed=0)
    t1, t2, ty, tw = shared_unique(2000, 1.0, seed=100)
    print(
        "|mask_prob|noise|x1 kept: shared / unique|x2 kept: shared / unique|"
        "I(X1'; w1) / I(X1; w1)|I(X1'; ws) / I(X1; ws)|warnings|accuracy|I(Z_U1; w1)|"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for mask_prob, noise in STRENGTHS:
        kept = augmentation_effect(x1, x2, mask_prob=mask_prob, noise=noise)
        latent = view_information(x1, t1, w, tw, mask_prob, noise)
        warnings = len(augmentation_warnings(kept))
        model = train(
            x1,
            x2,
            method="factorcl-ssl",
            epochs=args.epochs,
            mask_prob=mask_prob,
            noise=noise,
            device="cpu",
        )
        accuracy = linear_probe(model.features(x1, x2), y, model.features(t1, t2), ty)
        report = probe(
            model,
            np.concatenate([x1, t1]),
            np.concatenate([x2, t2]),
            {"w1": np.concatenate([w["w1"], tw["w1"]])},
        )
        unique_bits = report.information[report.representations.index("u1"), 0]
        print(
            f"|{mask_prob}|{noise}|{kept['x1']['shared']:.2f} / {kept['x1']['unique']:.2f}|"
            f"{kept['x2']['shared']:.2f} / {kept['x2']['unique']:.2f}|"
            f"{latent['w1']:.2f}|{latent['ws']:.2f}|{warnings}|{accuracy:.3f}|{unique_bits:.2f}|",
            flush=True,
        )


def view_information(x1, t1, w, tw, mask_prob, noise) -> dict[str, float]:
    """``I(X1'; w) / I(X1; w)`` for w1 and ws, probes fitted on x1's split, read on t1's."""
    generator = torch.Generator().manual_seed(0)
    mean, std = x1.mean(axis=0), x1.std(axis=0)
    a, b = ((v - mean) / std for v in (x1, t1))
    views = [
        augment(
            torch.as_tensor(v), mask_prob=mask_prob, noise=noise, generator=generator
        ).view.numpy()
        for v in (a, b)
    ]
    return {
        name: latent_information(views[0], w[name], views[1], tw[name])
        / latent_information(a, w[name], b, tw[name])
        for name in ("w1", "ws")
    }


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - start:.0f} s")
