"""Training objectives: FactorCL and OurCL (Eqs. 4.8, 4.9) and the baselines of Table 4.2.

Every objective maps a batch's representations to a loss to minimize. ``z`` holds the
representations of ``(x1, x2)`` by name; FactorCL's and OurCL's :class:`Condition` holds the
representations of the augmented pair ``(x1', x2')``, the class codes where supervised, and
the distributions of the negatives; the baselines take ``z_aug`` and ``labels`` directly.

FactorCL maximizes ``S + U1 + U2`` (thesis Algorithm 2) with

    S   = I_NCE(Z_S1; Z_S2) - I_NCE-CLUB(Z_S1; Z_S2 | C)                            (Eq. 4.8)
    U_i = I_NCE(Z_Ui; T_i) - I_NCE-CLUB(Z_U1; Z_U2) + I_NCE(Z_U1; Z_U2 | C)         (Eq. 4.9)

Self-supervised, the task term is ``I_NCE(Z_Ui; Z_Ui')`` of the augmented view and the
condition ``C`` is the augmented pair ``(X1', X2')``, entered by concatenation:
``f([z1, z1'], [z2, z2'])`` (Eqs. 4.15, 4.16). Supervised, the task term adds the label,
``I_NCE(Z_Ui; Z_Ui') + I_NCE(Z_Ui; Y)`` (the unimodal term is part of FactorCL-SUP in thesis
Table 4.2), and ``C`` is the label and the augmented pair, ``f([z1, y, z1'], [z2, z2'])``; with
:attr:`CriticSettings.views_in_condition` off, ``C = Y`` alone (Eqs. 4.13, 4.14). The
conditional estimators draw their negatives from the conditional distribution given ``C``:
the posterior over the batch of having produced the anchor's augmented views
(:func:`pid.factorcl.augment.source_weights`), restricted to the anchor's class when
supervised, or the anchor's class alone. The NCE-CLUB critics are
fitted by their own InfoNCE objective in separate steps (:meth:`FactorCLObjective.critic_loss`);
the encoders then minimize the upper bound they give. OurCL is the same objective without
factorization (``Z_S1 = Z_U1 = Z_1``). A factorized objective may add
``-lambda (I_NCE-CLUB(Z_S1; Z_U1) + I_NCE-CLUB(Z_S2; Z_U2))`` (:class:`CriticSettings`).

In data-parallel training (:mod:`pid.distributed`) each process holds its part of the batch
and its anchors are scored against the whole global batch
(:class:`~pid.factorcl.critics.Candidates`, carried by :class:`Condition` or passed to
:class:`CrossModalObjective`): every estimator then sees the negatives of the global batch,
as in one process, and the gathering hands the gradients back to the process they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from pid.factorcl.critics import Candidates, SeparableCritic
from pid.factorcl.estimators import (
    infonce,
    nce_club,
    other_of_class,
    positive_pairs,
    same_class,
)
from pid.validation import check_number, check_whole

Batch = dict[str, torch.Tensor]


@dataclass(frozen=True)
class CriticSettings:
    """How FactorCL and OurCL estimate their terms, and the weight of the factorization term.

    ``steps``: Adam steps of the NCE-CLUB critics per batch (their InfoNCE objective) before
    the encoders' step; ``temperature``: None for critics ``g(a)^T h(b)``, a number for
    bounded critics ``cos(g(a), h(b)) / temperature``; ``factor_weight``: weight ``lambda`` of
    ``-lambda (I_NCE-CLUB(Z_S1; Z_U1) + I_NCE-CLUB(Z_S2; Z_U2))``, which removes from each
    modality's shared representation what its unique one holds and the reverse (0: the
    thesis's objective alone); ``views_in_condition``: supervised methods condition on the
    label and the augmented pair (True) or on the label alone (False, Eqs. 4.13, 4.14 as
    written); self-supervised methods always condition on the augmented pair.
    :meth:`for_method` gives the measured defaults (docs/factorcl.md).
    """

    steps: int = 1
    temperature: float | None = None
    factor_weight: float = 0.0
    views_in_condition: bool = True

    @classmethod
    def for_method(cls, method: str) -> CriticSettings:
        """Bounded critics (temperature 0.1), 5 critic steps, factor weight 0.3 where there
        are factors, supervised methods conditioned on the label and the augmented pair
        (docs/factorcl.md)."""
        return cls(5, 0.1, 0.3 if method.startswith("factorcl") else 0.0)

    def check(self) -> None:
        """Refuse settings no training can use, naming the field: ``steps`` a whole number of
        at least 1, ``temperature`` None or finite and above 0, ``factor_weight`` finite and
        at least 0, ``views_in_condition`` True or False."""
        check_whole(self.steps, "CriticSettings.steps (--critic-steps)", 1)
        if self.temperature is not None:
            check_number(
                self.temperature, "CriticSettings.temperature (--critic-temperature)", above=True
            )
        check_number(self.factor_weight, "CriticSettings.factor_weight (--factor-weight)")
        if not isinstance(self.views_in_condition, bool):
            raise ValueError(
                f"views_in_condition is {self.views_in_condition!r}; pass True or False."
            )


class FactorCLObjective(nn.Module):
    """``-(S + U1 + U2)`` of Eqs. 4.8 and 4.9, supervised or self-supervised.

    ``n_classes`` set means supervised (FactorCL-SUP, OurCL-SUP); ``None`` means
    self-supervised with multimodal augmentations (FactorCL-SSL, OurCL-SSL).
    ``factorized=False`` reads ``z1`` for both ``Z_S1`` and ``Z_U1`` (and ``z2`` likewise).
    ``critics`` (:class:`CriticSettings`) adds the factorization term to a factorized loss.
    """

    def __init__(
        self,
        embed_dim: int,
        n_classes: int | None,
        *,
        factorized: bool,
        hidden: int = 128,
        critics: CriticSettings | None = None,
    ) -> None:
        super().__init__()
        self.supervised = n_classes is not None
        self.factorized = factorized
        self.n_classes = n_classes or 0
        self.settings = critics or CriticSettings()
        self.views_in_condition = not self.supervised or self.settings.views_in_condition
        views = embed_dim if self.views_in_condition else 0
        pair = (embed_dim, embed_dim)
        conditional = (embed_dim + self.n_classes + views, embed_dim + views)

        def critic(dim_a: int, dim_b: int) -> SeparableCritic:
            return SeparableCritic(dim_a, dim_b, hidden, temperature=self.settings.temperature)

        self.nce_shared = critic(*pair)
        self.nce_view = nn.ModuleList([critic(*pair), critic(*pair)])
        self.nce_label = nn.ModuleList(
            [critic(embed_dim, self.n_classes) for _ in range(2)] if self.supervised else []
        )
        self.nce_unique_given = critic(*conditional)
        # Upper-bound critics: fitted in their own step, never by the encoders' loss.
        self.club_shared_given = critic(*conditional)
        self.club_unique = critic(*pair)
        self.club_factors = nn.ModuleList([critic(*pair), critic(*pair)] if factorized else [])

    def upper_bound_critics(self) -> list[nn.Parameter]:
        """Parameters of the NCE-CLUB critics, updated by :meth:`critic_loss` only."""
        critics = (self.club_shared_given, self.club_unique, self.club_factors)
        return [p for module in critics for p in module.parameters()]

    def lower_bound_parameters(self) -> list[nn.Parameter]:
        """Parameters trained with the encoders, by :meth:`forward`."""
        upper = {id(p) for p in self.upper_bound_critics()}
        return [p for p in self.parameters() if id(p) not in upper]

    def terms(self, z: Batch, condition: Condition) -> Batch:
        """Every estimator in Eqs. 4.8 and 4.9 on one batch, in nats, by name.

        A factorized objective adds ``club_factors``, ``I_NCE-CLUB(Z_S1; Z_U1) +
        I_NCE-CLUB(Z_S2; Z_U2)``.
        """
        s1, u1, s2, u2 = self._factors(z)
        _, u1a, _, u2a = self._factors(condition.augmented)
        onehot = self._onehot(condition)
        given_s, given_u = self._given(condition, onehot)
        nce_weights, club_weights = condition.weights
        c = condition.candidates
        at = c.offset(len(s1))
        out = {
            "nce_shared": infonce(self.nce_shared(s1, s2, c), offset=at),
            "club_shared_given": nce_club(
                self.club_shared_given(*_join(s1, s2, given_s), c), club_weights, at
            ),
            "nce_view1": infonce(self.nce_view[0](u1, u1a, c), offset=at),
            "nce_view2": infonce(self.nce_view[1](u2, u2a, c), offset=at),
            "club_unique": nce_club(self.club_unique(u1, u2, c), offset=at),
            "nce_unique_given": infonce(
                self.nce_unique_given(*_join(u1, u2, given_u), c), nce_weights, at
            ),
        }
        if onehot is not None:
            out["nce_label1"] = infonce(self.nce_label[0](u1, onehot, c), offset=at)
            out["nce_label2"] = infonce(self.nce_label[1](u2, onehot, c), offset=at)
        if self.factorized:
            first, second = self.club_factors
            out["club_factors"] = nce_club(first(s1, u1, c), offset=at) + nce_club(
                second(s2, u2, c), offset=at
            )
        return out

    def forward(
        self, z: Batch, condition: Condition
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The encoders' loss ``-(S + U1 + U2) + lambda F`` and S, U1, U2 (and F) in nats,
        detached (on the device: reading them waits for it)."""
        t = self.terms(z, condition)
        shared = t["nce_shared"] - t["club_shared_given"]
        removed = t["nce_unique_given"] - t["club_unique"]
        task1 = t["nce_view1"] + t.get("nce_label1", 0.0)
        task2 = t["nce_view2"] + t.get("nce_label2", 0.0)
        unique1, unique2 = task1 + removed, task2 + removed
        parts = {"S": shared.detach(), "U1": unique1.detach(), "U2": unique2.detach()}
        loss = -(shared + unique1 + unique2)
        if "club_factors" in t:
            parts["F"] = t["club_factors"].detach()
            loss = loss + self.settings.factor_weight * t["club_factors"]
        return loss, parts

    def critic_loss(self, z: Batch, condition: Condition) -> torch.Tensor:
        """``-I_NCE`` of the upper-bound critics on detached representations.

        Maximizing InfoNCE trains each critic towards ``f* = log p(a|b) + c(a)``, the critic
        that makes NCE-CLUB an upper bound (Theorem 2); the encoders are not moved.
        """
        z = _detached(z)
        condition = condition.detached()
        s1, u1, s2, u2 = self._factors(z)
        given_s, _ = self._given(condition, self._onehot(condition))
        nce_weights, _ = condition.weights
        c = condition.candidates
        at = c.offset(len(s1))
        total = infonce(self.club_shared_given(*_join(s1, s2, given_s), c), nce_weights, at)
        total = total + infonce(self.club_unique(u1, u2, c), offset=at)
        if self.factorized:
            first, second = self.club_factors
            total = total + infonce(first(s1, u1, c), offset=at)
            total = total + infonce(second(s2, u2, c), offset=at)
        return -total

    def _factors(self, z: Batch) -> tuple[torch.Tensor, ...]:
        if self.factorized:
            return z["s1"], z["u1"], z["s2"], z["u2"]
        return z["z1"], z["z1"], z["z2"], z["z2"]

    def _onehot(self, condition: Condition) -> torch.Tensor | None:
        """The one-hot labels of a supervised objective's batch (None self-supervised)."""
        if not self.supervised:
            return None
        return F.one_hot(condition.labels, self.n_classes).float()

    def _given(self, condition: Condition, onehot: torch.Tensor | None):
        """What the shared and the unique pairs are conditioned on (Section 4.3).

        Each side is joined by its own augmented representation (Eqs. 4.15, 4.16), and,
        supervised, the first side by the one-hot label (Eqs. 4.13, 4.14); without the views
        in the condition, the label alone joins the first side.
        """
        first = [] if onehot is None else [onehot]
        if not self.views_in_condition:
            return (first[0], None), (first[0], None)
        s1a, u1a, s2a, u2a = self._factors(condition.augmented)
        return (torch.cat([*first, s1a], dim=1), s2a), (torch.cat([*first, u1a], dim=1), u2a)


