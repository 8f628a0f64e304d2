"""Heterogeneity by transfer: how much a model of one modality (or pair) helps another
(thesis Section 9.2.1; HighMMT paper Eqs. 1-5).

For a *member* ``j`` (a modality, or a pair of modalities) and the task ``Y``:

    L*_j     = min_theta E l(f(y | x_j; theta), y)                       (Eq. 9.1 / 9.8)
    theta_i  = argmin_theta E l(f(y | x_i; theta), y)                     (Eq. 9.2 / 9.6)
    L*_i->j  = min_theta E l(f(y | x_j; theta <- theta_i), y)             (Eq. 9.3 / 9.7)
    T(i -> j; Y) = L*_i->j - L*_j                                         (Eq. 9.4)
    d(i; j)  = T(i -> j; Y)_{>=0} + T(j -> i; Y)_{>=0},  x_{>=0} = max(x, 0)   (Eq. 9.5)

``l`` is the cross-entropy in bits; the models are :class:`pid.models.highmmt.HighMMT` with one
modality (unimodal transfer) or two (crossmodal transfer), trained on the training split,
stopped early on the validation split, and ``L*`` is measured on the test split. Members of
different widths share everything but their input projections: ``theta <- theta_i`` starts the
target's encoder, fusion and head from the source's, with a fresh projection of the target's
width. With ``fine_tune="projection"`` (the default) only that projection is then trained, so
``L*_i->j`` is what the source's model reaches on ``x_j`` once ``x_j`` is mapped into its input
space; with ``"all"`` every weight is fine-tuned, which under enough data and epochs drives
every ``T`` towards 0 and leaves mostly the limits of the fine-tuning budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from pid.validation import check_labels, finite_rows, is_absent

if TYPE_CHECKING:
    from pid.models.trainer import TrainConfig

#: How a transferred model is fine-tuned on the target: its input projection only, or all.
FineTune = Literal["projection", "all"]
FINE_TUNE = ("projection", "all")
#: Given the distances measured so far (NaN elsewhere), the next pairs to measure (none: done).
MorePairs = Callable[[np.ndarray], Sequence[tuple[int, int]]]


@dataclass
class TransferMatrix:
    """Transfer losses between members (modalities or modality pairs), in bits.

    Attributes
    ----------
    names : list of str
        The members: modality names, or ``"a+b"`` for the pair of ``a`` and ``b``.
    direct : array of shape (K,)
        ``L*_j``, the test cross-entropy of a model trained on member ``j`` alone (Eq. 9.1).
    transferred : array of shape (K, K)
        ``L*_i->j`` in row ``i``, column ``j`` (Eq. 9.3); ``L*_j`` on the diagonal, NaN for the
        directions not measured.
    """

    names: list[str]
    direct: np.ndarray
    transferred: np.ndarray

    @property
    def transfer(self) -> np.ndarray:
        """``T(i -> j; Y) = L*_i->j - L*_j`` (Eq. 9.4), row ``i`` column ``j``; 0 on the
        diagonal, NaN where not measured."""
        return self.transferred - self.direct[None, :]

    @property
    def distance(self) -> np.ndarray:
        """``d(i; j) = T(i -> j)_{>=0} + T(j -> i)_{>=0}`` (Eq. 9.5): symmetric, 0 on the
        diagonal, NaN for the pairs not measured in both directions."""
        gap = np.maximum(self.transfer, 0.0)
        return gap + gap.T

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: names, ``direct``, ``transferred``, ``transfer`` and ``distance``
        (None where not measured)."""
        return {
            "names": self.names,
            "direct_bits": _json_matrix(self.direct),
            "transferred_bits": _json_matrix(self.transferred),
            "transfer_bits": _json_matrix(self.transfer),
            "distance_bits": _json_matrix(self.distance),
        }


