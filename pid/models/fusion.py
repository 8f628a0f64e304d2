"""The ten fusion families of thesis Table 3.4 (definitions in Sections 3.3.3 and 7.4).

Notation: ``x1, x2`` are the inputs, ``z_i = f_i(x_i)`` their unimodal representations from
the shared encoders of :mod:`pid.nn`, ``z_mm`` the multimodal representation and
``h`` a two-layer classifier head. Every model maps ``(x1, x2)`` to class logits; its training
loss is the cross-entropy plus, for the families defined by an objective (AGREE, ALIGN, REC),
``aux_weight`` times an auxiliary term (:meth:`FusionModel.loss`).
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from pid.nn import make_encoder, mlp_head

Shape = tuple[int, ...]


class FusionModel(nn.Module):
    """Base class: two encoders, a fusion, a head; ``loss = CE(logits, y) + aux_weight * aux``.

    Parameters
    ----------
    shape1, shape2 : tuple of int
        One sample's shape for each modality: ``(d,)`` for vectors, ``(T, d)`` for sequences.
    n_classes : int
        Number of labels.
    hidden : int
        Width of the encoders and of the fused representation.
    encoders : bool
        Whether to build one encoder per modality (``encoder1``, ``encoder2``).
    """

    #: Weight of the auxiliary objective (0: cross-entropy only).
    aux_weight: ClassVar[float] = 0.0

    def __init__(
        self,
        shape1: Shape,
        shape2: Shape,
        n_classes: int,
        hidden: int = 32,
        *,
        encoders: bool = True,
    ) -> None:
        super().__init__()
        self.shapes = (tuple(shape1), tuple(shape2))
        self.n_classes = n_classes
        self.hidden = hidden
        if encoders:
            self.encoder1 = make_encoder(self.shapes[0], hidden)
            self.encoder2 = make_encoder(self.shapes[1], hidden)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{"logits": ..., ...}``: the logits and what the auxiliary objective reads."""
        raise NotImplementedError

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return self.outputs(x1, x2)["logits"]

    def loss(self, x1: torch.Tensor, x2: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training objective on one batch: ``CE(logits, y) + aux_weight * aux``."""
        out = self.outputs(x1, x2)
        task = F.cross_entropy(out["logits"], y)
        if not self.aux_weight:
            return task
        return task + self.aux_weight * self.auxiliary(out, x1, x2)

    def auxiliary(
        self, out: dict[str, torch.Tensor], x1: torch.Tensor, x2: torch.Tensor
    ) -> torch.Tensor:
        """The auxiliary objective of the family; none by default."""
        raise NotImplementedError

    def encode(self, x1: torch.Tensor, x2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z1, z2)``: the unimodal summaries."""
        return self.encoder1(x1)[0], self.encoder2(x2)[0]


class EarlyFusion(FusionModel):
    """EF: fuse the inputs, then encode: ``y_hat = h(f([x1, x2]))``.

    Vectors (and sequences of unequal length, flattened) are concatenated feature-wise; two
    sequences of one length are concatenated at each step and read by one GRU.
    """

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden, encoders=False)
        self.stepwise = len(shape1) == len(shape2) == 2 and shape1[0] == shape2[0]
        if self.stepwise:
            joint: Shape = (shape1[0], shape1[1] + shape2[1])
        else:
            joint = (math.prod(shape1) + math.prod(shape2),)
        self.encoder = make_encoder(joint, hidden)
        self.head = mlp_head(hidden, hidden, n_classes)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.stepwise:
            joint = torch.cat([x1, x2], dim=-1)
        else:
            joint = torch.cat([x1.flatten(1), x2.flatten(1)], dim=1)
        return {"logits": self.head(self.encoder(joint)[0])}


class Additive(FusionModel):
    """ADDITIVE: a sum of unimodal predictors, ``logits = h1(z1) + h2(z2)``."""

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.head1 = mlp_head(hidden, hidden, n_classes)
        self.head2 = mlp_head(hidden, hidden, n_classes)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        z1, z2 = self.encode(x1, x2)
        g1, g2 = self.head1(z1), self.head2(z2)
        return {"logits": g1 + g2, "g1": g1, "g2": g2}


