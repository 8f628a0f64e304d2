"""From paired samples to a zoo report: the work behind ``pid zoo train`` (needs torch)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from numpy.typing import ArrayLike

from pid.distribution import Distribution
from pid.models import TrainConfig
from pid.models.zoo import ZooResult, train_zoo
from pid.report import Report, compute_report
from pid.selection import Selection
from pid.sweep import SweepOptions

#: Baselines a validation trains beside the recommended models: the first not among them.
BASELINES = ("EF", "ADDITIVE")


def run_zoo(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    models: list[str] | None = None,
    config: TrainConfig | None = None,
    n_clusters: int | None = None,
    n_seeds: int = 1,
    source: str | None = None,
    progress: bool = False,
    checkpoint_dir: str | os.PathLike | None = None,
    sweep: SweepOptions | None = None,
) -> tuple[ZooResult, Report]:
    """Train the fusion zoo on ``(x1, x2, y)`` (:func:`pid.models.zoo.train_zoo`) and report it.

    The report is the dataset's PID report (:func:`pid.report.compute_report` on the codes the
    zoo measured with) with a ``zoo`` section: the settings, each model's accuracy (with its
    interval over ``n_seeds`` seeds where there are several), model PID and agreement (thesis
    Eq. 3.6), and the best model. ``sweep`` says where the trainings run.
    """
    zoo = train_zoo(
        x1,
        x2,
        y,
        models=models,
        config=config,
        n_clusters=n_clusters,
        n_seeds=n_seeds,
        progress=progress,
        checkpoint_dir=checkpoint_dir,
        sweep=sweep,
    )
    codes = zoo.codes
    title = f"Fusion zoo on {Path(source).name}" if source else "Fusion zoo"
    report = compute_report(
        zoo.dataset_pid,
        Distribution.from_samples(codes.x1, codes.x2, codes.y),
        source=source,
        title=title,
        zoo=zoo.summary(),
    )
    return zoo, report


def validate_selection(
    selection: Selection,
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    config: TrainConfig | None = None,
    source: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Train the recommended models and a baseline on ``(x1, x2, y)`` and say what each
    reached (:func:`pid.models.zoo.train_zoo`, the same 60/20/20 split for all).

    The baseline is the first of :data:`BASELINES` not recommended (None where all of them
    are: they are then among the models trained). Returns a JSON-ready record: ``data``,
    ``baseline``, and per model its test ``accuracy``, ``rank`` among the
    recommendations (None for the baseline) and ``share_of_best`` (its accuracy over the
    highest test accuracy of those trained, as the bank's shares are), beside the
    ``expected_share`` the selection gave it.
    """
    picks = [rec.model for rec in selection.recommendations]
    baseline = next((name for name in BASELINES if name not in picks), None)
    models = picks if baseline is None else [*picks, baseline]
    zoo = train_zoo(x1, x2, y, models=models, config=config, progress=progress)
    best = max(result["accuracy"] for result in zoo.models.values())
    expected = {rec.model: rec.expected_share for rec in selection.recommendations}
    return {
        "data": source,
        "baseline": baseline,
        "n_test": len(zoo.test_index),
        "models": {
            name: {
                "accuracy": result["accuracy"],
                "rank": picks.index(name) + 1 if name in picks else None,
                "share_of_best": result["accuracy"] / best if best > 0 else 0.0,
                "expected_share": expected.get(name),
            }
            for name, result in zoo.models.items()
        },
    }
