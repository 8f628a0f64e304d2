"""From paired samples to a zoo report: the work behind ``pid zoo train`` (needs torch)."""

from __future__ import annotations

import os
from pathlib import Path

from numpy.typing import ArrayLike

from pid.distribution import Distribution
from pid.models import TrainConfig
from pid.models.zoo import ZooResult, train_zoo
from pid.report import Report, compute_report


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
) -> tuple[ZooResult, Report]:
    """Train the fusion zoo on ``(x1, x2, y)`` (:func:`pid.models.zoo.train_zoo`) and report it.

    The report is the dataset's PID report (:func:`pid.report.compute_report` on the codes the
    zoo measured with) with a ``zoo`` section: the settings, each model's accuracy (with its
    interval over ``n_seeds`` seeds where there are several), model PID and agreement (thesis
    Eq. 3.6), and the best model.
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
