"""Training one fusion model: splits, standardization, Adam, early stopping, checkpoints."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from pid.file_set import write_bytes_atomic
from pid.validation import as_array, check_features, check_labels, check_samples, check_seed

if TYPE_CHECKING:
    from pid.distributed import Group

#: The fewest samples :func:`split_indices` splits (at least 4 each for validation and test).
MIN_SAMPLES = 20

#: The parts of a split, each an array of sample positions.
SPLIT_PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class TrainConfig:
    """How a zoo model is trained (the defaults size the reference bank for a small CPU).

    Adam with step size ``learning_rate`` on minibatches of ``batch_size``; after each epoch the
    cross-entropy on the validation split is measured, and training stops once it has not
    improved for ``patience`` epochs (or after ``max_epochs``); the weights of the best epoch
    are kept. ``device="auto"`` uses CUDA when present; ``seed`` (0 to ``2**32 - 1``) fixes the
    initialization and the minibatch order. Under torchrun the processes share every minibatch
    of ``batch_size`` (:mod:`pid.distributed`).
    """

    hidden: int = 32
    batch_size: int = 128
    learning_rate: float = 3e-3
    max_epochs: int = 60
    patience: int = 10
    weight_decay: float = 1e-5
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        for name in ("hidden", "batch_size", "max_epochs", "patience"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}.")
        check_seed(self.seed)


@dataclass
class TrainedModel:
    """A trained model and what it did on the held-out test split.

    ``predictions`` are its labels for the test samples (in ``test_index`` order, as class
    indices); ``test_loss_bits`` its cross-entropy ``-mean log2 p(y_i | x_i)`` on them;
    ``history`` holds per epoch the training loss, validation loss and accuracy; ``scaling`` the
    training split's mean and standard deviation per feature of each modality.
    """

    name: str
    model: Any
    accuracy: float
    val_accuracy: float
    predictions: np.ndarray
    test_index: np.ndarray
    best_epoch: int
    epochs: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    scaling: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    test_loss_bits: float = float("nan")

    def predict(self, *inputs: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Class indices the model predicts for inputs (one array per modality, in training
        order) standardized as in training."""
        import torch

        device = next(self.model.parameters()).device
        out = []
        for start in range(0, len(inputs[0]), batch_size):
            batch = [
                torch.as_tensor(_apply(x[start : start + batch_size], s), dtype=torch.float32)
                for x, s in zip(inputs, self.scaling, strict=True)
            ]
            out.append(_predict(self.model, [b.to(device) for b in batch]).cpu().numpy())
        return np.concatenate(out)


def split_indices(
    n_samples: int, *, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0
) -> dict[str, np.ndarray]:
    """A random split of ``range(n_samples)`` into ``train``, ``val`` and ``test`` indices.

    ``val`` and ``test`` get ``round(fraction * n)`` samples each (at least 4), ``train`` the
    rest; fewer than :data:`MIN_SAMPLES` samples, or fractions that leave ``train`` empty, are
    an error.
    """
    if n_samples < MIN_SAMPLES:
        raise ValueError(
            f"the dataset holds {n_samples} samples, too few to split into training, "
            f"validation and test sets; pass at least {MIN_SAMPLES}."
        )
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(
            f"fractions must be three positive numbers adding up to 1, got {fractions}."
        )
    order = np.random.default_rng(seed).permutation(n_samples)
    n_val, n_test = (max(4, round(f * n_samples)) for f in fractions[1:])
    if n_samples - n_val - n_test < 1:
        raise ValueError(
            f"fractions {fractions} leave none of the {n_samples} samples (n_samples) for "
            f"training once validation and test take {n_val} and {n_test} (at least 4 each); "
            "give training a larger fraction, or pass more samples."
        )
    return {
        "train": np.sort(order[n_val + n_test :]),
        "val": np.sort(order[:n_val]),
        "test": np.sort(order[n_val : n_val + n_test]),
    }


