"""``pid demo``: the exact PID of canonical gates, and reports on two built-in datasets."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from pid.cli.common import add_quiet_option, format_table
from pid.result import PIDResult, json_ready


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
    """Write the gates' PIDs and a report per example dataset, then print them; the settings
    and the folder are checked first and every file is written at the end, as one set."""
    from pid.datasets import CANONICAL, canonical, digits, generative
    from pid.estimators import estimate
    from pid.file_set import check_target, write_file_set
    from pid.report.build import null_sentence
    from pid.report.writer import REPORT_FILES, report_files
    from pid.sampling import SamplingOptions
    from pid.workflows.compute import analyze

    try:
        sampling = SamplingOptions(n_bootstrap=args.bootstrap)
    except ValueError as error:
        raise ValueError(str(error).replace("n_bootstrap is", "--bootstrap is")) from None
    examples = {
        "digits": ("8x8 digits: left half vs right half of each image", digits),
        "synergy": (
            "synthetic: label from both unique latents only",
            partial(generative, "S", 3000),
        ),
    }
    check_target(
        args.out, ["canonical.json", *(f"{f}/{n}" for f in examples for n in REPORT_FILES)]
    )
    gates = [(name, estimate(canonical(name))) for name in CANONICAL]
    files = {
        "canonical.json": json.dumps(
            json_ready({name: r.to_dict() for name, r in gates}), indent=2, allow_nan=False
        ).encode("utf-8")
    }
    rows = []
    for folder, (title, load) in examples.items():
        if not args.quiet:
            print(f"\n{title}", file=sys.stderr)
        result, report = analyze(
            *load(),
            sampling=sampling,
            source=f"pid.datasets ({folder})",
            title=title,
            progress=not args.quiet,
        )
        files |= {f"{folder}/{name}": text for name, text in report_files(report).items()}
        rows.append((folder, result))
    write_file_set(args.out, files)
    print("Exact PID (CVX estimator) of canonical distributions, in bits:\n")
    print(format_table(gates))
    print(
        "\nEstimated PID of example datasets (codes of cross-fitted posteriors, corrected for "
        "sampling bias), in bits:\n"
    )
    print(format_table(rows))
    print("\nPlug-in values (before the correction):\n")
    print(format_table([(folder, _plugin_result(r)) for folder, r in rows]))
    for folder, result in rows:
        notes = [null_sentence(result.sampling), *result.sampling["warnings"]]
        print(f"\n{folder}: " + " ".join(note for note in notes if note))
    print(f"\nreports in {args.out}/digits/ and {args.out}/synergy/ (report.html, .md, .json)")
    return 0


def _plugin_result(result: PIDResult) -> PIDResult:
    """The result with its plug-in terms and informations (``result.sampling``) in place of
    the corrected ones."""
    informations = result.sampling["plugin_informations"]
    return replace(
        result,
        **result.sampling["plugin"],
        mi_x1_y=informations["I(X1;Y)"],
        mi_x2_y=informations["I(X2;Y)"],
        mi_x1x2_y=informations["I(X1,X2;Y)"],
    )
