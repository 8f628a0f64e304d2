"""A fusion-model selection (:func:`pid.selection.select`) written as ``selection.json``,
``selection.md`` and a self-contained ``selection.html``."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pid.file_set import write_file_set
from pid.report.writer import STYLE, markdown_items, markdown_table, markdown_text
from pid.result import json_ready

if TYPE_CHECKING:
    from pid.selection import Selection

TITLE = "Fusion models for this dataset"
#: The files of a selection set.
SELECTION_FILES = ("selection.json", "selection.md", "selection.html")


def write_selection(
    selection: Selection,
    out_dir: str | os.PathLike,
    *,
    source: str | None = None,
    validation: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the selection as ``selection.json``, ``selection.md`` and ``selection.html`` into
    ``out_dir``, rendered in memory first and swapped into place as one set
    (:func:`pid.file_set.write_file_set`: readers see the previous set or the new one, never
    a mix); ``source`` names the report it was made from, ``validation`` is what the
    recommended models reached when trained (:func:`pid.workflows.zoo.validate_selection`).
    Returns the paths by format."""
    record = {"source": source, **selection.to_dict(), "validation": validation}
    rendered = {
        "json": json.dumps(json_ready(record), indent=2, allow_nan=False),
        "md": render_selection_markdown(selection, source, validation),
        "html": render_selection_html(selection, source, validation),
    }
    paths = write_file_set(
        out_dir, {f"selection.{fmt}": text.encode("utf-8") for fmt, text in rendered.items()}
    )
    return {name.removeprefix("selection."): path for name, path in paths.items()}


def render_selection_markdown(
    selection: Selection, source: str | None = None, validation: dict[str, Any] | None = None
) -> str:
    """The selection as Markdown: the summary, the recommendations table, their reasons and
    what they reached where they were trained; every text through
    :func:`~pid.report.writer.markdown_text`, so a model's name or a path is never markup."""
    lines = [f"# {TITLE}", "", *map(markdown_text, _preamble(selection, source)), ""]
    lines.append(markdown_table(*_table(selection)))
    lines += ["", "## Why", ""]
    lines += markdown_items(f"{rec.model}: {rec.reason}" for rec in selection.recommendations)
    if validation:
        caption = markdown_text(_validation_caption(validation))
        lines += ["", "## Trained on the data", "", caption, ""]
        lines.append(markdown_table(*validation_table(validation)))
    return "\n".join(lines) + "\n"


def render_selection_html(
    selection: Selection, source: str | None = None, validation: dict[str, Any] | None = None
) -> str:
    """The selection as one HTML page."""
    reasons = "".join(
        f"<li><b>{html.escape(rec.model)}</b>: {html.escape(rec.reason)}</li>"
        for rec in selection.recommendations
    )
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in _preamble(selection, source))
    trained = ""
    if validation:
        trained = (
            f"<h2>Trained on the data</h2><p>{html.escape(_validation_caption(validation))}</p>"
            f"<table>{_html_rows(*validation_table(validation))}</table>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{TITLE}</title><style>{STYLE}</style></head><body>"
        f"<h1>{TITLE}</h1>{paragraphs}<table>{_html_rows(*_table(selection))}</table>"
        f"<h2>Why</h2><ul>{reasons}</ul>{trained}</body></html>\n"
    )


def validation_table(validation: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Columns and rows of what each trained model reached, best first."""
    columns = ["model", "rank", "test accuracy", "share of the best trained", "expected share"]
    rows = []
    ordered = sorted(validation["models"].items(), key=lambda item: -item[1]["accuracy"])
    for name, m in ordered:
        rank = str(m["rank"]) if m["rank"] is not None else "baseline"
        expected = f"{m['expected_share']:.1%}" if m["expected_share"] is not None else ""
        rows.append([name, rank, f"{m['accuracy']:.3f}", f"{m['share_of_best']:.1%}", expected])
    return columns, rows


def _validation_caption(validation: dict[str, Any]) -> str:
    return (
        f"The recommended models{_baseline_words(validation)} trained on "
        f"{validation['data'] or 'the data'} (60/20/20 split, {validation['n_test']} test "
        "samples)."
    )


def _baseline_words(validation: dict[str, Any]) -> str:
    """How a validation's baseline is named after "the recommended models": none is trained
    where every baseline is recommended."""
    baseline = validation["baseline"]
    return f" and the baseline {baseline}" if baseline else ", the baselines among them,"


def _html_rows(columns: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<tr>{head}</tr>{body}"


def _preamble(selection: Selection, source: str | None) -> list[str]:
    shares = ", ".join(f"{t} {v:.0%}" for t, v in selection.shares.items())
    near = ", ".join(f"{name} (s = {s:.3f})" for name, s in selection.neighbors)
    lines = [f"From {source}." if source else "", f"Normalized PID: {shares}."]
    lines += [f"Nearest reference datasets: {near}.", selection.summary]
    return [line for line in lines if line]


def _table(selection: Selection) -> tuple[list[str], list[list[str]]]:
    predicted = any(rec.accuracy_interval for rec in selection.recommendations)
    columns = ["rank", "model", "expected share of the best accuracy", "range on the nearest"]
    columns += ["reference accuracy"]
    columns += ["predicted accuracy"] if predicted else []
    rows = []
    for rank, rec in enumerate(selection.recommendations, 1):
        low, high = rec.share_range
        row = [str(rank), rec.model, f"{rec.expected_share:.1%}", f"{low:.1%} to {high:.1%}"]
        row.append(f"{rec.reference_accuracy:.3f}")
        if predicted:
            low, high = rec.accuracy_interval or (float("nan"), float("nan"))
            row.append(f"{low:.1%} to {high:.1%}")
        rows.append(row)
    return columns, rows
