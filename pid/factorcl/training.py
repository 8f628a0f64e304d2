"""Training FactorCL and its baselines on paired data, and the trained encoders it returns.

:func:`train` fits one of :data:`METHODS` on ``(x1, x2)`` (and ``y`` for the supervised
ones) and returns a :class:`ContrastiveModel`, whose :meth:`~ContrastiveModel.encode` gives
the learned representations of new data. FactorCL and OurCL alternate two updates per batch
(thesis Algorithm 2): the NCE-CLUB critics take ``CriticSettings.steps`` Adam steps on their
InfoNCE objective with the representations held fixed, then the encoders and lower-bound
critics take one step on ``-(S + U1 + U2)`` with the upper-bound critics held fixed.
"""

from __future__ import annotations

import io
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from pid.backend import resolve_device
from pid.distributed import join_group
from pid.factorcl.augment import (
    AugmentedView,
    augment,
    shared_fraction,
    source_weights,
    unique_augment,
)
from pid.factorcl.critics import Candidates
from pid.factorcl.networks import ContrastiveNet
from pid.factorcl.objectives import (
    Condition,
    CriticSettings,
    CrossModalObjective,
    FactorCLObjective,
)
from pid.file_set import write_bytes_atomic
from pid.io import load_torch_file
from pid.nn import Fitted, fit
from pid.schema import Checker, describe, join
from pid.validation import check_features, check_number, check_seed, check_whole

#: Methods :func:`train` knows: FactorCL, its ablations without factorization, and baselines.
METHODS = (
    "factorcl-sup",
    "factorcl-ssl",
    "ourcl-sup",
    "ourcl-ssl",
    "simclr",
    "cross-self",
    "supcon",
)

#: Methods that need labels.
SUPERVISED = ("factorcl-sup", "ourcl-sup", "supcon")
#: FactorCL and OurCL with labels: both modalities also get unimodal augmentations (Table 4.2).
SUPERVISED_FACTORCL = ("factorcl-sup", "ourcl-sup")

#: Version tag of the checkpoint format.
CHECKPOINT_FORMAT = "pid.factorcl.checkpoint/2"
#: What to do about a checkpoint that cannot be read.
CHECKPOINT_REMEDY = "pass a checkpoint written by pid factorcl train or ContrastiveModel.save"
#: The largest input size, hidden size or embedding size a checkpoint may give.
MAX_SIZE = 2**31 - 1


