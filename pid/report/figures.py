"""Matplotlib figures of a report, rendered to PNG bytes."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pid.report.document import Report

TERM_COLORS = {"R": "#4C72B0", "U1": "#55A868", "U2": "#C44E52", "S": "#8172B2"}
TERM_LABELS = {"R": "redundancy R", "U1": "unique U1", "U2": "unique U2", "S": "synergy S"}
#: What a report's shares are (:func:`pid.result.normalized_pid`): not shares of I(X1,X2;Y),
#: which the terms add up to only where none is below 0.
SHARES_LABEL = "share of the sum of the terms (negative terms read as 0)"


def terms_figure(report: Report) -> bytes:
    """Bar chart of R, U1, U2, S in bits, the sampling intervals as error bars; for a bounds
    report, synergy's proven range for the samples' marginals as a hatched box."""
    names = list(report.terms)
    values = [report.terms[k] for k in names]
    fig, ax = _figure(5.5, 3.2)
    error = None
    if report.intervals:
        low = [max(v - report.intervals[k][0], 0.0) for k, v in zip(names, values, strict=True)]
        high = [max(report.intervals[k][1] - v, 0.0) for k, v in zip(names, values, strict=True)]
        error = [low, high]
    ax.bar(names, values, yerr=error, capsize=6, color=[TERM_COLORS[k] for k in names])
    ax.set_ylabel("bits")
    parts = []
    if report.mode == "bounds":
        lower, upper = report.bounds["S_lower"], report.bounds["S_upper"]
        ax.bar(
            ["S"],
            [upper - lower],
            bottom=[lower],
            fill=False,
            hatch="//",
            edgecolor="0.3",
            label="proven range of S (the samples' marginals)",
        )
        ax.legend(frameon=False, fontsize=8, loc="upper left")
        parts.append("S's proven range (hatched)")
    if error:
        confidence = (report.bootstrap or {}).get("confidence")
        parts.append(f"{confidence:.0%} sampling intervals (bars)" if confidence else "intervals")
    ax.set_title("PID terms" + (": " + ", ".join(parts) if parts else ""), fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def shares_figure(report: Report) -> bytes:
    """One horizontal bar split into each term's share of the sum of the terms, negative
    terms read as 0 (:data:`SHARES_LABEL`)."""
    fig, ax = _figure(6.5, 1.6)
    left = 0.0
    for name, share in report.shares.items():
        ax.barh([0], [share], left=left, color=TERM_COLORS[name], label=TERM_LABELS[name])
        if share >= 0.06:
            ax.text(left + share / 2, 0, f"{share:.0%}", ha="center", va="center", color="white")
        left += share
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel(SHARES_LABEL)
    ax.legend(ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    ax.spines[["top", "right", "left"]].set_visible(False)
    return _png(fig)


def alphabets_figure(report: Report) -> bytes:
    """Share of samples in each value (cluster) of x1, x2 and y, largest first: one bar per
    value the report lists, and one hatched bar for the rest of a large alphabet, labeled with
    how many values it sums (so the figure stays small however many values there are)."""
    from matplotlib.ticker import MaxNLocator

    alphabets = report.alphabets
    fig, axes = _figure(8, 2.6, columns=len(alphabets))
    for ax, (name, info) in zip(axes, alphabets.items(), strict=True):
        shares = info["shares"]
        ax.bar(range(len(shares)), shares, width=1.0, color="#888888")
        rest = info.get("rest") or {"count": 0}
        if rest["count"]:
            ax.bar(
                [len(shares) + 0.5],
                [rest["share"]],
                width=1.0,
                color="#dddddd",
                edgecolor="0.3",
                hatch="//",
            )
            ax.annotate(
                f"other {rest['count']:,}",
                (len(shares) + 0.5, rest["share"]),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        ax.set_title(f"{name}: {info['occupied']:,} of {info['size']:,} values used", fontsize=9)
        ax.set_xlabel("value, by frequency")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("share of samples")
    fig.tight_layout()
    return _png(fig)


def zoo_figure(report: Report) -> bytes:
    """Each fusion model's test accuracy (with its interval over seeds) beside the PID of its
    predictions, stacked by term; the highest test accuracy on top."""
    models = sorted(report.zoo["models"].items(), key=lambda item: item[1]["accuracy"])
    names = [name for name, _ in models]
    accuracy = [m["accuracy"] for _, m in models]
    error = None
    if any("accuracy_interval" in m for _, m in models):
        spans = [m.get("accuracy_interval", (m["accuracy"],) * 2) for _, m in models]
        error = [
            [a - low for a, (low, _) in zip(accuracy, spans, strict=True)],
            [high - a for a, (_, high) in zip(accuracy, spans, strict=True)],
        ]
    fig, (left, right) = _figure(9, 0.9 + 0.35 * len(names), columns=2)
    left.barh(names, accuracy, xerr=error, capsize=3, color="#888888")
    left.set_xlabel("test accuracy")
    left.set_xlim(0, 1)
    start = [0.0] * len(names)
    for term in ("R", "U1", "U2", "S"):
        widths = [max(m["pid"][term], 0.0) for _, m in models]
        right.barh(names, widths, left=start, color=TERM_COLORS[term], label=TERM_LABELS[term])
        start = [a + b for a, b in zip(start, widths, strict=True)]
    right.set_xlabel("model PID (bits)")
    right.set_yticks([])
    right.legend(ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    for ax in (left, right):
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def heterogeneity_figure(
    names: list[str], distance: np.ndarray, tree: np.ndarray, groups: np.ndarray, title: str
) -> bytes:
    """A heterogeneity matrix beside its clustering tree: the heatmap of ``d`` (bits) with the
    members in the tree's leaf order, and the dendrogram cut into the ``groups`` (dashed)."""
    from scipy.cluster.hierarchy import dendrogram

    count = len(names)
    size = min(max(3.0, 0.32 * count + 1.5), 12.0)
    fig, (left, right) = _figure(2 * size + 1.0, size, columns=2)
    order = dendrogram(tree, no_plot=True)["leaves"]
    image = left.imshow(distance[np.ix_(order, order)], cmap="Reds", vmin=0.0)
    labels = [names[k] for k in order]
    left.set_xticks(range(count), labels, rotation=90, fontsize=8, parse_math=False)
    left.set_yticks(range(count), labels, fontsize=8, parse_math=False)
    left.set_title(title, fontsize=10)
    fig.colorbar(image, ax=left, fraction=0.046, pad=0.04, label="d (bits)")
    n_groups = int(groups.max()) + 1
    cut = _cut_height(tree[:, 2], n_groups)
    dendrogram(
        tree,
        ax=right,
        labels=[f"{name} (group {g + 1})" for name, g in zip(names, groups, strict=True)],
        orientation="right",
        color_threshold=cut,
        above_threshold_color="0.5",
        leaf_font_size=8,
    )
    right.invert_yaxis()  # leaves top to bottom, as the heatmap's rows
    right.axvline(cut, color="0.3", linestyle="--", linewidth=0.8)
    right.set_xlabel("merge height (d between groups, bits)")
    right.set_title(f"agglomerative clustering: {n_groups} groups", fontsize=10)
    right.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


