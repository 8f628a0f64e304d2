"""The fusion model zoo of thesis Table 3.4 and its trainer (needs torch).

``MODELS`` maps the ten family names to their classes; :func:`build_model` makes one and
:func:`train_model` trains it with early stopping. :mod:`pid.models.zoo` trains several on one
dataset and measures the interactions each captures. :class:`HighMMT` takes M modalities with
parameters shared by groups; :func:`fit_model` trains any built model.
"""

from pid.models.fusion import MODELS, FusionModel, build_model, check_model_names
from pid.models.highmmt import HighMMT
from pid.models.trainer import (
    MIN_SAMPLES,
    TrainConfig,
    TrainedModel,
    fit_model,
    split_indices,
    train_model,
)

__all__ = [
    "MIN_SAMPLES",
    "MODELS",
    "FusionModel",
    "HighMMT",
    "TrainConfig",
    "TrainedModel",
    "build_model",
    "check_model_names",
    "fit_model",
    "split_indices",
    "train_model",
]
