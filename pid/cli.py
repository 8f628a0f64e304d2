"""The ``pid`` command: ``pid compute DATA``, ``pid bounds``, ``pid demo``, ``pid zoo`` and
``pid select``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pid.cli_zoo import add_zoo_commands
from pid.errors import SolverError
from pid.estimators import ESTIMATORS
from pid.result import PIDResult, json_default

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
    except OSError as err:
        where = f" {err.filename!r}" if err.filename else ""
        print(
            f"pid: error: cannot use{where}: {err.strerror or err}; check the path and its "
            "permissions.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except BrokenPipeError:  # the reader of our output went away (pid ... | head)
        sys.stderr.close()
        return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pid",
        description="Partial information decomposition: redundancy, uniqueness and synergy "
        "of two modalities about a task, in bits.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    compute = commands.add_parser(
        "compute",
        help="decompose paired samples from a file and write a report",
        description="Load x1, x2 and y from DATA (.npz, .csv, .parquet, .pt, .safetensors, or a "
        "folder of x1.npy, x2.npy, y.npy), discretize continuous features, decompose, and "
        "write report.json, report.md, report.html and result.json.",
    )
    compute.add_argument("data", metavar="DATA", help="file or folder holding x1, x2 and y")
    compute.add_argument(
        "--estimator", choices=sorted(ESTIMATORS), default="cvx", help="default: cvx (exact)"
    )
    compute.add_argument(
        "--clusters",
        type=int,
        metavar="K",
        help="clusters per continuous modality (default: Rice rule, at most 20)",
    )
    compute.add_argument(
        "--pca", type=int, metavar="N", help="principal components kept before clustering"
    )
    compute.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="N",
        help="resamples for 95%% percentile intervals (default: none)",
    )
    compute.add_argument("--seed", type=int, default=0, help="seed for clustering and resampling")
    compute.add_argument(
        "--drop-nonfinite", action="store_true", help="drop samples with NaN or infinite values"
    )
    compute.add_argument(
        "--out", type=Path, default=Path("pid-report"), help="report folder (default: pid-report)"
    )
    compute.set_defaults(run=_compute)

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
    bounds.set_defaults(run=_bounds)

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
        "test split, train FactorCL on the rest (with labels: --variant sup; without, by "
        "multimodal augmentations: --variant ssl), score a linear probe of the frozen "
        "representations on the test split, and write factorcl.pt (checkpoint, rewritten "
        "after every epoch) and factorcl.json (settings, accuracy, per-epoch history).",
    )
    factorcl_train.add_argument("data", metavar="DATA", help="file or folder holding x1, x2, y")
    factorcl_train.add_argument("--variant", choices=("sup", "ssl"), default="sup")
    factorcl_train.add_argument("--epochs", type=int, default=50, help="default: 50")
    factorcl_train.add_argument("--batch-size", type=int, default=256, help="default: 256")
    factorcl_train.add_argument("--embed-dim", type=int, default=32, help="default: 32")
    factorcl_train.add_argument(
        "--test-fraction", type=float, default=0.2, help="held-out share (default: 0.2)"
    )
    factorcl_train.add_argument("--seed", type=int, default=0, help="seed of split and training")
    factorcl_train.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    factorcl_train.add_argument(
        "--out", type=Path, default=Path("factorcl-out"), help="folder (default: factorcl-out)"
    )
    factorcl_train.set_defaults(run=_factorcl_train)

    demo = commands.add_parser(
        "demo", help="decompose built-in examples: gates, digit halves, a synthetic dataset"
    )
    demo.add_argument(
        "--out", type=Path, default=Path("pid-report"), help="report folder (default: pid-report)"
    )
    demo.add_argument("--bootstrap", type=int, default=20, metavar="N", help="default: 20")
    demo.set_defaults(run=_demo)
    add_zoo_commands(commands)
    return parser


def _compute(args: argparse.Namespace) -> int:
    from pid.analysis import analyze
    from pid.io import load, write_text_atomic
    from pid.report import write_report

    if args.bootstrap < 0 or args.bootstrap == 1:
        raise ValueError(f"--bootstrap is {args.bootstrap}; pass 0 (none) or at least 2.")
    x1, x2, y = load(args.data)
    result, report = analyze(
        x1,
        x2,
        y,
        estimator=args.estimator,
        n_clusters=args.clusters,
        pca=args.pca,
        seed=args.seed,
        n_bootstrap=args.bootstrap,
        drop_nonfinite=args.drop_nonfinite,
        source=str(args.data),
        progress=True,
    )
    print(_format_table([(Path(args.data).name, result)]))
    paths = write_report(report, args.out)
    write_text_atomic(args.out / "result.json", result.to_json())
    print(f"wrote {', '.join(str(p) for p in paths.values())} and {args.out / 'result.json'}")
    return 0


def _bounds(args: argparse.Namespace) -> int:
    from pid.bounds.analysis import analyze_bounds
    from pid.io import load_pair
    from pid.report import write_report

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
    print(f"R  = {_shown(bounds.R):.6f}   (exact for the reconciled marginals)")
    print(f"U1 = {_shown(bounds.U1):.6f}   (exact for the reconciled marginals)")
    print(f"U2 = {_shown(bounds.U2):.6f}   (exact for the reconciled marginals)")
    print(f"S  in [{_shown(bounds.lower):.6f}, {_shown(bounds.upper):.6f}]")
    accuracy = report["accuracy"]
    print(f"best multimodal accuracy in [{accuracy['lower']:.1%}, {accuracy['upper']:.1%}]\n")
    print("\n".join(report["guidance"]))
    paths = write_report(report, args.out)
    print(f"\nwrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pid.analysis import analyze
    from pid.datasets import CANONICAL, canonical, digits, generative
    from pid.estimators import estimate
    from pid.io import write_text_atomic
    from pid.report import write_report

    gates = [(name, estimate(canonical(name))) for name in CANONICAL]
    print("Exact PID (CVX estimator) of canonical distributions, in bits:\n")
    print(_format_table(gates))
    write_text_atomic(
        args.out / "canonical.json",
        json.dumps({name: r.to_dict() for name, r in gates}, indent=2, default=json_default),
    )
    examples = {
        "digits": ("8x8 digits: left half vs right half of each image", digits()),
        "synergy": ("synthetic: label from both unique latents only", generative("S", 3000)),
    }
    rows = []
    for folder, (title, data) in examples.items():
        print(f"\n{title}", file=sys.stderr)
        result, report = analyze(
            *data,
            n_bootstrap=args.bootstrap,
            source=f"pid.datasets ({folder})",
            title=title,
            progress=True,
        )
        write_report(report, args.out / folder)
        rows.append((folder, result))
    print("\nEstimated PID of example datasets (k-means codes), in bits:\n")
    print(_format_table(rows))
    print(f"\nreports in {args.out}/digits/ and {args.out}/synergy/ (report.html, .md, .json)")
    return 0


def _factorcl_train(args: argparse.Namespace) -> int:
    import numpy as np

    from pid.factorcl import linear_probe, train
    from pid.io import load, write_text_atomic

    if not 0 < args.test_fraction < 1:
        raise ValueError(f"--test-fraction is {args.test_fraction}; pass a number in (0, 1).")
    x1, x2, y = load(args.data)
    order = np.random.default_rng(args.seed).permutation(len(y))
    n_test = round(len(y) * args.test_fraction)
    if n_test < 1 or len(y) - n_test < 2:
        raise ValueError(
            f"{len(y)} samples cannot be split with --test-fraction {args.test_fraction}; "
            "pass more samples or another fraction."
        )
    test, fit = order[:n_test], order[n_test:]
    model = train(
        x1[fit],
        x2[fit],
        y[fit],
        method=f"factorcl-{args.variant}",
        epochs=args.epochs,
        batch_size=args.batch_size,
        embed_dim=args.embed_dim,
        device=args.device,
        seed=args.seed,
        checkpoint=args.out / "factorcl.pt",
        progress=True,
    )
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
    write_text_atomic(
        args.out / "factorcl.json", json.dumps(summary, indent=2, default=json_default)
    )
    seconds = np.mean([h["seconds"] for h in model.history])
    print(f"FactorCL-{args.variant.upper()}: {len(fit)} train / {len(test)} test samples")
    print(f"linear-probe test accuracy {accuracy:.4f}; {seconds:.2f} s per epoch")
    print(f"wrote {args.out / 'factorcl.pt'} and {args.out / 'factorcl.json'}")
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
