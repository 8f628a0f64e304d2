"""Training the zoo on one dataset and measuring what each model captures (thesis 3.3.3-3.3.4).

For a dataset ``D`` split into train, validation and test sets, every chosen model ``f`` is
trained on the training set (early stopping on the validation set) and its accuracy measured on
the test set. Applied to all samples of ``D``, training rows included, it gives
``D_pred = {(x1, x2, y_hat)}``; the *model PID* is the PID of ``D_pred``: the interactions the
model's predictions carry, measured on the same samples as the dataset's own PID
(:func:`train_zoo` says why). The *agreement* (Eq. 3.6) weighs each by its share in the
dataset's own PID.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pid.discretize import Discretized, discretize
from pid.distribution import Distribution
from pid.estimators import estimate
from pid.models.fusion import MODELS, check_model_names
from pid.models.trainer import TrainConfig, split_indices, train_model
from pid.result import PIDResult, normalized_pid
from pid.selection import agreement
from pid.sweep import SweepOptions, run_sweep
from pid.validation import check_features, check_labels, check_paired, check_seed


def model_pid(codes: Discretized, index: np.ndarray, predictions: ArrayLike) -> PIDResult:
    """PID of ``(x1, x2, y_hat)`` on the samples ``index`` (thesis Section 3.3.3).

    ``codes`` are the dataset's discretized modalities; the predictions are class labels, one
    per sample of ``index``. Computed exactly with the CVX estimator.
    """
    dist = Distribution.from_samples(codes.x1[index], codes.x2[index], np.asarray(predictions))
    return estimate(dist, "cvx")


@dataclass
class ZooResult:
    """The zoo trained on one dataset.

    ``dataset_pid`` is the PID of the whole dataset; ``models`` maps each model's name to its
    ``accuracy`` and ``val_accuracy``, ``pid`` (model PID, bits), ``agreement`` (Eq. 3.6),
    ``best_epoch``, ``epochs`` and ``seconds``, each the mean over ``seeds``, and with more than
    one seed ``accuracy_by_seed`` and ``accuracy_interval`` (:func:`mean_interval`);
    ``predictions`` to its test-set labels (in the original label values, from the first
    seed), and ``test_index`` holds the test samples' positions.
    """

    dataset_pid: PIDResult
    codes: Discretized
    models: dict[str, dict[str, Any]]
    predictions: dict[str, np.ndarray]
    test_index: np.ndarray
    classes: np.ndarray
    config: TrainConfig
    seeds: tuple[int, ...] = (0,)

    def best(self) -> str:
        """The name of the model of highest validation accuracy, ties to the one trained
        first: chosen without looking at the test set, so that its test accuracy is an
        honest estimate of what the choice reaches."""
        return max(self.models, key=lambda name: self.models[name]["val_accuracy"])

    def summary(self) -> dict[str, Any]:
        """A JSON-ready record of the run: settings, the dataset's normalized PID, the models,
        and the best of them (:meth:`best`; ``best_chosen_on`` says on which split)."""
        return {
            "config": asdict(self.config),
            "seeds": list(self.seeds),
            "n_test": len(self.test_index),
            "dataset_shares": normalized_pid(self.dataset_pid.terms()),
            "best_model": self.best(),
            "best_chosen_on": "validation",
            "models": self.models,
        }


def train_zoo(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    models: list[str] | tuple[str, ...] | None = None,
    config: TrainConfig | None = None,
    n_clusters: int | None = None,
    split_seed: int = 0,
    n_seeds: int = 1,
    progress: bool = False,
    checkpoint_dir: str | os.PathLike | None = None,
    sweep: SweepOptions | None = None,
) -> ZooResult:
    """Train the named zoo models (default: all ten) on ``(x1, x2, y)`` and measure each.

    The samples are split 60/20/20 into train, validation and test sets (``split_seed``);
    accuracy is measured on the test set. The dataset's PID is computed on all samples after
    discretization (``n_clusters`` per modality, Rice rule by default;
    :func:`pid.discretize.discretize`), each model's PID on its predictions for the same inputs
    and codes (:func:`model_pid`; predictions need no labels, and on all samples rather than
    the test set alone the plug-in bias of the PID, which shows up as synergy, stays near the
    dataset's own), and the agreement by Eq. 3.6. Features
    may be vectors ``(n, d)`` or sequences ``(n, T, d)``; ``y`` holds class labels.
    With ``n_seeds > 1`` each model is trained with seeds ``config.seed``, ``config.seed + 1``,
    ... on the same split, and its figures are the means over them. With ``checkpoint_dir``,
    each model's best weights (of the first seed) are saved there as ``NAME.pt``. The
    trainings (one a model and seed) run where ``sweep`` says (:func:`pid.sweep.run_sweep`;
    by default one after the other in this process), each with this process's number of
    torch threads, so the figures are the same wherever they run.
    """
    config = config or TrainConfig()
    seeds = run_seeds(config.seed, n_seeds)
    names = check_model_names(list(models) if models is not None else list(MODELS))
    x1, x2, y = _check_inputs(x1, x2, y)
    classes, labels = np.unique(y, return_inverse=True)
    split = split_indices(len(labels), seed=split_seed)
    flat = [x.reshape(len(x), -1) for x in (x1, x2)]
    codes = discretize(flat[0], flat[1], labels, method="kmeans", n_clusters=n_clusters)
    dataset_pid = estimate(Distribution.from_samples(codes.x1, codes.x2, codes.y), "cvx")
    results: dict[str, dict[str, Any]] = {}
    predictions: dict[str, np.ndarray] = {}
    import torch

    sweep = sweep or SweepOptions()
    jobs = [
        (
            name,
            (x1, x2, labels, split, codes, dataset_pid.terms()),
            replace(config, seed=seed),
            Path(checkpoint_dir) / f"{name}.pt" if checkpoint_dir is not None and k == 0 else None,
            progress and sweep.serial,
            torch.get_num_threads(),
        )
        for name in names
        for k, seed in enumerate(seeds)
    ]
    runs = run_sweep(_train_and_measure, jobs, sweep)
    results: dict[str, dict[str, Any]] = {}
    predictions: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        mine = runs[i * len(seeds) : (i + 1) * len(seeds)]
        predictions[name] = classes[mine[0]["predictions"]]
        results[name] = _mean_of_runs(
            [{key: value for key, value in run.items() if key != "predictions"} for run in mine]
        )
    return ZooResult(
        dataset_pid, codes, results, predictions, split["test"], classes, config, seeds
    )


def run_seeds(seed: int, n_seeds: int) -> tuple[int, ...]:
    """The seeds of ``n_seeds`` trainings of a model, ``seed`` to ``seed + n_seeds - 1``; the
    last must still be a seed numpy and torch take (:func:`pid.validation.check_seed`)."""
    if not isinstance(n_seeds, int) or n_seeds < 1:
        raise ValueError(f"n_seeds is {n_seeds!r}; pass a whole number of at least 1.")
    last = check_seed(seed + n_seeds - 1, "seed + n_seeds - 1 (--seed + --seeds - 1)")
    return tuple(range(seed, last + 1))


def _train_and_measure(
    name: str,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, dict, Discretized, dict[str, float]],
    config: TrainConfig,
    checkpoint: Path | None,
    progress: bool,
    threads: int,
) -> dict[str, Any]:
    """One model trained with one seed: its figures and test-set predictions (a sweep's job)."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    x1, x2, labels, split, codes, dataset_terms = data
    trained = train_model(
        name, x1, x2, labels, split, config, progress=progress, checkpoint=checkpoint
    )
    captured = model_pid(codes, np.arange(len(labels)), trained.predict(x1, x2))
    return {
        "accuracy": trained.accuracy,
        "val_accuracy": trained.val_accuracy,
        "pid": captured.terms(),
        "agreement": agreement(dataset_terms, captured.terms()),
        "best_epoch": trained.best_epoch,
        "epochs": trained.epochs,
        "seconds": trained.seconds,
        "predictions": trained.predictions,
    }


def mean_interval(
    values: ArrayLike, confidence: float = 0.95, *, within: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Student's t interval of the mean of ``k >= 2`` values,

        mean +- t_{(1 + confidence) / 2, k - 1} * sd / sqrt(k),                      (1)

    ``sd`` the sample standard deviation: where the mean over seeds would lie over other
    draws of seeds, on the same split; cut to ``within``, the values' range where given (an
    accuracy's ``(0, 1)``)."""
    from scipy.stats import t

    values = np.asarray(values, dtype=float)
    k = len(values)
    if k < 2:
        raise ValueError(f"values holds {k} value; pass at least two for an interval.")
    half = t.ppf((1 + confidence) / 2, k - 1) * values.std(ddof=1) / np.sqrt(k)
    low, high = float(values.mean() - half), float(values.mean() + half)
    if within is not None:
        low, high = max(low, within[0]), min(high, within[1])
    return low, high


def _mean_of_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One model's figures: those of its single run, or their means over several (a dict of
    terms term by term) with the accuracy of each run and the interval of their mean."""
    if len(runs) == 1:
        return runs[0]
    merged: dict[str, Any] = {}
    for key, first in runs[0].items():
        if isinstance(first, dict):
            merged[key] = {t: float(np.mean([run[key][t] for run in runs])) for t in first}
        else:
            merged[key] = float(np.mean([run[key] for run in runs]))
    accuracies = [run["accuracy"] for run in runs]
    merged["accuracy_by_seed"] = accuracies
    merged["accuracy_interval"] = list(mean_interval(accuracies, within=(0.0, 1.0)))
    return merged


def _check_inputs(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float features (vectors or sequences) for each modality, and at least two classes."""
    arrays = [check_features(x, name, np.float32) for name, x in (("x1", x1), ("x2", x2))]
    y = np.asarray(y)
    if y.ndim != 1 or len({len(arrays[0]), len(arrays[1]), len(y)}) != 1:
        raise ValueError(
            f"x1, x2 and y hold {len(arrays[0])}, {len(arrays[1])} and {len(y)} samples (y of "
            f"shape {y.shape}); pass one row of each per sample and y as a 1-D array of labels."
        )
    check_paired(arrays[0].reshape(len(y), -1), arrays[1].reshape(len(y), -1), y)
    check_labels(y)
    if len(np.unique(y)) < 2:
        raise ValueError("y holds a single class; the zoo needs at least two labels to learn.")
    return arrays[0], arrays[1], y


def predictions_npz(result: ZooResult, y: ArrayLike) -> bytes:
    """The test-set predictions as the bytes of an ``.npz`` file.

    Arrays: ``test_index`` (positions of the test samples), ``y`` (their true labels) and one
    array per model, named after it, of its predicted labels.
    """
    import io

    arrays = {
        "test_index": result.test_index,
        "y": np.asarray(y)[result.test_index],
        **result.predictions,
    }
    # Labels read as Python objects (strings from a table) are saved as text, which numpy
    # loads without unpickling.
    arrays = {k: np.asarray(a) for k, a in arrays.items()}
    arrays = {k: a.astype(str) if a.dtype == object else a for k, a in arrays.items()}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()