class Agreement(Additive):
    """AGREE: the additive model trained so its unimodal predictors agree.

    ``logits = g1 + g2`` with ``g_i = h_i(z_i)``, and the prediction-level alignment objective
    (Section 7.4.3) ``aux = 1 - (1/C) sum_c corr_batch(g1[:, c], g2[:, c])``.
    """

    aux_weight = 0.5

    def auxiliary(
        self, out: dict[str, torch.Tensor], x1: torch.Tensor, x2: torch.Tensor
    ) -> torch.Tensor:
        g1 = out["g1"] - out["g1"].mean(dim=0)
        g2 = out["g2"] - out["g2"].mean(dim=0)
        corr = (g1 * g2).sum(0) / (g1.norm(dim=0) * g2.norm(dim=0) + 1e-8)
        return 1.0 - corr.mean()


class _LateFusion(FusionModel):
    """``z_mm = relu(W [z1, z2] + b)``, ``logits = h(z_mm)``: the base of ALIGN and REC."""

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.fuse = nn.Linear(2 * hidden, hidden)
        self.head = mlp_head(hidden, hidden, n_classes)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        z1, z2 = self.encode(x1, x2)
        z_mm = F.relu(self.fuse(torch.cat([z1, z2], dim=1)))
        return {"logits": self.head(z_mm), "z_mm": z_mm, "z1": z1, "z2": z2}


class Alignment(_LateFusion):
    """ALIGN: late fusion with a cosine alignment objective (Section 7.4.3).

    ``z_mm = relu(W [z1, z2] + b)``, ``logits = h(z_mm)`` and
    ``aux = (1 - cos(z_mm, g1(z1))) + (1 - cos(z_mm, g2(z2)))`` with linear maps ``g_i`` into
    the multimodal space, averaged over the batch. Each sample's term compares its own
    representations only: there are no negatives (other samples pushed apart), so the
    objective is not contrastive, and a batch's value is the mean of its samples' values.
    """

    aux_weight = 0.5

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.project1 = nn.Linear(hidden, hidden)
        self.project2 = nn.Linear(hidden, hidden)

    def auxiliary(
        self, out: dict[str, torch.Tensor], x1: torch.Tensor, x2: torch.Tensor
    ) -> torch.Tensor:
        z_mm = out["z_mm"]
        gaps = [
            1.0 - F.cosine_similarity(z_mm, project(out[z]), dim=1, eps=1e-8)
            for project, z in ((self.project1, "z1"), (self.project2, "z2"))
        ]
        return (gaps[0] + gaps[1]).mean()


class ElementWise(FusionModel):
    """ELEM: gated element-wise interactions (Section 7.4.2, multimodal gated units).

    ``z_mm = [z1 * sigmoid(W2 z2 + b2), z2 * sigmoid(W1 z1 + b1)]``, ``logits = h(z_mm)``:
    each modality gates the other feature by feature.
    """

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.gate1 = nn.Linear(hidden, hidden)
        self.gate2 = nn.Linear(hidden, hidden)
        self.head = mlp_head(2 * hidden, hidden, n_classes)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        z1, z2 = self.encode(x1, x2)
        fused = [z1 * torch.sigmoid(self.gate2(z2)), z2 * torch.sigmoid(self.gate1(z1))]
        return {"logits": self.head(torch.cat(fused, dim=1))}


