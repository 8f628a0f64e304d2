"""BATCH: PID of large or continuous data by a neural, minibatch approximation of CVX.

Thesis Section 3.2.2. Over a minibatch of ``m`` samples, a joint distribution of the batch's
first-modality samples ``i``, second-modality samples ``j`` and labels ``y`` is parameterized as

    A_y(i, j) = exp(f1(x1_i, y) . f2(x2_j, y)),   q = SINKHORN_p(A),

with per-label encoders ``f1``, ``f2``. Sinkhorn scaling puts ``q`` in the batch's Delta_p:
each row carries ``sum_j q(i, j, y) = p(y|x1_i) / m`` and each column
``sum_i q(i, j, y) = p(y|x2_j) / m`` (the samples are drawn from ``p(xi)``, so each has
empirical mass ``1/m``). On Delta_p the marginals, hence ``I_q(X1;Y)`` and ``I_q(X2;Y)``, are
fixed, and maximizing the co-information ``I_q(X1;X2;Y)`` (the thesis's objective) is the same
as minimizing ``I_q(X1,X2;Y)``, i.e. maximizing ``H_q(Y|X1,X2)`` as CVX does (Section 3.2.1).
The encoders are trained by Adam on that loss, backpropagated through the Sinkhorn scaling.

The PID is read off the learned ``q`` on evaluation batches (thesis Eqs. 3.1 to 3.3):
``R = I_q(X1;Y) + I_q(X2;Y) - I_q(X1,X2;Y)``, ``U1 = I_q(X1,X2;Y) - I_q(X2;Y)``,
``U2 = I_q(X1,X2;Y) - I_q(X1;Y)`` and ``S = I_p(X1,X2;Y) - I_q(X1,X2;Y)``, where
``I_p(X1,X2;Y)`` comes from the multimodal posterior ``p(y|x1,x2)``.

The posteriors are the user's (predicted probabilities of their own models) or those of small
cross-fitted classifiers of the posterior encoding (:mod:`pid.posterior`). Settings travel in a
:class:`BatchConfig`.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from pid.features import standardize
from pid.information import conditional_distribution
from pid.result import PIDResult
from pid.validation import check_instance, check_seed, check_whole, discrete_values

if TYPE_CHECKING:
    from pid.posterior import PosteriorOptions

#: Keys of the ``posteriors`` mapping: ``p(y|x1)``, ``p(y|x2)`` and ``p(y|x1,x2)``.
POSTERIOR_KEYS = ("x1", "x2", "joint")

#: Posteriors are floored at this probability divided by the number of labels (then
#: renormalized) so that every logarithm is finite; the effect on any information term is
#: below 1e-6 bits, however many labels there are.
PROBABILITY_FLOOR = 1e-9

#: The most distinct codes a 1-D integer input may have to be one-hot encoded.
MAX_ONE_HOT = 4096

#: A shortfall of I_p(X1,X2;Y) below max(I(X1;Y), I(X2;Y)) larger than this, in bits, is
#: warned about (see :func:`pid.estimators.neural.coupling.read_off`).
DEFICIT_WARNING_BITS = 0.01

#: How far from one a row of given posteriors may sum before it is refused.
ROW_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class BatchConfig:
    """How BATCH trains and reads off its coupling (thesis Section 3.2.2).

    Attributes
    ----------
    batch_size : int
        Minibatch size ``m``; each step builds an ``m x m x n_labels`` joint. When both
        modalities are integer codes with at most ``batch_size`` values each, every step
        uses the whole support instead, each code weighted by its frequency, so BATCH
        optimizes over CVX's own Delta_p with no sampling noise.
    steps : int
        Most Adam steps on the encoders (training stops earlier on its held-out check).
    learning_rate : float
        Adam's step size for the encoders.
    hidden, embed_dim : int
        Width of the encoders' hidden layers; size of each label's embedding.
    max_logit : float
        Bound ``c`` on the log-kernel, ``log A = c tanh(f1 . f2 / c)``: the learned coupling
        keeps at least ``exp(-2c)`` relative mass everywhere, and Sinkhorn stays well
        conditioned.
    sinkhorn_tol, sinkhorn_max_iter : float, int
        Relative L1 tolerance and sweep cap of the Sinkhorn scaling during training.
    grad_iters : int, optional
        ``None`` (default): the exact gradient of the Sinkhorn fixed point, by implicit
        differentiation (:func:`pid.estimators.neural.sinkhorn.sinkhorn_implicit`). An
        integer: backpropagate through that many sweeps after convergence instead (see
        :func:`pid.estimators.neural.sinkhorn.sinkhorn`), whose gradient is accurate only when
        the scaling contracts fast.
    sinkhorn_sweeps_per_check : int, optional
        Sweeps between two readings of the Sinkhorn error by the host (see
        :func:`pid.estimators.neural.sinkhorn.sinkhorn`; the result does not depend on it):
        by default every sweep on the CPU, and fewer readings on a GPU, where each one waits
        for the device.
    eval_tol, eval_max_iter : float, int
        The same for reading the PID off, done in float64. An evaluation batch whose scaling
        does not reach ``eval_tol`` reads off the conditional product instead of the learned
        coupling (counted in the diagnostics' ``unconverged_eval_batches``).
    eval_batch_size, max_eval_batches : int
        The samples are split into ``ceil(n / eval_batch_size)`` disjoint batches of nearly
        equal size (one pass over the data) and the PID is averaged over them, weighted by
        size; where that is more than ``max_eval_batches`` batches, only ``max_eval_batches``
        batches of ``eval_batch_size`` samples are read. Larger batches bring the batch's
        marginals closer to the population's: the batch optimum is biased by the sampling
        noise of its ``p(xi)``.
    check_every, patience : int
        Every ``check_every`` steps the coupling's ``I_q(X1,X2;Y)`` is measured on held-out
        samples; training stops once it has not fallen for ``patience`` checks (or after
        ``steps``), keeping the best weights.
    held_out : float
        Share of the samples held out for that check, at most ``eval_batch_size`` of them
        (no training step uses them).
    amp : bool
        Run the encoders under automatic mixed precision (Sinkhorn stays in float32).
    """

    batch_size: int = 256
    steps: int = 600
    learning_rate: float = 3e-3
    hidden: int = 64
    embed_dim: int = 16
    max_logit: float = 10.0
    sinkhorn_tol: float = 1e-2
    sinkhorn_max_iter: int = 100
    grad_iters: int | None = None
    sinkhorn_sweeps_per_check: int | None = None
    eval_tol: float = 1e-4
    eval_max_iter: int = 2000
    eval_batch_size: int = 1024
    max_eval_batches: int = 16
    check_every: int = 25
    patience: int = 4
    held_out: float = 0.2
    amp: bool = False

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name == "amp":
                if not isinstance(value, bool | np.bool_):
                    raise ValueError(f"amp must be True or False, got {value!r}.")
                object.__setattr__(self, name, bool(value))
            elif name in _OPTIONAL_COUNTS and value is None:
                continue
            elif name in _REAL_SETTINGS:
                object.__setattr__(self, name, _check_real(name, value))
            else:  # counts and sizes
                object.__setattr__(self, name, check_whole(value, name, 1))


#: BatchConfig's settings that are real numbers; the others (but ``amp``) are whole numbers.
_REAL_SETTINGS = ("learning_rate", "max_logit", "sinkhorn_tol", "eval_tol", "held_out")
#: Whole-number settings that may be None.
_OPTIONAL_COUNTS = ("grad_iters", "sinkhorn_sweeps_per_check")


def _check_real(name: str, value: object) -> float:
    """A real setting of :class:`BatchConfig` as a float: finite and positive, and below one
    for ``held_out``."""
    default = BatchConfig.__dataclass_fields__[name].default
    real = not isinstance(value, bool | np.bool_) and isinstance(value, int | float | np.number)
    if not real or not 0 < value < (1 if name == "held_out" else np.inf):
        wanted = "a number in (0, 1)" if name == "held_out" else "a finite positive number"
        raise ValueError(f"{name} must be {wanted}, got {value!r}; pass e.g. {default}.")
    return float(value)


def batch(
    x1: ArrayLike,
    x2: ArrayLike,
    y: ArrayLike,
    *,
    posteriors: Mapping[str, ArrayLike] | None = None,
    config: BatchConfig | None = None,
    posterior: PosteriorOptions | None = None,
    device: str = "auto",
    seed: int = 0,
    progress: bool = False,
) -> PIDResult:
    """PID of paired samples by the BATCH estimator (thesis Section 3.2.2).

    Parameters
    ----------
    x1, x2 : array-like
        One entry per sample. A 1-D array of integers is read as discrete codes and one-hot
        encoded; a float array of shape (n,) or (n, d) is read as continuous features and
        standardized.
    y : array-like of shape (n,)
        Class labels, integers or strings (their sorted order is the column order of
        ``posteriors``).
    posteriors : mapping, optional
        Predicted probabilities of your own models, each of shape (n, n_labels):
        ``{"x1": p(y|x1), "x2": p(y|x2), "joint": p(y|x1,x2)}``. Without it, when both
        modalities are integer codes the posteriors of the empirical distribution are used
        (:func:`empirical_posteriors`, the same Delta_p as ``cvx``); otherwise the
        cross-fitted posteriors of :func:`pid.posterior.encode_posteriors` (the classifiers
        of the posterior encoding, on the GPU where ``device`` is one). The result's
        ``provenance["posteriors"]`` says which: ``given``, ``empirical`` or
        ``cross-fitted``.
    config : BatchConfig, optional
        Training and read-off settings; the defaults of :class:`BatchConfig` when None.
    posterior : PosteriorOptions, optional
        How the cross-fitted posteriors are learned (without ``posteriors``, for features):
        by default torch classifiers on ``device`` where it is a GPU, scikit-learn's on the
        CPU; ``PosteriorOptions(device="cpu")`` takes the torch classifiers on the CPU. BATCH
        takes the posteriors as they are: its ``learning_curve`` is not used.
    device : str
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
        Launched by torchrun (:mod:`pid.distributed`), the torch classifiers are trained by
        all the processes together, each on its part of every minibatch; the coupling is
        trained by each, and every process returns rank 0's result.
    seed : int
        Seeds initialization, splits and batch order; runs on CPU are repeatable.
    progress : bool
        Show progress bars over the classifiers' fits, the training steps and the read-off.

    Returns
    -------
    PIDResult
        Estimator ``"batch"``. ``mi_x1_y``, ``mi_x2_y`` are ``I(Xi;Y)`` of the posteriors
        and ``mi_x1x2_y`` is ``I_p(X1,X2;Y)``, averaged over the evaluation batches like the
        terms, so ``R + U1 = mi_x1_y`` etc. hold exactly. The terms are read off the best
        feasible point known (the learned ``q``, the conditional product or ``p`` itself) and
        are never negative (see :func:`pid.estimators.neural.coupling.read_off`).
        ``diagnostics`` holds the loss curve, Sinkhorn iterations and marginal errors, which
        point was read off (``read_off``), ``unconverged_eval_batches``, ``full_support``, the
        ``joint_information_deficit_bits`` and the classifiers' validation losses.

    Warns
    -----
    UserWarning
        When ``p(y|x1,x2)`` carries more than ``DEFICIT_WARNING_BITS`` less information than
        a unimodal posterior (then ``mi_x1x2_y`` is raised to the larger unimodal value).

    Raises
    ------
    ValueError
        On malformed input, naming the argument.
    SolverError
        If training diverges (a non-finite loss).
    """
    import torch

    from pid.distributed import join_group
    from pid.estimators.neural import coupling
    from pid.posterior import MIN_SAMPLES, PosteriorOptions, encode_posteriors

    start = time.perf_counter()
    check_instance(config, BatchConfig, "config")
    seed = check_seed(seed)  # a Python int, as torch's generator needs
    labels, n_labels = _labels(y)
    n = len(labels)
    f1, kind1, codes1 = _features(x1, "x1", n)
    f2, kind2, codes2 = _features(x2, "x2", n)
    source = "given" if posteriors is not None else "cross-fitted"
    discrete = codes1 is not None and codes2 is not None
    config = config or BatchConfig()
    group = join_group(device)
    dev = group.device
    diagnostics: dict[str, Any] = {"device": str(dev), "seed": seed, "amp": config.amp}
    if posteriors is None and discrete:
        # Discrete codes: the empirical posteriors are exact, no classifier needed.
        posteriors, source = empirical_posteriors(x1, x2, y), "empirical"
    elif posteriors is None:
        if n < MIN_SAMPLES:
            raise ValueError(
                f"{n} samples are too few for BATCH to cross-fit the posteriors of features "
                f"(at least {MIN_SAMPLES}); pass more samples, your own posteriors= or integer "
                "codes."
            )
        # The cross-fitted posteriors of pid.posterior, with the classifiers on the device
        # where it is a GPU (scikit-learn on the CPU otherwise) unless posterior says.
        # BATCH takes the posteriors as they are: no training deficits to estimate.
        device_name = str(dev) if dev.type == "cuda" else None
        options = replace(posterior or PosteriorOptions(device=device_name), learning_curve=False)
        encoding = encode_posteriors(x1, x2, y, options=options, seed=seed, progress=progress)
        posteriors = {key: encoding.posteriors[key] for key in POSTERIOR_KEYS}
        diagnostics["classifiers"] = encoding.settings()
    m = min(config.batch_size, n)
    generator = torch.Generator().manual_seed(seed)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        feats = tuple(torch.as_tensor(f, dtype=torch.float32, device=dev) for f in (f1, f2))
        post = _check_posteriors(posteriors, n, n_labels)
        log_post = {
            key: torch.as_tensor(np.log(_floored(p)), dtype=torch.float64, device=dev)
            for key, p in post.items()
        }
        net = coupling.CouplingNet(
            f1.shape[1], f2.shape[1], n_labels, config.hidden, config.embed_dim, config.max_logit
        )
        net.to(dev)

    full_support = discrete and max(f1.shape[1], f2.shape[1]) <= config.batch_size
    if full_support:
        # Few distinct values: every step projects the whole support, weighted by frequency,
        # and the objective is exact: it is its own held-out check.
        codes = tuple(torch.as_tensor(c, device=dev) for c in (codes1, codes2))
        support = coupling.support_batch(codes, log_post, torch.float32)
        next_batch, held_out = itertools.repeat(support).__next__, support
        m = max(f1.shape[1], f2.shape[1])  # the codes of the larger support, every step
    else:
        order = torch.randperm(n, generator=generator)
        if n < 4:
            raise ValueError(
                f"BATCH on features needs at least 4 samples (2 held out, 2 to train on), "
                f"got {n}; pass more samples."
            )
        n_held = min(max(2, round(config.held_out * n)), config.eval_batch_size)
        if n - n_held < 2:
            raise ValueError(
                f"held_out={config.held_out} leaves fewer than 2 of {n} samples to train on; "
                "lower it or pass more samples."
            )
        held = order[:n_held].to(dev)
        held_out = coupling.sample_batch(feats, log_post, held, dtype=torch.float32)
        rows = order[n_held:]
        m = min(m, len(rows))
        next_batch = coupling.MinibatchSampler(feats, log_post, m, generator, rows)

    train_start = time.perf_counter()
    loss_curve, train_sinkhorn = coupling.train(
        net,
        next_batch,
        held_out,
        steps=config.steps,
        check_every=config.check_every,
        patience=config.patience,
        learning_rate=config.learning_rate,
        tol=config.sinkhorn_tol,
        max_iter=config.sinkhorn_max_iter,
        grad_iters=config.grad_iters,
        sweeps_per_check=config.sinkhorn_sweeps_per_check,
        amp=config.amp,
        progress=progress,
    )
    train_time = time.perf_counter() - train_start
    if full_support:
        eval_batches = [coupling.support_batch(codes, log_post, torch.float64)]
    else:
        eval_batches = coupling.evaluation_batches(
            feats, log_post, min(config.eval_batch_size, n), config.max_eval_batches, generator
        )
    terms, eval_diag = coupling.read_off(
        net,
        eval_batches,
        tol=config.eval_tol,
        max_iter=config.eval_max_iter,
        sweeps_per_check=config.sinkhorn_sweeps_per_check,
        progress=progress,
    )
    deficit = eval_diag["joint_information_deficit_bits"]
    if deficit > DEFICIT_WARNING_BITS:
        warnings.warn(
            f"p(y|x1,x2) carries {deficit:.3f} bits less than p(y|x1) or p(y|x2), which data "
            "processing rules out; synergy is read as 0: check the multimodal posteriors "
            "(given) or the samples' features.",
            stacklevel=2,
        )
    tail = max(1, len(loss_curve) // 10)
    diagnostics.update(
        {
            "steps": len(loss_curve),
            "batch_size": m,
            "full_support": full_support,
            "learning_rate": config.learning_rate,
            "loss_curve_bits": loss_curve,
            "final_loss_bits": float(np.mean(loss_curve[-tail:])),
            "train_sinkhorn": train_sinkhorn,
            **eval_diag,
            "train_time_s": train_time,
            "time_s": time.perf_counter() - start,
        }
    )
    provenance = {
        "n_samples": n,
        "seed": seed,
        "n_labels": n_labels,
        "features": {"x1": kind1, "x2": kind2},
        "posteriors": source,
    }
    result = PIDResult(**terms, estimator="batch", diagnostics=diagnostics, provenance=provenance)
    return group.share(result)


def empirical_posteriors(x1: ArrayLike, x2: ArrayLike, y: ArrayLike) -> dict[str, np.ndarray]:
    """Per-sample posteriors of the empirical distribution of integer codes.

    ``p(y|x1)``, ``p(y|x2)`` and ``p(y|x1,x2)`` are label frequencies among the samples with
    the same code(s), so BATCH with these ``posteriors`` targets the same Delta_p as
    ``pid.decompose(x1, x2, y)`` (CVX). The labels may be integers or strings; columns follow
    their sorted values.
    """
    from pid.distribution import Distribution

    dist = Distribution.from_samples(x1, x2, _label_codes(y)[1])
    i1 = np.searchsorted(dist.values[0], np.asarray(x1))
    i2 = np.searchsorted(dist.values[1], np.asarray(x2))
    return {
        "x1": conditional_distribution(dist.p_x1_y)[i1],
        "x2": conditional_distribution(dist.p_x2_y)[i2],
        "joint": conditional_distribution(dist.table)[i1, i2],
    }


# ---------------------------------------------------------------------- input checks
def _label_codes(y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The distinct labels of ``y`` (integers or strings), sorted, and each sample's index
    among them."""
    values, codes = np.unique(discrete_values(y, "y", text=True), return_inverse=True)
    return values, codes.ravel()


def _labels(y: ArrayLike) -> tuple[np.ndarray, int]:
    values, labels = _label_codes(y)
    if len(values) < 2:
        raise ValueError(
            f"y takes the single value {values[0]}, so there is nothing to decompose; "
            "pass labels with at least two values."
        )
    return labels, len(values)


def _features(x: ArrayLike, name: str, n: int) -> tuple[np.ndarray, str, np.ndarray | None]:
    """Float32 features of shape (n, d), their description, and the codes ``0..d-1`` of one-hot
    features (one-hot for 1-D integer codes, standardized floats otherwise, codes ``None``)."""
    x = np.asarray(x)
    if x.dtype == bool or np.issubdtype(x.dtype, np.integer):
        if x.ndim != 1:
            raise ValueError(
                f"{name} holds integers of shape {x.shape}; pass 1-D integer codes, or cast "
                "multi-column features to float."
            )
        values, codes = np.unique(x, return_inverse=True)
        if len(values) > MAX_ONE_HOT:
            raise ValueError(
                f"{name} has {len(values)} distinct codes, too many to one-hot encode "
                f"(at most {MAX_ONE_HOT}); pass its features as a float array instead."
            )
        codes = codes.ravel()
        features = np.eye(len(values), dtype=np.float32)[codes]
        kind = f"one-hot ({len(values)} codes)"
    elif np.issubdtype(x.dtype, np.floating) and x.ndim in (1, 2):
        features = x.reshape(len(x), -1)
        if not np.all(np.isfinite(features)):
            raise ValueError(f"{name} contains NaN or infinite values; remove or impute them.")
        features = standardize(features, dtype=np.float32)
        kind, codes = f"continuous (d={features.shape[1]})", None
    else:
        raise ValueError(
            f"{name} must be 1-D integer codes or a float array of shape (n,) or (n, d), "
            f"got dtype {x.dtype} and shape {x.shape}."
        )
    if len(features) != n:
        raise ValueError(
            f"{name} has {len(features)} samples but y has {n}; pass one entry per sample."
        )
    return features, kind, codes


def _check_posteriors(
    posteriors: Mapping[str, ArrayLike], n: int, n_labels: int
) -> dict[str, np.ndarray]:
    if not isinstance(posteriors, Mapping) or set(posteriors) != set(POSTERIOR_KEYS):
        raise ValueError(
            "posteriors must be a mapping with exactly the keys 'x1', 'x2' and 'joint' "
            "(p(y|x1), p(y|x2), p(y|x1,x2)); see empirical_posteriors for an example."
        )
    checked = {}
    for key in POSTERIOR_KEYS:
        p = np.asarray(posteriors[key], dtype=float)
        where = f"posteriors[{key!r}]"
        if p.shape != (n, n_labels):
            raise ValueError(
                f"{where} has shape {p.shape}, expected ({n}, {n_labels}): one row per sample "
                "and one column per distinct label of y, in sorted order."
            )
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise ValueError(f"{where} has negative or non-finite entries; pass probabilities.")
        if np.max(np.abs(p.sum(axis=1) - 1.0)) > ROW_SUM_TOLERANCE:
            raise ValueError(
                f"{where} has rows that do not sum to 1; pass probabilities (apply softmax to "
                "logits)."
            )
        checked[key] = p / p.sum(axis=1, keepdims=True)
    return checked


def _floored(p: np.ndarray) -> np.ndarray:
    """Rows of ``p`` floored at ``PROBABILITY_FLOOR / n_labels`` and renormalized."""
    p = np.maximum(p, PROBABILITY_FLOOR / p.shape[1])
    return p / p.sum(axis=1, keepdims=True)
