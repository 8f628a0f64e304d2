"""Cross-fitted posteriors: the encoding of features that keeps what they say about the task.

A modality's posterior ``T_i = p(y | x_i)`` is a sufficient statistic of ``x_i`` for ``y``:
``x_i`` and ``T_i`` are garblings of each other given ``y`` (``x_i -> T_i`` is a function,
and ``x_i`` given ``T_i`` is independent of ``y``), so the channels ``y -> x_i`` and
``y -> T_i`` are Blackwell-equivalent, and Bertschinger et al.'s R, U1 and U2, which depend
only on ``p(x1, y)`` and ``p(x2, y)`` and are defined by decision problems, are the same for
``(T1, T2)`` as for ``(x1, x2)``. Codes of the posteriors therefore lose only the coding's
resolution, where codes of the raw features (k-means, the thesis's method) lose whatever the
clusters do not align with.

The posteriors are those of classifiers trained on other folds than the samples they are
evaluated on (cross-fitting) and calibrated by a temperature fitted on held-out samples of
the training folds. ``(T1, T2)`` is not sufficient for ``y`` jointly (synergy lives in the
pair), so ``I(X1,X2;Y)`` comes from a third classifier of both modalities, as
``H(Y) - E[-log2 p(y | x1, x2)]`` on held-out samples: a lower bound on the information, up
to its sampling error, tight as far as the classifier is good. Synergy is ``I(X1,X2;Y) - R -
U1 - U2``.

A classifier trained on ``m`` samples loses information that more samples would recover (its
held-out cross-entropy falls towards ``H(Y | X)`` as ``m`` grows). Each fold's classifiers are
also trained on half their samples of each label (``PosteriorOptions.learning_curve``); with
the excess loss
falling as ``1/m``, ``CE(m) - CE(inf) = CE(m/2) - CE(m)``, the *training deficit* of each
classifier, which :mod:`pid.sampling` adds to the joint information and to the intervals.

Classifiers: on the CPU (``device=None``) for each modality scikit-learn's multinomial
logistic regression by default, the ``tanh`` perceptron, or either by fold
(``PosteriorOptions.modality_classifiers="auto"``): the perceptron where it predicts the fold's
calibration samples clearly better, its tempered log-loss there less by more than ``z`` =
:data:`CHOICE_STANDARD_ERRORS` standard errors of the paired difference over the ``m``
calibration samples,

    mean(d) > z sd(d) / sqrt(m),    d_i = log2 p_perceptron(y_i) - log2 p_logistic(y_i).    (2)

The calibration samples also choose the joint posterior's candidate, so a bare least loss
would favour the modalities' classifiers there by the luck of the draw (features of noise would
then lose to the label frequencies held out); the margin keeps the linear model unless the
perceptron is better beyond that luck. For the pair, the perceptron
(``PosteriorOptions.hidden``), after
standardizing and, above ``max_components`` features, projecting on principal components; on
a torch device the perceptrons of :func:`pid.nn.train_classifier` for all three, data-parallel
when launched by torchrun (:mod:`pid.distributed`).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize_scalar

from pid.features import principal_components, standardize
from pid.validation import check_between, check_whole

#: Probabilities are floored at this before logarithms; far below any posterior that matters.
PROBABILITY_FLOOR = 1e-12
#: Share of the uniform distribution mixed into every calibrated posterior, so that a few
#: confident mistakes of a classifier cannot dominate its held-out cross-entropy.
UNIFORM_SHARE = 1e-3
#: The temperatures searched (on a log scale): from sharpening a classifier whose held-out
#: predictions are right but soft (labels a function of the features) to flattening one that
#: learned nothing.
TEMPERATURE_RANGE = (1e-3, 1e3)
#: Principal components kept per modality before the classifiers, by default.
DEFAULT_COMPONENTS = 64
#: Fewer samples than this are refused: too few to cross-fit three classifiers.
MIN_SAMPLES = 100
#: The most codes per modality chosen by default.
MAX_CODES = 32
#: The classifiers whose training deficits are measured, in the order of the informations
#: they bound: ``I(X1;Y)``, ``I(X2;Y)``, ``I(X1,X2;Y)``.
TRAINED = ("x1", "x2", "joint")
#: The classifiers of a modality on the CPU (:attr:`PosteriorOptions.modality_classifiers`).
MODALITY_CLASSIFIERS = ("logistic", "perceptron", "auto")
#: Fewer calibration samples than this fit no temperature (1) and choose no richer classifier.
MIN_CALIBRATION = 20
#: Standard errors by which a richer classifier of a modality must predict a fold's
#: calibration samples better to be kept (``modality_classifiers="auto"``).
CHOICE_STANDARD_ERRORS = 2.0
#: Above this many samples, cross-fitting uses two folds by default (each fold's classifiers
#: train on ``max_train`` samples at most either way).
LARGE = 50_000
#: Samples a classifier trains on at most, by default (:attr:`PosteriorOptions.max_train`).
MAX_TRAIN = 20_000
#: The same for torch classifiers on a GPU.
MAX_TRAIN_GPU = 200_000


@dataclass(frozen=True)
class PosteriorOptions:
    """How the posteriors are learned and coded.

    Attributes
    ----------
    folds : int, optional
        Cross-fitting folds; default 5, or 2 above 50,000 samples.
    max_train : int, optional
        Samples a classifier trains on at most (a random part of its training folds); by
        default :data:`MAX_TRAIN`, or :data:`MAX_TRAIN_GPU` with torch classifiers on a GPU,
        where training is cheap and more of a large dataset brings the classifiers closer to
        the information the features hold.
    hidden : tuple of int
        Hidden layers of the pair's perceptron (on a torch device: two layers of the first
        width, :func:`pid.nn.mlp`).
    calibration : float
        Share of the training folds held out to fit each classifier's temperature.
    device : str, optional
        ``None``: scikit-learn on the CPU. A torch device (``"cpu"``, ``"cuda"``, ``"auto"``):
        torch perceptrons for all three classifiers (under torchrun each trained by all the
        processes together, :mod:`pid.distributed`).
    learning_curve : bool
        Also train each classifier on half its samples, to estimate what finite training
        loses (module docstring); ``False`` saves that time and reports no deficit.
    modality_classifiers : tuple of str
        The classifiers of ``x1`` and of ``x2`` on the CPU, each ``"logistic"`` (multinomial
        logistic regression, the default), ``"perceptron"`` (the tanh perceptron of
        ``hidden``, as for the pair) or ``"auto"`` (both fitted on each fold, the perceptron
        kept where it predicts the fold's calibration samples clearly better, Eq. (2) of
        :mod:`pid.posterior`; the choices are ``diagnostics["classifier_chosen"]``). A linear
        model loses what a modality says of the label through nonlinear features (embeddings
        of trained networks), and its training deficit cannot show it: that measures only
        what more samples would bring to the same model. ``"auto"`` costs a perceptron's fit
        more per modality and fold.
    batch_size : int, optional
        Minibatch of the torch classifiers; by default ``min(4096, max(256, m // 100))`` for
        ``m`` training samples, about a hundred steps an epoch.
    """

    folds: int | None = None
    max_train: int | None = None
    hidden: tuple[int, ...] = (128, 128, 128)
    calibration: float = 0.1
    device: str | None = None
    learning_curve: bool = True
    modality_classifiers: tuple[str, str] = ("logistic", "logistic")
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if self.folds is not None:
            object.__setattr__(self, "folds", check_whole(self.folds, "folds", 2))
        if self.max_train is not None:
            object.__setattr__(self, "max_train", check_whole(self.max_train, "max_train", 10))
        if self.batch_size is not None:
            object.__setattr__(self, "batch_size", check_whole(self.batch_size, "batch_size", 1))
        if not isinstance(self.hidden, tuple | list) or not self.hidden:
            raise ValueError(
                f"hidden is {self.hidden!r}; pass a tuple of positive layer widths, e.g. (128,)."
            )
        object.__setattr__(self, "hidden", tuple(check_whole(h, "hidden", 1) for h in self.hidden))
        object.__setattr__(
            self, "calibration", check_between(self.calibration, "calibration", 0, 0.5)
        )
        classifiers = self.modality_classifiers
        if len(classifiers) != 2 or any(c not in MODALITY_CLASSIFIERS for c in classifiers):
            raise ValueError(
                f"modality_classifiers is {classifiers!r}; pass two of "
                f"{', '.join(MODALITY_CLASSIFIERS)}, for x1 and x2."
            )
        object.__setattr__(self, "modality_classifiers", tuple(classifiers))


@dataclass
class PosteriorEncoding:
    """Codes of the cross-fitted posteriors, the posteriors, and how they were learned.

    Attributes
    ----------
    codes1, codes2 : ndarray of int
        Each sample's code of ``p(y | x1)`` and ``p(y | x2)``.
    labels : ndarray of int
        The labels as indices ``0..n_labels-1`` of ``classes``.
    posteriors : dict
        ``"x1"``, ``"x2"``, ``"joint"``: held-out ``p(y | .)`` of every sample,
        shape ``(n, n_labels)``.
    classes : ndarray
        The label values, in the order of the posteriors' columns.
    diagnostics : dict
        Folds, codes, classifiers (and which kind each fold kept), their held-out
        cross-entropies in bits (trained on all and on half of their samples; the standard
        errors of the modalities'), training deficits, temperatures and seconds.
    """

    codes1: np.ndarray
    codes2: np.ndarray
    labels: np.ndarray
    posteriors: dict[str, np.ndarray]
    classes: np.ndarray
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> dict[str, Any]:
        """The encoding's record for a result's provenance (JSON-ready)."""
        return {"method": "posterior", **self.diagnostics}

    @property
    def training_deficits(self) -> np.ndarray | None:
        """The bits that finite training costs ``I(X1;Y)``, ``I(X2;Y)`` and ``I(X1,X2;Y)``,

            d = CE(m/2) - CE(m),                                            (1)

        each classifier's held-out cross-entropy trained on half and on all of its ``m``
        samples (the excess loss of a ``1/m`` learning curve), between 0 and ``CE(m)``; for
        ``I(X1,X2;Y)`` that of the candidates chosen on each fold (for each size). ``None`` without
        ``PosteriorOptions.learning_curve``."""
        deficits = self.diagnostics.get("training_deficit_bits")
        return None if deficits is None else np.array([deficits[k] for k in TRAINED])


def encode_posteriors(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    options: PosteriorOptions | None = None,
    n_codes: int | None = None,
    max_components: int | None = None,
    seed: int = 0,
    progress: bool = False,
) -> PosteriorEncoding:
    """Cross-fitted, calibrated posteriors of the labels given each modality and both, and
    codes of the unimodal ones (module docstring).

    The joint posterior of each fold's samples is the candidate with the least cross-entropy
    on that fold's calibration samples, which none of the candidates was fitted on: the
    classifier of both modalities, each unimodal one, their product ``p(y|x1) p(y|x2) / p(y)``
    normalized (exact when the modalities are independent given the label) and the label
    frequencies of the training samples. Each one's held-out information bounds
    ``I(X1,X2;Y)`` from below, by data processing, so a weak joint classifier cannot pull the
    estimate under what one modality alone carries, nor an overfitted one below zero. With
    ``options.learning_curve`` every fold is fitted again on half its fitting samples (the
    joint candidate chosen the same way, each modality's classifier of the kind kept on all
    of them), for the training deficits
    (:attr:`PosteriorEncoding.training_deficits`).

    ``x1``, ``x2`` are features of shape ``(n,)`` or ``(n, d)`` (1-D codes of integers or
    strings are one-hot encoded), standardized and, above ``max_components`` features
    (default 64), projected on
    that many principal components; ``y`` holds class labels. A binary label's posterior is
    coded by quantile bins of ``p(y=1 | x)``, more labels by k-means on ``sqrt(p(y | x))``
    (Hellinger geometry), into ``n_codes`` codes a modality: by default
    ``min(32, max(2, n // (10 n_labels)))``, so that the pairwise tables hold ten samples a
    cell. ``progress`` shows a bar over the fits.
    """
    from tqdm.auto import tqdm

    options = options or PosteriorOptions()
    start = time.perf_counter()
    classes, labels = np.unique(np.asarray(y), return_inverse=True)
    labels = labels.ravel().astype(np.int64)
    n, n_labels = len(labels), len(classes)
    if n < MIN_SAMPLES:
        raise ValueError(
            f"{n} samples are too few to cross-fit the posteriors (at least {MIN_SAMPLES}); "
            "pass discretization='kmeans' or 'bins', or more samples."
        )
    components = max_components or DEFAULT_COMPONENTS
    features = [_features(x, n, components, seed) for x in (x1, x2)]
    features.append(np.concatenate(features, axis=1))
    folds = options.folds or (2 if n > LARGE else 5)
    # Each label's samples are dealt round the folds: more folds than half the samples, or than
    # the samples of the most frequent label, leave a fold with fewer than two.
    largest = int(np.bincount(labels).max())
    most_folds = min(n // 2, largest)
    if folds > most_folds:
        raise ValueError(
            f"folds is {folds}, but {n} samples ({largest} of the most frequent label) leave a "
            f"fold with fewer than two; pass folds of at most {most_folds} (5 by default)."
        )
    max_train = options.max_train or _default_max_train(options.device)
    rng = np.random.default_rng(seed)
    assignment = _stratified_folds(labels, folds, rng)
    sizes = ("all", "half") if options.learning_curve else ("all",)
    candidates = {
        size: {key: np.zeros((n, n_labels)) for key in (*TRAINED, "product", "prior")}
        for size in sizes
    }
    joint = {size: np.zeros((n, n_labels)) for size in sizes}
    chosen: list[str] = []
    temperatures: dict[str, list[float]] = {key: [] for key in TRAINED}
    kinds: dict[str, list[str]] = {key: [] for key in TRAINED}
    seconds = dict.fromkeys(TRAINED, 0.0)
    # The halves draw from their own generator, so the estimate is the same with or without.
    halving = np.random.default_rng([seed, 1])
    bar = tqdm(total=3 * folds * len(sizes), desc="posteriors", disable=not progress, leave=False)
    for fold in range(folds):
        held_out = np.flatnonzero(assignment == fold)
        training = np.flatnonzero(assignment != fold)
        if len(training) > max_train:
            training = rng.choice(training, max_train, replace=False)
        calibrate = rng.random(len(training)) < options.calibration
        fit, check = training[~calibrate], training[calibrate]
        rows = {"all": fit, "half": _half_of_each_label(fit, labels, halving)}
        counts = np.bincount(labels[fit], minlength=n_labels) + 0.5
        prior = counts / counts.sum()
        checked: dict[str, dict[str, np.ndarray]] = {size: {} for size in sizes}
        for size in sizes:
            for key, matrix in zip(TRAINED, features, strict=True):
                started = time.perf_counter()
                trained = rows[size]
                if len(np.unique(labels[trained])) == 1:
                    tried = ("constant",)  # a rare label left out of the fitting rows
                elif size == "all":
                    tried = _kinds(key, options)
                else:  # the kind kept on all the samples: one classifier's learning curve
                    tried = (kinds[key][fold],)
                predict, checked[size][key], temperature, kind = _fit_calibrated(
                    tried,
                    matrix[trained],
                    labels[trained],
                    matrix[check],
                    labels[check],
                    n_labels,
                    options,
                    seed + fold,
                )
                candidates[size][key][held_out] = _tempered(predict(matrix[held_out]), temperature)
                if size == "all":
                    temperatures[key].append(temperature)
                    kinds[key].append(kind)
                    seconds[key] += time.perf_counter() - started
                bar.update()
            checked[size]["product"] = _product_of_experts(
                checked[size]["x1"], checked[size]["x2"], prior
            )
            checked[size]["prior"] = np.tile(prior, (len(check), 1))
            candidates[size]["product"][held_out] = _product_of_experts(
                candidates[size]["x1"][held_out], candidates[size]["x2"][held_out], prior
            )
            candidates[size]["prior"][held_out] = prior
        # The joint posterior is the candidate best on the calibration samples, which none
        # of them was fitted on, so that the choice does not flatter the samples it scores;
        # trained on half the samples, the candidates are chosen from the same way.
        for size in sizes:
            on_check = checked[size]
            best = (
                min(on_check, key=lambda key: _cross_entropy(on_check[key], labels[check]))
                if len(check)
                else "joint"
            )
            joint[size][held_out] = candidates[size][best][held_out]
            if size == "all":
                chosen.append(best)
    bar.close()
    losses = {key: _cross_entropy(p, labels) for key, p in candidates["all"].items()}
    losses["chosen"] = _cross_entropy(joint["all"], labels)
    errors = {  # standard errors of the modalities' held-out cross-entropies
        key: float(_log_losses(candidates["all"][key], labels).std(ddof=1) / np.sqrt(n))
        for key in TRAINED[:2]
    }
    posteriors = {"x1": candidates["all"]["x1"], "x2": candidates["all"]["x2"]}
    posteriors["joint"] = joint["all"]
    deficits = half_loss = None
    if options.learning_curve:
        halved = {key: candidates["half"][key] for key in TRAINED[:2]}
        halved["joint"] = joint["half"]
        loss, half_loss = (
            {key: _cross_entropy(p[key], labels) for key in TRAINED} for p in (posteriors, halved)
        )
        # Eq. (1) of PosteriorEncoding.training_deficits: at least 0 (more samples do not
        # hurt, in expectation), at most the loss itself (the information is at most H(Y)).
        deficits = {key: min(max(half_loss[key] - loss[key], 0.0), loss[key]) for key in TRAINED}
    n_codes = n_codes or int(min(MAX_CODES, max(2, n // (10 * n_labels))))
    codes = [_codes(posteriors[key], n_codes, seed) for key in ("x1", "x2")]
    diagnostics = {
        "folds": folds,
        "n_codes": n_codes,
        "classifiers": _classifier_names(options),
        "cross_entropy_bits": losses,
        "cross_entropy_standard_errors": errors,
        "cross_entropy_half_bits": half_loss,
        "training_deficit_bits": deficits,
        "joint_from": chosen,
        "classifier_chosen": kinds,
        "temperatures": {key: [round(t, 4) for t in ts] for key, ts in temperatures.items()},
        "components": min(components, *(f.shape[1] for f in features[:2])),
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(options).items()},
        "max_train": max_train,
        "seed": seed,
        "seconds_by_classifier": seconds,
        "seconds": time.perf_counter() - start,
    }
    return PosteriorEncoding(codes[0], codes[1], labels, posteriors, classes, diagnostics)


def _features(x: ArrayLike, n: int, max_components: int, seed: int) -> np.ndarray:
    """Standardized float features (one-hot for integer codes), projected on at most
    ``max_components`` principal components (:func:`pid.features.principal_components`)."""
    array = np.asarray(x)
    if array.ndim == 1 and array.dtype.kind in "biuOUS":
        _, codes = np.unique(array, return_inverse=True)
        array = np.eye(int(codes.max()) + 1)[codes.ravel()]
    array = array.reshape(n, -1)
    if array.dtype.kind != "f":
        array = array.astype(float)
    if array.shape[1] > max_components:
        return principal_components(array, max_components, seed=seed)
    return standardize(array)


def _half_of_each_label(
    rows: np.ndarray, labels: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Half the ``rows`` of each label (at least one), drawn without replacement, so that a
    classifier trained on them sees every label its full training set holds."""
    groups = [rows[labels[rows] == label] for label in np.unique(labels[rows])]
    halves = [rng.choice(group, max(1, len(group) // 2), replace=False) for group in groups]
    return np.sort(np.concatenate(halves))


def _stratified_folds(labels: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """A fold for each sample, each label spread evenly over the folds."""
    assignment = np.empty(len(labels), dtype=np.int64)
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        assignment[rows] = np.arange(len(rows)) % folds
    return assignment


def _kinds(key: str, options: PosteriorOptions) -> tuple[str, ...]:
    """The classifiers tried for ``key``: ``"torch"`` on a torch device, the perceptron for
    the pair, and for a modality those of ``options.modality_classifiers``."""
    if options.device is not None:
        return ("torch",)
    if key == "joint":
        return ("perceptron",)
    kind = options.modality_classifiers[TRAINED.index(key)]
    return ("logistic", "perceptron") if kind == "auto" else (kind,)


def _fit_calibrated(
    kinds: tuple[str, ...],
    x_fit: np.ndarray,
    y_fit: np.ndarray,
    x_check: np.ndarray,
    y_check: np.ndarray,
    n_labels: int,
    options: PosteriorOptions,
    seed: int,
) -> tuple[Any, np.ndarray, float, str]:
    """The classifiers of ``kinds``, simplest first, each fitted on ``(x_fit, y_fit)`` and
    tempered on ``(x_check, y_check)``; a later kind replaces the one kept where its log-loss
    there is clearly less (Eq. (2) of the module docstring). Of the one kept: the ``predict``
    function, its tempered posteriors of the check samples, its temperature and its kind."""
    kept: tuple[np.ndarray, Any, np.ndarray, float, str] | None = None
    rows = np.arange(len(y_check))
    for kind in kinds:
        predict = _classifier(kind, options, seed)(x_fit, y_fit, n_labels)
        on_check = predict(x_check)
        temperature = _temperature(on_check, y_check)
        tempered = _tempered(on_check, temperature)
        losses = -np.log2(tempered[rows, y_check])
        if kept is None or _clearly_less(losses, kept[0]):
            kept = (losses, predict, tempered, temperature, kind)
    assert kept is not None
    return kept[1:]


def _clearly_less(losses: np.ndarray, incumbent: np.ndarray) -> bool:
    """Eq. (2) of the module docstring: ``losses`` below ``incumbent`` on average by more
    than :data:`CHOICE_STANDARD_ERRORS` standard errors of the paired difference; never on
    fewer than :data:`MIN_CALIBRATION` samples, too few for the standard error."""
    if len(losses) < MIN_CALIBRATION:
        return False
    gain = incumbent - losses
    return bool(gain.mean() > CHOICE_STANDARD_ERRORS * gain.std(ddof=1) / np.sqrt(len(gain)))


def _classifier(kind: str, options: PosteriorOptions, seed: int):
    """A function ``fit(x, y, n_labels) -> predict`` of the classifier ``kind``."""
    if kind == "constant":
        return lambda x, y, n_labels: _certain(y[0], n_labels)
    if kind == "torch":
        return _torch_classifier(options, seed)
    if kind == "perceptron":
        return _perceptron(options.hidden, seed)
    return _logistic(seed)


def _default_max_train(device: str | None) -> int:
    """:data:`MAX_TRAIN_GPU` for torch classifiers on a GPU, :data:`MAX_TRAIN` otherwise."""
    if device is None:
        return MAX_TRAIN
    from pid.backend import resolve_device

    return MAX_TRAIN_GPU if resolve_device(device).type == "cuda" else MAX_TRAIN


def _classifier_names(options: PosteriorOptions) -> dict[str, str]:
    if options.device is not None:
        width = options.hidden[0]
        name = f"torch perceptron [{width}, {width}] on {options.device}"
        return {"x1": name, "x2": name, "joint": name}
    joint = f"scikit-learn tanh perceptron {list(options.hidden)}"
    names = {
        "logistic": "scikit-learn logistic regression",
        "perceptron": joint,
        "auto": f"scikit-learn logistic regression or {joint}, chosen by fold",
    }
    first, second = (names[c] for c in options.modality_classifiers)
    return {"x1": first, "x2": second, "joint": joint}


def _logistic(seed: int):
    def fit(x: np.ndarray, y: np.ndarray, n_labels: int):
        from sklearn.linear_model import LogisticRegression

        return _fitted(LogisticRegression(max_iter=100, random_state=seed), x, y, n_labels)

    return fit


def _perceptron(hidden: tuple[int, ...], seed: int):
    def fit(x: np.ndarray, y: np.ndarray, n_labels: int):
        from sklearn.neural_network import MLPClassifier

        model = MLPClassifier(
            hidden,
            activation="tanh",
            alpha=1e-5,
            # Early stopping holds out a stratified tenth: a few samples of every label. A
            # batch is at most the samples left, where scikit-learn would clip it with a warning.
            batch_size=max(1, min(256, len(y) * 9 // 10)),
            early_stopping=len(y) >= 40 * n_labels
            and np.unique(y, return_counts=True)[1].min() >= 2,
            n_iter_no_change=25,
            max_iter=400,
            random_state=seed,
        )
        return _fitted(model, x, y, n_labels)

    return fit


def _fitted(model: Any, x: np.ndarray, y: np.ndarray, n_labels: int):
    """``predict``: the log-posteriors of a scikit-learn classifier fitted on ``(x, y)``, a
    column for each of ``n_labels`` labels."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # An unconverged fit is still a fit; the temperature recalibrates it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    return lambda z: _columns(
        np.log(np.maximum(model.predict_proba(z), PROBABILITY_FLOOR)), model.classes_, n_labels
    )


def _torch_classifier(options: PosteriorOptions, seed: int):
    def fit(x: np.ndarray, y: np.ndarray, n_labels: int):
        import torch

        from pid.distributed import join_group
        from pid.nn import train_classifier

        group = join_group(options.device)
        device = group.device
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        order = torch.randperm(len(y), generator=generator)
        n_valid = max(1, len(y) // 10)
        features = torch.as_tensor(x, dtype=torch.float32, device=device)
        targets = torch.as_tensor(y, device=device)
        train = order[n_valid:]
        model, _ = train_classifier(
            features,
            targets,
            n_labels,
            train=train,
            valid=order[:n_valid],
            hidden=options.hidden[0],
            batch_size=options.batch_size or min(4096, max(256, len(train) // 100)),
            learning_rate=1e-3,
            max_epochs=200,
            patience=20,
            generator=generator,
            group=group,
        )

        def predict(z: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                inputs = torch.as_tensor(z, dtype=torch.float32, device=device)
                return torch.log_softmax(model(inputs).double(), dim=1).cpu().numpy()

        return predict

    return fit


def _product_of_experts(p1: np.ndarray, p2: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """``p(y|x1) p(y|x2) / p(y)``, normalized: the posterior given both modalities when they
    are independent given the label."""
    return _tempered(np.log(p1) + np.log(p2) - np.log(prior), 1.0)


def _log_losses(p: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``-log2 p(y_i)`` of each sample, in bits."""
    return -np.log2(p[np.arange(len(labels)), labels])


def _cross_entropy(p: np.ndarray, labels: np.ndarray) -> float:
    """``-mean log2 p(y_i)`` over samples: bits of log-loss."""
    return float(_log_losses(p, labels).mean())


def _certain(label: int, n_labels: int):
    """The ``predict`` of a classifier that saw one label only: that label, all others at the
    floor (the temperature then softens it as far as the calibration samples ask)."""
    return lambda z: _columns(np.zeros((len(z), 1)), np.array([label]), n_labels)


def _columns(log_p: np.ndarray, seen: np.ndarray, n_labels: int) -> np.ndarray:
    """Log-probabilities over all ``n_labels`` columns (labels absent from a fold's training
    samples get the floor)."""
    full = np.full((len(log_p), n_labels), np.log(PROBABILITY_FLOOR))
    full[:, seen] = log_p
    return full


def _temperature(log_p: np.ndarray, labels: np.ndarray) -> float:
    """The temperature ``T`` minimizing the cross-entropy of ``softmax(log_p / T)`` on held-out
    samples (Guo et al. 2017); 1 where there are fewer than :data:`MIN_CALIBRATION`."""
    if len(labels) < MIN_CALIBRATION:
        return 1.0
    rows = np.arange(len(labels))

    def loss(log_temperature: float) -> float:
        tempered = _tempered(log_p, float(np.exp(log_temperature)))
        return float(-np.log(tempered[rows, labels]).mean())

    low, high = np.log(TEMPERATURE_RANGE)
    return float(np.exp(minimize_scalar(loss, bounds=(low, high), method="bounded").x))


def _tempered(log_p: np.ndarray, temperature: float) -> np.ndarray:
    """``(1 - a) softmax(log_p / T) + a / K`` over ``K`` labels, with ``a`` =
    :data:`UNIFORM_SHARE`: a confident mistake costs at most ``log2(K / a)`` bits, and any
    prediction at most ``-log2(1 - a)`` (about ``1.44 a``) bits more than unmixed."""
    scaled = log_p / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    p = np.exp(scaled)
    p /= p.sum(axis=1, keepdims=True)
    return (1 - UNIFORM_SHARE) * p + UNIFORM_SHARE / p.shape[1]


def _codes(p: np.ndarray, n_codes: int, seed: int) -> np.ndarray:
    """Codes of posteriors: quantile bins of ``p(y=1 | x)`` for two labels, k-means of
    ``sqrt(p)`` otherwise; codes ``0..k-1`` in use."""
    if p.shape[1] == 2:
        edges = np.unique(np.quantile(p[:, 1], np.linspace(0, 1, n_codes + 1)[1:-1]))
        codes = np.searchsorted(edges, p[:, 1], side="right")
    else:
        from sklearn.cluster import KMeans

        points = np.sqrt(p)
        k = min(n_codes, len(np.unique(points.round(12), axis=0)))
        codes = KMeans(k, n_init=3, random_state=seed).fit_predict(points)
    return np.unique(codes, return_inverse=True)[1].ravel().astype(np.int64)
