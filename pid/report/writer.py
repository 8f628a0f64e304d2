"""Rendering a :class:`~pid.report.Report` as Markdown and self-contained HTML, and writing
all three files (with a report across inputs, its figure as a PNG file too) as one set."""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pid.estimators.registry import SAMPLE_ESTIMATORS
from pid.file_set import write_file_set
from pid.report import figures
from pid.report.document import Report
from pid.result import TERMS, json_ready
from pid.sampling import null_level

TERM_NAMES = {
    "R": "Redundancy (either modality alone)",
    "U1": "Uniqueness of X1 (only the first modality)",
    "U2": "Uniqueness of X2 (only the second modality)",
    "S": "Synergy (only both together)",
}


#: The files of a report set, beside any companions a command adds (``result.json``).
REPORT_FILES = ("report.json", "report.md", "report.html")
#: The figure of a report across inputs, written beside its report files.
INPUTS_FIGURE = "terms_by_input.png"
#: Every file a report set of any command may hold: a new set drops those of an earlier set
#: that it does not write itself (``result.json`` of ``pid compute`` beside a later bounds
#: report), so that every file in the folder comes from one run.
REPORT_SET_FILES = (*REPORT_FILES, "result.json", "predictions.npz", INPUTS_FIGURE)


def write_report(
    report: Report, out_dir: str | os.PathLike, *, extra: Mapping[str, bytes] | None = None
) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` into ``out_dir``, with the
    files of ``extra`` (file name to content, e.g. ``result.json``) in the same set.

    Everything is rendered in memory first, so a failure while rendering writes nothing, and
    the set is swapped into place whole (:func:`pid.file_set.write_file_set`): readers of
    ``out_dir`` see the previous set or the new one, never a mix (files of
    :data:`REPORT_SET_FILES` the new set does not write are dropped), and a failure to write
    leaves the previous set as it was. Returns the paths by format (``json``, ``md``,
    ``html``) and, for ``extra``, by file name.
    """
    files = report_files(report)
    paths = write_file_set(out_dir, {**files, **(extra or {})}, replaces=REPORT_SET_FILES)
    return {
        (name.removeprefix("report.") if name in REPORT_FILES else name): path
        for name, path in paths.items()
    }


def report_files(report: Report) -> dict[str, bytes]:
    """The files of a report set by name, rendered in memory: ``report.json``, ``report.md``
    and ``report.html`` and, for a report across inputs, its figure as
    :data:`INPUTS_FIGURE`."""
    images = report_images(report)
    rendered = render_report(report, images)
    files = {f"report.{fmt}": text.encode("utf-8") for fmt, text in rendered.items()}
    if report.mode == "inputs":
        files[INPUTS_FIGURE] = images["inputs"]
    return files


def report_images(report: Report) -> dict[str, bytes]:
    """The figures of a report as PNG data, by name."""
    if report.mode == "many":
        images = {"pairs": figures.pairs_figure(report)}
    elif report.mode == "inputs":
        images = {"inputs": figures.inputs_figure(report)}
    else:
        images = {"terms": figures.terms_figure(report)}
    if report.shares:
        images["shares"] = figures.shares_figure(report)
    if report.alphabets:
        images["alphabets"] = figures.alphabets_figure(report)
    if report.zoo:
        images["zoo"] = figures.zoo_figure(report)
    return images


def render_report(report: Report, images: dict[str, bytes] | None = None) -> dict[str, str]:
    """The report rendered by format: ``json``, ``md`` and ``html`` (figures embedded: those
    of :func:`report_images`, unless ``images`` are given)."""
    images = report_images(report) if images is None else images
    return {
        "json": json.dumps(json_ready(report.to_dict()), indent=2, allow_nan=False),
        "md": render_markdown(report),
        "html": render_html(report, images),
    }


def render_markdown(report: Report) -> str:
    """The report as Markdown: a table of the terms, shares and intervals, then provenance
    (for many modalities, the tables of :func:`many_tables` and the matrices). Every text
    goes through :func:`markdown_text`, so names are shown as written, never read as markup."""
    if report.mode in ("many", "inputs"):
        return _tables_markdown(report)
    lines = [f"# {markdown_text(report.title)}", "", markdown_text(report.summary), ""]
    if report.guidance:
        lines += ["## What this means", "", *markdown_items(report.guidance), ""]
    lines += [markdown_table(_columns(report), _rows(report)), ""]
    lines += [*markdown_items(_sampling_lines(report)), ""] if report.sampling else []
    if report.zoo:
        lines += ["## Fusion models", "", markdown_text(_zoo_caption(report.zoo)), ""]
        lines += [markdown_table(*zoo_table(report.zoo)), ""]
    info = report.information
    lines += ["## Information (bits)", ""]
    lines += markdown_items(f"{name} = {value:.6f}" for name, value in info.items())
    lines += ["", "## How it was computed", ""]
    lines += markdown_items(_provenance_lines(report))
    return "\n".join(lines) + "\n"


def render_html(report: Report, images: dict[str, bytes] | None = None) -> str:
    """The report as one HTML page with the figures embedded as PNG data."""
    images = images or {}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
        f"<p>{html.escape(report.summary)}</p>",
    ]
    if report.guidance:
        items = "".join(f"<li>{html.escape(g)}</li>" for g in report.guidance)
        parts.append(f"<h2>What this means</h2><ul>{items}</ul>")
    if report.mode in ("many", "inputs"):
        for heading, (columns, rows) in _tables(report).items():
            parts.append(f"<h2>{html.escape(heading)}</h2>{_html_table(columns, rows)}")
        if report.mode == "inputs":
            links = "".join(
                f'<li><a href="{html.escape(_input_link(e["name"], "report.html"))}">'
                f"{html.escape(e['name'])}</a> ({html.escape(e['source'])})</li>"
                for e in report.inputs["entries"]
            )
            parts.append(f"<h2>The report of each input</h2><ul>{links}</ul>")
    else:
        parts.append(_html_table(_columns(report), _rows(report)))
    if report.sampling:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in _sampling_lines(report))
        parts.append(f"<ul>{items}</ul>")
    if report.zoo:
        parts.append(f"<h2>Fusion models</h2><p>{html.escape(_zoo_caption(report.zoo))}</p>")
        parts.append(_html_table(*zoo_table(report.zoo), css_class="zoo"))
    for name, caption in (
        ("terms", "The four terms in bits."),
        ("shares", f"Each term's {figures.SHARES_LABEL}."),
        (
            "alphabets",
            "Discretization: share of samples in each value of x1, x2 and y (beyond the "
            "largest values, the rest summed in one hatched bar).",
        ),
        ("zoo", "Each fusion model's test accuracy, and the interactions its predictions carry."),
        ("pairs", PAIRS_CAPTION),
        ("inputs", INPUTS_CAPTION),
    ):
        if name in images:
            data = base64.b64encode(images[name]).decode("ascii")
            parts.append(
                f'<figure><img alt="{name}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
    parts.append("<h2>How it was computed</h2><table>")
    for key, value in _provenance_items(report):
        parts.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(_inline(value))}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


#: The caption of the heatmaps of a report of many modalities.
PAIRS_CAPTION = (
    "R, U and S of every pair, in bits, and the samples each pair was decomposed on (where "
    "both modalities are present). U's row is the modality whose unique information it is; a "
    "pair observed together too rarely shows the range of its synergy on grey."
)


#: The caption of the figure of a report across inputs.
INPUTS_CAPTION = (
    "R, U1, U2 and S of each input, in bits, with I(X1,X2;Y) dashed; bars are the sampling "
    "intervals, and an open marker is a term that does not stand out from its null model."
)


def inputs_tables(inputs: dict[str, Any]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The tables of a report across inputs (its ``inputs`` section), by heading: each
    input's terms and I(X1,X2;Y), with their intervals where resampled, and, with a null
    model, each term's 95% quantile under permuted labels and the terms it cannot tell from
    zero."""
    entries = inputs["entries"]
    intervals = all(entry["intervals"] for entry in entries)
    columns = ["input", "samples", "R", "U1", "U2", "S", "I(X1,X2;Y)"]
    rows = []
    for entry in entries:
        cells = [entry["name"], "" if entry["n_samples"] is None else f"{entry['n_samples']:,}"]
        for term in TERMS:
            cell = _shown(entry["terms"][term])
            if intervals:
                low, high = entry["intervals"][term]
                cell += f" {_range(low, high)}"
            cells.append(cell)
        total = entry["information"].get("I(X1,X2;Y)")
        cells.append("" if total is None else _shown(total))
        rows.append(cells)
    heading = "Terms by input (bits" + (", 95% intervals)" if intervals else ")")
    tables = {heading: (columns, rows)}
    nulls = [entry["null"] for entry in entries]
    if all(nulls):
        null_rows = [
            [
                entry["name"],
                *(_shown(entry["null"]["q95"][term]) for term in TERMS),
                ", ".join(t for t in TERMS if not entry["null"]["above_null"][t]) or "none",
            ]
            for entry in entries
        ]
        permutations = nulls[0]["n_permutations"]
        heading = (
            f"Null model: each term's 95% quantile over {permutations} label permutations (bits)"
        )
        tables[heading] = (["input", *TERMS, "cannot be told from zero"], null_rows)
    return tables


def many_tables(modalities: dict[str, Any]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The tables of a report of many modalities (its ``modalities`` section), by heading:
    the pairs ranked by synergy, each modality against the others, the pairs only bounded,
    and the matrices of R, U and S and of the sample counts."""
    pairs = {tuple(entry["modalities"]): entry for entry in modalities["pairs"]}
    intervals = any(entry["result"]["sampling"].get("intervals") for entry in pairs.values())
    columns = ["pair", "samples", "R", "U (first)", "U (second)", "S", "I(Xi,Xj;Y)", "dominant"]
    columns += ["S interval"] if intervals else []
    ranked = []
    for pair in map(tuple, modalities["ranking"]):
        entry = pairs[pair]
        result = entry["result"]
        cells = [f"{pair[0]} + {pair[1]}", f"{entry['n_samples']:,}"]
        cells += [_shown(result[t]) for t in ("R", "U1", "U2", "S", "mi_x1x2_y")]
        cells.append(
            {"U1": f"U of {pair[0]}", "U2": f"U of {pair[1]}"}.get(
                entry["dominant"], entry["dominant"] or "none"
            )
        )
        if intervals:
            low, high = (result["sampling"].get("intervals") or {}).get("S", (None, None))
            cells.append("" if low is None else _range(low, high))
        ranked.append(cells)
    tables = {"Pairs, most synergistic first (bits)": (columns, ranked)}
    if modalities["rest"]:
        rest_rows = [
            [
                entry["modality"],
                f"{entry['n_samples']:,}",
                *(_shown(entry["result"][t]) for t in ("R", "U1", "U2", "S")),
            ]
            for entry in modalities["rest"]
        ]
        heading = "Each modality against all the others together (bits)"
        tables[heading] = (
            ["modality", "samples", "R", "U (it)", "U (the others)", "S"],
            rest_rows,
        )
    if modalities["bounds"]:
        bound_rows = []
        for entry in modalities["bounds"]:
            a, b = entry["modalities"]
            low, high = entry["S_range"]
            bound_rows.append(
                [f"{a} + {b}", f"{entry['n_samples']:,}"]
                + [_shown(entry[t]) for t in ("R", "U1", "U2")]
                + [_range(low, high)]
            )
        heading = "Pairs observed together too rarely: what their labeled samples fix (bits)"
        tables[heading] = (
            ["pair", "samples together", "R", "U (first)", "U (second)", "S lies in"],
            bound_rows,
        )
    names = modalities["names"]
    for term, heading in (
        ("R", "Redundancy R of each pair (bits)"),
        ("U", "Unique information U of the row's modality, paired with the column's (bits)"),
        ("S", "Synergy S of each pair (bits)"),
    ):
        rows = [
            [name, *("" if v is None else _shown(v) for v in row)]
            for name, row in zip(names, modalities["matrices"][term], strict=True)
        ]
        tables[heading] = (["", *names], rows)
    counts = [[name, *map(str, row)] for name, row in zip(names, modalities["counts"], strict=True)]
    tables["Samples where both are present"] = (["", *names], counts)
    return tables


def _tables(report: Report) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The tables of a report of many modalities or across inputs, by heading."""
    if report.mode == "inputs":
        return inputs_tables(report.inputs)
    return many_tables(report.modalities)


def _tables_markdown(report: Report) -> str:
    """A report of many modalities or across inputs as Markdown: its tables (across inputs,
    the figure file and the report of each input too), then provenance."""
    lines = [f"# {markdown_text(report.title)}", "", markdown_text(report.summary), ""]
    if report.guidance:
        lines += ["## What this means", "", *markdown_items(report.guidance), ""]
    for heading, table in _tables(report).items():
        lines += [f"## {markdown_text(heading)}", "", markdown_table(*table), ""]
    if report.mode == "inputs":
        lines += [f"![terms by input]({INPUTS_FIGURE})", "", INPUTS_CAPTION, ""]
        lines += ["## The report of each input", ""]
        lines += [
            f"- [{markdown_text(e['name'], link_text=True)}]"
            f"({_input_link(e['name'], 'report.md')}): {markdown_text(e['source'])}"
            for e in report.inputs["entries"]
        ]
        lines.append("")
    lines += ["## How it was computed", ""]
    lines += markdown_items(_provenance_lines(report))
    return "\n".join(lines) + "\n"


def _input_link(name: str, file: str) -> str:
    """The relative link from a report across inputs to ``file`` of the input ``name``'s
    own report: the name percent-encoded, so that it is always a path in the report's folder
    (never a scheme such as ``javascript:``, a fragment after ``#`` or a broken space)."""
    return f"./{quote(name, safe='')}/{file}"


def _shown(value: float, digits: int = 3) -> str:
    """A value written with ``digits`` decimals, without the sign of a rounded zero."""
    return f"{round(float(value), digits) + 0.0:.{digits}f}"


def _range(low: float, high: float, digits: int = 3) -> str:
    """``[low, high]`` written by :func:`_shown`."""
    return f"[{_shown(low, digits)}, {_shown(high, digits)}]"


def _columns(report: Report) -> list[str]:
    """The headers of the terms table: plug-in and null columns for estimates from samples;
    for bounds, the figures of the samples' marginals and their bias-corrected values."""
    if report.mode == "bounds":
        corrected = ["bias-corrected"] if report.intervals else []
        return ["term", "the samples' marginals", *corrected, _confidence_label(report)]
    sampled = ["plug-in", "null mean / 95%"] if report.sampling else []
    return ["term", "bits", *sampled, "share", _confidence_label(report)]


def _rows(report: Report) -> list[list[str]]:
    if report.mode == "bounds":
        return _bounds_rows(report)
    rows = []
    for name, value in report.terms.items():
        cells = [TERM_NAMES[name], _shown(value, 6)]
        if report.sampling:
            null = report.sampling["null"]
            cells.append(_shown(report.sampling["plugin"][name], 6))
            cells.append(
                f"{_shown(null['mean'][name], 4)} / {_shown(null['q95'][name], 4)}"
                if null["n_permutations"]
                else ""
            )
        cells.append(f"{report.shares[name]:.1%}" if report.shares else "")
        rows.append([*cells, _interval_cell(report, name)])
    return rows


def _bounds_rows(report: Report) -> list[list[str]]:
    """R, U1, U2 exact and S's proven range for the samples' marginals; with resampling,
    each bias-corrected (both ends of S's range) and its interval."""
    bounds = report.bounds
    rows = []
    for name in ("R", "U1", "U2", "S"):
        if name == "S":
            cells = [f"{_range(bounds['S_lower'], bounds['S_upper'], 4)} (proven)"]
            if report.intervals:
                low, high = bounds["S_lower_corrected"], bounds["S_upper_corrected"]
                cells.append(_range(low, high, 4))
        else:
            cells = [f"{_shown(bounds[name], 6)} (exact)"]
            cells += [_shown(report.terms[name], 6)] if report.intervals else []
        rows.append([TERM_NAMES[name], *cells, _interval_cell(report, name)])
    return rows


def _interval_cell(report: Report, name: str) -> str:
    if not report.intervals:
        return ""
    low, high = report.intervals[name]
    return _range(low, high, 4)


#: What :func:`markdown_text` writes for each character Markdown could read as markup or as
#: the end of a line or table cell: backslash escapes, HTML entities, and a space for each
#: control character and line or paragraph separator.
_MARKDOWN_ESCAPES = {
    **dict.fromkeys([*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029], " "),
    ord("\\"): "\\\\",
    ord("`"): "\\`",
    ord("|"): "\\|",
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
}
#: Escapes added in the text of a link, whose end an unmatched bracket would move.
_LINK_TEXT_ESCAPES = {**_MARKDOWN_ESCAPES, ord("["): "\\[", ord("]"): "\\]"}


def markdown_text(text: str, *, link_text: bool = False) -> str:
    """``text`` (a name, a title, a sentence) as Markdown on one line, with no raw HTML and no
    break of a table or a list: backslashes, backticks and "|" escaped, "&", "<" and ">" as
    HTML entities, control characters and line breaks read as spaces; in the text of a link
    (``link_text``), brackets escaped too. Other Markdown (``*``, ``_``, ``[...](...)``)
    passes as it is."""
    return text.translate(_LINK_TEXT_ESCAPES if link_text else _MARKDOWN_ESCAPES)


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, every header and cell through :func:`markdown_text` (a "|" in a
    modality's name is text, not a column break)."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(map(markdown_text, cells)) + " |"

    return "\n".join([line(columns), "|" + "---|" * len(columns), *map(line, rows)])


def markdown_items(lines: Iterable[str]) -> list[str]:
    """Each line as a Markdown list item, through :func:`markdown_text`."""
    return [f"- {markdown_text(line)}" for line in lines]


def _html_table(columns: list[str], rows: list[list[str]], css_class: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    opening = f'<table class="{css_class}">' if css_class else "<table>"
    return f"{opening}<tr>{head}</tr>{body}</table>"


def _zoo_caption(zoo: dict[str, Any]) -> str:
    seeds = zoo.get("seeds") or [zoo["config"]["seed"]]
    runs = (
        f"each trained with {len(seeds)} seeds (mean accuracy, 95% t interval of the mean)"
        if len(seeds) > 1
        else f"each trained once (seed {seeds[0]})"
    )
    best = zoo["best_model"]
    if zoo.get("best_chosen_on") != "validation":  # reports that do not say chose on test
        chosen = f"the best on test accuracy is {best}"
    else:
        tested = zoo["models"].get(best, {}).get("accuracy")
        figure = f" ({tested:.3f} on the test samples)" if tested is not None else ""
        chosen = f"the best on validation accuracy is {best}{figure}"
    return (
        f"{len(zoo['models'])} models, {runs}, tested on {zoo['n_test']} held-out samples; "
        f"{chosen}. Model PID: the PID of the model's predictions in place of the labels, on "
        "all samples, training rows included; agreement: thesis Eq. 3.6."
    )


def zoo_table(zoo: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The columns and rows of the zoo's table (a report's ``zoo`` section): each model's
    test accuracy (with its interval over seeds), its share of the highest test accuracy,
    model PID and agreement, the highest test accuracy first (the best model of the caption
    is chosen on validation accuracy, and need not head the table)."""
    models = zoo["models"]
    best = max(m["accuracy"] for m in models.values())
    seeded = any("accuracy_interval" in m for m in models.values())
    columns = ["model", "accuracy", *(["95% interval"] if seeded else []), "share of highest"]
    columns += ["model R", "model U1", "model U2", "model S", "agreement"]
    rows = []
    for name, m in sorted(models.items(), key=lambda item: -item[1]["accuracy"]):
        cells = [name, f"{m['accuracy']:.3f}"]
        if seeded:
            low, high = m.get("accuracy_interval", (m["accuracy"], m["accuracy"]))
            cells.append(f"[{low:.3f}, {high:.3f}]")
        cells.append(f"{m['accuracy'] / best:.1%}" if best > 0 else "")
        cells += [f"{m['pid'][t]:.3f}" for t in ("R", "U1", "U2", "S")]
        rows.append([*cells, f"{m['agreement']['total']:.3f}"])
    return columns, rows


def _sampling_lines(report: Report) -> list[str]:
    """How the estimate from samples was corrected, and its cautions, one sentence each."""
    sampling = report.sampling
    if not sampling:
        return []
    correction = (
        "No sampling-bias correction (the plug-in values)"
        if sampling["correction"] == "none"
        else f"Sampling bias corrected by {sampling['correction']} (plug-in values beside)"
    )
    lines = [f"{correction}; {sampling['samples_per_cell']:.1f} samples per occupied cell."]
    permutations = sampling["null"]["n_permutations"]
    if permutations:
        lines.append(
            f"Null model: the terms over {permutations} permutations of the labels (the "
            "modalities' joint kept), mean / 95% quantile beside each term; a term whose "
            f"permutation p-value is above {null_level(permutations):.3g} cannot be told from "
            "zero."
        )
    return lines + [f"Warning: {w}" for w in sampling["warnings"]]


def _confidence_label(report: Report) -> str:
    boot = report.bootstrap
    if not boot and report.estimator in SAMPLE_ESTIMATORS:  # pid compute refuses --bootstrap
        return "interval (none: rerun with other --seed values for the spread)"
    if not boot:  # pid zoo train has no --bootstrap; pid compute and pid demo do
        return "interval (none)" if report.zoo else "interval (none: run with --bootstrap N)"
    resamples = boot["n_resamples"]
    if report.mode == "bounds":
        return f"{boot['confidence']:.0%} interval ({resamples} resamples of each set)"
    nulls = report.sampling and report.sampling["null"]["n_permutations"]
    spread = " and the null's spread" if nulls else ""
    return f"{boot['confidence']:.0%} interval ({resamples} resamples{spread})"


def _provenance_lines(report: Report) -> list[str]:
    """Each item of :func:`_provenance_items` as ``key: value``."""
    return [f"{key}: {_inline(value)}" for key, value in _provenance_items(report)]


def _provenance_items(report: Report) -> list[tuple[str, Any]]:
    items = [("estimator", report.estimator)]
    items += [(f"provenance.{k}", v) for k, v in report.provenance.items() if v is not None]
    items += [(f"diagnostics.{k}", v) for k, v in report.diagnostics.items()]
    return items


def _inline(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:860px;margin:2em auto;padding:0 1em;"
    "color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
    "padding:4px 10px;text-align:left;vertical-align:top}figure{margin:1.5em 0}"
    "figcaption{color:#555;font-size:90%}img{max-width:100%}"
)
