"""What each learned representation holds: information probes and augmentation effects.

:func:`probe` estimates ``I(Z; t)`` for every representation ``Z`` of a trained model
(``Z_S1, Z_U1, Z_S2, Z_U2`` or ``Z_1, Z_2``) against each target ``t``: generating latents
(continuous) or labels (discrete), on a held-out split, as a :class:`ProbeReport` with a
table and a figure. :func:`augmentation_effect` measures what an augmentation keeps of each
modality's shared and unique parts, so an augmentation that destroys unique information is
seen before training on it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from pid.factorcl.augment import augment, shared_fraction, unique_augment
from pid.factorcl.evaluate import latent_information, logistic_probe, ridge_predict
from pid.factorcl.training import ContrastiveModel, uses_views
from pid.validation import check_between

#: Share of a part's variance an augmented view must keep not to be reported as destroyed.
KEPT_ENOUGH = 0.5


@dataclass
class ProbeReport:
    """``information[r, t]``: bits about target ``targets[t]`` in representation
    ``representations[r]``, each a held-out lower bound (:func:`probe`); ``kinds[t]`` is
    ``"latent"`` or ``"label"``; ``augmentation`` the :func:`augmentation_effect` of a model
    trained on augmented views (:func:`~pid.factorcl.training.uses_views`: FactorCL and OurCL,
    supervised or not, and Cross+Self; empty otherwise)."""

    method: str
    representations: tuple[str, ...]
    targets: tuple[str, ...]
    kinds: tuple[str, ...]
    information: np.ndarray
    train_samples: int
    test_samples: int
    augmentation: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON: the table by representation and target."""
        return {
            "method": self.method,
            "train_samples": self.train_samples,
            "test_samples": self.test_samples,
            "targets": dict(zip(self.targets, self.kinds, strict=True)),
            "information_bits": {
                name: dict(zip(self.targets, map(float, row), strict=True))
                for name, row in zip(self.representations, self.information, strict=True)
            },
            "augmentation": self.augmentation,
        }

    def to_markdown(self) -> str:
        """The table (bits), and the augmentation's kept shares with a warning where one
        falls under :data:`KEPT_ENOUGH`."""
        lines = [
            f"# What the representations of {self.method} hold",
            "",
            f"Lower bounds on I(Z; target) in bits, fitted on {self.train_samples} samples and "
            f"read on {self.test_samples} held-out ones.",
            "",
            "|Z|" + "|".join(f"I(Z; {t})" for t in self.targets) + "|",
            "|---" * (len(self.targets) + 1) + "|",
        ]
        for name, row in zip(self.representations, self.information, strict=True):
            lines.append(f"|{_label(name)}|" + "|".join(f"{v:.2f}" for v in row) + "|")
        if self.augmentation:
            lines += [
                "",
                "Share of each modality's parts its augmented view keeps (linear R^2):",
                "",
                "|modality|shared part|unique part|",
                "|---|---|---|",
            ]
            for modality, kept in self.augmentation.items():
                lines.append(f"|{modality}|{kept['shared']:.2f}|{kept['unique']:.2f}|")
            lines += ["", *augmentation_warnings(self.augmentation)]
        return "\n".join(lines).rstrip() + "\n"

    def figure_png(self) -> bytes:
        """Grouped bars: for each target, the bits each representation holds."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(self.targets), 3.6))
        width = 0.8 / len(self.representations)
        positions = np.arange(len(self.targets))
        for r, name in enumerate(self.representations):
            offsets = positions + (r - (len(self.representations) - 1) / 2) * width
            ax.bar(offsets, self.information[r], width, label=_label(name))
        ax.set_xticks(positions, [f"I(Z; {t})" for t in self.targets])
        ax.set_ylabel("bits (held-out lower bound)")
        ax.set_title(f"What each representation of {self.method} holds")
        ax.legend(fontsize=8)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=120)
        plt.close(fig)
        return buffer.getvalue()


def probe(
    model: ContrastiveModel,
    x1: ArrayLike,
    x2: ArrayLike,
    targets: dict[str, ArrayLike],
    *,
    test_fraction: float = 0.3,
    seed: int = 0,
) -> ProbeReport:
    """``I(Z; t)`` in bits for each representation of ``model`` and each target, held out.

    The samples are split once (``test_fraction`` held out, ``seed``); every probe is fitted
    on the rest. A target of integers is a label, ``t = y``: the bound is
    ``I(Z; Y) >= H(Y) - CE``, with ``CE`` the held-out cross-entropy of a logistic regression
    on ``Z`` (bits) and ``H(Y)`` the held-out labels' entropy; any predictor's cross-entropy
    bounds ``H(Y | Z)`` from above. A target of floats is a latent vector ``w``:
    :func:`~pid.factorcl.evaluate.latent_information`, ``(1/2) log2(det Sigma_w / det
    Sigma_e)`` of a linear probe's residuals, a lower bound for Gaussian ``w`` (thesis Table
    4.1). Both are clipped at 0, and both are bounds in expectation: the held-out mean carries
    a sampling error (for labels about ``sd(log2 q(y | z)) / sqrt(n_test)``, 0.02 bits for a
    binary label on 1,200 samples). Models trained on augmented views
    (:func:`~pid.factorcl.training.uses_views`: FactorCL and OurCL, supervised or
    self-supervised, and Cross+Self) also get :func:`augmentation_effect` of their
    augmentation settings: the unique augmentation of ``x2`` for the self-supervised FactorCL
    and OurCL, :func:`~pid.factorcl.augment.augment` of both modalities for the others.
    """
    a, b = np.asarray(x1), np.asarray(x2)
    n = len(a)
    if not targets:
        raise ValueError("targets is empty; pass labels or latents to probe against.")
    checked = {name: _target(name, value, n) for name, value in targets.items()}
    check_between(test_fraction, "test_fraction (--test-fraction)", 0, 1)
    order = np.random.default_rng(seed).permutation(n)
    n_test = round(n * test_fraction)
    if n_test < 10 or n - n_test < 10:
        raise ValueError(
            f"{n} samples leave fewer than 10 for fitting or reading the probes; pass more "
            "samples or another test_fraction."
        )
    test, fit = order[:n_test], order[n_test:]
    codes = model.encode(a, b)
    kinds = tuple("label" if value.dtype.kind in "iub" else "latent" for value in checked.values())
    information = np.array(
        [
            [
                _information(codes[name][fit], t[fit], codes[name][test], t[test], kind)
                for t, kind in zip(checked.values(), kinds, strict=True)
            ]
            for name in model.names
        ]
    )
    augmentation = {}
    if uses_views(model.method):
        augmentation = augmentation_effect(
            a,
            b,
            mask_prob=model.config["mask_prob"],
            noise=model.config["noise"],
            unique=model.method.endswith("-ssl"),
            seed=seed,
        )
    return ProbeReport(
        method=model.method,
        representations=model.names,
        targets=tuple(checked),
        kinds=kinds,
        information=information,
        train_samples=len(fit),
        test_samples=len(test),
        augmentation=augmentation,
    )


def augmentation_effect(
    x1: ArrayLike,
    x2: ArrayLike,
    *,
    mask_prob: float = 0.3,
    noise: float = 0.1,
    unique: bool = True,
    ridge: float = 1e-3,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Share of each modality's shared and unique parts that its augmented view keeps.

    Each modality, vectors ``(n, d)`` or sequences ``(n, T, d)``, is standardized per feature
    (per channel of a sequence, as training does) and augmented as in training: sequences
    lose whole time steps (:func:`~pid.factorcl.augment.augment`) or whole channels
    (:func:`~pid.factorcl.augment.unique_augment`). Flattened to one row per sample, it is
    split linearly into the part the other modality predicts (ridge regression,
    ``P_1 = E_lin[x1 | x2]``) and the rest (``U_1 = x1 - P_1``); each part is then regressed
    on the flattened view ``x1' = augment(x1)`` (and ``x2' = unique_augment(x2 | x1)`` with
    ``unique``, else ``augment(x2)``), and the kept
    share is the held-out ``R^2 = 1 - sum (part - fit)^2 / sum (part - mean)^2`` over the
    part's features, divided by the same ``R^2`` from the unaugmented modality. 1 means the
    view keeps the part, 0 that it destroys it (Eqs. 4.17, 4.18 ask that the unique
    augmentation keep the shared part). Returns ``{"x1": {"shared": ..., "unique": ...},
    "x2": {...}}``; a linear split, so nonlinearly shared content counts as unique.
    """
    a, b = (
        _standardized(np.asarray(x, dtype=np.float64), name) for x, name in ((x1, "x1"), (x2, "x2"))
    )
    n = len(a)
    half = n // 2
    generator = torch.Generator().manual_seed(seed)
    t1, t2 = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
    a, b = a.reshape(n, -1), b.reshape(n, -1)
    strength = {"mask_prob": mask_prob, "noise": noise, "generator": generator}
    view1 = augment(t1, **strength).view
    if unique:
        view2 = unique_augment(t2, shared_fraction(t2, t1), **strength).view
    else:
        view2 = augment(t2, **strength).view
    out = {}
    for name, x, other, view in (("x1", a, b, view1), ("x2", b, a, view2)):
        predicted = ridge_predict(other[:half], x[:half], other, ridge)
        parts = {"shared": predicted, "unique": x - predicted}
        flat_view = view.reshape(n, -1).double().numpy()
        out[name] = {
            part: _kept_share(flat_view, x, values, half, ridge) for part, values in parts.items()
        }
    return out


