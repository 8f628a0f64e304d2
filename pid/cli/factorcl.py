"""``pid factorcl train DATA``: FactorCL representations of shared and unique information."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pid.cli.common import (
    add_columns_option,
    add_label_bins_option,
    add_quiet_option,
    parse_columns,
)
from pid.result import json_default


def add_parser(commands: Any) -> None:
    """Register ``pid factorcl train``."""
    factorcl = commands.add_parser(
        "factorcl",
        help="train FactorCL representations of shared and unique information",
        description="Factorized contrastive learning (thesis Chapter 4).",
    )
    factorcl_commands = factorcl.add_subparsers(required=True, metavar="ACTION")
    factorcl_train = factorcl_commands.add_parser(
        "train",
        help="train FactorCL on x1, x2, y from DATA and score a linear probe",
        description="Load x1, x2 and y from DATA (any format pid compute reads), hold out a "
        "test split, train FactorCL or a baseline on the rest (--method; FactorCL with labels: "
        "factorcl-sup, without, by multimodal augmentations: factorcl-ssl), score a linear "
        "probe of the frozen representations on the test split, and write factorcl.pt "
        "(checkpoint, rewritten after every epoch) and factorcl.json (settings, accuracy, "
        "per-epoch history).",
    )
    factorcl_train.add_argument("data", metavar="DATA", help="file or folder holding x1, x2, y")
    factorcl_train.add_argument(
        "--method",
        default="factorcl-sup",
        help="FactorCL with labels (factorcl-sup, the default) or augmentations (factorcl-ssl), "
        "or a baseline of thesis Table 4.2: ourcl-sup, ourcl-ssl, simclr, cross-self, supcon",
    )
    factorcl_train.add_argument("--epochs", type=int, default=50, help="default: 50")
    factorcl_train.add_argument("--batch-size", type=int, default=256, help="default: 256")
    factorcl_train.add_argument(
        "--learning-rate", type=float, default=1e-3, help="Adam step size (default: 0.001)"
    )
    factorcl_train.add_argument(
        "--hidden", type=int, default=128, help="width of the encoders (default: 128)"
    )
    factorcl_train.add_argument(
        "--embed-dim", type=int, default=32, help="size of each representation (default: 32)"
    )
    factorcl_train.add_argument(
        "--critic-hidden", type=int, default=128, help="width of the critics (default: 128)"
    )
    factorcl_train.add_argument(
        "--temperature",
        type=float,
        default=0.1,
        help="of simclr, cross-self and supcon (default: 0.1)",
    )
    factorcl_train.add_argument(
        "--mask-prob", type=float, default=0.3, help="augmentation masking (default: 0.3)"
    )
    factorcl_train.add_argument(
        "--noise", type=float, default=0.1, help="augmentation noise (default: 0.1)"
    )
    factorcl_train.add_argument(
        "--test-fraction", type=float, default=0.2, help="held-out share (default: 0.2)"
    )
    factorcl_train.add_argument("--seed", type=int, default=0, help="seed of split and training")
    factorcl_train.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    factorcl_train.add_argument(
        "--out", type=Path, default=Path("factorcl-out"), help="folder (default: factorcl-out)"
    )
    add_columns_option(factorcl_train)
    add_label_bins_option(factorcl_train)
    add_quiet_option(factorcl_train)
    factorcl_train.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Split, train, probe and write the checkpoint and the summary."""
    import numpy as np

    from pid.discretize import bin_labels
    from pid.factorcl import linear_probe, train
    from pid.file_set import write_text_atomic
    from pid.io import load
    from pid.validation import check_seed

    check_seed(args.seed, "--seed")
    if not 0 < args.test_fraction < 1:
        raise ValueError(f"--test-fraction is {args.test_fraction}; pass a number in (0, 1).")
    x1, x2, y = load(args.data, columns=parse_columns(args.columns))
    if args.label_bins is not None:
        y = bin_labels(y, args.label_bins)[0]
    order = np.random.default_rng(args.seed).permutation(len(y))
    n_test = round(len(y) * args.test_fraction)
    if n_test < 1 or len(y) - n_test < 2:
        raise ValueError(
            f"{len(y)} samples cannot be split with --test-fraction {args.test_fraction}; "
            "pass more samples or another fraction."
        )
    test, fit = order[:n_test], order[n_test:]
    model = train(
        x1[fit],
        x2[fit],
        y[fit],
        method=args.method,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        hidden=args.hidden,
        embed_dim=args.embed_dim,
        critic_hidden=args.critic_hidden,
        temperature=args.temperature,
        mask_prob=args.mask_prob,
        noise=args.noise,
        device=args.device,
        seed=args.seed,
        checkpoint=args.out / "factorcl.pt",
        progress=not args.quiet,
    )
    accuracy = linear_probe(
        model.features(x1[fit], x2[fit]), y[fit], model.features(x1[test], x2[test]), y[test]
    )
    summary = {
        "data": str(args.data),
        "config": model.config,
        "train_samples": len(fit),
        "test_samples": len(test),
        "linear_probe_accuracy": accuracy,
        "history": model.history,
    }
    write_text_atomic(
        args.out / "factorcl.json", json.dumps(summary, indent=2, default=json_default)
    )
    seconds = np.mean([h["seconds"] for h in model.history])
    print(f"{args.method}: {len(fit)} train / {len(test)} test samples")
    print(f"linear-probe test accuracy {accuracy:.4f}; {seconds:.2f} s per epoch")
    print(f"wrote {args.out / 'factorcl.pt'} and {args.out / 'factorcl.json'}")
    return 0
