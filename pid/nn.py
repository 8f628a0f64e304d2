"""Neural building blocks shared by every trained part of the toolkit (needs torch).

- Encoders: :func:`mlp`, :class:`VectorEncoder` and :class:`SequenceEncoder` (with
  :func:`make_encoder` choosing between them), :func:`mlp_head`.
- :func:`fit`: the one training loop, with early stopping on a held-out loss, used by the
  posterior classifiers, the fusion zoo, BATCH and FactorCL.
- :func:`train_classifier`: a classifier ``p(y | x)`` trained with that loop.

Imported only by modules that train something, so ``import pid`` stays free of torch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from pid.distributed import Group
from pid.errors import SolverError
from pid.information import LN2


def mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    """A two-hidden-layer ReLU network ``R^n_in -> R^n_out``:
    ``W3 relu(W2 relu(W1 x + b1) + b2) + b3``."""
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, n_out),
    )


def mlp_head(in_features: int, hidden: int, n_classes: int) -> nn.Sequential:
    """``logits = W2 relu(W1 z + b1) + b2``: a classifier on top of a representation."""
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))


class VectorEncoder(nn.Module):
    """``z = relu(W2 relu(W1 x + b1) + b2)``: a two-layer perceptron for ``(n, d)`` inputs.

    Returns the summary ``z`` of shape ``(n, hidden)`` and ``z`` as a one-step sequence
    ``(n, 1, hidden)``, the per-step states that cross-modal attention reads.
    """

    def __init__(self, in_features: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.net(x)
        return z, z.unsqueeze(1)


class SequenceEncoder(nn.Module):
    """A GRU over ``(n, T, d)`` inputs: ``h_t = GRU(x_t, h_{t-1})``, summary ``z = h_T``.

    With ``project=True``, ``z = W h_T + b`` instead (a linear layer on the last state). Returns
    the summary ``(n, hidden)`` and the per-step states ``(n, T, hidden)``.
    """

    def __init__(self, in_features: int, hidden: int, *, project: bool = False) -> None:
        super().__init__()
        self.gru = nn.GRU(in_features, hidden, batch_first=True)
        self.out = nn.Linear(hidden, hidden) if project else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        states, last = self.gru(x)
        summary = last[-1] if self.out is None else self.out(last[-1])
        return summary, states


def make_encoder(shape: tuple[int, ...], hidden: int) -> nn.Module:
    """The encoder for samples of ``shape`` (one sample, without the batch axis).

    ``(d,)`` gets a :class:`VectorEncoder`, ``(T, d)`` a :class:`SequenceEncoder`.
    """
    if len(shape) == 1:
        return VectorEncoder(shape[0], hidden)
    if len(shape) == 2:
        return SequenceEncoder(shape[1], hidden)
    raise ValueError(
        f"a modality has samples of shape {shape}; pass vectors (n, d) or sequences (n, T, d)."
    )


@dataclass
class Fitted:
    """What :func:`fit` did: one record per epoch, and the epoch of the best monitored value.

    ``history`` holds per epoch its number (from 1), what the epoch and the validation
    returned, and its ``seconds``; ``best_epoch`` is 0 when nothing was monitored.
    """

    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_value: float = math.inf

    @property
    def epochs(self) -> int:
        """Epochs run."""
        return len(self.history)


def fit(
    run_epoch: Callable[[int], dict[str, float]],
    *,
    epochs: int,
    name: str,
    advice: str,
    validate: Callable[[], dict[str, float]] | None = None,
    monitor: str = "loss",
    patience: int | None = None,
    min_delta: float = 0.0,
    model: nn.Module | None = None,
    after_epoch: Callable[[Fitted], None] | None = None,
    unit: str = "epoch",
    postfix: Sequence[str] = ("loss",),
    progress: bool = False,
    group: Group | None = None,
) -> Fitted:
    """Run ``run_epoch(k)`` for ``k = 1, ..., epochs``, stopping early on a held-out loss.

    After each epoch, ``validate()`` (if given) adds its values to the epoch's record, and the
    record's ``monitor`` value is checked: a value that is not finite raises
    :class:`~pid.SolverError` (``"<name> diverged at <unit> k (...); <advice>."``). A value
    below the best one by more than ``min_delta`` is the new best (the weights of ``model`` are
    kept); once ``patience`` epochs pass without one, training stops, and ``model`` gets its
    best weights back. Without ``patience`` every epoch runs. ``after_epoch`` sees the history
    so far (to write a checkpoint, say); ``progress`` shows a bar with the ``postfix`` values.

    With a ``group`` of several processes (:mod:`pid.distributed`), what the epoch and the
    validation return is averaged over them before anything is decided, so every process
    stops at the same epoch and keeps the same best one; only rank 0 shows progress.
    """
    fitted = Fitted()
    best_state: dict[str, torch.Tensor] | None = None
    shown = progress and (group is None or group.main)
    bar = tqdm(range(1, epochs + 1), desc=name, disable=not shown, leave=False)
    for epoch in bar:
        start = time.perf_counter()
        values = run_epoch(epoch)
        if validate is not None:
            values = {**values, **validate()}
        if group is not None:
            values = group.mean(values)
        record: dict[str, float] = {"epoch": epoch, **values}
        record["seconds"] = time.perf_counter() - start
        value = record[monitor]
        if not math.isfinite(value):
            raise SolverError(f"{name} diverged at {unit} {epoch} ({monitor} {value}); {advice}.")
        fitted.history.append(record)
        bar.set_postfix({key: f"{record[key]:.3f}" for key in postfix if key in record})
        if after_epoch is not None:
            after_epoch(fitted)
        if value < fitted.best_value - min_delta:
            fitted.best_value, fitted.best_epoch = value, epoch
            if model is not None:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif patience is not None and epoch - fitted.best_epoch >= patience:
            break
    bar.close()
    if model is not None and best_state is not None:
        model.load_state_dict(best_state)
    return fitted


def train_classifier(
    features: torch.Tensor,
    labels: torch.Tensor,
    n_labels: int,
    *,
    train: torch.Tensor,
    valid: torch.Tensor,
    hidden: int,
    batch_size: int,
    learning_rate: float,
    max_epochs: int,
    patience: int,
    generator: torch.Generator,
    group: Group | None = None,
) -> tuple[nn.Module, dict[str, Any]]:
    """A classifier of ``labels`` from ``features``, in eval mode, and how its training went.

    An :func:`mlp` trained by Adam on the cross-entropy ``-mean log p(y_i | x_i)`` of the
    ``train`` split, stopped early (:func:`fit`) on that of the ``valid`` split; the weights
    of the best validation epoch are kept.

    Parameters
    ----------
    features : tensor of shape (n, d)
    labels : tensor of shape (n,), integer codes ``0..n_labels-1``
    train, valid : tensors of sample indices
        The training and validation splits.
    generator : torch.Generator
        Source of the minibatch order (CPU), for repeatable runs.
    group : Group, optional
        The processes training the classifier together under torchrun
        (:func:`pid.distributed.join_group`): each computes its part of every minibatch of
        ``batch_size`` and the gradients are averaged; None trains in this process alone.

    Returns
    -------
    model : torch.nn.Module
        The network; ``model(x)`` gives the logits.
    diagnostics : dict
        ``epochs`` run, ``best_epoch`` and the validation cross-entropy ``valid_loss_bits``.
    """
    group = group or Group(features.device)
    group.check_batch_size(batch_size)
    model = mlp(features.shape[1], n_labels, hidden).to(features.device)
    group.broadcast(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn = nn.CrossEntropyLoss()

    # The indices go to the device once an epoch: a copy a step would wait on the device.
    valid = valid.to(features.device)

    def run_epoch(epoch: int) -> dict[str, float]:
        model.train()
        order = train[torch.randperm(len(train), generator=generator)].to(features.device)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            if len(batch) < group.world_size:
                continue  # too few to share out among the processes
            mine = group.shard(batch)
            optimizer.zero_grad()
            loss = loss_fn(model(features[mine]), labels[mine])
            group.backward(loss, model.parameters(), len(mine) / len(batch))
            optimizer.step()
        return {}

    def validate() -> dict[str, float]:
        model.eval()
        with torch.no_grad():
            return {"val_loss": float(loss_fn(model(features[valid]), labels[valid]))}

    fitted = fit(
        run_epoch,
        epochs=max_epochs,
        name="classifier training",
        advice="lower learning_rate",
        validate=validate,
        monitor="val_loss",
        patience=patience,
        min_delta=1e-6,
        model=model,
        group=group,
    )
    group.broadcast(model)
    model.eval()
    return model, {
        "epochs": fitted.epochs,
        "best_epoch": fitted.best_epoch,
        "valid_loss_bits": float(fitted.best_value / LN2),
    }
