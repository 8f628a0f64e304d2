"""``pid bounds``: synergy bounds from labeled unimodal data and unlabeled pairs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pid.cli.common import add_label_bins_option, shown


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
    bounds.add_argument("--seed", type=int, default=0, help="seed for clustering and resampling")
    bounds.add_argument(
        "--bootstrap",
        type=int,
        default=100,
        metavar="N",
        help="resamples of each set for bias-corrected figures and 95%% intervals, on which "
        "the conclusions rest (default: 100; 0: the bounds of the samples as drawn)",
    )
    bounds.add_argument(
        "--out", type=Path, default=Path("pid-report"), help="report folder (default: pid-report)"
    )
    add_label_bins_option(bounds)
    bounds.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the three datasets, bound, write the report and print the reading."""
    from pid.bounds.resampling import FIGURES, BoundsResampling
    from pid.file_set import check_target
    from pid.io import load_pair
    from pid.report import write_report
    from pid.report.writer import REPORT_FILES
    from pid.workflows.bounds import analyze_bounds

    if args.bootstrap < 0 or args.bootstrap == 1:
        raise ValueError(
            f"--bootstrap is {args.bootstrap}; pass 0 (no resampling) or at least 2 resamples."
        )
    check_target(args.out, REPORT_FILES)
    labeled1 = load_pair(args.labeled1, ("x1", "y"), label="y")
    labeled2 = load_pair(args.labeled2, ("x2", "y"), label="y")
    unlabeled = load_pair(args.unlabeled, ("x1", "x2"))
    sources = {"labeled1": args.labeled1, "labeled2": args.labeled2, "unlabeled": args.unlabeled}
    bounds, resampled, report = analyze_bounds(
        labeled1,
        labeled2,
        unlabeled,
        n_clusters=args.clusters,
        pca=args.pca,
        label_bins=args.label_bins,
        seed=args.seed,
        resampling=BoundsResampling(n_bootstrap=args.bootstrap, seed=args.seed),
        sources=sources,
    )
    paths = write_report(report, args.out)
    for name in ("R", "U1", "U2"):
        line = (
            f"{name:<2} = {shown(getattr(bounds, name)):.6f}   (exact for the samples' marginals)"
        )
        if resampled:
            low, high = resampled.interval(name)
            value = resampled.corrected[FIGURES.index(name)]
            line += f"; bias-corrected {shown(value):.6f}, {resampled.confidence:.0%} interval "
            line += f"[{shown(low):.6f}, {shown(high):.6f}]"
        print(line)
    line = f"S  in [{shown(bounds.lower):.6f}, {shown(bounds.upper):.6f}]   (proven for them)"
    if resampled:
        low, high = resampled.interval("S")
        line += f"; {resampled.confidence:.0%} interval [{shown(low):.6f}, {shown(high):.6f}]"
    print(line)
    accuracy = report.accuracy
    print(f"best multimodal accuracy in [{accuracy['lower']:.1%}, {accuracy['upper']:.1%}]\n")
    print("\n".join(report.guidance))
    print(f"\nwrote {', '.join(str(p) for p in paths.values())}")
    return 0