@dataclass
class ContrastiveModel:
    """Trained encoders and what is needed to apply them to new data.

    ``net`` is the :class:`~pid.factorcl.networks.ContrastiveNet` (in eval mode),
    ``mean``/``std`` the input standardization fitted on the training data, ``config`` the
    training settings, and ``history`` the per-epoch loss, seconds, and for FactorCL and OurCL
    the batch-mean ``S``, ``U1``, ``U2`` estimates in nats.
    """

    net: ContrastiveNet
    method: str
    config: dict[str, Any]
    mean: tuple[np.ndarray, np.ndarray]
    std: tuple[np.ndarray, np.ndarray]
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def names(self) -> tuple[str, ...]:
        """The representations :meth:`encode` returns: ``s1, u1, s2, u2`` or ``z1, z2``."""
        return self.net.names

    def encode(self, x1: ArrayLike, x2: ArrayLike, batch_size: int = 1024) -> dict[str, np.ndarray]:
        """Representations of new samples by name, each of shape ``(n, embed_dim)``.

        FactorCL gives ``s1, u1, s2, u2`` (``Z_S1, Z_U1, Z_S2, Z_U2``); the other methods
        ``z1, z2``. Inputs are standardized with the training data's statistics and encoded
        ``batch_size`` samples at a time (a whole number of at least 1).
        """
        check_whole(batch_size, "batch_size", 1)
        a, b = check_features(x1, "x1", np.float32), check_features(x2, "x2", np.float32)
        for value, name, shape in zip((a, b), ("x1", "x2"), self.config["shapes"], strict=True):
            if list(value.shape[1:]) != list(shape):
                raise ValueError(
                    f"{name} has samples of shape {value.shape[1:]}, the model was trained on "
                    f"{tuple(shape)}; pass data shaped like the training data."
                )
        if len(a) != len(b):
            raise ValueError(f"x1 has {len(a)} samples and x2 {len(b)}; pass paired samples.")
        device = next(self.net.parameters()).device
        a, b = ((v - m) / s for v, m, s in zip((a, b), self.mean, self.std, strict=True))
        out: dict[str, list[np.ndarray]] = {name: [] for name in self.names}
        self.net.eval()
        with torch.no_grad():
            for start in range(0, len(a), batch_size):
                chunk = (
                    torch.as_tensor(v[start : start + batch_size], device=device) for v in (a, b)
                )
                for name, value in self.net(*chunk).items():
                    out[name].append(value.cpu().numpy())
        return {name: np.concatenate(values) for name, values in out.items()}

    def features(self, x1: ArrayLike, x2: ArrayLike) -> np.ndarray:
        """All representations side by side, ``(n, len(names) * embed_dim)``, for a probe."""
        return np.concatenate(list(self.encode(x1, x2).values()), axis=1)

    def save(self, path: str | os.PathLike) -> None:
        """Write a checkpoint atomically; :meth:`load` reads it back."""
        _save_checkpoint(path, self, objective=None, epoch=len(self.history))

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "auto") -> ContrastiveModel:
        """A model from a checkpoint written by :meth:`save` or by :func:`train`.

        The file is read with ``weights_only=True``, so no code in it runs, and checked
        before the network is built: its settings, and each tensor's shape against the
        network they describe. A bad file is refused with one sentence naming it and the
        field (``ValueError``).
        """
        path = Path(path)
        checker = Checker(f"checkpoint {path}", CHECKPOINT_REMEDY)
        state = load_torch_file(path, source=checker.source, remedy=CHECKPOINT_REMEDY)
        if isinstance(state, dict) and state.get("format") == "pid.factorcl.checkpoint/1":
            raise ValueError(
                f"{checker.source} was written before FactorCL gave each representation its "
                "own encoder; train the model again with pid factorcl train."
            )
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{checker.source} is not a FactorCL checkpoint; {CHECKPOINT_REMEDY}.")
        _check_checkpoint(checker, state)
        config = state["config"]
        net = _network(config["method"], config)
        net.load_state_dict(state["net"])
        net.to(resolve_device(device)).eval()
        return cls(
            net=net,
            method=config["method"],
            config=config,
            mean=tuple(np.asarray(m) for m in state["mean"]),
            std=tuple(np.asarray(s) for s in state["std"]),
            history=list(state["history"]),
        )


