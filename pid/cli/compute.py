"""``pid compute DATA``: decompose paired samples from a file and write a report; with more
than two modalities, every pair of them; over many inputs (a folder of data files, a pattern,
several paths), each of them and a report across them."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from pid.api import ENCODINGS
from pid.cli.common import (
    add_columns_option,
    add_label_bins_option,
    add_quiet_option,
    add_sweep_options,
    format_table,
    parse_columns,
    sweep_options,
)
from pid.estimators import ESTIMATORS
from pid.estimators.exact import CVX_METHODS
from pid.posterior import MODALITY_CLASSIFIERS
from pid.sampling import CORRECTIONS, DEFAULT_CORRECTION


def add_parser(commands: Any) -> None:
    """Register ``pid compute``."""
    compute = commands.add_parser(
        "compute",
        help="decompose paired samples from a file and write a report",
        description="Load x1, x2 and y from DATA (.npz, .csv, .parquet, .pt, .safetensors, or a "
        "folder of x1.npy, x2.npy, y.npy), discretize continuous features, decompose, and "
        "write report.json, report.md, report.html and result.json. With more modalities "
        "(x1 ... xM in an .npz file, a folder or columns x1_* ... xM_* of a table, or named by "
        "--modalities), every pair of them is decomposed, and each against all the others; a "
        "row of NaN (an empty cell) marks a missing modality. Over many inputs (one a layer or "
        "a checkpoint: a folder of data files and no .npy file, a quoted glob pattern such as "
        "'emb/layer_*.npz', or several paths), each input is decomposed alike, with the same "
        "seed, into --out/NAME/, beside a report across them (a table of every input's terms "
        "and terms_by_input.png, in natural order); every input is read and checked before "
        "any work, and a bad one is refused.",
    )
    compute.add_argument(
        "data",
        metavar="DATA",
        nargs="+",
        help="a file or a folder of .npy files holding x1, x2 and y; or many inputs: a folder "
        "of data files, a quoted pattern, or several paths",
    )
    compute.add_argument(
        "--modalities",
        nargs="+",
        metavar="NAME",
        help="the modalities' names in DATA (arrays, or table columns NAME and NAME_*), at "
        "least two (default: x1, x2, ... as found)",
    )
    compute.add_argument(
        "--estimator", choices=sorted(ESTIMATORS), default="cvx", help="default: cvx (exact)"
    )
    compute.add_argument("--method", choices=CVX_METHODS, help="the cvx solver (default: newton)")
    compute.add_argument(
        "--tol-bits", type=float, metavar="T", help="the cvx solver's certified gap, in bits"
    )
    compute.add_argument(
        "--device",
        help="where the estimator and the posteriors' classifiers run: cpu, cuda, cuda:N or "
        "auto (default: numpy for cvx and scikit-learn for the classifiers, auto for batch)",
    )
    compute.add_argument(
        "--discretization",
        choices=ENCODINGS,
        default="auto",
        help="how samples become codes (default: auto, integer codes as they are and "
        "features through their cross-fitted posteriors; kmeans and bins are the thesis's)",
    )
    compute.add_argument(
        "--modality-classifiers",
        choices=MODALITY_CLASSIFIERS,
        help="each modality's classifier of the posterior encoding of features on the CPU "
        "(default: logistic; auto adds a perceptron on each fold, kept where it predicts "
        "clearly better, for nonlinear features such as embeddings; integer codes are used as "
        "they are)",
    )
    compute.add_argument(
        "--clusters",
        type=int,
        metavar="K",
        help="codes per continuous modality (default: at least 10 samples a cell, at most "
        "32 for posteriors; Rice rule, at most 20, for kmeans and bins)",
    )
    compute.add_argument(
        "--pca", type=int, metavar="N", help="principal components kept per modality"
    )
    compute.add_argument(
        "--correction",
        choices=CORRECTIONS,
        help=f"sampling bias correction (default: {DEFAULT_CORRECTION})",
    )
    compute.add_argument(
        "--null",
        type=int,
        metavar="N",
        help="label permutations of the null model (default: 20)",
    )
    compute.add_argument(
        "--bootstrap",
        type=int,
        metavar="N",
        help="resamples for 95%% intervals about the corrected terms (default: none)",
    )
    compute.add_argument("--seed", type=int, default=0, help="seed for clustering and resampling")
    compute.add_argument(
        "--drop-nonfinite", action="store_true", help="drop samples with NaN or infinite values"
    )
    compute.add_argument(
        "--out", type=Path, default=Path("pid-report"), help="report folder (default: pid-report)"
    )
    add_columns_option(compute)
    add_label_bins_option(compute)
    add_sweep_options(
        compute,
        "the tables of the null model and the resamples, the pairs of more modalities, and "
        "the inputs of many",
    )
    add_quiet_option(compute)
    compute.set_defaults(run=run)


#: The command-line flag of each field of :class:`pid.sampling.SamplingOptions`.
SAMPLING_FLAGS = {"correction": "--correction", "n_null": "--null", "n_bootstrap": "--bootstrap"}


def run(args: argparse.Namespace) -> int:
    """Load, decompose, and write the report and ``result.json``."""
    from pid.estimators import SAMPLE_ESTIMATORS
    from pid.file_set import check_target
    from pid.inputs import resolve_inputs
    from pid.io import find_modalities, load
    from pid.posterior import PosteriorOptions
    from pid.report import write_report
    from pid.report.writer import REPORT_FILES
    from pid.sampling import SamplingOptions
    from pid.table_files import label_name
    from pid.validation import check_tolerance
    from pid.workflows.compute import analyze
    from pid.workflows.inputs import COMBINED_FILES

    if args.tol_bits is not None:
        check_tolerance(args.tol_bits, "--tol-bits")
    given = {"method": args.method, "tol_bits": args.tol_bits, "device": args.device}
    options = {name: value for name, value in given.items() if value is not None}
    sample_estimator = args.estimator in SAMPLE_ESTIMATORS
    flags = {"correction": args.correction, "n_null": args.null, "n_bootstrap": args.bootstrap}
    flags = {name: value for name, value in flags.items() if value is not None}
    sampling = posterior = None
    if sample_estimator and flags:
        raise ValueError(
            f"{', '.join(SAMPLING_FLAGS[name] for name in flags)} correct and qualify the "
            f"estimate of a table of codes; --estimator {args.estimator} trains on the samples "
            "themselves: drop them, or run it with different --seed values for its spread."
        )
    if not sample_estimator:
        try:
            sampling = SamplingOptions(**flags, sweep=sweep_options(args))
        except ValueError as error:
            message = str(error)
            for name, flag in SAMPLING_FLAGS.items():
                message = message.replace(f"{name} is", f"{flag} is")
            raise ValueError(message) from None
    if args.modality_classifiers is not None:
        conflicts = {
            "--device": args.device is not None,
            f"--discretization {args.discretization}": args.discretization
            not in ("auto", "posterior"),
        }
        conflict = next((flag for flag, clash in conflicts.items() if clash), None)
        if conflict is not None:
            raise ValueError(
                "--modality-classifiers sets the scikit-learn classifiers of the posterior "
                f"encoding, which {conflict} does not use: drop one of them."
            )
        kind = args.modality_classifiers
        posterior = PosteriorOptions(modality_classifiers=(kind, kind))
    inputs = resolve_inputs(args.data, reserved=COMBINED_FILES)
    if inputs is None:
        check_target(args.out, [*REPORT_FILES, "result.json"])
    if args.device is not None and args.discretization in ("auto", "posterior"):
        # The classifiers run on the device where the samples resolve to that encoding.
        posterior = None if sample_estimator else PosteriorOptions(device=args.device)
    settings = {
        "estimator": args.estimator,
        "estimator_options": options,
        "discretization": args.discretization,
        "n_clusters": args.clusters,
        "pca": args.pca,
        "posterior": posterior,
        "sampling": sampling,
        "seed": args.seed,
        "label_bins": args.label_bins,
    }
    columns = parse_columns(args.columns)
    if inputs is not None:
        return _run_inputs(args, inputs, columns, settings)
    data = args.data[0]
    settings |= {"source": data, "progress": not args.quiet}
    # --columns y=NAME names the label of any number of modalities; x1= or x2= picks two.
    label = label_name(columns)
    many = set(columns) <= {"y"} and len(find_modalities(data, label=label)) > 2
    # What the report read, recorded for pid select --validate: the columns and the two
    # modalities named among more.
    given = {key: list(names) for key, names in columns.items()}
    chosen = None
    if args.modalities is not None or many:
        modalities, y = _read_modalities(data, args.modalities, columns)
        if len(modalities) > 2:
            return _run_many(args, modalities, y, settings)
        chosen = list(modalities)
        x1, x2 = modalities.values()
    else:
        x1, x2, y = load(data, columns=columns)
    result, report = analyze(
        x1,
        x2,
        y,
        estimator=args.estimator,
        estimator_options=options,
        discretization=args.discretization,
        n_clusters=args.clusters,
        pca=args.pca,
        posterior=posterior,
        sampling=sampling,
        seed=args.seed,
        drop_nonfinite=args.drop_nonfinite,
        label_bins=args.label_bins,
        source=data,
        progress=not args.quiet,
    )
    for provenance in (result.provenance, report.provenance):
        provenance |= {"columns": given} if given else {}
        provenance |= {"modalities": chosen} if chosen is not None else {}
    paths = write_report(report, args.out, extra={"result.json": result.to_json().encode()})
    print(format_table([(Path(data).name, result)]))
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _read_modalities(
    data: str, names: list[str] | None, columns: dict[str, list[str]]
) -> tuple[dict, Any]:
    """The modalities named by ``--modalities`` (``names``; by default those found) in
    ``data``, and the labels (``--columns y=NAME`` names them)."""
    from pid.io import load_modalities

    label = columns.pop("y", ["y"])
    if columns or len(label) != 1:
        raise ValueError(
            "--columns renames x1, x2 and y of two modalities; name more modalities with "
            "--modalities NAME NAME ... and the label with --columns y=NAME."
        )
    return load_modalities(data, label=label[0], names=names)


def _run_many(args: argparse.Namespace, modalities: dict, y: Any, settings: dict) -> int:
    """Decompose every pair of the modalities, print them, and write the report and
    ``result.json``."""
    from pid.report import write_report
    from pid.workflows.compute import analyze_many

    if args.drop_nonfinite:
        raise ValueError(
            "--drop-nonfinite drops samples of two modalities; with more, a row of NaN marks a "
            "missing modality and each pair uses the samples that have both: drop the flag."
        )
    # The pairs are the sweep's jobs; the tables of each pair are solved in its worker.
    settings["sampling"] = _solved_in_the_job(settings["sampling"])
    result, report = analyze_many(modalities, y, sweep=sweep_options(args), **settings)
    paths = write_report(report, args.out, extra={"result.json": result.to_json().encode()})
    rows = [(f"{a}+{b} ({result.count(a, b)})", r) for (a, b), r in result.pairs.items()]
    rows += [(f"{name}+rest", r) for name, r in result.rest.items()]
    if rows:
        print(format_table(rows))
    print("\n".join(result.summary()))
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _run_inputs(
    args: argparse.Namespace, inputs: list, columns: dict[str, list[str]], settings: dict
) -> int:
    """Decompose each input, print their terms, and write the report across them beside the
    report and ``result.json`` of each."""
    from pid.file_set import check_target, write_file_set
    from pid.report.writer import REPORT_SET_FILES
    from pid.workflows.inputs import analyze_inputs, input_file_names, inputs_files

    if args.modalities is not None:
        raise ValueError(
            "--modalities names the modalities of one dataset, and across many inputs each "
            "holds x1, x2 and y; drop it (--columns renames them), or run pid compute on each "
            "input."
        )
    check_target(args.out, input_file_names([item.name for item in inputs]))
    # The inputs are the sweep's jobs; the tables of each input are solved in its worker.
    settings["sampling"] = _solved_in_the_job(settings["sampling"])
    analyses, combined = analyze_inputs(
        inputs,
        columns=columns,
        sweep=sweep_options(args),
        source=" ".join(args.data),
        progress=not args.quiet,
        drop_nonfinite=args.drop_nonfinite,
        **settings,
    )
    paths = write_file_set(args.out, inputs_files(analyses, combined), replaces=REPORT_SET_FILES)
    print(format_table([(name, result) for name, (result, _) in analyses.items()]))
    written = [str(path) for name, path in paths.items() if "/" not in name]
    print(f"wrote {', '.join(written)} and the report of each input in {args.out}/NAME/")
    return 0


def _solved_in_the_job(sampling: Any) -> Any:
    """``sampling`` (:class:`pid.sampling.SamplingOptions`, or None) with its tables solved
    one after the other, inside the job of a sweep over pairs or inputs."""
    from pid.sweep import SweepOptions

    return None if sampling is None else replace(sampling, sweep=SweepOptions())
