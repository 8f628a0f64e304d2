"""Training objectives: FactorCL and OurCL (Eqs. 4.8, 4.9) and the baselines of Table 4.2.

Every objective maps a batch's representations to a loss to minimize. ``z`` holds the
representations of ``(x1, x2)`` by name, ``z_aug`` those of the augmented pair ``(x1', x2')``
(self-supervised objectives only), and ``labels`` the class codes (supervised ones only).

FactorCL maximizes ``S + U1 + U2`` (thesis Algorithm 2) with

    S   = I_NCE(Z_S1; Z_S2) - I_NCE-CLUB(Z_S1; Z_S2 | C)                            (Eq. 4.8)
    U_i = I_NCE(Z_Ui; T_i) - I_NCE-CLUB(Z_U1; Z_U2) + I_NCE(Z_U1; Z_U2 | C)         (Eq. 4.9)

where, supervised, the task ``T_i`` and the condition ``C`` are the label ``Y``, and,
self-supervised, ``T_i`` is the augmented view ``Z_Ui'`` and ``C`` is the augmented pair
``(X1', X2')``, entered by concatenation: ``f([z1, z1'], [z2, z2'])`` (Eqs. 4.15, 4.16). The
NCE-CLUB critics are fitted by their own InfoNCE objective in a separate step
(:meth:`FactorCLObjective.critic_loss`); the encoders then minimize the upper bound they give.
OurCL is the same objective without factorization (``Z_S1 = Z_U1 = Z_1``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pid.factorcl.critics import SeparableCritic
from pid.factorcl.estimators import infonce, nce_club, same_class

Batch = dict[str, torch.Tensor]


class FactorCLObjective(nn.Module):
    """``-(S + U1 + U2)`` of Eqs. 4.8 and 4.9, supervised or self-supervised.

    ``n_classes`` set means supervised (FactorCL-SUP, OurCL-SUP); ``None`` means
    self-supervised with multimodal augmentations (FactorCL-SSL, OurCL-SSL).
    ``factorized=False`` reads ``z1`` for both ``Z_S1`` and ``Z_U1`` (and ``z2`` likewise).
    """

    def __init__(
        self, embed_dim: int, n_classes: int | None, *, factorized: bool, hidden: int = 128
    ) -> None:
        super().__init__()
        self.supervised = n_classes is not None
        self.factorized = factorized
        self.n_classes = n_classes or 0
        task_dim = n_classes if self.supervised else embed_dim
        cond1, cond2 = (n_classes, 0) if self.supervised else (embed_dim, embed_dim)
        pair = (embed_dim, embed_dim)
        conditional = (embed_dim + cond1, embed_dim + cond2)
        self.nce_shared = SeparableCritic(*pair, hidden)
        self.nce_task1 = SeparableCritic(embed_dim, task_dim, hidden)
        self.nce_task2 = SeparableCritic(embed_dim, task_dim, hidden)
        self.nce_unique_given = SeparableCritic(*conditional, hidden)
        # Upper-bound critics: fitted in their own step, never by the encoders' loss.
        self.club_shared_given = SeparableCritic(*conditional, hidden)
        self.club_unique = SeparableCritic(*pair, hidden)

    def upper_bound_critics(self) -> list[nn.Parameter]:
        """Parameters of the NCE-CLUB critics, updated by :meth:`critic_loss` only."""
        return [*self.club_shared_given.parameters(), *self.club_unique.parameters()]

    def lower_bound_parameters(self) -> list[nn.Parameter]:
        """Parameters trained with the encoders, by :meth:`forward`."""
        upper = {id(p) for p in self.upper_bound_critics()}
        return [p for p in self.parameters() if id(p) not in upper]

    def terms(self, z: Batch, z_aug: Batch | None, labels: torch.Tensor | None) -> Batch:
        """Every estimator in Eqs. 4.8 and 4.9 on one batch, in nats, by name."""
        s1, u1, s2, u2 = self._factors(z)
        given_s, given_u, allowed = self._conditions(z_aug, labels)
        task1, task2 = self._tasks(z_aug, labels)
        return {
            "nce_shared": infonce(self.nce_shared(s1, s2)),
            "club_shared_given": nce_club(self.club_shared_given(*_join(s1, s2, given_s)), allowed),
            "nce_task1": infonce(self.nce_task1(u1, task1)),
            "nce_task2": infonce(self.nce_task2(u2, task2)),
            "club_unique": nce_club(self.club_unique(u1, u2)),
            "nce_unique_given": infonce(self.nce_unique_given(*_join(u1, u2, given_u)), allowed),
        }

    def forward(
        self, z: Batch, z_aug: Batch | None, labels: torch.Tensor | None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The encoders' loss ``-(S + U1 + U2)`` and the values of S, U1 and U2 in nats."""
        t = self.terms(z, z_aug, labels)
        shared = t["nce_shared"] - t["club_shared_given"]
        removed = t["nce_unique_given"] - t["club_unique"]
        unique1, unique2 = t["nce_task1"] + removed, t["nce_task2"] + removed
        parts = {"S": shared.item(), "U1": unique1.item(), "U2": unique2.item()}
        return -(shared + unique1 + unique2), parts

    def critic_loss(
        self, z: Batch, z_aug: Batch | None, labels: torch.Tensor | None
    ) -> torch.Tensor:
        """``-I_NCE`` of the two upper-bound critics on detached representations.

        Maximizing InfoNCE trains each critic towards ``f* = log p(a|b) + c(a)``, the critic
        that makes NCE-CLUB an upper bound (Theorem 2); the encoders are not moved.
        """
        z = _detached(z)
        z_aug = None if z_aug is None else _detached(z_aug)
        s1, u1, s2, u2 = self._factors(z)
        given_s, _, allowed = self._conditions(z_aug, labels)
        shared = infonce(self.club_shared_given(*_join(s1, s2, given_s)), allowed)
        return -(shared + infonce(self.club_unique(u1, u2)))

    def _factors(self, z: Batch) -> tuple[torch.Tensor, ...]:
        if self.factorized:
            return z["s1"], z["u1"], z["s2"], z["u2"]
        return z["z1"], z["z1"], z["z2"], z["z2"]

    def _conditions(self, z_aug: Batch | None, labels: torch.Tensor | None):
        """What the shared and the unique pairs are conditioned on, and the allowed pairs.

        Supervised: the one-hot label joins the first side, and negatives share the anchor's
        label (Eqs. 4.13, 4.14). Self-supervised: each side is joined by its own augmented
        representation (Eqs. 4.15, 4.16).
        """
        if self.supervised:
            onehot = F.one_hot(labels, self.n_classes).float()
            return (onehot, None), (onehot, None), same_class(labels)
        s1a, u1a, s2a, u2a = self._factors(z_aug)
        return (s1a, s2a), (u1a, u2a), None

    def _tasks(self, z_aug: Batch | None, labels: torch.Tensor | None):
        if self.supervised:
            onehot = F.one_hot(labels, self.n_classes).float()
            return onehot, onehot
        _, u1a, _, u2a = self._factors(z_aug)
        return u1a, u2a


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
    similarities divided by ``temperature``.

    - ``simclr``: ``-(I_NCE(Z1; Z2) + I_NCE(Z2; Z1)) / 2`` (Algorithm 1, symmetrized).
    - ``cross-self``: that plus ``-(I_NCE(Z1; Z1') + I_NCE(Z2; Z2'))`` on augmented views.
    - ``supcon``: Khosla et al.'s supervised contrastive loss over the ``2m`` projections of
      both modalities, positives being all other samples of the same class.
    """

    def __init__(self, method: str, embed_dim: int, temperature: float) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature is {temperature}; pass a positive number.")
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
        self, z: Batch, z_aug: Batch | None, labels: torch.Tensor | None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The loss of one batch, and no separate parts."""
        p1, p2 = self._project(z)
        if self.method == "supcon":
            both = torch.cat([p1, p2])
            return supcon_loss(both, torch.cat([labels, labels]), self.temperature), {}
        scores = p1 @ p2.T / self.temperature
        loss = -(infonce(scores) + infonce(scores.T)) / 2
        if self.method == "cross-self":
            a1, a2 = self._project(z_aug)
            loss = loss - infonce(p1 @ a1.T / self.temperature)
            loss = loss - infonce(p2 @ a2.T / self.temperature)
        return loss, {}

    def _project(self, z: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        return tuple(
            F.normalize(proj(z[name]), dim=1)
            for proj, name in zip(self.projections, ("z1", "z2"), strict=True)
        )


def supcon_loss(features: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """Supervised contrastive loss of L2-normalized ``features`` (Khosla et al. 2020).

    ``L = -mean_i (1/|P(i)|) sum_{p in P(i)} log( exp(s_ip / t) / sum_{a != i} exp(s_ia / t) )``
    with ``P(i)`` the other samples of ``i``'s class; anchors without positives are skipped.
    """
    scores = features @ features.T / temperature
    self_pairs = torch.eye(len(scores), dtype=torch.bool, device=scores.device)
    log_prob = scores - torch.logsumexp(scores.masked_fill(self_pairs, -torch.inf), dim=1)[:, None]
    positives = same_class(labels) & ~self_pairs
    counts = positives.sum(dim=1)
    has = counts > 0
    per_anchor = (log_prob * positives).sum(dim=1)[has] / counts[has]
    return -per_anchor.mean()
