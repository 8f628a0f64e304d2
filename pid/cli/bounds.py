"""``pid bounds``: synergy bounds from labeled unimodal data and unlabeled pairs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pid.cli.common import shown


def add_parser(commands: Any) -> None:
    """Register ``pid bounds``."""
    bounds = commands.add_parser(
        "bounds",
        help="bracket synergy from labeled unimodal data and unlabeled pairs",
        description="Compute R, U1 and U2 exactly and bound synergy and the best multimodal "
        "accuracy from labeled x1 (arrays x1, y), labeled x2 (arrays x2, y) and unlabeled pairs "
        "(arrays x1, x2); writes report.json, report.md and report.html.",
    )
    bounds.add_argument("--labeled1", required=True, metavar="A", help="file with x1 and y")
    bounds.add_argument("--labeled2", required=True, metavar="B", help="file with x2 and y")
    bounds.add_argument("--unlabeled", required=True, metavar="M", help="file with x1 and x2")
    bounds.add_argument("--clusters", type=int, metavar="K", help="clusters per modality")
    bounds.add_argument("--pca", type=int, metavar="N", help="principal components kept")
    bounds.add_argument("--seed", type=int, default=0, help="seed for clustering")
    bounds.add_argument(
        "--out", type=Path, default=Path("pid-report"), help="report folder (default: pid-report)"
    )
    bounds.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the three datasets, bound, print the reading and write the report."""
    from pid.io import load_pair
    from pid.report import write_report
    from pid.workflows.bounds import analyze_bounds

    labeled1 = load_pair(args.labeled1, ("x1", "y"), label="y")
    labeled2 = load_pair(args.labeled2, ("x2", "y"), label="y")
    unlabeled = load_pair(args.unlabeled, ("x1", "x2"))
    sources = {"labeled1": args.labeled1, "labeled2": args.labeled2, "unlabeled": args.unlabeled}
    bounds, report = analyze_bounds(
        labeled1,
        labeled2,
        unlabeled,
        n_clusters=args.clusters,
        pca=args.pca,
        seed=args.seed,
        sources=sources,
    )
    print(f"R  = {shown(bounds.R):.6f}   (exact for the reconciled marginals)")
    print(f"U1 = {shown(bounds.U1):.6f}   (exact for the reconciled marginals)")
    print(f"U2 = {shown(bounds.U2):.6f}   (exact for the reconciled marginals)")
    print(f"S  in [{shown(bounds.lower):.6f}, {shown(bounds.upper):.6f}]")
    accuracy = report.accuracy
    print(f"best multimodal accuracy in [{accuracy['lower']:.1%}, {accuracy['upper']:.1%}]\n")
    print("\n".join(report.guidance))
    paths = write_report(report, args.out)
    print(f"\nwrote {', '.join(str(p) for p in paths.values())}")
    return 0