def check_modalities(
    modalities: Mapping[str, ArrayLike] | Sequence[ArrayLike], y: ArrayLike
) -> tuple[list[str], list[np.ndarray], np.ndarray]:
    """Names, float32 feature matrices ``(n, d_m)`` and label indices ``0..C-1``.

    ``modalities`` is a dict of named arrays or a list (named ``x1, x2, ...``); 1-D arrays are
    one feature. Refuses, in one sentence each, fewer than two modalities, unequal lengths,
    non-numeric features, missing (None or NaN) or infinite ones, missing labels, and labels of
    a single class.
    """
    if isinstance(modalities, Mapping):
        names, arrays = [str(k) for k in modalities], list(modalities.values())
    else:
        arrays = list(modalities)
        names = [f"x{m + 1}" for m in range(len(arrays))]
    if len(arrays) < 2:
        raise ValueError(
            f"modalities holds {len(arrays)} array; pass at least two modalities to compare."
        )
    checked = []
    for name, x in zip(names, arrays, strict=True):
        x = np.asarray(x)
        x = x[:, None] if x.ndim == 1 else x
        gaps = x.dtype == object and any(is_absent(entry) for entry in x.flat)
        if x.ndim != 2 or not (gaps or np.issubdtype(x.dtype, np.number)):
            raise ValueError(
                f"modality {name} has shape {x.shape} and dtype {x.dtype}; pass numeric "
                f"features (n, d), e.g. {name}.reshape(len({name}), -1)."
            )
        if x.shape[1] == 0:
            raise ValueError(
                f"modality {name} has no features (shape {x.shape}); pass at least one feature "
                f"a sample, or leave {name} out."
            )
        if gaps or not np.isfinite(x).all():
            raise ValueError(
                f"modality {name} is missing in some samples (None, NaN or infinite entries); "
                "drop or impute those samples."
            )
        checked.append(x.astype(np.float32))
    y = np.asarray(y)
    lengths = {len(x) for x in checked} | {len(y)}
    if y.ndim != 1 or len(lengths) != 1:
        raise ValueError(
            f"the modalities hold {', '.join(str(len(x)) for x in checked)} samples and y "
            f"{len(y)} (shape {y.shape}); pass one row of each and one label per sample."
        )
    missing = int((~finite_rows((y,))).sum())
    if missing:
        raise ValueError(
            f"y is missing (NaN, infinite or None) for {missing} sample(s); drop those samples, "
            "since every model is trained and tested on labeled samples."
        )
    check_labels(y)
    classes, labels = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("y holds a single class; pass labels of at least two classes.")
    return names, checked, labels


def all_pairs(count: int) -> list[tuple[int, int]]:
    """Every unordered pair ``(i, j)``, ``i < j``, of ``count`` members."""
    return list(combinations(range(count), 2))


def modality_transfer(
    modalities: Mapping[str, ArrayLike] | Sequence[ArrayLike],
    y: ArrayLike,
    *,
    pairs: Sequence[tuple[int, int]] | None = None,
    more_pairs: MorePairs | None = None,
    fine_tune: FineTune = "projection",
    config: TrainConfig | None = None,
    split_seed: int = 0,
    progress: bool = False,
) -> TransferMatrix:
    """Unimodal transfer between modalities: ``L*_j`` and ``L*_i->j`` (Eqs. 9.1-9.3), whose
    differences and sums give ``T`` (Eq. 9.4) and ``d(X_i; X_j)`` (Eq. 9.5).

    ``pairs`` lists the unordered modality pairs to measure, both directions each (default:
    all). ``more_pairs``, where given, is called with :attr:`TransferMatrix.distance` of what
    is measured so far and returns more pairs to measure, until it returns none (the rounds
    of :class:`~pid.heterogeneity.AdaptiveDesign`). Each modality's own model is trained once;
    each direction costs one fine-tuning. The
    samples are split 60/20/20 (``split_seed``), the same split for every model; ``config`` sets
    the width and training of each (:class:`pid.models.TrainConfig`).
    """
    names, arrays, labels = check_modalities(modalities, y)
    members = [[m] for m in range(len(arrays))]
    return _transfer_matrix(
        names, arrays, labels, members, pairs, more_pairs, fine_tune, config, split_seed, progress
    )


def interaction_transfer(
    modalities: Mapping[str, ArrayLike] | Sequence[ArrayLike],
    y: ArrayLike,
    *,
    modality_pairs: Sequence[tuple[int, int]] | None = None,
    pairs: Sequence[tuple[int, int]] | None = None,
    more_pairs: MorePairs | None = None,
    fine_tune: FineTune = "projection",
    config: TrainConfig | None = None,
    split_seed: int = 0,
    progress: bool = False,
) -> TransferMatrix:
    """Crossmodal transfer between modality pairs: ``L*_34``, ``L*_12->34`` (Eqs. 9.6-9.8),
    whose differences and sums give ``T(X1, X2 -> X3, X4; Y)`` and ``d(X1, X2; X3, X4)``.

    The members are ``modality_pairs`` (default: every pair of modalities, ``(a, b)`` with
    ``a < b``), each modelled by a two-modality :class:`~pid.models.highmmt.HighMMT` whose
    fusion is symmetric, so ``{X3, X4}`` needs no order; ``pairs`` lists the pairs of members
    to measure (indices into the members; default all), ``more_pairs`` the later rounds.
    Otherwise as :func:`modality_transfer`.
    """
    names, arrays, labels = check_modalities(modalities, y)
    chosen = all_pairs(len(arrays)) if modality_pairs is None else modality_pairs
    members = [[int(a), int(b)] for a, b in chosen]
    for a, b in members:
        if not 0 <= a < b < len(arrays):
            raise ValueError(
                f"modality_pairs holds ({a}, {b}); pass pairs (a, b) of modality indices with "
                f"0 <= a < b < {len(arrays)}."
            )
    if len(members) < 2:
        raise ValueError(
            f"modality_pairs holds {len(members)} pair(s); pass at least two pairs to compare, "
            "or None for every pair."
        )
    if len({tuple(m) for m in members}) < len(members):
        raise ValueError(f"modality_pairs holds a pair twice ({members}); pass each pair once.")
    return _transfer_matrix(
        names, arrays, labels, members, pairs, more_pairs, fine_tune, config, split_seed, progress
    )