@dataclass
class Condition:
    """What one batch is conditioned on: the augmented views' representations, and labels.

    ``weights`` holds the conditional distributions of the negatives (rows over the batch)
    for the InfoNCE and the NCE-CLUB estimators: given labels alone, the anchor's class with
    and without the anchor (:func:`~pid.factorcl.estimators.same_class`,
    :func:`~pid.factorcl.estimators.other_of_class`); given augmentations, the posterior over
    the batch of having produced the anchor's views
    (:func:`~pid.factorcl.augment.source_weights`), restricted to the anchor's class where
    labels are given too, for both. ``augmented`` is always there: the task terms
    ``I_NCE(Z_Ui; Z_Ui')`` read it. ``candidates`` are the samples
    the anchors are scored against: the batch itself in one process, the global batch in
    data-parallel training (the weights' columns run over them).
    """

    labels: torch.Tensor | None = None
    augmented: Batch | None = None
    weights: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)
    candidates: Candidates = field(default_factory=Candidates)

    @classmethod
    def of_labels(
        cls, labels: torch.Tensor, augmented: Batch, candidates: Candidates | None = None
    ) -> Condition:
        """Conditioning on class labels alone (Eqs. 4.13, 4.14); ``augmented`` holds the
        representations of the views for the unimodal task terms."""
        candidates = candidates or Candidates()
        others = candidates(labels)
        at = candidates.offset(len(labels))
        weights = (same_class(labels, others), other_of_class(labels, others, at))
        return cls(labels=labels, augmented=augmented, weights=weights, candidates=candidates)

    @classmethod
    def of_views(
        cls,
        augmented: Batch,
        sources: torch.Tensor,
        candidates: Candidates | None = None,
        labels: torch.Tensor | None = None,
    ) -> Condition:
        """Conditioning on the augmented pair, whose representations are ``augmented`` and
        whose source weights (anchors by candidates) are ``sources`` (Eqs. 4.15, 4.16), and
        on ``labels`` where given: the weights are then ``sources`` restricted to the anchor's
        class and renormalized, ``p(x | x1', x2', y)``."""
        candidates = candidates or Candidates()
        if labels is not None:
            sources = sources * same_class(labels, candidates(labels))
            sources = sources / sources.sum(dim=1, keepdim=True).clamp_min(1e-30)
        weights = (sources, sources)
        return cls(labels=labels, augmented=augmented, weights=weights, candidates=candidates)

    def detached(self) -> Condition:
        """The same condition with the augmented representations cut from the graph."""
        augmented = None if self.augmented is None else _detached(self.augmented)
        return Condition(self.labels, augmented, self.weights, self.candidates)


