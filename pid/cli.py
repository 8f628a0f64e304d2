"""The ``pid`` command: ``pid compute DATA`` and ``pid demo``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pid.errors import SolverError
from pid.estimators import ESTIMATORS
from pid.result import PIDResult

#: Exit status for bad input, as for argparse's own usage errors.
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, SolverError) as err:
        print(f"pid: error: {err}", file=sys.stderr)
        return EXIT_USAGE


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pid",
        description="Partial information decomposition: redundancy, uniqueness and synergy "
        "of two modalities about a task, in bits.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    compute = commands.add_parser(
        "compute", help="decompose the samples in an .npz file (arrays x1, x2, y)"
    )
    compute.add_argument("data", metavar="DATA", help=".npz file with integer codes x1, x2, y")
    compute.add_argument(
        "--estimator", choices=sorted(ESTIMATORS), default="cvx", help="default: cvx (exact)"
    )
    compute.add_argument(
        "--out", type=Path, default=Path("."), help="folder for result.json (default: .)"
    )
    compute.set_defaults(run=_compute)

    demo = commands.add_parser("demo", help="decompose the built-in example data")
    demo.add_argument("--out", type=Path, default=Path("pid-report"), help="folder for demo.json")
    demo.set_defaults(run=_demo)
    return parser


def _compute(args: argparse.Namespace) -> int:
    from pid.api import decompose
    from pid.io import load_npz, write_text_atomic

    x1, x2, y = load_npz(args.data)
    result = decompose(x1, x2, y, estimator=args.estimator)
    print(_format_table([(Path(args.data).name, result)]))
    out = args.out / "result.json"
    write_text_atomic(out, result.to_json())
    print(f"wrote {out}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pid.api import decompose
    from pid.datasets import CANONICAL, canonical, latent_bits
    from pid.estimators import estimate
    from pid.io import write_text_atomic

    rows = [(name, estimate(canonical(name))) for name in CANONICAL]
    x1, x2, y = latent_bits(20_000, seed=0)
    rows.append(("latent_bits (20k samples; truth 1/1/1/1)", decompose(x1, x2, y)))
    print("Exact PID (CVX estimator) of the built-in examples, in bits:\n")
    print(_format_table(rows))
    out = args.out / "demo.json"
    write_text_atomic(out, json.dumps({name: r.to_dict() for name, r in rows}, indent=2))
    print(f"\nwrote {out}")
    return 0


def _format_table(rows: list[tuple[str, PIDResult]]) -> str:
    width = max(len("data"), *(len(name) for name, _ in rows))
    header = f"{'data':<{width}}  {'R':>9} {'U1':>9} {'U2':>9} {'S':>9} {'I(X1,X2;Y)':>11}"
    lines = [header, "-" * len(header)]
    for name, r in rows:
        r_, u1, u2, s, total = (_shown(v) for v in (r.R, r.U1, r.U2, r.S, r.mi_x1x2_y))
        lines.append(f"{name:<{width}}  {r_:9.6f} {u1:9.6f} {u2:9.6f} {s:9.6f} {total:11.6f}")
    return "\n".join(lines)


def _shown(value: float) -> float:
    """The value as printed to six decimals, without a sign on solver noise around zero."""
    return round(value, 6) + 0.0


if __name__ == "__main__":
    sys.exit(main())
