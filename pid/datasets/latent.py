"""The latent generative datasets of thesis Section 3.3.1 (Table 3.2).

Three independent latent vectors ``z1, z2, zc ~ N(0, I_d)`` hold what is unique to the first
modality, unique to the second, and common to both. Fixed random maps turn ``[z1, zc]`` into
``x1`` and ``[z2, zc]`` into ``x2``:

    x_i = tanh([z_i, zc] W_i),   W_i in R^(2d x dim) with entries N(0, 1 / (2d)),

a one-to-one map for ``dim >= 2d`` (``tanh`` is monotone and ``W_i`` has full row rank almost
surely), so ``x_i`` carries exactly what ``[z_i, zc]`` does.

The binary label reads the latents through *channels*, one per interaction:

- ``R`` reads part of ``zc``, which both modalities see: ``g = <w, zc_part>``;
- ``U1`` (``U2``) reads part of ``z1`` (``z2``), which only one modality sees;
- ``S`` reads parts of ``z1`` and ``z2``: ``g = <a, z1_part> <b, z2_part>``, whose sign is the
  XOR of the two signs, so it says nothing about the label to either modality alone;

with ``w, a, b`` fixed random unit vectors, so each ``g`` has unit variance. The label is
``y = 1[sum_c sqrt(m_c) g_c > 0]``, where ``m_c`` is the number of latent dimensions channel
``c`` reads: a channel's weight grows with its share of the latents, as in the thesis's
mixtures where ``z*`` (half the dimensions) carries "half of each interaction".

The four specialized datasets have one channel each, so their interaction is pure: in
``"S"`` the label is exactly independent of ``x1`` and of ``x2``, and in ``"U1"`` of ``x2``.

Every channel is linear in the latent a modality does not see, so the label's posterior
given one modality is a normal probability in closed form (:func:`generative_posteriors`);
:func:`pid.datasets.generative_pid` turns the posteriors into the datasets' exact PID.

The thesis uses ``d = 50``; the default here is ``d = 2``. With ``d = 50`` a clustering into
20 codes per modality keeps little of a label that depends on one direction of a
100-dimensional latent space: on 10,000 samples the total ``I(X1,X2;Y)`` after k-means is
0.03 to 0.05 bits, most of it the plug-in bias, against 0.2 to 0.75 bits at ``d = 2``, where
the dominant interactions come out right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special

from pid.validation import check_whole

#: The latent each single-modality channel reads.
_LATENT = {"R": "zc", "U1": "z1", "U2": "z2"}

#: The four interactions, in the order their channels are drawn.
_TERMS = ("R", "U1", "U2", "S")


@dataclass(frozen=True)
class GenerativeSpec:
    """How one dataset's label is made, and what the thesis lists as its interactions.

    Attributes
    ----------
    formula : str
        The thesis's name for the dataset (Table 3.2); ``z*`` is half of ``z``'s dimensions.
    channels : tuple of (term, portion)
        The label's channels: ``term`` is ``"R"``, ``"U1"``, ``"U2"`` or ``"S"`` and
        ``portion`` is ``"all"``, ``"first"`` or ``"second"`` half of the latent dimensions
        read (``S`` reads the same portion of ``z1`` and of ``z2``).
    dominant : frozenset of str
        The interactions with non-zero ground truth in the Truth row of Table 3.2.
    """

    formula: str
    channels: tuple[tuple[str, str], ...]
    dominant: frozenset[str]


def _spec(formula: str, channels: tuple[tuple[str, str], ...], dominant: str) -> GenerativeSpec:
    return GenerativeSpec(formula, channels, frozenset(dominant.split()))


#: The ten datasets of Table 3.2 by name: four specialized ones and six mixtures, in the
#: thesis's order (``h`` marks a half, the thesis's ``*``). The thesis lists no redundancy for
#: ``z1_z2h_zch`` although its label reads ``zc*``; ours reads ``zc*`` too, so expect some R.
GENERATIVE: dict[str, GenerativeSpec] = {
    "R": _spec("D_R: y = f(zc)", (("R", "all"),), "R"),
    "U1": _spec("D_U1: y = f(z1)", (("U1", "all"),), "U1"),
    "U2": _spec("D_U2: y = f(z2)", (("U2", "all"),), "U2"),
    "S": _spec("D_S: y = f(z1, z2)", (("S", "all"),), "S"),
    "z1h_z2h_zch": _spec("y = f(z1*, z2*, zc*)", (("S", "first"), ("R", "first")), "R S"),
    "z1_z2h_zch": _spec(
        "y = f(z1, z2*, zc*)", (("S", "first"), ("U1", "second"), ("R", "first")), "U1 S"
    ),
    "z1_z2_zch": _spec("y = f(z1, z2, zc*)", (("S", "all"), ("R", "first")), "R S"),
    "z1h_z2h_zc": _spec("y = f(z1*, z2*, zc)", (("S", "first"), ("R", "all")), "R S"),
    "z2h_zch": _spec("y = f(z2*, zc*)", (("U2", "first"), ("R", "first")), "R U2"),
    "z2h_zc": _spec("y = f(z2*, zc)", (("U2", "first"), ("R", "all")), "R U2"),
}


def generative(
    name: str,
    n_samples: int,
    *,
    latent_dim: int = 2,
    dim: int = 32,
    seed: int | None = 0,
    structure_seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples of the latent generative dataset ``name`` (a key of :data:`GENERATIVE`).

    ``latent_dim`` is ``d`` (even, so that it halves), ``dim`` the width of each modality.
    ``structure_seed`` fixes the maps ``W1, W2`` and the label's directions, the same for
    every dataset and split; ``seed`` draws the samples, so two seeds give two splits of one
    dataset. See the module documentation for the construction.

    Returns float arrays ``x1`` and ``x2`` of shape ``(n_samples, dim)`` and binary labels
    ``y`` in ``{0, 1}``.
    """
    _check_sizes(n_samples, latent_dim, dim)
    channels = _named_channels(name, latent_dim, argument="name")
    return _draw(channels, n_samples, latent_dim, dim, seed, structure_seed).samples()


