"""``pid factorcl train DATA`` and ``pid factorcl probe CHECKPOINT DATA``: FactorCL
representations of shared and unique information, and what each of them holds."""

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
from pid.result import json_ready

#: What ``--latents`` must be, for its refusals.
LATENTS_EXPECTED = (
    "pass an .npz archive of latent arrays saved with numpy.savez, one row per sample of DATA "
    "(e.g. numpy.savez('latents.npz', w1=w1, w2=w2))"
)


def add_parser(commands: Any) -> None:
    """Register ``pid factorcl train`` and ``pid factorcl probe``."""
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
        "per-epoch history). Under torchrun (torchrun --nproc_per_node N -m pid factorcl train "
        "DATA ...) the processes share every batch and rank 0 writes the files.",
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
        "--critic-steps",
        type=int,
        help="FactorCL/OurCL: upper-bound critic steps per batch (default: 5)",
    )
    factorcl_train.add_argument(
        "--critic-temperature",
        type=float,
        help="FactorCL/OurCL: bounded critics cos/T (default: 0.1)",
    )
    factorcl_train.add_argument(
        "--factor-weight",
        type=float,
        help="FactorCL: weight of the term removing from Z_S what Z_U holds (default: 0.3)",
    )
    factorcl_train.add_argument(
        "--label-condition-only",
        action="store_true",
        help="factorcl-sup/ourcl-sup: condition the conditional terms on the label alone "
        "(Eqs. 4.13, 4.14), not on the label and the augmented pair",
    )
    _add_split_options(factorcl_train, test_fraction=0.2, out="factorcl-out")
    add_columns_option(factorcl_train)
    add_label_bins_option(factorcl_train)
    add_quiet_option(factorcl_train)
    factorcl_train.set_defaults(run=run)

    factorcl_probe = factorcl_commands.add_parser(
        "probe",
        help="what each representation of a trained model holds, against labels or latents",
        description="Load a checkpoint written by pid factorcl train and x1, x2, y from DATA, "
        "encode the samples, and estimate I(Z; target) in bits for every representation (Z_S1, "
        "Z_U1, Z_S2, Z_U2, or Z_1, Z_2) against the labels y and each latent in --latents, with "
        "probes fitted on one split and read on the held-out rest. Writes probe.json, probe.md "
        "and probe.png into --out; for models trained on augmented views (factorcl-sup, "
        "factorcl-ssl, ourcl-sup, ourcl-ssl, cross-self) also the share of each modality's "
        "shared and unique parts the augmentation keeps.",
    )
    factorcl_probe.add_argument("checkpoint", metavar="CHECKPOINT", help="factorcl.pt")
    factorcl_probe.add_argument("data", metavar="DATA", help="file or folder holding x1, x2, y")
    factorcl_probe.add_argument(
        "--latents",
        type=Path,
        help=".npz archive (numpy.savez) of latent arrays, one row per sample of DATA (e.g. "
        "w1, w2, ws)",
    )
    factorcl_probe.add_argument(
        "--no-labels", action="store_true", help="probe the latents only, not y"
    )
    _add_split_options(factorcl_probe, test_fraction=0.3, out="factorcl-probe")
    add_columns_option(factorcl_probe)
    factorcl_probe.set_defaults(run=run_probe)


def _add_split_options(parser: argparse.ArgumentParser, *, test_fraction: float, out: str) -> None:
    """``--test-fraction``, ``--seed`` (of the split, and of training where there is one),
    ``--device`` and ``--out``."""
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=test_fraction,
        help=f"held-out share (default: {test_fraction})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the split (and training)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    parser.add_argument("--out", type=Path, default=Path(out), help=f"folder (default: {out})")