def _transfer_matrix(
    names: list[str],
    arrays: list[np.ndarray],
    labels: np.ndarray,
    members: list[list[int]],
    pairs: Sequence[tuple[int, int]] | None,
    more_pairs: MorePairs | None,
    fine_tune: FineTune,
    config: TrainConfig | None,
    split_seed: int,
    progress: bool,
) -> TransferMatrix:
    """Train each member's own model, then fine-tune one per measured direction, for
    ``pairs`` and then each round of ``more_pairs``."""
    import torch
    from tqdm.auto import tqdm

    from pid.models.highmmt import HighMMT
    from pid.models.trainer import TrainConfig, fit_model, split_indices

    if fine_tune not in FINE_TUNE:
        raise ValueError(f"fine_tune is {fine_tune!r}; pass 'projection' or 'all'.")
    config = config or TrainConfig()
    count = len(members)
    pairs = all_pairs(count) if pairs is None else _checked_pairs(pairs, count)
    split = split_indices(len(labels), seed=split_seed)
    n_classes = int(labels.max()) + 1
    bar = tqdm(total=count + 2 * len(pairs), desc="transfer", disable=not progress, leave=False)

    def train(member: list[int], source: Any | None) -> Any:
        torch.manual_seed(config.seed)
        widths = [arrays[m].shape[1] for m in member]
        model = HighMMT(widths, n_classes, config.hidden)
        if source is not None:
            model.load_shared(source, freeze=fine_tune == "projection")
        trained = fit_model(
            model, [arrays[m] for m in member], labels, split, config, name="transfer"
        )
        bar.update()
        return trained

    own = [train(member, None) for member in members]
    direct = np.array([t.test_loss_bits for t in own])
    transferred = np.full((count, count), np.nan)
    np.fill_diagonal(transferred, direct)
    member_names = ["+".join(names[m] for m in member) for member in members]
    while True:
        for i, j in pairs:
            transferred[i, j] = train(members[j], own[i].model).test_loss_bits
            transferred[j, i] = train(members[i], own[j].model).test_loss_bits
        if more_pairs is None:
            break
        measured = TransferMatrix(member_names, direct, transferred.copy())
        pairs = _checked_pairs(more_pairs(measured.distance), count)
        if not pairs:
            break
        again = [(i, j) for i, j in pairs if not np.isnan(transferred[i, j])]
        if again:
            raise ValueError(
                f"more_pairs returned {again[0]}, already measured; return new pairs only."
            )
        bar.total += 2 * len(pairs)
        bar.refresh()
    bar.close()
    return TransferMatrix(member_names, direct, transferred)


def _checked_pairs(pairs: Sequence[tuple[int, int]], count: int) -> list[tuple[int, int]]:
    """``pairs`` as tuples of ints, each of two different member indices below ``count``,
    each unordered pair once."""
    checked = [(int(i), int(j)) for i, j in pairs]
    for i, j in checked:
        if not (0 <= i < count and 0 <= j < count and i != j):
            raise ValueError(
                f"pairs holds ({i}, {j}); pass pairs of two different member indices below {count}."
            )
    if len({(min(p), max(p)) for p in checked}) < len(checked):
        raise ValueError(f"pairs holds a pair twice ({checked}); pass each pair once.")
    return checked


def _json_matrix(values: np.ndarray) -> list:
    """Nested lists with None for NaN."""
    return (
        [None if np.isnan(v) else float(v) for v in values]
        if values.ndim == 1
        else [_json_matrix(row) for row in values]
    )
