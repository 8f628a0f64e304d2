"""``pid zoo train`` and ``pid zoo build-reference``: the fusion zoo (needs torch)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pid.cli.common import (
    add_columns_option,
    add_label_bins_option,
    add_quiet_option,
    add_sweep_options,
    add_training_options,
    parse_columns,
    sweep_options,
    training_config,
)
from pid.result import json_ready


def add_parser(commands: Any) -> None:
    """Register ``pid zoo`` with its actions ``train`` and ``build-reference``."""
    zoo = commands.add_parser(
        "zoo", help="train the fusion model zoo and measure the interactions each captures"
    )
    actions = zoo.add_subparsers(required=True, metavar="ACTION")

    train = actions.add_parser(
        "train",
        help="train fusion models on DATA and write accuracies, model PIDs and agreements",
        description="Split DATA (x1, x2, y in any format pid compute reads) 60/20/20, train the "
        "chosen fusion models with early stopping, and write report.json (the dataset's PID and, "
        "under 'zoo', each model's accuracy, model PID and agreement), report.md, report.html "
        "and predictions.npz (each model's test-set labels). Under torchrun (torchrun "
        "--nproc_per_node N -m pid zoo train DATA ...) the processes train each model together "
        "and rank 0 writes the files.",
    )
    train.add_argument("data", metavar="DATA", help="file or folder holding x1, x2 and y")
    train.add_argument(
        "--models", nargs="+", metavar="NAME", help="models to train (default: all ten)"
    )
    add_training_options(train)
    train.add_argument("--clusters", type=int, metavar="K", help="clusters per modality for PID")
    train.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="K",
        help="train each model K times, with seeds --seed to --seed + K - 1, and report the mean "
        "accuracy with its 95%% interval (default: 1)",
    )
    train.add_argument(
        "--checkpoints", action="store_true", help="also save each model's weights as NAME.pt"
    )
    train.add_argument(
        "--out", type=Path, default=Path("pid-zoo"), help="report folder (default: pid-zoo)"
    )
    add_columns_option(train)
    add_label_bins_option(train)
    add_sweep_options(train, "the trainings (one a model and seed)")
    add_quiet_option(train)
    train.set_defaults(run=_train)

    build = actions.add_parser(
        "build-reference",
        help="train the zoo on the synthetic reference datasets and write the bank",
        description="Regenerate the reference bank pid select reads: the zoo trained on the "
        "datasets of thesis Table 3.2 and mixtures of the four interactions.",
    )
    build.add_argument(
        "--samples", type=int, default=3000, metavar="N", help="samples a dataset (default 3000)"
    )
    add_training_options(build)
    build.add_argument(
        "--out",
        type=Path,
        default=Path("reference_bank.json"),
        help="bank file to write (default: reference_bank.json)",
    )
    add_quiet_option(build)
    add_sweep_options(build, "the reference datasets (one a recipe and sample seed)")
    build.set_defaults(run=_build_reference)


def _train(args: argparse.Namespace) -> int:
    import tempfile

    config = training_config(args, "pid zoo")
    from pid.discretize import bin_labels
    from pid.distributed import main_process
    from pid.file_set import check_target
    from pid.io import load
    from pid.models import check_model_names
    from pid.models.zoo import predictions_npz, run_seeds
    from pid.report import write_report
    from pid.report.writer import REPORT_FILES
    from pid.workflows.zoo import run_zoo

    if args.models is not None:
        check_model_names(args.models, "models (--models)")
    if args.seeds < 1:
        raise ValueError(f"--seeds is {args.seeds}; pass a whole number of at least 1.")
    run_seeds(config.seed, args.seeds)  # refuses a last seed out of range before any work
    check_target(args.out, [*REPORT_FILES, "predictions.npz"])
    x1, x2, y = load(args.data, columns=parse_columns(args.columns))
    if args.label_bins is not None:
        y = bin_labels(y, args.label_bins)[0]
    # Checkpoints are saved aside during training and join the report's set when it is written.
    with tempfile.TemporaryDirectory(prefix="pid-zoo-checkpoints-") as scratch:
        zoo, report = run_zoo(
            x1,
            x2,
            y,
            models=args.models,
            config=config,
            n_clusters=args.clusters,
            n_seeds=args.seeds,
            source=str(args.data),
            progress=not args.quiet,
            checkpoint_dir=scratch if args.checkpoints else None,
            sweep=sweep_options(args),
        )
        extra = {path.name: path.read_bytes() for path in sorted(Path(scratch).iterdir())}
    if not main_process():
        return 0  # rank 0 writes and prints
    extra["predictions.npz"] = predictions_npz(zoo, y)
    paths = write_report(report, args.out, extra=extra)
    print(_zoo_table(report.zoo))
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _build_reference(args: argparse.Namespace) -> int:
    from pid.distributed import main_process
    from pid.file_set import check_file_target, write_text_atomic

    config = training_config(args, "pid zoo")
    from pid.models.reference import build_reference

    if args.samples < 100:
        raise ValueError(f"--samples is {args.samples}; pass at least 100 samples a dataset.")
    check_file_target(args.out)  # before the build, which trains for minutes to hours
    bank = build_reference(
        n_samples=args.samples,
        config=config,
        progress=not args.quiet,
        sweep=sweep_options(args),
    )
    if not main_process():
        return 0  # rank 0 writes and prints
    write_text_atomic(args.out, json.dumps(json_ready(bank), indent=1, allow_nan=False))
    minutes = bank["timing"]["seconds"] / 60
    count = len(bank["datasets"])
    print(f"trained the zoo on {count} datasets in {minutes:.1f} min; wrote {args.out}")
    return 0


def _zoo_table(zoo: dict[str, Any]) -> str:
    """The report's zoo table as aligned plain text."""
    from pid.report.writer import zoo_table

    columns, rows = zoo_table(zoo)
    widths = [max(len(row[k]) for row in [columns, *rows]) for k in range(len(columns))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    header = "  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))
    return "\n".join([header, "-" * len(header), *lines])