class TensorFusion(FusionModel):
    """TENSOR: tensor fusion, ``z_mm = vec([p1; 1] (x) [p2; 1])`` with ``p_i = relu(P_i z_i)``.

    The outer product holds every product of a coordinate of ``p1`` with one of ``p2`` (the
    bilinear terms) and, through the appended 1s, ``p1`` and ``p2`` themselves; ``P_i`` maps to
    ``rank = 16`` coordinates so that ``z_mm`` has 289 entries.
    """

    rank = 16

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.project1 = nn.Linear(hidden, self.rank)
        self.project2 = nn.Linear(hidden, self.rank)
        self.head = mlp_head((self.rank + 1) ** 2, hidden, n_classes)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        z1, z2 = self.encode(x1, x2)
        p1, p2 = (_with_one(F.relu(p(z))) for p, z in ((self.project1, z1), (self.project2, z2)))
        z_mm = torch.einsum("ni,nj->nij", p1, p2).flatten(1)
        return {"logits": self.head(z_mm)}


class MultiplicativeInteractions(FusionModel):
    """MI: multiplicative interactions, ``z_mm = z1^T W z2 + U z1 + V z2 + b`` (Section 7.4.2).

    ``W`` is a full three-way tensor (the matrix form, one bilinear form per output
    coordinate); ``logits = h(relu(z_mm))``.
    """

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.bilinear = nn.Bilinear(hidden, hidden, hidden)
        self.linear1 = nn.Linear(hidden, hidden, bias=False)
        self.linear2 = nn.Linear(hidden, hidden, bias=False)
        self.head = mlp_head(hidden, hidden, n_classes)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        z1, z2 = self.encode(x1, x2)
        z_mm = self.bilinear(z1, z2) + self.linear1(z1) + self.linear2(z2)
        return {"logits": self.head(F.relu(z_mm))}


class CrossModalTransformer(FusionModel):
    """MULT: cross-modal transformer blocks in both directions (Section 7.4.2).

    ``z_mm = [pool CM(t1, t2), pool CM(t2, t1)]`` where ``CM(a, b) = a' + FFN(a')`` with
    ``a' = LN(a + Attention(q = a, k = v = b))`` (and a final LayerNorm), ``t_i`` the
    per-step states of modality ``i`` and ``pool`` the mean over steps. A vector modality is
    first spread over ``tokens = 4`` learned tokens, ``t_i = reshape(T_i z_i)``, so attention has
    more than one element to weigh.
    """

    tokens = 4
    heads = 2

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.tokenize = nn.ModuleList(
            nn.Linear(hidden, self.tokens * hidden) if len(s) == 1 else nn.Identity()
            for s in self.shapes
        )
        self.blocks = nn.ModuleList(_CrossModalBlock(hidden, self.heads) for _ in range(2))
        self.head = mlp_head(2 * hidden, hidden, n_classes)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        states = []
        for x, encoder, tokenize, shape in zip(
            (x1, x2), (self.encoder1, self.encoder2), self.tokenize, self.shapes, strict=True
        ):
            z, steps = encoder(x)
            steps = tokenize(z).view(len(z), self.tokens, self.hidden) if len(shape) == 1 else steps
            states.append(steps)
        t1, t2 = states
        fused = [self.blocks[0](t1, t2).mean(dim=1), self.blocks[1](t2, t1).mean(dim=1)]
        return {"logits": self.head(torch.cat(fused, dim=1))}