def augmentation_warnings(effect: dict[str, dict[str, float]]) -> list[str]:
    """One sentence for each modality whose view keeps under :data:`KEPT_ENOUGH` of a part."""
    sentences = []
    for modality, kept in effect.items():
        if kept["unique"] < KEPT_ENOUGH:
            sentences.append(
                f"The augmentation destroys most of {modality}'s unique part (keeps "
                f"{kept['unique']:.0%}): its unique representation cannot learn it; lower "
                "mask_prob or noise."
            )
        if kept["shared"] < KEPT_ENOUGH:
            sentences.append(
                f"The augmentation destroys most of {modality}'s shared part (keeps "
                f"{kept['shared']:.0%}); lower mask_prob or noise."
            )
    return sentences


def _information(
    train_z: np.ndarray, train_t: np.ndarray, test_z: np.ndarray, test_t: np.ndarray, kind: str
) -> float:
    if kind == "latent":
        return latent_information(train_z, train_t, test_z, test_t)
    counts = np.unique(test_t, return_counts=True)[1]
    entropy = -float(np.sum(counts / counts.sum() * np.log2(counts / counts.sum())))
    if len(np.unique(train_t)) < 2:
        return 0.0
    model = logistic_probe()
    model.fit(train_z, train_t)
    proba = model.predict_proba(test_z)
    column = {c: k for k, c in enumerate(model.classes_)}
    picked = np.array([proba[i, column[t]] if t in column else 0.0 for i, t in enumerate(test_t)])
    cross_entropy = -float(np.mean(np.log2(np.clip(picked, 1e-12, 1.0))))
    return max(entropy - cross_entropy, 0.0)


