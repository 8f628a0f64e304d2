"""``pid select REPORT.json``: recommend fusion models for the dataset a report describes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pid.cli.common import add_quiet_option, require_torch


def add_parser(commands: Any) -> None:
    """Register ``pid select``."""
    select = commands.add_parser(
        "select",
        help="recommend fusion models for the dataset a PID report describes",
        description="Read a report.json from pid compute or pid bounds, find the reference "
        "datasets with the most similar normalized PID and recommend the fusion models that did "
        "best on them; writes selection.json, selection.md and selection.html.",
    )
    select.add_argument("report", metavar="REPORT", help="report.json of pid compute or pid bounds")
    select.add_argument("--bank", type=Path, help="reference bank (default: the packaged one)")
    select.add_argument("--top", type=int, default=3, help="models to recommend (default 3)")
    select.add_argument(
        "--neighbors",
        type=int,
        default=3,
        help="nearest reference datasets to pool, weighted by 1 / distance (default 3)",
    )
    select.add_argument(
        "--out",
        type=Path,
        default=Path("pid-selection"),
        help="folder for selection.json, .md and .html (default: pid-selection)",
    )
    select.add_argument(
        "--validate",
        metavar="DATA",
        help="train the recommended models and a baseline on DATA (the report's two modalities "
        "and y, its label bins applied) and report what each reached (needs torch)",
    )
    add_quiet_option(select)
    select.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read the report, select (and train the picks on ``--validate`` data), write the
    selection, then print it."""
    from pid.file_set import check_target
    from pid.report import read_report
    from pid.selection import load_reference, select
    from pid.selection_report import SELECTION_FILES, write_selection

    check_target(args.out, SELECTION_FILES)
    report = read_report(args.report)
    bank = load_reference(args.bank) if args.bank is not None else None
    selection = select(report, bank=bank, top=args.top, neighbors=args.neighbors)
    validation = None
    if args.validate is not None:
        require_torch("pid select --validate")
        from pid.distributed import main_process
        from pid.workflows.zoo import validate_selection

        x1, x2, y = _validation_data(args.validate, report.provenance)
        validation = validate_selection(
            selection, x1, x2, y, source=str(args.validate), progress=not args.quiet
        )
        if not main_process():
            return 0  # under torchrun, rank 0 writes and prints
    paths = write_selection(selection, args.out, source=str(args.report), validation=validation)
    shares = ", ".join(f"{t} {v:.0%}" for t, v in selection.shares.items())
    near = ", ".join(f"{name} (s = {s:.3f})" for name, s in selection.neighbors)
    print(f"normalized PID: {shares}\nnearest reference dataset(s): {near}\n{selection.summary}\n")
    for rank, rec in enumerate(selection.recommendations, 1):
        low, high = rec.share_range
        line = f"{rank}. {rec.model:<9} expected {rec.expected_share:.1%} of the best accuracy "
        line += f"({low:.1%} to {high:.1%} on the nearest)"
        if rec.accuracy_interval is not None:
            low, high = rec.accuracy_interval
            line += f"; predicted accuracy {low:.1%} to {high:.1%}"
        print(f"{line}\n   {rec.reason}")
    if validation is not None:
        baseline = validation["baseline"] or "none: the baselines are recommended"
        print(f"\ntrained on {args.validate} (baseline {baseline}):")
        for name, m in sorted(validation["models"].items(), key=lambda i: -i[1]["accuracy"]):
            print(
                f"   {name:<9} accuracy {m['accuracy']:.3f} ({m['share_of_best']:.1%} of the best)"
            )
    print(f"\nwrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _validation_data(path: str, provenance: dict[str, Any]) -> tuple[Any, Any, Any]:
    """``x1``, ``x2`` and ``y`` of the ``--validate`` data as the report read them: its
    columns (``--columns``) and the two modalities it names (``x1`` and ``x2`` by default),
    the labels cut at its label bins."""
    from pid.discretize import apply_label_bins
    from pid.io import load, load_modalities
    from pid.table_files import label_name
    from pid.workflows.inputs import check_two_modalities

    columns = provenance.get("columns") or {}
    label = label_name(columns)
    names = provenance.get("modalities")
    if names is not None:
        modalities, y = load_modalities(path, label=label, names=names)
        x1, x2 = modalities.values()
    else:
        check_two_modalities(path, columns)
        x1, x2, y = load(path, columns=columns)
    bins = provenance.get("label_bins")
    if bins is not None:
        y = apply_label_bins(y, bins["edges"])
    return x1, x2, y