#: Above this many modalities the cells of the pair matrices are not annotated.
ANNOTATED_MODALITIES = 12


def pairs_figure(report: Report) -> bytes:
    """Heatmaps of R, U and S over the pairs of a report of many modalities, on one scale from
    0 to ``H(Y)``, and of the samples each pair was decomposed on; each cell annotated (up to
    :data:`ANNOTATED_MODALITIES` modalities). ``U``'s row is the modality whose unique
    information it is; a pair only bounded shows its synergy range ``0-upper`` on grey."""
    import numpy as np

    many = report.modalities
    names = many["names"]
    size = len(names)
    bits = max(report.information["H(Y)"], 1e-9)
    counts = np.array(many["counts"], dtype=float)
    np.fill_diagonal(counts, np.nan)
    panels = [
        ("R: redundancy", many["matrices"]["R"], "Blues", bits),
        ("U: unique to the row's modality", many["matrices"]["U"], "Greens", bits),
        ("S: synergy", many["matrices"]["S"], "Purples", bits),
        ("samples with both", counts, "Greys", max(many["n_samples"], 1)),
    ]
    ranges = {tuple(b["modalities"]): b["S_range"] for b in many["bounds"]}
    fig, axes = _figure(4.2 * len(panels), 2.1 + 0.42 * size, columns=len(panels))
    for ax, (title, rows, colors, top) in zip(axes, panels, strict=True):
        values = np.array([[np.nan if v is None else v for v in row] for row in rows], float)
        ax.set_facecolor("0.88")
        image = ax.imshow(values, cmap=colors, vmin=0, vmax=top)
        unit = "samples" if title.startswith("samples") else "bits"
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=unit)
        # Names are text, not mathtext: a "$" in one is a dollar sign.
        ax.set_xticks(range(size), names, rotation=45, ha="right", parse_math=False)
        ax.set_yticks(range(size), names, parse_math=False)
        ax.set_title(title, fontsize=10)
        if size > ANNOTATED_MODALITIES:
            continue
        for i, j in np.ndindex(size, size):
            pair = (names[min(i, j)], names[max(i, j)])
            value = values[i, j]
            if i == j:
                continue
            if np.isnan(value):
                bounded = title.startswith("S") and pair in ranges
                text = f"0-{ranges[pair][1]:.2f}" if bounded else ""
            else:
                text = f"{value:.0f}" if unit == "samples" else f"{round(value, 2) + 0.0:.2f}"
            color = "white" if not np.isnan(value) and value > 0.6 * top else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color=color)
    fig.tight_layout()
    return _png(fig)


