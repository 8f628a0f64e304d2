"""Writing a heterogeneity measurement: the work behind ``pid heterogeneity`` after the
measurement (:func:`pid.heterogeneity.measure_heterogeneity`).

The output folder holds ``heterogeneity.json`` (everything measured, the completed matrices,
the groups), ``heterogeneity.md`` (the same in tables, with the figures) and one figure per
matrix, ``modality.png`` and ``interaction.png``: the heatmap beside the clustering tree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from pid.file_set import write_file_set
from pid.heterogeneity import Heterogeneity, TransferMatrix, linkage_tree
from pid.report.figures import heterogeneity_figure
from pid.result import json_ready


def summary_lines(result: Heterogeneity) -> list[str]:
    """The result in a few plain sentences: the groups, the closest and farthest pairs among
    those measured, and how many distances were completed rather than measured."""
    lines = []
    matrices = (
        ("modalities", "encoder", result.modality, result.modality_distance, False),
        ("modality pairs", "fusion", result.interaction, result.interaction_distance, True),
    )
    for what, part, measured, distance, interactions in matrices:
        if measured is None or distance is None:
            continue
        groups = result.grouped(interactions)
        listed = "; ".join("{" + ", ".join(g) + "}" for g in groups)
        lines.append(f"{len(measured.names)} {what} in {len(groups)} {part} groups: {listed}.")
        upper = np.triu_indices(len(distance), k=1)
        known = ~np.isnan(measured.distance[upper])
        # A completed entry is an estimate clipped to [0, largest measured]: named as neither.
        pairs = [
            (measured.names[i], measured.names[j])
            for i, j, here in zip(*upper, known, strict=True)
            if here
        ]
        values = distance[upper][known]
        low, high = int(np.argmin(values)), int(np.argmax(values))
        lines.append(
            f"Closest {what} measured: {' and '.join(pairs[low])} (d = {values[low]:.3f} bits); "
            f"farthest: {' and '.join(pairs[high])} (d = {values[high]:.3f} bits)."
        )
        if not known.all():
            lines.append(
                f"{int((~known).sum())} of the {len(known)} distances between {what} were "
                f"completed at rank {result.settings['rank']}, not measured."
            )
    return lines


#: The files :func:`write_heterogeneity` may write (``interaction.png`` where pairs were measured).
HETEROGENEITY_FILES = ("heterogeneity.json", "heterogeneity.md", "modality.png", "interaction.png")


def write_heterogeneity(
    result: Heterogeneity, out_dir: str | os.PathLike, *, source: str | None = None
) -> dict[str, Path]:
    """Write ``heterogeneity.json``, ``heterogeneity.md`` and the figures into ``out_dir``.

    Everything is rendered first and the files are written as one set
    (:func:`pid.file_set.write_file_set`): the folder holds either the previous set or the
    new one. Returns the paths by name (``json``, ``md``, ``modality``, ``interaction``).
    """
    out_dir = Path(out_dir)
    linkage = result.settings["linkage"]
    images = {}
    matrices = (
        ("modality", result.modality, result.modality_distance, result.modality_groups),
        ("interaction", result.interaction, result.interaction_distance, result.interaction_groups),
    )
    for key, measured, distance, groups in matrices:
        if measured is None or distance is None or groups is None:
            continue
        title = f"{key} heterogeneity d (bits)"
        tree = linkage_tree(distance, linkage)
        images[key] = heterogeneity_figure(measured.names, distance, tree, groups, title)
    record = {"kind": "pid-heterogeneity", "units": "bits", "source": source}
    record.update(result.to_dict())
    rendered = {
        "json": json.dumps(json_ready(record), indent=1, allow_nan=False),
        "md": render_markdown(result, list(images), source),
    }
    names = {key: f"heterogeneity.{key}" for key in rendered}
    names.update({key: f"{key}.png" for key in images})
    files = {names[key]: text.encode("utf-8") for key, text in rendered.items()}
    files.update({names[key]: image for key, image in images.items()})
    written = write_file_set(out_dir, files)
    return {key: written[name] for key, name in names.items()}


def render_markdown(result: Heterogeneity, figures: list[str], source: str | None) -> str:
    """The measurement as Markdown: summary, groups, the matrices, settings and figures."""
    settings = result.settings
    title = "Heterogeneity" + (f" of {Path(source).name}" if source else "")
    lines = [f"# {title}", "", *summary_lines(result), ""]
    lines += [
        "d(i; j) = T(i -> j)+ + T(j -> i)+ (thesis Eq. 9.5), with T(i -> j) = L*_i->j - L*_j the "
        "test cross-entropy (bits) of member i's model transferred to j, less that of j's own "
        f"(Eq. 9.4); fine-tuning: {settings['fine_tune']}.",
        "",
    ]
    sections = (
        ("Modalities", result.modality, result.modality_distance, result.modality_groups),
        (
            "Modality pairs",
            result.interaction,
            result.interaction_distance,
            result.interaction_groups,
        ),
    )
    for heading, measured, distance, groups in sections:
        if measured is None or distance is None or groups is None:
            continue
        lines += [f"## {heading}", "", _group_table(measured, groups), ""]
        lines += ["Heterogeneity d (bits); * marks entries completed, not measured:", ""]
        lines += [_matrix_table(measured, distance), ""]
        key = "modality" if measured is result.modality else "interaction"
        if key in figures:
            lines += [f"![{key} heterogeneity]({key}.png)", ""]
    lines += ["## How it was measured", ""]
    lines += [f"- {key}: {_inline(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _group_table(measured: TransferMatrix, groups: np.ndarray) -> str:
    rows = ["| group | members | own loss L* (bits) |", "|---|---|---|"]
    for g in range(int(groups.max()) + 1):
        members = [k for k in range(len(groups)) if groups[k] == g]
        names = ", ".join(measured.names[k] for k in members)
        losses = ", ".join(f"{measured.direct[k]:.3f}" for k in members)
        rows.append(f"| {g + 1} | {names} | {losses} |")
    return "\n".join(rows)


def _matrix_table(measured: TransferMatrix, distance: np.ndarray) -> str:
    names = measured.names
    completed = np.isnan(measured.distance)
    rows = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for i, name in enumerate(names):
        cells = [
            f"{distance[i, j]:.3f}" + ("*" if completed[i, j] else "") for j in range(len(names))
        ]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _inline(value: Any) -> str:
    return (
        json.dumps(json_ready(value), allow_nan=False)
        if isinstance(value, dict | list)
        else str(value)
    )