class _CrossModalBlock(nn.Module):
    """``CM(a, b)``: queries from ``a``, keys and values from ``b``, then a feed-forward layer."""

    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(hidden, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(hidden)
        self.norm2 = nn.LayerNorm(hidden)
        self.ffn = nn.Sequential(
            nn.Linear(hidden, 2 * hidden), nn.ReLU(), nn.Linear(2 * hidden, hidden)
        )

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        attended = self.norm1(a + self.attention(a, b, b, need_weights=False)[0])
        return self.norm2(attended + self.ffn(attended))


class LowRankTensor(FusionModel):
    """LOWER: low-rank tensor fusion with lower-order terms.

    ``z_mm = sum_{r=1..rank} (W1_r [z1; 1]) * (W2_r [z2; 1])`` (element-wise product, ``rank =
    4``): a rank-``rank`` factorization of the full tensor fusion weights, whose appended 1s keep
    the unimodal (lower-order) terms; ``logits = h(z_mm)``.
    """

    rank = 4

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.factor1 = nn.Linear(hidden + 1, self.rank * hidden, bias=False)
        self.factor2 = nn.Linear(hidden + 1, self.rank * hidden, bias=False)
        self.head = mlp_head(hidden, hidden, n_classes)

    def outputs(self, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
        z1, z2 = self.encode(x1, x2)
        a = self.factor1(_with_one(z1)).view(len(z1), self.rank, self.hidden)
        b = self.factor2(_with_one(z2)).view(len(z2), self.rank, self.hidden)
        return {"logits": self.head((a * b).sum(dim=1))}


class Reconstruction(_LateFusion):
    """REC: late fusion with a reconstruction objective (Section 7.4.3, as in MFM).

    ``z_mm = relu(W [z1, z2] + b)``, ``logits = h(z_mm)``, and decoders ``d_i`` rebuild each
    input from its own code and the joint one:
    ``aux = ||x1 - d1([z1, z_mm])||^2 / |x1| + ||x2 - d2([z2, z_mm])||^2 / |x2|`` (mean squared
    error per entry, on standardized inputs).
    """

    aux_weight = 0.5

    def __init__(self, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32) -> None:
        super().__init__(shape1, shape2, n_classes, hidden)
        self.decoder1 = mlp_head(2 * hidden, hidden, math.prod(self.shapes[0]))
        self.decoder2 = mlp_head(2 * hidden, hidden, math.prod(self.shapes[1]))

    def auxiliary(
        self, out: dict[str, torch.Tensor], x1: torch.Tensor, x2: torch.Tensor
    ) -> torch.Tensor:
        rebuilt1 = self.decoder1(torch.cat([out["z1"], out["z_mm"]], dim=1))
        rebuilt2 = self.decoder2(torch.cat([out["z2"], out["z_mm"]], dim=1))
        return F.mse_loss(rebuilt1, x1.flatten(1)) + F.mse_loss(rebuilt2, x2.flatten(1))


def _with_one(z: torch.Tensor) -> torch.Tensor:
    """``[z; 1]``: append a constant coordinate."""
    return torch.cat([z, torch.ones_like(z[:, :1])], dim=1)


#: The zoo, in the order of thesis Table 3.4.
MODELS: dict[str, type[FusionModel]] = {
    "EF": EarlyFusion,
    "ADDITIVE": Additive,
    "AGREE": Agreement,
    "ALIGN": Alignment,
    "ELEM": ElementWise,
    "TENSOR": TensorFusion,
    "MI": MultiplicativeInteractions,
    "MULT": CrossModalTransformer,
    "LOWER": LowRankTensor,
    "REC": Reconstruction,
}


def check_model_names(names: list[str] | tuple[str, ...], name: str = "models") -> list[str]:
    """The names, upper-cased, after checking each is in :data:`MODELS` and named once (in
    any case: ``EF`` and ``ef`` are one model); ``name`` names the argument in the refusal
    (e.g. ``"models (--models)"``)."""
    upper = [str(model).upper() for model in names]
    unknown = [model for model in upper if model not in MODELS]
    if unknown:
        raise ValueError(f"model {unknown[0]!r} is unknown; choose among {', '.join(MODELS)}.")
    if not upper:
        raise ValueError(f"no model was named; choose among {', '.join(MODELS)}.")
    repeated = next((model for k, model in enumerate(upper) if model in upper[:k]), None)
    if repeated is not None:
        spellings = ", ".join(repr(str(m)) for m in names if str(m).upper() == repeated)
        raise ValueError(
            f"{name} names the model {repeated} more than once ({spellings}); name each model once."
        )
    return upper


def build_model(
    name: str, shape1: Shape, shape2: Shape, n_classes: int, hidden: int = 32
) -> FusionModel:
    """A fresh model of family ``name`` (a key of :data:`MODELS`, any case)."""
    (name,) = check_model_names([name])
    return MODELS[name](shape1, shape2, n_classes, hidden)