#: The most inputs whose names label the axis of the figure across inputs.
LABELED_INPUTS = 40


def inputs_figure(report: Report) -> bytes:
    """R, U1, U2 and S of each of many inputs, one line a term across the inputs (in the
    report's order), with I(X1,X2;Y) dashed above them; the sampling intervals as error bars,
    and an open marker where a term does not stand out from its null model. Beyond
    :data:`LABELED_INPUTS` inputs, every few is named on the axis."""
    entries = report.inputs["entries"]
    count = len(entries)
    positions = np.arange(count)
    fig, ax = _figure(min(max(5.5, 1.5 + 0.45 * count), 16.0), 3.6)
    total = [entry["information"].get("I(X1,X2;Y)", np.nan) for entry in entries]
    ax.plot(positions, total, color="0.35", linestyle="--", linewidth=1, label="I(X1,X2;Y)")
    for term, color in TERM_COLORS.items():
        values = np.array([entry["terms"][term] for entry in entries])
        error = None
        if all(entry["intervals"] for entry in entries):
            spans = np.array([entry["intervals"][term] for entry in entries])
            error = [np.maximum(values - spans[:, 0], 0), np.maximum(spans[:, 1] - values, 0)]
        ax.errorbar(
            positions,
            values,
            yerr=error,
            color=color,
            capsize=3,
            linewidth=1.5,
            label=TERM_LABELS[term],
        )
        quiet = [
            entry["null"] is not None and not entry["null"]["above_null"][term] for entry in entries
        ]
        ax.scatter(
            positions,
            values,
            s=22,
            zorder=3,
            edgecolors=color,
            facecolors=["white" if q else color for q in quiet],
        )
    names = report.inputs["names"]
    step = -(-count // LABELED_INPUTS)  # every step-th input labeled, at most LABELED_INPUTS
    rotation = 45 if count > 6 or max(len(name) for name in names) > 10 else 0
    ax.set_xticks(
        positions[::step],
        names[::step],
        rotation=rotation,
        ha="right" if rotation else "center",
        fontsize=8,
        parse_math=False,
    )
    ax.set_xlim(-0.5, count - 0.5)
    ax.set_xlabel("input")
    ax.set_ylabel("bits")
    ax.legend(ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _cut_height(heights: np.ndarray, n_groups: int) -> float:
    """A height between the merges that a cut into ``n_groups`` keeps and those it undoes."""
    heights = np.sort(heights)
    if n_groups <= 1:
        return float(heights[-1]) * 1.05 + 1e-9
    if n_groups > len(heights):
        return float(heights[0]) / 2
    return float(heights[-n_groups] + heights[-n_groups + 1]) / 2


def _figure(width: float, height: float, columns: int = 1):
    """A figure outside pyplot's global state, so a notebook's backend is left alone."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(1, columns)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()
