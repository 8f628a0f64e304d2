"""The result of a partial information decomposition."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from pid.schema import BITS_LIMIT, Checker, JSONLimits, describe, parse_json

if TYPE_CHECKING:
    from pid.distribution import Distribution

#: Version of the JSON layout written by :meth:`PIDResult.to_json` (version 1, without
#: ``sampling``, is read too).
SCHEMA_VERSION = 2
#: What to do about a result that cannot be read.
REGENERATE = "regenerate the result with this version of pid"

#: The four PID terms, in the order every table and array of the toolkit uses.
TERMS = ("R", "U1", "U2", "S")


def json_ready(value: Any) -> Any:
    """``value`` (nested dicts, lists and tuples) with numpy scalars and arrays as Python
    numbers and lists, and every NaN or infinite number as None: JSON has no NaN, so that
    ``json.dumps`` of it is valid JSON."""
    if isinstance(value, np.generic | np.ndarray):
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = [json_ready(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def normalized_pid(terms: dict[str, float]) -> dict[str, float]:
    """``I_hat = I / (R + U1 + U2 + S)`` for each term (thesis Eq. 3.6), negative values read
    as 0; all 0 when the total is 0."""
    clipped = {t: max(float(terms[t]), 0.0) for t in TERMS}
    total = sum(clipped.values())
    return {t: (value / total if total > 0 else 0.0) for t, value in clipped.items()}


@dataclass(frozen=True)
class PIDResult:
    """Redundancy, uniqueness and synergy of two modalities about a task, in bits.

    ``R + U1 = I(X1;Y)``, ``R + U2 = I(X2;Y)`` and ``R + U1 + U2 + S = I(X1,X2;Y)``
    (thesis Eqs. 3.1 to 3.3). ``U1`` always belongs to the first modality passed in. The
    terms of a distribution are non-negative; those estimated from samples are corrected for
    sampling bias and can dip below zero by their sampling error (``sampling`` says by how
    much they moved, and whether each stands out from a null model).

    Attributes
    ----------
    R, U1, U2, S : float
        Redundancy, unique information of X1, unique information of X2, synergy.
    mi_x1_y, mi_x2_y, mi_x1x2_y : float
        ``I(X1;Y)``, ``I(X2;Y)`` and ``I(X1,X2;Y)`` of the input distribution.
    estimator : str
        The estimator that produced the numbers (``"cvx"``, ``"imin"``, ...).
    diagnostics : dict
        Estimator-specific facts: solver and status, largest marginal residual, solve time.
    provenance : dict
        Where the input came from: alphabet sizes, sample count and so on.
    sampling : dict
        For estimates from samples (:meth:`pid.sampling.SampledPID.to_dict`): the correction,
        the plug-in values and the bias removed, the null model, intervals and warnings;
        empty for a distribution.
    """

    R: float
    U1: float
    U2: float
    S: float
    mi_x1_y: float
    mi_x2_y: float
    mi_x1x2_y: float
    estimator: str
    diagnostics: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    sampling: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_redundancy(
        cls,
        dist: Distribution,
        redundancy: float,
        estimator: str,
        diagnostics: dict[str, Any] | None = None,
    ) -> PIDResult:
        """The PID a redundancy value implies on the bivariate lattice.

        ``U1 = I(X1;Y) - R``, ``U2 = I(X2;Y) - R`` and ``S = I(X1,X2;Y) - R - U1 - U2``
        (thesis Eqs. 3.1 to 3.3; Williams and Beer's consistency equations). Every measure of
        the toolkit is non-negative in exact arithmetic; what falls below zero is rounding in
        the differences (a few 1e-16 bits), and is set to zero.
        """
        mi1, mi2, mi12 = dist.mi_x1_y, dist.mi_x2_y, dist.mi_x1x2_y
        terms = {
            "R": redundancy,
            "U1": mi1 - redundancy,
            "U2": mi2 - redundancy,
            "S": mi12 - mi1 - mi2 + redundancy,
        }
        n1, n2, ny = dist.shape
        return cls(
            **{name: max(value, 0.0) for name, value in terms.items()},
            mi_x1_y=mi1,
            mi_x2_y=mi2,
            mi_x1x2_y=mi12,
            estimator=estimator,
            diagnostics=diagnostics or {},
            provenance={
                "alphabet_sizes": {"x1": n1, "x2": n2, "y": ny},
                "n_samples": dist.n_samples,
            },
        )

    @property
    def total(self) -> float:
        """``R + U1 + U2 + S``, which equals ``I(X1,X2;Y)``."""
        return self.R + self.U1 + self.U2 + self.S

    def terms(self) -> dict[str, float]:
        """``{"R": R, "U1": U1, "U2": U2, "S": S}``."""
        return {name: getattr(self, name) for name in TERMS}

    def shares(self) -> dict[str, float]:
        """Each term's share of the sum of the terms, negative terms read as 0
        (:func:`normalized_pid`)."""
        return normalized_pid(self.terms())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (:func:`json_ready`: None where a figure is NaN, such as
        the null model's without permutations), tagged with the schema version and the unit."""
        return json_ready({"schema_version": SCHEMA_VERSION, "units": "bits", **asdict(self)})

    def to_json(self, indent: int | None = 2) -> str:
        """Serialize to a JSON string; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any, source: str = "data") -> PIDResult:
        """Rebuild a result from :meth:`to_dict` output, checking each field: the four terms
        and three informations finite numbers of bits within :data:`~pid.schema.BITS_LIMIT`,
        the estimator a string, ``diagnostics``, ``provenance`` and ``sampling`` objects; a
        wrong or unknown field is refused with one sentence naming ``source`` and it."""
        checker = Checker(source, REGENERATE)
        data = checker.record(data)
        version = data.get("schema_version")
        if isinstance(version, bool) or version not in (1, SCHEMA_VERSION):
            raise ValueError(
                f"{source} has schema_version {describe(version)}, but this version of pid "
                f"reads {SCHEMA_VERSION}; {REGENERATE}."
            )
        names = [f.name for f in fields(cls)]
        unknown = [key for key in data if key not in (*names, "schema_version", "units")]
        if unknown:
            checker.fail(str(unknown[0]), "is no field of a PID result")
        if data.get("units", "bits") != "bits":
            checker.fail("units", f"is {describe(data['units'])}, but the terms are read in bits")
        for name in (*TERMS, "mi_x1_y", "mi_x2_y", "mi_x1x2_y"):
            checker.number(data, name, low=-BITS_LIMIT, high=BITS_LIMIT, unit=" bits")
        checker.text(data, "estimator")
        for name in ("diagnostics", "provenance", "sampling"):
            if name in data:
                checker.mapping(data, name)
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def from_json(cls, text: str, limits: JSONLimits | None = None) -> PIDResult:
        """Rebuild a result from :meth:`to_json` output, read within ``limits`` (size, nesting,
        integers; :class:`~pid.schema.JSONLimits`) and checked by :meth:`from_dict`."""
        data = parse_json(text, source="text", remedy=REGENERATE, limits=limits)
        return cls.from_dict(data, "text")

    def __str__(self) -> str:
        return (
            f"PID ({self.estimator}, bits): R={self.R:.6f} U1={self.U1:.6f} "
            f"U2={self.U2:.6f} S={self.S:.6f} | I(X1,X2;Y)={self.mi_x1x2_y:.6f}"
        )
