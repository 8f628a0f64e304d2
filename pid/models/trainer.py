"""Training one fusion model: splits, standardization, Adam, early stopping, checkpoints."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pid.backend import resolve_device

#: The fewest samples :func:`split_indices` splits (at least 4 each for validation and test).
MIN_SAMPLES = 20


@dataclass(frozen=True)
class TrainConfig:
    """How a zoo model is trained (the defaults size the reference bank for a small CPU).

    Adam with step size ``learning_rate`` on minibatches of ``batch_size``; after each epoch the
    cross-entropy on the validation split is measured, and training stops once it has not
    improved for ``patience`` epochs (or after ``max_epochs``); the weights of the best epoch
    are kept. ``device="auto"`` uses CUDA when present; ``seed`` fixes the initialization and
    the minibatch order.
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


@dataclass
class TrainedModel:
    """A trained model and what it did on the held-out test split.

    ``predictions`` are its labels for the test samples (in ``test_index`` order, as class
    indices); ``history`` holds per epoch the training loss, validation loss and accuracy;
    ``scaling`` the training split's mean and standard deviation per feature of each modality.
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

    def predict(self, x1: np.ndarray, x2: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Class indices the model predicts for inputs standardized as in training."""
        import torch

        device = next(self.model.parameters()).device
        out = []
        for start in range(0, len(x1), batch_size):
            batch = [
                torch.as_tensor(_apply(x[start : start + batch_size], s), dtype=torch.float32)
                for x, s in zip((x1, x2), self.scaling, strict=True)
            ]
            out.append(_predict(self.model, [b.to(device) for b in batch]).cpu().numpy())
        return np.concatenate(out)


def split_indices(
    n_samples: int, *, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0
) -> dict[str, np.ndarray]:
    """A random split of ``range(n_samples)`` into ``train``, ``val`` and ``test`` indices.

    ``val`` and ``test`` get ``round(fraction * n)`` samples each (at least 4), ``train`` the
    rest; fewer than :data:`MIN_SAMPLES` samples is an error.
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
    return {
        "train": np.sort(order[n_val + n_test :]),
        "val": np.sort(order[:n_val]),
        "test": np.sort(order[n_val : n_val + n_test]),
    }


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
    ``0..C-1``. Inputs are standardized with the training split's mean and standard deviation
    per feature. Early stopping reads ``split["val"]`` (see :class:`TrainConfig`; its defaults
    when ``config`` is None). With ``checkpoint``, the best weights, the configuration and the
    standardization are saved there (``torch.save``, written whole). ``progress`` shows a bar
    over epochs.
    """
    import torch

    from pid.models.fusion import build_model
    from pid.nn import fit

    config = config or TrainConfig()
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    n_classes = int(y.max()) + 1
    model = build_model(name, x1.shape[1:], x2.shape[1:], n_classes, config.hidden).to(device)
    scaling = [_scaling(x[split["train"]]) for x in (x1, x2)]
    tensors = {
        part: [
            torch.as_tensor(_apply(x[index], s), dtype=torch.float32, device=device)
            for x, s in zip((x1, x2), scaling, strict=True)
        ]
        + [torch.as_tensor(y[index], dtype=torch.long, device=device)]
        for part, index in split.items()
    }
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    generator = torch.Generator().manual_seed(config.seed)

    def run_epoch(epoch: int) -> dict[str, float]:
        loss = _epoch(model, optimizer, tensors["train"], config.batch_size, generator)
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
    )
    _, val_acc = _evaluate(model, tensors["val"])
    predictions = _predict(model, tensors["test"]).cpu().numpy()
    accuracy = float(np.mean(predictions == y[split["test"]]))
    if checkpoint is not None:
        _save_checkpoint(checkpoint, model, name, config, scaling, n_classes)
    return TrainedModel(
        name=name.upper(),
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
    )


def _scaling(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per feature (over samples and steps); 1 where constant."""
    flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
    std = flat.std(axis=0)
    return flat.mean(axis=0), np.where(std > 0, std, 1.0)


def _apply(x: np.ndarray, scaling: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean, std = scaling
    return (x - mean) / std


def _epoch(model: Any, optimizer: Any, data: list[Any], batch_size: int, generator: Any) -> float:
    """One pass over the training split in a random order; returns the mean loss."""
    import torch

    model.train()
    x1, x2, y = data
    order = torch.randperm(len(y), generator=generator).to(y.device)
    total = 0.0
    for start in range(0, len(y), batch_size):
        batch = order[start : start + batch_size]
        loss = model.loss(x1[batch], x2[batch], y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(batch)
    return total / len(y)


def _evaluate(model: Any, data: list[Any]) -> tuple[float, float]:
    """Cross-entropy and accuracy on a split."""
    import torch
    import torch.nn.functional as F

    model.eval()
    with torch.no_grad():
        logits = model(data[0], data[1])
        loss = float(F.cross_entropy(logits, data[2]))
        accuracy = float((logits.argmax(dim=1) == data[2]).float().mean())
    return loss, accuracy


def _predict(model: Any, data: list[Any]) -> Any:
    import torch

    model.eval()
    with torch.no_grad():
        return model(data[0], data[1]).argmax(dim=1)


def _save_checkpoint(
    path: str | os.PathLike,
    model: Any,
    name: str,
    config: TrainConfig,
    scaling: list[tuple[np.ndarray, np.ndarray]],
    n_classes: int,
) -> None:
    """``torch.save`` the weights and what rebuilds the model, through a temporary file."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "name": name.upper(),
        "shapes": [list(s) for s in model.shapes],
        "n_classes": n_classes,
        "config": asdict(config),
        "scaling": [[m.tolist(), s.tolist()] for m, s in scaling],
        "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