def generative_mixture(
    weights: dict[str, float],
    n_samples: int,
    *,
    latent_dim: int = 2,
    dim: int = 32,
    seed: int | None = 0,
    structure_seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples of a latent generative dataset with any mix of the four interactions.

    The construction of :func:`generative`, with one channel per interaction in ``weights``
    (keys among ``"R"``, ``"U1"``, ``"U2"``, ``"S"``, non-negative values, at least one
    positive), each reading all of its latents; the label is ``y = 1[sum_c w_c g_c > 0]``
    with ``g_c`` the unit-variance channel scores of the module documentation. A larger
    ``w_c`` gives interaction ``c`` a larger share of the label. Channels are read in the
    order R, U1, U2, S, so one ``structure_seed`` fixes the same directions for every mix.
    """
    _check_sizes(n_samples, latent_dim, dim)
    channels = _mixture_channels(weights, argument="weights")
    return _draw(channels, n_samples, latent_dim, dim, seed, structure_seed).samples()


def generative_posteriors(
    dataset: str | Mapping[str, float],
    n_samples: int,
    *,
    latent_dim: int = 2,
    dim: int = 32,
    seed: int | None = 0,
    structure_seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The label's posteriors ``p(y=1|x1)``, ``p(y=1|x2)`` in closed form, with the labels.

    ``dataset`` is a name of :data:`GENERATIVE` (as in :func:`generative`) or a weights dict
    (as in :func:`generative_mixture`); with the same sizes and seeds the samples are those
    that function draws, so ``y`` is its label array.

    ``x1`` determines ``(z1, zc)``, and every channel is linear in the latents ``x1`` does not
    see, ``z2``. Collecting the channels, the label's score is

        score = K1 + v1^T z2,

    where ``K1`` sums the channels that read no ``z2`` (R and U1), and ``v1`` sums, placed on
    the dimensions each reads, ``w_c b`` for a U2 channel and ``w_c <a, z1_part> b`` for an
    S channel (``b`` its ``z2`` direction). As ``z2 ~ N(0, I)`` is independent of
    ``(z1, zc)``, ``v1^T z2 ~ N(0, ||v1||^2)`` given ``x1``, and

        p(y=1|x1) = Phi(K1 / ||v1||),   or 1[K1 > 0] where v1 = 0,

    with ``Phi`` the standard normal distribution function; ``p(y=1|x2)`` likewise with the
    roles of ``z1`` and ``z2`` exchanged. Several channels reading the same unseen latent
    (a U2 and an S channel over all of ``z2``) add up in ``v1``.

    Returns float arrays ``p1 = p(y=1|x1)`` and ``p2 = p(y=1|x2)`` of shape ``(n_samples,)``
    and the labels ``y`` in ``{0, 1}``.
    """
    _check_sizes(n_samples, latent_dim, dim)
    channels = _dataset_channels(dataset, latent_dim)
    draw = _draw(channels, n_samples, latent_dim, dim, seed, structure_seed)
    return draw.posterior(seen="z1"), draw.posterior(seen="z2"), draw.label()


def _dataset_channels(dataset: str | Mapping[str, float], latent_dim: int) -> list[_Channel]:
    """The channels of a dataset given by name or by mixture weights."""
    if isinstance(dataset, str):
        return _named_channels(dataset, latent_dim, argument="dataset")
    if isinstance(dataset, Mapping):
        return _mixture_channels(dataset, argument="dataset")
    raise ValueError(
        f"dataset must be a name of GENERATIVE or a weights dict as in generative_mixture, "
        f"got {type(dataset).__name__}."
    )


@dataclass(frozen=True)
class _Channel:
    """One term of the label's score: ``weight`` times the product of the projections of
    ``latents``, restricted to the dimensions ``portion``, on the channel's unit directions
    (``_Draw.directions``)."""

    latents: tuple[str, ...]
    portion: slice
    weight: float


def _channel(term: str, portion: slice, weight: float) -> _Channel:
    return _Channel(("z1", "z2") if term == "S" else (_LATENT[term],), portion, weight)


def _named_channels(name: str, latent_dim: int, *, argument: str) -> list[_Channel]:
    if name not in GENERATIVE:
        raise ValueError(f"{argument} {name!r} is unknown; choose one of {', '.join(GENERATIVE)}.")
    half = latent_dim // 2
    portions = {"all": slice(None), "first": slice(None, half), "second": slice(half, None)}
    channels = []
    for term, portion in GENERATIVE[name].channels:
        width = (2 if term == "S" else 1) * len(range(latent_dim)[portions[portion]])
        channels.append(_channel(term, portions[portion], float(np.sqrt(width))))
    return channels


def _mixture_channels(weights: Mapping[str, float], *, argument: str) -> list[_Channel]:
    unknown = sorted(set(weights) - set(_TERMS))
    if unknown:
        raise ValueError(
            f"{argument} has unknown interaction(s) {unknown}; use keys among {', '.join(_TERMS)}."
        )
    values = [float(weights.get(term, 0.0)) for term in _TERMS]
    if any(not np.isfinite(v) or v < 0 for v in values) or not any(values):
        raise ValueError(
            f"{argument} must be finite and non-negative with at least one positive, "
            f"got {dict(weights)}."
        )
    return [_channel(t, slice(None), w) for t, w in zip(_TERMS, values, strict=True) if w > 0]


def _check_sizes(n_samples: int, latent_dim: int, dim: int) -> None:
    check_whole(n_samples, "n_samples", 1)
    check_whole(dim, "dim", 1)
    if check_whole(latent_dim, "latent_dim", 2) % 2:
        raise ValueError(f"latent_dim is {latent_dim}; pass an even whole number of at least 2.")
    if dim < 2 * latent_dim:
        raise ValueError(
            f"dim={dim} is below 2 * latent_dim = {2 * latent_dim}, so x1 and x2 would lose "
            f"latent information; pass dim >= {2 * latent_dim}."
        )


@dataclass(frozen=True, eq=False)
class _Draw:
    """One draw of a dataset: its fixed structure and its latent samples.

    ``maps`` holds ``W1, W2``; ``directions[c]`` the unit vectors of channel ``c``, one per
    latent it reads; ``z`` the latents ``z1, z2, zc`` of shape ``(n_samples, latent_dim)``.
    """

    channels: list[_Channel]
    maps: tuple[np.ndarray, np.ndarray]
    directions: list[dict[str, np.ndarray]]
    z: dict[str, np.ndarray]

    def samples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``x1 = tanh([z1, zc] W1)``, ``x2 = tanh([z2, zc] W2)`` and the label."""
        x1, x2 = (
            np.tanh(np.concatenate([self.z[own], self.z["zc"]], axis=1) @ w)
            for own, w in zip(("z1", "z2"), self.maps, strict=True)
        )
        return x1, x2, self.label()

    def label(self) -> np.ndarray:
        """``y = 1[sum_c w_c prod_k <d_ck, z_k,part>  > 0]``."""
        score = np.zeros(len(self.z["zc"]))
        for channel, projections in zip(self.channels, self._projections(), strict=True):
            score += channel.weight * np.prod(list(projections.values()), axis=0)
        return (score > 0).astype(np.int64)

    def posterior(self, seen: str) -> np.ndarray:
        """``p(y=1 | x)`` for the modality that sees ``seen`` (``"z1"`` or ``"z2"``) and
        ``zc``: ``Phi(K / ||v||)``, see :func:`generative_posteriors`."""
        hidden = "z2" if seen == "z1" else "z1"
        n_samples, latent_dim = self.z[hidden].shape
        known = np.zeros(n_samples)
        coefficients = np.zeros((n_samples, latent_dim))
        for channel, directions, projections in zip(
            self.channels, self.directions, self._projections(), strict=True
        ):
            factor = channel.weight * np.prod(
                [p for k, p in projections.items() if k != hidden], axis=0
            )
            if hidden in projections:
                coefficients[:, channel.portion] += np.multiply.outer(factor, directions[hidden])
            else:
                known += factor
        spread = np.linalg.norm(coefficients, axis=1)
        hidden_part = spread > 0
        ratio = known / np.where(hidden_part, spread, 1.0)
        return np.where(hidden_part, special.ndtr(ratio), (known > 0).astype(float))

    def _projections(self) -> list[dict[str, np.ndarray]]:
        """Each channel's ``<d_ck, z_k,part>``, by latent ``k``."""
        return [
            {k: self.z[k][:, channel.portion] @ d for k, d in directions.items()}
            for channel, directions in zip(self.channels, self.directions, strict=True)
        ]


def _draw(
    channels: list[_Channel],
    n_samples: int,
    latent_dim: int,
    dim: int,
    seed: int | None,
    structure_seed: int,
) -> _Draw:
    """Draw the structure from ``structure_seed`` (``W1``, ``W2``, then each channel's
    directions in order) and the latents ``z1, z2, zc`` from ``seed``, of sizes checked by
    :func:`_check_sizes`."""
    structure = np.random.default_rng(structure_seed)
    scale = 1.0 / np.sqrt(2 * latent_dim)
    maps = tuple(structure.normal(scale=scale, size=(2 * latent_dim, dim)) for _ in range(2))
    directions = [
        {k: _unit(structure, len(range(latent_dim)[c.portion])) for k in c.latents}
        for c in channels
    ]
    rng = np.random.default_rng(seed)
    z = {k: rng.standard_normal((n_samples, latent_dim)) for k in ("z1", "z2", "zc")}
    return _Draw(channels, maps, directions, z)


def _unit(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random direction in ``R^size``."""
    v = rng.standard_normal(size)
    return v / np.linalg.norm(v)