def _join(
    a: torch.Tensor, b: torch.Tensor, extra: tuple[torch.Tensor, torch.Tensor | None]
) -> tuple[torch.Tensor, torch.Tensor]:
    """``([a, extra1], [b, extra2])``, leaving ``b`` alone when ``extra2`` is None."""
    first, second = extra
    a = torch.cat([a, first], dim=1)
    return a, b if second is None else torch.cat([b, second], dim=1)


def _detached(z: Batch) -> Batch:
    return {name: value.detach() for name, value in z.items()}


class CrossModalObjective(nn.Module):
    """SimCLR across modalities, optionally with unimodal terms (Cross+Self), or SupCon.

    Each representation goes through a projection MLP and is L2-normalized; scores are cosine
    similarities divided by ``temperature``, a finite number above 0.

    - ``simclr``: ``-(I_NCE(Z1; Z2) + I_NCE(Z2; Z1)) / 2`` (Algorithm 1, symmetrized).
    - ``cross-self``: that plus ``-(I_NCE(Z1; Z1') + I_NCE(Z2; Z2'))`` on augmented views.
    - ``supcon``: Khosla et al.'s supervised contrastive loss over the ``2m`` projections of
      both modalities, positives being all other samples of the same class.
    """

    def __init__(self, method: str, embed_dim: int, temperature: float) -> None:
        super().__init__()
        check_number(temperature, "temperature (--temperature)", above=True)
        self.method = method
        self.temperature = temperature
        self.projections = nn.ModuleList(
            [
                nn.Sequential(
                    nn.Linear(embed_dim, embed_dim), nn.ReLU(), nn.Linear(embed_dim, embed_dim)
                )
                for _ in range(2)
            ]
        )

    def forward(
        self,
        z: Batch,
        z_aug: Batch | None,
        labels: torch.Tensor | None,
        candidates: Candidates | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss of one batch, and no separate parts; the anchors are scored against
        ``candidates`` (the batch itself by default)."""
        c = candidates or Candidates()
        t = self.temperature
        p1, p2 = self._project(z)
        if self.method == "supcon":
            both = torch.cat([p1, p2])
            return supcon_loss(both, torch.cat([labels, labels]), t, c), {}
        at = c.offset(len(p1))
        scores = p1 @ c(p2).T / t
        forward = infonce(scores, offset=at)
        # Z2's anchors against Z1: the transpose, when the candidates are the batch itself.
        reverse = scores.T if c.gather is None else p2 @ c(p1).T / t
        loss = -(forward + infonce(reverse, offset=at)) / 2
        if self.method == "cross-self":
            a1, a2 = self._project(z_aug)
            loss = loss - infonce(p1 @ c(a1).T / t, offset=at)
            loss = loss - infonce(p2 @ c(a2).T / t, offset=at)
        return loss, {}

    def _project(self, z: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        return tuple(
            F.normalize(proj(z[name]), dim=1)
            for proj, name in zip(self.projections, ("z1", "z2"), strict=True)
        )


def supcon_loss(
    features: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    candidates: Candidates | None = None,
) -> torch.Tensor:
    """Supervised contrastive loss of L2-normalized ``features`` (Khosla et al. 2020).

    ``L = -mean_i (1/|P(i)|) sum_{p in P(i)} log( exp(s_ip / t) / sum_{a != i} exp(s_ia / t) )``
    with ``P(i)`` the other samples of ``i``'s class; anchors without positives are skipped.
    ``a`` and ``p`` run over ``candidates`` (the batch itself by default).
    """
    c = candidates or Candidates()
    scores = features @ c(features).T / temperature
    self_pairs = positive_pairs(*scores.shape, c.offset(len(features)), scores.device)
    log_prob = scores - torch.logsumexp(scores.masked_fill(self_pairs, -torch.inf), dim=1)[:, None]
    positives = same_class(labels, c(labels)).bool() & ~self_pairs
    counts = positives.sum(dim=1)
    has = counts > 0
    per_anchor = (log_prob * positives).sum(dim=1)[has] / counts[has]
    return -per_anchor.mean()
