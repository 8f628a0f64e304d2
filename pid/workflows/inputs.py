"""``pid compute`` over many inputs (one a layer of a network or a training checkpoint): each
input decomposed as :func:`pid.workflows.compute.analyze` decomposes one, the inputs the jobs
of a sweep, and one report across them beside the report of each."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pid.api import clean_samples
from pid.inputs import DataInput
from pid.io import find_modalities, load
from pid.report import Report
from pid.report.build import inputs_report
from pid.report.writer import INPUTS_FIGURE, REPORT_FILES, report_files
from pid.result import PIDResult
from pid.sweep import SweepOptions, run_sweep
from pid.table_files import label_name
from pid.workflows.compute import analyze, step

#: The files each input's report folder holds.
INPUT_FILES = (*REPORT_FILES, "result.json")
#: The files of the report across inputs, beside the folder of each input.
COMBINED_FILES = (*REPORT_FILES, INPUTS_FIGURE)


def check_inputs(
    inputs: Sequence[DataInput],
    *,
    columns: Mapping[str, Any] | None = None,
    label_bins: int | None = None,
    drop_nonfinite: bool = False,
) -> None:
    """Read every input and refuse, before any work, one that :func:`analyze_inputs` could
    not decompose, in one sentence naming its path: a file that cannot be read (damaged,
    arrays missing or of different lengths), more than two modalities (x3 ...), non-finite
    values without ``drop_nonfinite``, labels that are not classes without ``label_bins``, a
    single class. Each input is read and let go in turn, so that one is in memory at a time.
    """
    for item in inputs:
        with _naming(item):
            check_two_modalities(item.path, columns)
            clean_samples(*load(item.path, columns=columns), drop_nonfinite, label_bins)


def check_two_modalities(path: str | os.PathLike, columns: Mapping[str, Any] | None = None) -> None:
    """Refuse DATA at ``path`` that holds more than two unnamed modalities (``x1``, ``x2``,
    ``x3``, ...) where two are read by their default names, :func:`pid.io.load` leaving the
    others unseen: ``columns`` (as ``load`` takes them; ``y=NAME`` names the label) names
    neither ``x1`` nor ``x2``. One sentence names the path and the modalities found."""
    named = dict(columns or {})
    if {"x1", "x2"} & named.keys():
        return
    found = find_modalities(path, label=label_name(named))
    if len(found) > 2:
        raise ValueError(
            f"DATA {str(path)!r} holds {len(found)} modalities ({', '.join(found)}), but two "
            "are read here and none is named; name the two with --columns x1=NAME --columns "
            "x2=NAME or with pid compute --modalities A B on this file alone (pid select "
            "--validate takes them from its report), or pass a file of x1, x2 and y only."
        )


def analyze_inputs(
    inputs: Sequence[DataInput],
    *,
    columns: Mapping[str, Any] | None = None,
    sweep: SweepOptions | None = None,
    source: str | None = None,
    progress: bool = False,
    **settings: Any,
) -> tuple[dict[str, tuple[PIDResult, Report]], Report]:
    """Decompose each input as :func:`pid.workflows.compute.analyze` does one, and assemble
    the report across them (:func:`pid.report.build.inputs_report`).

    Every input is checked first (:func:`check_inputs`), so that a bad one is refused before
    any work. Each is read (with ``columns``, as :func:`pid.io.load` takes them) and decomposed
    in a job of its own, where ``sweep`` says (:func:`pid.sweep.run_sweep`), with the same
    ``settings`` (the keyword arguments of ``analyze``: ``estimator``, ``sampling``, ``seed``,
    ...), the seed included, so that every input gives what ``pid compute`` of it alone gives,
    whatever runs the jobs. ``source`` names the inputs together (the DATA arguments);
    ``progress`` shows a bar over the inputs.

    Returns each input's result and report by name, in the order of ``inputs``, and the
    report across them.
    """
    check_inputs(
        inputs,
        columns=columns,
        label_bins=settings.get("label_bins"),
        drop_nonfinite=settings.get("drop_nonfinite", False),
    )
    step(progress, f"decomposing {len(inputs)} inputs ({settings.get('estimator', 'cvx')})")
    jobs = [(item, dict(columns or {}), settings) for item in inputs]
    done = run_sweep(_analyze_input, jobs, sweep, progress=progress, description="inputs")
    analyses = {item.name: analysis for item, analysis in zip(inputs, done, strict=True)}
    combined = inputs_report(
        [(name, report) for name, (_, report) in analyses.items()], source=source
    )
    return analyses, combined


def input_file_names(names: Sequence[str]) -> list[str]:
    """The files a run over inputs of these names writes, as :func:`inputs_files` names them
    (for :func:`pid.file_set.check_target` before the work)."""
    return [*COMBINED_FILES, *(f"{name}/{file}" for name in names for file in INPUT_FILES)]


def inputs_files(
    analyses: Mapping[str, tuple[PIDResult, Report]], combined: Report
) -> dict[str, bytes]:
    """Every file of a run over inputs, rendered in memory, for
    :func:`pid.file_set.write_file_set` to write as one whole: the report across them
    (:data:`COMBINED_FILES`) and, in a folder named after each input, its own report and
    ``result.json``."""
    files = report_files(combined)
    for name, (result, report) in analyses.items():
        own = {**report_files(report), "result.json": result.to_json().encode()}
        files |= {f"{name}/{file}": data for file, data in own.items()}
    return files


@contextlib.contextmanager
def _naming(item: DataInput) -> Iterator[None]:
    """Prefix a refusal about an input with its path (where the sentence does not name it
    already), so that it says which of the inputs it is about."""
    try:
        yield
    except (ValueError, FileNotFoundError) as err:
        if str(item.path) in str(err):
            raise
        kind = FileNotFoundError if isinstance(err, FileNotFoundError) else ValueError
        raise kind(f"{item.path}: {err}") from None


def _analyze_input(
    item: DataInput, columns: dict[str, Any], settings: dict[str, Any]
) -> tuple[PIDResult, Report]:
    """One job: read the input and decompose it with ``settings``."""
    with _naming(item):
        x1, x2, y = load(item.path, columns=columns)
        return analyze(x1, x2, y, source=str(item.path), **settings)
