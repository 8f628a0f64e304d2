"""What the commands share: the exit status of bad input, ``--quiet``, the training options
and the table of terms."""

from __future__ import annotations

import argparse
from typing import Any

from pid.result import PIDResult

#: Exit status for bad input, as for argparse's own usage errors.
EXIT_USAGE = 2


def add_columns_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--columns KEY=NAMES`` (repeatable): where x1, x2 or y lie in DATA under other
    names; :func:`parse_columns` turns the values into :func:`pid.io.load`'s ``columns``."""
    parser.add_argument(
        "--columns",
        action="append",
        default=[],
        metavar="KEY=NAMES",
        help="where x1, x2 or y lie in DATA under other names: an array, or table columns "
        "separated by commas (--columns x1=age,bmi --columns y=label); repeatable",
    )


def parse_columns(values: list[str]) -> dict[str, list[str]]:
    """``{"x1": ["age", "bmi"], ...}`` from ``--columns`` values ``["x1=age,bmi", ...]``."""
    columns: dict[str, list[str]] = {}
    for value in values:
        key, sep, names = value.partition("=")
        chosen = [name.strip() for name in names.split(",") if name.strip()]
        if not sep or not key.strip() or not chosen:
            raise ValueError(
                f"--columns {value!r} is not KEY=NAMES; pass e.g. --columns x1=age,bmi or "
                "--columns y=label."
            )
        columns[key.strip()] = chosen
    return columns


def add_label_bins_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--label-bins K``: cut a continuous target y into K classes of equal frequency
    (:func:`pid.discretize.bin_labels`)."""
    parser.add_argument(
        "--label-bins",
        type=int,
        metavar="K",
        help="y is a continuous target: cut it into K classes of equal frequency, at its quantiles",
    )


def add_sweep_options(parser: argparse.ArgumentParser, jobs: str) -> None:
    """Add ``--jobs N``, ``--backend`` and ``--address``: where the independent ``jobs`` (named
    in the help) run; :func:`sweep_options` turns them into :class:`pid.sweep.SweepOptions`."""
    from pid.sweep import BACKENDS

    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help=f"workers for {jobs}: 1 (default) runs them here one after the other, -1 on "
        "every core or cluster worker; the results are the same",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="processes",
        help="processes on this machine (default), or a Ray or Dask cluster",
    )
    parser.add_argument(
        "--address",
        help="a running Ray cluster (auto, ray://HOST:10001) or Dask scheduler "
        "(tcp://HOST:8786); default: a local one with --jobs workers",
    )


def sweep_options(args: argparse.Namespace) -> Any:
    """The :class:`pid.sweep.SweepOptions` of ``--jobs``, ``--backend`` and ``--address``."""
    from pid.sweep import SweepOptions

    try:
        return SweepOptions(backend=args.backend, n_jobs=args.jobs, address=args.address)
    except ValueError as error:
        message = (
            str(error)
            .replace("n_jobs is", "--jobs is")
            .replace("address is", "--address is")
            .replace("(backend)", "(--backend)")
        )
        raise ValueError(message) from None


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--quiet``: no progress bars or step messages on stderr (for logs and scripts);
    results, warnings and errors are still printed."""
    parser.add_argument(
        "--quiet", action="store_true", help="no progress on stderr; results still printed"
    )


def require_torch(command: str) -> None:
    """Refuse, in one sentence, a command that trains models where torch is not installed."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ValueError(
            f"{command} needs torch, which is not installed; install a build for this machine "
            "(pip install torch) and run it again."
        ) from None


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """Add the options of :class:`pid.models.TrainConfig` (``--epochs``, ``--patience``,
    ``--hidden``, ``--batch-size``, ``--seed``, ``--device``) and ``--threads``;
    :func:`training_config` reads them."""
    parser.add_argument("--epochs", type=int, default=60, help="most epochs (default 60)")
    parser.add_argument(
        "--patience", type=int, default=10, help="epochs without improvement (default 10)"
    )
    parser.add_argument("--hidden", type=int, default=32, help="representation width (default 32)")
    parser.add_argument("--batch-size", type=int, default=128, help="minibatch size (default 128)")
    parser.add_argument("--seed", type=int, default=0, help="seed for initialization and order")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: the models are small, and more threads mostly wait "
        "on each other, worst on a busy machine)",
    )


def training_config(args: argparse.Namespace, command: str) -> Any:
    """The :class:`pid.models.TrainConfig` of the options :func:`add_training_options` added,
    after setting torch's thread count; ``command`` names the command where torch is missing."""
    require_torch(command)
    import torch

    from pid.models import TrainConfig

    for flag in ("threads", "epochs", "patience", "hidden", "batch_size"):
        value = getattr(args, flag)
        if value < 1:
            option = "--" + flag.replace("_", "-")
            raise ValueError(f"{option} is {value}; pass a positive whole number.")
    torch.set_num_threads(args.threads)
    return TrainConfig(
        hidden=args.hidden,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        patience=args.patience,
        seed=args.seed,
        device=args.device,
    )


def format_table(rows: list[tuple[str, PIDResult]]) -> str:
    """A plain-text table of R, U1, U2, S and I(X1,X2;Y), one row per named result."""
    width = max(len("data"), *(len(name) for name, _ in rows))
    header = f"{'data':<{width}}  {'R':>9} {'U1':>9} {'U2':>9} {'S':>9} {'I(X1,X2;Y)':>11}"
    lines = [header, "-" * len(header)]
    for name, r in rows:
        r_, u1, u2, s, total = (shown(v) for v in (r.R, r.U1, r.U2, r.S, r.mi_x1x2_y))
        lines.append(f"{name:<{width}}  {r_:9.6f} {u1:9.6f} {u2:9.6f} {s:9.6f} {total:11.6f}")
    return "\n".join(lines)


def shown(value: float) -> float:
    """The value as printed to six decimals, without a sign on solver noise around zero."""
    return round(value, 6) + 0.0