def train(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike | None = None,
    *,
    method: str = "factorcl-sup",
    epochs: int = 50,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    hidden: int = 128,
    embed_dim: int = 32,
    critic_hidden: int = 128,
    temperature: float = 0.1,
    mask_prob: float = 0.3,
    noise: float = 0.1,
    critics: CriticSettings | None = None,
    device: str = "auto",
    seed: int = 0,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = False,
) -> ContrastiveModel:
    """Train FactorCL (thesis Algorithm 2) or a baseline of Table 4.2 and return its encoders.

    Parameters
    ----------
    x1, x2 : array-like
        Paired samples: vectors ``(n, d)`` (an MLP encodes them) or sequences ``(n, T, d)``
        (a GRU encodes them). Standardized per feature with the training data's statistics.
    y : array-like of shape (n,), optional
        Class labels (any integers), needed by ``factorcl-sup``, ``ourcl-sup`` and ``supcon``
        and ignored by the self-supervised methods.
    method : str
        ``factorcl-sup``, ``factorcl-ssl`` (factorized ``Z_S1, Z_U1, Z_S2, Z_U2``; Eqs. 4.8,
        4.9 with ``Y`` and augmentations ``x1' = augment(x1)``, ``x2' = augment(x2)``, or with
        augmentations ``x1' = augment(x1)``, ``x2' = unique_augment(x2 | x1)`` alone),
        ``ourcl-sup``, ``ourcl-ssl`` (the same objectives
        without factorization), ``simclr`` (cross-modal InfoNCE), ``cross-self`` (SimCLR plus
        unimodal InfoNCE on augmented views), ``supcon`` (supervised contrastive).
    epochs, batch_size, learning_rate : int, int, float
        Passes over the data, minibatch size (each batch scores ``batch_size^2`` pairs), Adam
        step size of every network.
    hidden, embed_dim, critic_hidden : int
        Width of the encoders, size of each representation, width of the critics.
    temperature : float
        Divides the cosine similarities of ``simclr``, ``cross-self`` and ``supcon``; finite
        and above 0.
    mask_prob, noise : float
        Augmentation strength (:mod:`pid.factorcl.augment`): ``0 <= mask_prob < 1`` and a
        finite ``noise >= 0``; FactorCL and OurCL need ``noise > 0`` (their conditional
        estimators weigh negatives by the augmentation's likelihood), unless supervised with
        ``CriticSettings(views_in_condition=False)``.
    critics : CriticSettings, optional
        Critic steps, bounded critics and the factorization term of FactorCL and OurCL;
        ``None`` takes :meth:`CriticSettings.for_method` (ignored by the baselines).
    device : str
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ...
    seed : int
        Seeds initialization, batch order and augmentations; CPU runs are repeatable.
    checkpoint : path, optional
        Written atomically after every epoch: the model and its history, and under
        ``"training"`` the objective's state and the optimizers' states (``"optimizer"``, of
        the encoders and lower-bound critics; ``"critic_optimizer"``, of FactorCL's and
        OurCL's upper-bound critics, None for the baselines).
    progress : bool
        Show a progress bar over the epochs.

    Returns
    -------
    ContrastiveModel
        The trained encoders; ``history`` has the loss and seconds of every epoch.

    Raises
    ------
    ValueError
        On malformed input or settings, naming the argument.
    SolverError
        If the loss becomes non-finite.
    """
    if method not in METHODS:
        raise ValueError(f"method is {method!r}; pass one of {', '.join(METHODS)}.")
    a, b = check_features(x1, "x1", np.float32), check_features(x2, "x2", np.float32)
    if len(a) != len(b):
        raise ValueError(f"x1 has {len(a)} samples and x2 {len(b)}; pass paired samples.")
    if method in SUPERVISED and y is None:
        raise ValueError(f"method {method!r} is supervised; pass class labels y.")
    labels, classes = _labels(y, len(a)) if method in SUPERVISED else (None, None)
    if labels is not None and np.bincount(labels).max() < 2:
        raise ValueError(
            f"y gives each of its {len(classes)} classes a single sample among the {len(a)} "
            f"training samples, but method {method!r} contrasts samples of one class; pass at "
            f"least {len(classes) + 1} training samples (on the command line, more samples or "
            "a smaller --test-fraction)."
        )
    check_seed(seed, "seed")
    for name, value, least in (
        ("epochs (--epochs)", epochs, 1),
        ("batch_size (--batch-size)", batch_size, 2),
        ("hidden (--hidden)", hidden, 1),
        ("embed_dim (--embed-dim)", embed_dim, 1),
        ("critic_hidden (--critic-hidden)", critic_hidden, 1),
    ):
        check_whole(value, name, least)
    if len(a) < 2:
        raise ValueError(f"x1 has {len(a)} sample; contrastive learning needs at least 2.")
    check_number(mask_prob, "mask_prob (--mask-prob)", high=1.0)
    check_number(learning_rate, "learning_rate (--learning-rate)", above=True)
    check_number(noise, "noise (--noise)")
    check_number(temperature, "temperature (--temperature)", above=True)
    critics = critics or CriticSettings.for_method(method)
    critics.check()
    if not critics.views_in_condition and method not in SUPERVISED_FACTORCL:
        raise ValueError(
            f"critics has views_in_condition=False (--label-condition-only), which only "
            f"{' and '.join(SUPERVISED_FACTORCL)} use; {method} has no label condition, leave "
            "it out."
        )
    if critics.factor_weight > 0 and not method.startswith("factorcl"):
        raise ValueError(
            f"critics has factor_weight {critics.factor_weight:g} (--factor-weight), which "
            f"weighs the factors of factorcl-sup and factorcl-ssl; {method} has none, leave it "
            "out."
        )
    weighs_views = method.endswith("-ssl") or (
        method in SUPERVISED_FACTORCL and critics.views_in_condition
    )
    if weighs_views and not noise > 0:
        raise ValueError(
            f"noise is {noise}; {method} weighs its negatives by the augmentation's likelihood, "
            "pass noise > 0 (supervised, or condition on the label alone: "
            "CriticSettings(views_in_condition=False), --label-condition-only)."
        )

    group = join_group(device)
    torch_device = group.device
    size = min(batch_size, len(a))
    if group.distributed:
        if size < group.world_size:
            raise ValueError(
                f"batch_size is {batch_size} and x1 holds {len(a)} samples: a batch of {size} "
                f"cannot be shared among the {group.world_size} processes torchrun started; "
                f"pass batch_size and samples of at least {group.world_size}, or start fewer "
                "processes."
            )
        size -= size % group.world_size  # equal parts: every process scores the same number
    candidates = Candidates(group.gather if group.distributed else None, group.rank)
    torch.manual_seed(seed)
    generator = torch.Generator(device=torch_device).manual_seed(group.seed(seed))
    order = torch.Generator().manual_seed(seed)
    mean = tuple(_feature_mean(v) for v in (a, b))
    std = tuple(_feature_std(v) for v in (a, b))
    t1, t2 = (
        torch.as_tensor((v - m) / s, device=torch_device)
        for v, m, s in zip((a, b), mean, std, strict=True)
    )
    t_labels = None if labels is None else torch.as_tensor(labels, device=torch_device)
    config = {
        "method": method,
        "shapes": [list(a.shape[1:]), list(b.shape[1:])],
        "classes": None if classes is None else classes.tolist(),
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "hidden": hidden,
        "embed_dim": embed_dim,
        "critic_hidden": critic_hidden,
        "temperature": temperature,
        "mask_prob": mask_prob,
        "noise": noise,
        "critics": asdict(critics),
        "seed": seed,
    }
    net = _network(method, config).to(torch_device)
    objective = _objective(method, config).to(torch_device)
    group.broadcast(net)
    group.broadcast(objective)
    model = ContrastiveModel(net=net, method=method, config=config, mean=mean, std=std)
    alternating = isinstance(objective, FactorCLObjective)
    main_params = [*net.parameters()]
    if alternating:
        main_params += objective.lower_bound_parameters()
        critic_params = objective.upper_bound_critics()
        critic_optimizer = torch.optim.Adam(critic_params, lr=learning_rate)
    else:
        main_params += [*objective.parameters()]
    optimizer = torch.optim.Adam(main_params, lr=learning_rate)
    shared = shared_fraction(t2, t1) if method.endswith("-ssl") else None

    def views(i1: torch.Tensor, i2: torch.Tensor) -> tuple[AugmentedView, AugmentedView] | None:
        strength = {"mask_prob": mask_prob, "noise": noise, "generator": generator}
        if shared is not None:  # multimodal augmentation: x1', then x2' given x1
            return augment(i1, **strength), unique_augment(i2, shared, **strength)
        if uses_views(method):
            return augment(i1, **strength), augment(i2, **strength)
        return None

    def condition(
        z_aug: dict[str, torch.Tensor] | None,
        augmented: tuple[AugmentedView, AugmentedView] | None,
        sources: tuple[torch.Tensor, torch.Tensor],
        batch_labels: torch.Tensor | None,
    ) -> Condition:
        if not weighs_views:
            return Condition.of_labels(batch_labels, z_aug, candidates)
        with torch.no_grad():
            weights = source_weights(augmented, sources)
        return Condition.of_views(z_aug, weights, candidates, batch_labels)

    n_batches = max(len(a) // size, 1)

    def run_epoch(epoch: int) -> dict[str, float]:
        net.train()
        permutation = torch.randperm(len(a), generator=order).to(torch_device)
        totals: dict[str, torch.Tensor] = {}  # summed on the device, read once an epoch
        for k in range(n_batches):
            idx = permutation[k * size : (k + 1) * size]
            mine = group.shard(idx)  # this process's anchors; the candidates are all of idx
            i1, i2 = t1[mine], t2[mine]
            batch_labels = None if t_labels is None else t_labels[mine]
            augmented = views(i1, i2)
            z = net(i1, i2)
            z_aug = None if augmented is None else net(*(a.view for a in augmented))
            if alternating:
                given = condition(z_aug, augmented, (t1[idx], t2[idx]), batch_labels)
                for _ in range(critics.steps):
                    critic_optimizer.zero_grad()
                    group.backward(objective.critic_loss(z, given), critic_params)
                    critic_optimizer.step()
                loss, parts = objective(z, given)
            else:
                loss, parts = objective(z, z_aug, batch_labels, candidates)
            optimizer.zero_grad()
            value = group.backward(loss, main_params)
            optimizer.step()
            for key, part in {"loss": value, **parts}.items():
                totals[key] = totals.get(key, 0.0) + part.double() / n_batches
        # A step that diverged leaves a non-finite loss, which fit refuses.
        return {key: float(total) for key, total in totals.items()}

    def save(fitted: Fitted) -> None:
        model.history = fitted.history
        if checkpoint is not None and group.main:
            states = {
                "objective": objective.state_dict(),
                "optimizer": optimizer.state_dict(),
                "critic_optimizer": critic_optimizer.state_dict() if alternating else None,
            }
            _save_checkpoint(checkpoint, model, objective=states, epoch=fitted.epochs)

    fit(
        run_epoch,
        epochs=epochs,
        name=f"{method} training",
        advice="lower learning_rate or raise temperature",
        after_epoch=save,
        progress=progress,
        group=group,
    )
    group.broadcast(net)
    net.eval()
    return model


def uses_views(method: str) -> bool:
    """Whether ``method`` trains on augmented views: the self-supervised FactorCL and OurCL,
    the supervised ones (their unimodal terms), and Cross+Self."""
    return method.endswith("-ssl") or method in SUPERVISED_FACTORCL or method == "cross-self"


def _network(method: str, config: dict[str, Any]) -> ContrastiveNet:
    shape1, shape2 = (tuple(s) for s in config["shapes"])
    return ContrastiveNet(
        shape1,
        shape2,
        hidden=config["hidden"],
        embed_dim=config["embed_dim"],
        factorized=method.startswith("factorcl"),
    )


def _check_checkpoint(checker: Checker, state: dict[str, Any]) -> None:
    """Refuse a checkpoint whose settings or tensors do not describe one network, before any
    network is built: the method, input shapes and sizes; for a method trained on augmented
    views (:func:`uses_views`), the augmentation's ``mask_prob`` (in [0, 1)) and ``noise``
    (at least 0), finite numbers, which the probe's augmentation table reads; every tensor of
    ``net`` of the shape the settings give and finite; the input statistics ``mean`` and
    ``std`` one finite vector per modality (``std`` positive); ``history`` a list."""
    config = checker.mapping(state, "config")
    checker.text(config, "method", "config", choices=METHODS)
    shapes = checker.sequence(config, "shapes", "config")
    if len(shapes) != 2:
        checker.fail("config.shapes", f"is {describe(shapes)}, not one shape per modality")
    for index in range(2):
        shape = checker.sequence(shapes, index, "config.shapes")
        where = join("config.shapes", index)
        if len(shape) not in (1, 2):
            checker.fail(where, f"has {len(shape)} axes, not 1 (vectors) or 2 (sequences)")
        for axis in range(len(shape)):
            checker.integer(shape, axis, where, low=1, high=MAX_SIZE)
    for name in ("hidden", "embed_dim"):
        checker.integer(config, name, "config", low=1, high=MAX_SIZE)
    if uses_views(config["method"]):
        if checker.number(config, "mask_prob", "config", low=0.0, high=1.0) == 1.0:
            checker.fail("config.mask_prob", "is 1, which masks every value, not below 1")
        checker.number(config, "noise", "config", low=0.0)
    with torch.device("meta"):  # shapes only: nothing is allocated
        expected = _network(config["method"], config).state_dict()
    weights = checker.mapping(state, "net")
    for name in [*expected, *(k for k in weights if k not in expected)]:
        shape = expected[name].shape if name in expected else None
        _check_tensor(checker, weights, name, "net", shape)
    for name in ("mean", "std"):
        stats = checker.sequence(state, name)
        if len(stats) != 2:
            checker.fail(name, f"is {describe(stats)}, not one vector per modality")
        for index, shape in enumerate(shapes):
            vector = _check_tensor(checker, stats, index, name, tuple(shape[-1:]))
            if name == "std" and not (vector > 0).all():
                checker.fail(join(name, index), "holds a standard deviation of 0 or less")
    checker.sequence(state, "history")


def _check_tensor(
    checker: Checker, record: Any, key: str | int, where: str, shape: tuple[int, ...] | None
) -> torch.Tensor:
    """``record[key]``: a finite tensor of ``shape`` (None: no tensor belongs there)."""
    path = join(where, key)
    if shape is None:
        checker.fail(path, "is no part of the network the settings describe")
    value = checker.field(record, key, where)
    if not isinstance(value, torch.Tensor):
        checker.fail(path, f"is a {type(value).__name__}, not a tensor")
    if tuple(value.shape) != tuple(shape):
        checker.fail(path, f"has shape {tuple(value.shape)}, but the settings give {tuple(shape)}")
    if not torch.isfinite(value).all():
        checker.fail(path, "holds NaN or infinite values")
    return value


def _objective(method: str, config: dict[str, Any]) -> torch.nn.Module:
    if method in ("simclr", "cross-self", "supcon"):
        return CrossModalObjective(method, config["embed_dim"], config["temperature"])
    n_classes = len(config["classes"]) if method.endswith("-sup") else None
    return FactorCLObjective(
        config["embed_dim"],
        n_classes,
        factorized=method.startswith("factorcl"),
        hidden=config["critic_hidden"],
        critics=CriticSettings(**config["critics"]),
    )


def _save_checkpoint(
    path: str | os.PathLike,
    model: ContrastiveModel,
    *,
    objective: dict[str, Any] | None,
    epoch: int,
) -> None:
    state = {
        "format": CHECKPOINT_FORMAT,
        "config": model.config,
        "epoch": epoch,
        "net": model.net.state_dict(),
        "mean": [torch.as_tensor(m) for m in model.mean],
        "std": [torch.as_tensor(s) for s in model.std],
        "history": model.history,
        "training": objective,
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def _labels(y: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or len(values) != n:
        raise ValueError(f"y has shape {values.shape}; pass one class label per sample ({n}).")
    if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
        raise ValueError("y holds non-integer values; pass class labels (integer codes).")
    if values.dtype.kind not in "iufb":
        raise ValueError(f"y holds {values.dtype} values; pass integer class labels.")
    classes, codes = np.unique(values, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("y holds a single class; supervised methods need at least two.")
    return codes.astype(np.int64), classes


def _feature_mean(x: np.ndarray) -> np.ndarray:
    return x.reshape(-1, x.shape[-1]).mean(axis=0).astype(np.float32)


def _feature_std(x: np.ndarray) -> np.ndarray:
    std = x.reshape(-1, x.shape[-1]).std(axis=0)
    return np.where(std > 0, std, 1.0).astype(np.float32)