def _target(name: str, value: ArrayLike, n: int) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim == 0 or len(array) != n:
        raise ValueError(
            f"target {name!r} has shape {array.shape}; pass one value (or vector) per sample ({n})."
        )
    if array.dtype.kind not in "iufb":
        raise ValueError(f"target {name!r} holds {array.dtype} values; pass numbers.")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"target {name!r} holds NaN or infinite values; drop those samples.")
    if array.dtype.kind != "f" and array.size != n:
        raise ValueError(
            f"target {name!r} holds whole numbers of shape {array.shape}, but labels are one "
            "value per sample; pass a latent of several columns as floats."
        )
    return array.reshape(n, -1) if array.dtype.kind == "f" else array.reshape(n)


def _standardized(x: np.ndarray, name: str) -> np.ndarray:
    """``x`` standardized per feature, or per channel over samples and time steps for
    sequences ``(n, T, d)``, in its own shape (a 1-D ``x`` as one feature, ``(n, 1)``)."""
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim not in (2, 3):
        raise ValueError(f"{name} has shape {x.shape}; pass vectors (n, d) or sequences (n, T, d).")
    rows = x.reshape(-1, x.shape[-1])
    std = rows.std(axis=0)
    return (x - rows.mean(axis=0)) / np.where(std > 0, std, 1.0)


def _kept_share(
    view: np.ndarray, x: np.ndarray, part: np.ndarray, half: int, ridge: float
) -> float:
    """Held-out ``R^2`` of ``part`` from the view over its ``R^2`` from ``x`` itself, in [0, 1]."""
    from_x = _held_out_r2(x, part, half, ridge)
    if from_x <= 0:
        return 1.0
    return min(max(_held_out_r2(view, part, half, ridge) / from_x, 0.0), 1.0)


def _held_out_r2(inputs: np.ndarray, part: np.ndarray, half: int, ridge: float) -> float:
    fitted = ridge_predict(inputs[:half], part[:half], inputs[half:], ridge)
    held = part[half:]
    total = float(np.sum((held - held.mean(axis=0)) ** 2))
    if total <= 0 or not math.isfinite(total):
        return 1.0
    return max(1.0 - float(np.sum((held - fitted) ** 2)) / total, 0.0)


def _label(name: str) -> str:
    return {"s1": "Z_S1", "u1": "Z_U1", "s2": "Z_S2", "u2": "Z_U2", "z1": "Z_1", "z2": "Z_2"}[name]
