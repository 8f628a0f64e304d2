"""A fusion-model selection (:func:`pid.selection.select`) written as ``selection.json``,
``selection.md`` and a self-contained ``selection.html``."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pid.io import write_text_atomic
from pid.report.writer import STYLE
from pid.result import json_default

if TYPE_CHECKING:
    from pid.selection import Selection

TITLE = "Fusion models for this dataset"


def write_selection(
    selection: Selection, out_dir: str | os.PathLike, *, source: str | None = None
) -> dict[str, Path]:
    """Write the selection as ``selection.json``, ``selection.md`` and ``selection.html`` into
    ``out_dir``, each rendered in memory first and moved into place whole; ``source`` names
    the report it was made from. Returns the paths by format."""
    record = {"source": source, **selection.to_dict()}
    rendered = {
        "json": json.dumps(record, indent=2, default=json_default),
        "md": render_selection_markdown(selection, source),
        "html": render_selection_html(selection, source),
    }
    paths = {fmt: Path(out_dir) / f"selection.{fmt}" for fmt in rendered}
    for fmt, text in rendered.items():
        write_text_atomic(paths[fmt], text)
    return paths


def render_selection_markdown(selection: Selection, source: str | None = None) -> str:
    """The selection as Markdown: the summary, the recommendations table and their reasons."""
    lines = [f"# {TITLE}", "", *_preamble(selection, source), ""]
    columns, rows = _table(selection)
    lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "## Why", ""]
    lines += [f"- {rec.model}: {rec.reason}" for rec in selection.recommendations]
    return "\n".join(lines) + "\n"


def render_selection_html(selection: Selection, source: str | None = None) -> str:
    """The selection as one HTML page."""
    columns, rows = _table(selection)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    reasons = "".join(
        f"<li><b>{html.escape(rec.model)}</b>: {html.escape(rec.reason)}</li>"
        for rec in selection.recommendations
    )
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in _preamble(selection, source))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{TITLE}</title><style>{STYLE}</style></head><body>"
        f"<h1>{TITLE}</h1>{paragraphs}<table><tr>{head}</tr>{body}</table>"
        f"<h2>Why</h2><ul>{reasons}</ul></body></html>\n"
    )


def _preamble(selection: Selection, source: str | None) -> list[str]:
    shares = ", ".join(f"{t} {v:.0%}" for t, v in selection.shares.items())
    near = ", ".join(f"{name} (s = {s:.3f})" for name, s in selection.neighbors)
    lines = [f"From {source}." if source else "", f"Normalized PID: {shares}."]
    lines += [f"Nearest reference datasets: {near}.", selection.summary]
    return [line for line in lines if line]


def _table(selection: Selection) -> tuple[list[str], list[list[str]]]:
    predicted = any(rec.accuracy_interval for rec in selection.recommendations)
    columns = ["rank", "model", "expected share of the best accuracy", "reference accuracy"]
    columns += ["predicted accuracy"] if predicted else []
    rows = []
    for rank, rec in enumerate(selection.recommendations, 1):
        row = [str(rank), rec.model, f"{rec.expected_share:.1%}", f"{rec.reference_accuracy:.3f}"]
        if predicted:
            low, high = rec.accuracy_interval or (float("nan"), float("nan"))
            row.append(f"{low:.1%} to {high:.1%}")
        rows.append(row)
    return columns, rows
