"""``pid demo``: the exact PID of canonical gates, and reports on two built-in datasets."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from pid.cli.common import add_quiet_option, format_table
from pid.result import json_ready


def add_parser(commands: Any) -> None:
    """Register ``pid demo``."""
    demo = commands.add_parser(
        "demo", help="decompose built-in examples: gates, digit halves, a synthetic dataset"
    )
    demo.add_argument(
        "--out", type=Path, default=Path("pid-report"), help="report folder (default: pid-report)"
    )
    demo.add_argument("--bootstrap", type=int, default=20, metavar="N", help="default: 20")
    add_quiet_option(demo)
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the gates' PIDs and a report per example dataset, then print them."""
    from pid.datasets import CANONICAL, canonical, digits, generative
    from pid.estimators import estimate
    from pid.file_set import write_text_atomic
    from pid.report import write_report
    from pid.report.build import null_sentence
    from pid.sampling import SamplingOptions
    from pid.workflows.compute import analyze

    gates = [(name, estimate(canonical(name))) for name in CANONICAL]
    write_text_atomic(
        args.out / "canonical.json",
        json.dumps(json_ready({name: r.to_dict() for name, r in gates}), indent=2, allow_nan=False),
    )
    examples = {
        "digits": ("8x8 digits: left half vs right half of each image", digits()),
        "synergy": ("synthetic: label from both unique latents only", generative("S", 3000)),
    }
    rows = []
    for folder, (title, data) in examples.items():
        if not args.quiet:
            print(f"\n{title}", file=sys.stderr)
        result, report = analyze(
            *data,
            sampling=SamplingOptions(n_bootstrap=args.bootstrap),
            source=f"pid.datasets ({folder})",
            title=title,
            progress=not args.quiet,
        )
        write_report(report, args.out / folder)
        rows.append((folder, result))
    print("Exact PID (CVX estimator) of canonical distributions, in bits:\n")
    print(format_table(gates))
    print(
        "\nEstimated PID of example datasets (codes of cross-fitted posteriors, corrected for "
        "sampling bias), in bits:\n"
    )
    print(format_table(rows))
    print("\nPlug-in values (before the correction):\n")
    plugin = [(folder, replace(r, **r.sampling["plugin"])) for folder, r in rows]
    print(format_table(plugin))
    for folder, result in rows:
        notes = [null_sentence(result.sampling), *result.sampling["warnings"]]
        print(f"\n{folder}: " + " ".join(note for note in notes if note))
    print(f"\nreports in {args.out}/digits/ and {args.out}/synergy/ (report.html, .md, .json)")
    return 0
