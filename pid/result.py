"""The result of a partial information decomposition."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: Version of the JSON layout written by :meth:`PIDResult.to_json`.
SCHEMA_VERSION = 1


def json_default(value: Any) -> Any:
    """JSON form of numpy scalars and arrays (``json.dumps(..., default=json_default)``)."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@dataclass(frozen=True)
class PIDResult:
    """Redundancy, uniqueness and synergy of two modalities about a task, in bits.

    ``R + U1 = I(X1;Y)``, ``R + U2 = I(X2;Y)`` and ``R + U1 + U2 + S = I(X1,X2;Y)``
    (thesis Eqs. 3.1 to 3.3). ``U1`` always belongs to the first modality passed in.

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

    @property
    def total(self) -> float:
        """``R + U1 + U2 + S``, which equals ``I(X1,X2;Y)``."""
        return self.R + self.U1 + self.U2 + self.S

    def terms(self) -> dict[str, float]:
        """``{"R": R, "U1": U1, "U2": U2, "S": S}``."""
        return {"R": self.R, "U1": self.U1, "U2": self.U2, "S": self.S}

    def shares(self) -> dict[str, float]:
        """Each term as a fraction of the total information (all zero when it is zero)."""
        total = self.total
        return {k: (v / total if total > 0 else 0.0) for k, v in self.terms().items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary, tagged with the schema version and the unit."""
        return {"schema_version": SCHEMA_VERSION, "units": "bits", **asdict(self)}

    def to_json(self, indent: int | None = 2) -> str:
        """Serialize to a JSON string; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=indent, default=json_default)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PIDResult:
        """Rebuild a result from :meth:`to_dict` output."""
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"data has schema_version {version!r}, but this version of pid reads "
                f"{SCHEMA_VERSION}; regenerate the result with this version."
            )
        fields = {k: v for k, v in data.items() if k not in ("schema_version", "units")}
        return cls(**fields)

    @classmethod
    def from_json(cls, text: str) -> PIDResult:
        """Rebuild a result from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))

    def __str__(self) -> str:
        return (
            f"PID ({self.estimator}, bits): R={self.R:.6f} U1={self.U1:.6f} "
            f"U2={self.U2:.6f} S={self.S:.6f} | I(X1,X2;Y)={self.mi_x1x2_y:.6f}"
        )