def _checked_data(
    inputs: Sequence[ArrayLike],
    y: ArrayLike,
    split: Mapping[str, ArrayLike],
    names: Sequence[str],
    n_classes: int | None = None,
) -> tuple[list[np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """The data of one training, checked: each input by
    :func:`pid.validation.check_features` (``names`` name them), one row of each per label,
    ``y`` as ``int64`` class indices ``0..C-1`` (below ``n_classes`` where the model says how
    many it tells apart), and ``split``'s three parts (:func:`_checked_split`)."""
    features = [check_features(x, name) for x, name in zip(inputs, names, strict=True)]
    *_, labels = check_samples(
        [x.reshape(len(x), -1) for x in features] + [y], [*names, "y"], labels=("y",)
    )
    check_labels(labels)  # a continuous target has advice of its own
    encode = "encode the labels as class indices with np.unique(y, return_inverse=True)[1]"
    if labels.dtype.kind not in "biuf":
        raise ValueError(f"y holds labels of type {labels.dtype}, not class indices; {encode}.")
    if not np.isfinite(labels).all():
        raise ValueError("y holds NaN or infinite labels; drop the samples that have no label.")
    if labels.min() < 0:
        raise ValueError(f"y holds the label {labels.min()}, below 0; {encode}.")
    if n_classes is not None and labels.max() >= n_classes:
        raise ValueError(
            f"y holds the label {labels.max()}, but the model tells {n_classes} classes apart; "
            f"build it with n_classes of at least {int(labels.max()) + 1}, or {encode}."
        )
    return features, labels.astype(np.int64), _checked_split(split, len(labels))


def _checked_split(split: Mapping[str, ArrayLike], n_samples: int) -> dict[str, np.ndarray]:
    """The ``train``, ``val`` and ``test`` parts of ``split``, each a non-empty 1-D array of
    positions among ``n_samples`` samples."""
    if not isinstance(split, Mapping):
        problem = "is a " + type(split).__name__
    else:
        missing = ", ".join(repr(part) for part in SPLIT_PARTS if part not in split)
        problem = missing and "lacks " + missing
    if problem:
        raise ValueError(
            f"split {problem}; pass a dict of 'train', 'val' and 'test' arrays of sample "
            "positions, as split_indices(len(y)) returns."
        )
    checked = {}
    for part in SPLIT_PARTS:
        name = f"split[{part!r}]"
        index = as_array(split[part], name)
        if index.size == 0:
            raise ValueError(f"{name} is empty; pass the position of one sample there or more.")
        if index.ndim != 1 or index.dtype.kind not in "iu":
            raise ValueError(
                f"{name} has shape {index.shape} and dtype {index.dtype}; pass a 1-D array of "
                "integer sample positions (np.flatnonzero(mask) for a boolean mask)."
            )
        outside = index[(index < 0) | (index >= n_samples)]
        if outside.size:
            raise ValueError(
                f"{name} holds the position {outside[0]}, outside the {n_samples} samples; "
                f"pass positions from 0 to {n_samples - 1}."
            )
        checked[part] = index
    return checked


def train_model(
    name: str,
    x1: np.ndarray,
    x2: np.ndarray,
    y: np.ndarray,
    split: dict[str, np.ndarray],
    config: TrainConfig | None = None,
    *,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
) -> TrainedModel:
    """Train the zoo model ``name`` on ``split["train"]`` and predict ``split["test"]``.

    ``x1``, ``x2`` are float arrays ``(n, d)`` or ``(n, T, d)``; ``y`` holds class indices
    ``0..C-1``; ``split`` holds non-empty arrays of sample positions under ``train``, ``val``
    and ``test`` (as :func:`split_indices` returns). Inputs are standardized with the training
    split's mean and standard deviation per feature. Early stopping reads ``split["val"]`` (see
    :class:`TrainConfig`; its defaults when ``config`` is None; the loop is :func:`fit_model`'s).
    With ``checkpoint``, the best weights, the configuration and the standardization are saved
    there (``torch.save``, written whole; under torchrun by rank 0 alone). ``progress`` shows a
    bar over epochs.
    """
    import torch

    from pid.distributed import join_group
    from pid.models.fusion import build_model

    config = config or TrainConfig()
    (x1, x2), y, split = _checked_data([x1, x2], y, split, ("x1", "x2"))
    torch.manual_seed(config.seed)
    n_classes = int(y.max()) + 1
    model = build_model(name, x1.shape[1:], x2.shape[1:], n_classes, config.hidden)
    trained = _fit_checked(model, [x1, x2], y, split, config, name.upper(), progress)
    if checkpoint is not None and join_group(config.device).main:
        _save_checkpoint(checkpoint, trained.model, name, config, trained.scaling, n_classes)
    return trained


def fit_model(
    model: Any,
    inputs: list[np.ndarray],
    y: np.ndarray,
    split: dict[str, np.ndarray],
    config: TrainConfig | None = None,
    *,
    name: str = "model",
    progress: bool = False,
) -> TrainedModel:
    """Train a built ``model`` on ``split["train"]`` and predict ``split["test"]``.

    ``model(*batch)`` gives the logits for one tensor per modality and ``model.loss(*batch, y)``
    the training objective (every model of the zoo, :class:`pid.models.highmmt.HighMMT`).
    ``inputs`` holds one float array ``(n, d)`` or ``(n, T, d)`` per modality, in the model's
    order; ``y`` class indices ``0..C-1`` (below ``model.n_classes`` where the model has it);
    ``split`` as for :func:`train_model`. Inputs are standardized with the training split's
    mean and standard deviation per feature. Adam (on the parameters that require gradients,
    so frozen ones stay put) minimizes the loss; training stops early on the cross-entropy of
    ``split["val"]`` (see :class:`TrainConfig`), keeping the weights of the best epoch. The
    initialization is the caller's: seed torch before building the model.

    Launched by torchrun, the processes train the model together
    (:func:`pid.distributed.join_group` on ``config.device``): each computes its part of every
    minibatch of ``config.batch_size`` (the same order on every process), the gradients are
    averaged, and every process returns the same model, starting from rank 0's
    initialization.
    """
    names = [f"inputs[{k}]" for k in range(len(inputs))]
    inputs, y, split = _checked_data(inputs, y, split, names, getattr(model, "n_classes", None))
    return _fit_checked(model, inputs, y, split, config or TrainConfig(), name, progress)


def _fit_checked(
    model: Any,
    inputs: list[np.ndarray],
    y: np.ndarray,
    split: dict[str, np.ndarray],
    config: TrainConfig,
    name: str,
    progress: bool,
) -> TrainedModel:
    """:func:`fit_model` of data :func:`_checked_data` has checked."""
    import torch

    from pid.distributed import join_group
    from pid.information import LN2
    from pid.nn import fit

    group = join_group(config.device)
    group.check_batch_size(config.batch_size)
    device = group.device
    model = model.to(device)
    group.broadcast(model)
    scaling = [_scaling(x[split["train"]]) for x in inputs]
    tensors = {
        part: [
            torch.as_tensor(_apply(x[index], s), dtype=torch.float32, device=device)
            for x, s in zip(inputs, scaling, strict=True)
        ]
        + [torch.as_tensor(y[index], dtype=torch.long, device=device)]
        for part, index in split.items()
    }
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(
        trainable, lr=config.learning_rate, weight_decay=config.weight_decay
    )
    generator = torch.Generator().manual_seed(config.seed)

    def run_epoch(epoch: int) -> dict[str, float]:
        loss = _epoch(model, optimizer, tensors["train"], config.batch_size, generator, group)
        return {"train_loss": loss}

    def validate() -> dict[str, float]:
        val_loss, val_accuracy = _evaluate(model, tensors["val"])
        return {"val_loss": val_loss, "val_accuracy": val_accuracy}

    start = time.perf_counter()
    fitted = fit(
        run_epoch,
        epochs=config.max_epochs,
        name=name,
        advice="lower learning_rate",
        validate=validate,
        monitor="val_loss",
        patience=config.patience,
        min_delta=1e-4,
        model=model,
        postfix=("val_loss", "val_accuracy"),
        progress=progress,
        group=group,
    )
    group.broadcast(model)
    _, val_acc = _evaluate(model, tensors["val"])
    test_loss, _ = _evaluate(model, tensors["test"])
    predictions = _predict(model, tensors["test"][:-1]).cpu().numpy()
    accuracy = float(np.mean(predictions == y[split["test"]]))
    return TrainedModel(
        name=name,
        model=model,
        accuracy=accuracy,
        val_accuracy=val_acc,
        predictions=predictions,
        test_index=split["test"],
        best_epoch=fitted.best_epoch,
        epochs=fitted.epochs,
        seconds=time.perf_counter() - start,
        history=fitted.history,
        scaling=scaling,
        test_loss_bits=test_loss / LN2,
    )


def _scaling(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per feature (over samples and steps); 1 where constant."""
    flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
    std = flat.std(axis=0)
    return flat.mean(axis=0), np.where(std > 0, std, 1.0)


def _apply(x: np.ndarray, scaling: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean, std = scaling
    return (x - mean) / std


def _epoch(
    model: Any, optimizer: Any, data: list[Any], batch_size: int, generator: Any, group: Group
) -> float:
    """One pass over the training split in a random order, each minibatch shared out among
    the processes of ``group``; returns the mean loss."""
    import torch

    model.train()
    *inputs, y = data
    order = torch.randperm(len(y), generator=generator).to(y.device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    total, seen = 0.0, 0
    for start in range(0, len(y), batch_size):
        batch = order[start : start + batch_size]
        if len(batch) < group.world_size:
            continue  # too few to share out among the processes
        mine = group.shard(batch)
        loss = model.loss(*(x[mine] for x in inputs), y[mine])
        optimizer.zero_grad()
        # Summed on the device, read once an epoch.
        total = total + group.backward(loss, trainable, len(mine) / len(batch)).double() * len(
            batch
        )
        seen += len(batch)
        optimizer.step()
    return float(total) / seen


def _evaluate(model: Any, data: list[Any]) -> tuple[float, float]:
    """Cross-entropy (nats) and accuracy on a split."""
    import torch
    import torch.nn.functional as F

    model.eval()
    *inputs, y = data
    with torch.no_grad():
        logits = model(*inputs)
        loss = float(F.cross_entropy(logits, y))
        accuracy = float((logits.argmax(dim=1) == y).float().mean())
    return loss, accuracy


def _predict(model: Any, inputs: list[Any]) -> Any:
    """The predicted class of each sample, one tensor per modality in ``inputs``."""
    import torch

    model.eval()
    with torch.no_grad():
        return model(*inputs).argmax(dim=1)


def _save_checkpoint(
    path: str | os.PathLike,
    model: Any,
    name: str,
    config: TrainConfig,
    scaling: list[tuple[np.ndarray, np.ndarray]],
    n_classes: int,
) -> None:
    """``torch.save`` the weights and what rebuilds the model, written whole
    (:func:`pid.file_set.write_bytes_atomic`)."""
    import torch

    state = {
        "name": name.upper(),
        "shapes": [list(s) for s in model.shapes],
        "n_classes": n_classes,
        "config": asdict(config),
        "scaling": [[m.tolist(), s.tolist()] for m, s in scaling],
        "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes_atomic(path, buffer.getvalue())
