"""The ``pid`` command: one module per command, each registering its parser.

``pid compute``, ``pid bounds``, ``pid demo``, ``pid factorcl train``, ``pid zoo train``,
``pid zoo build-reference``, ``pid select`` and ``pid heterogeneity``. Bad input is refused
with one sentence and exit status 2, never a traceback. Each command writes its files before
it prints, and a closed pipe (``pid compute DATA | head -1``) ends it quietly with exit status
0 (:mod:`pid.cli.pipes`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pid.cli import bounds, compute, demo, factorcl, heterogeneity, select, zoo
from pid.cli.common import EXIT_USAGE
from pid.cli.pipes import closed_pipes_tolerated
from pid.distributed import main_process
from pid.errors import SolverError
from pid.file_set import WriteError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    with closed_pipes_tolerated():
        try:
            if hasattr(args, "quiet") and not main_process():
                args.quiet = True  # under torchrun, rank 0 alone shows progress
            return args.run(args)
        except (ValueError, FileNotFoundError, SolverError, WriteError) as err:
            print(f"pid: error: {err}", file=sys.stderr)
            return EXIT_USAGE
        except MemoryError:
            print(
                "pid: error: this machine ran out of memory; pass fewer samples or fewer "
                "distinct values per variable, or free memory and run it again.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        except OSError as err:
            where = f" {err.filename!r}" if err.filename else ""
            print(
                f"pid: error: cannot use{where}: {err.strerror or err}; check the path and its "
                "permissions.",
                file=sys.stderr,
            )
            return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = argparse.ArgumentParser(
        prog="pid",
        description="Partial information decomposition: redundancy, uniqueness and synergy "
        "of two modalities about a task, in bits.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for module in (compute, bounds, factorcl, demo, zoo, select, heterogeneity):
        module.add_parser(commands)
    return parser