def run(args: argparse.Namespace) -> int:
    """Split, train, probe and write the checkpoint and the summary."""
    import numpy as np

    from pid.discretize import bin_labels
    from pid.distributed import main_process
    from pid.factorcl import linear_probe, train
    from pid.factorcl.probing import augmentation_effect, augmentation_warnings
    from pid.factorcl.training import uses_views
    from pid.file_set import check_file_target, write_text_atomic
    from pid.io import load
    from pid.validation import check_labels, check_seed

    check_seed(args.seed, "--seed")
    for name in ("factorcl.pt", "factorcl.json"):  # on every process: all stop
        check_file_target(args.out / name)
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
    # The linear probe reads the labels after training: check them before it.
    check_labels(y)
    if len(np.unique(y[fit])) < 2:
        raise ValueError(
            "y holds a single class among the training samples, and the linear probe needs "
            "two; pass labels of at least two classes (or another --seed or --test-fraction)."
        )
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
        critics=_critic_settings(args),
        device=args.device,
        seed=args.seed,
        checkpoint=args.out / "factorcl.pt",
        progress=not args.quiet,
    )
    if not main_process():
        return 0  # rank 0 probes, writes and prints
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
    if uses_views(args.method):
        summary["augmentation"] = augmentation_effect(
            x1[fit],
            x2[fit],
            mask_prob=args.mask_prob,
            noise=args.noise,
            unique=args.method.endswith("-ssl"),
            seed=args.seed,
        )
    write_text_atomic(
        args.out / "factorcl.json", json.dumps(json_ready(summary), indent=2, allow_nan=False)
    )
    seconds = np.mean([h["seconds"] for h in model.history])
    print(f"{args.method}: {len(fit)} train / {len(test)} test samples")
    print(f"linear-probe test accuracy {accuracy:.4f}; {seconds:.2f} s per epoch")
    for sentence in augmentation_warnings(summary.get("augmentation", {})):
        print(sentence)
    print(f"wrote {args.out / 'factorcl.pt'} and {args.out / 'factorcl.json'}")
    return 0


def _critic_settings(args: argparse.Namespace) -> Any:
    """The method's :class:`CriticSettings` with the options given on the command line."""
    from dataclasses import replace

    from pid.factorcl.objectives import CriticSettings

    settings = CriticSettings.for_method(args.method)
    given = {
        "steps": args.critic_steps,
        "temperature": args.critic_temperature,
        "factor_weight": args.factor_weight,
        "views_in_condition": False if args.label_condition_only else None,
    }
    return replace(settings, **{k: v for k, v in given.items() if v is not None})


def run_probe(args: argparse.Namespace) -> int:
    """Encode DATA with the checkpoint's model, probe every representation, write the set."""
    import numpy as np

    from pid.factorcl import ContrastiveModel
    from pid.factorcl.probing import probe
    from pid.file_set import check_target, write_file_set
    from pid.io import load, read_npz
    from pid.validation import check_labels, check_seed

    check_seed(args.seed, "--seed")
    files = ("probe.json", "probe.md", "probe.png")
    check_target(args.out, files)
    model = ContrastiveModel.load(args.checkpoint, device=args.device)
    x1, x2, y = load(args.data, columns=parse_columns(args.columns))
    targets = {}
    if not args.no_labels:  # the labels as class indices: whole-number floats are no latent
        check_labels(y)
        targets["y"] = np.unique(y, return_inverse=True)[1].ravel()
    if args.latents is not None:
        latents = read_npz(args.latents, label="latents (--latents)", remedy=LATENTS_EXPECTED)
        for name, value in latents.items():
            if name in targets:
                raise ValueError(
                    f"--latents holds an array named {name!r}, like the labels; rename it or "
                    "pass --no-labels."
                )
            targets[name] = value
    if not targets:
        raise ValueError("--no-labels leaves nothing to probe; pass --latents FILE.npz.")
    report = probe(model, x1, x2, targets, test_fraction=args.test_fraction, seed=args.seed)
    markdown = report.to_markdown()
    write_file_set(
        args.out,
        {
            "probe.json": json.dumps(report.to_dict(), indent=2).encode(),
            "probe.md": markdown.encode(),
            "probe.png": report.figure_png(),
        },
    )
    print(markdown, end="")
    print(f"wrote {', '.join(str(args.out / f) for f in files)}")
    return 0
