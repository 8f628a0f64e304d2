"""The reference bank: the zoo trained on synthetic datasets spanning the interaction simplex.

The bank holds the ten datasets of thesis Table 3.2 and mixtures of the four interactions
(:func:`pid.datasets.generative_mixture`), all with ``structure_seed = 0``; for each, its PID
and normalized PID and every zoo model's accuracy, model PID and agreement
(:func:`pid.models.zoo.train_zoo`). :func:`pid.selection.select` reads it.
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict
from typing import Any

import numpy as np

from pid.api import decompose
from pid.backend import resolve_device
from pid.datasets import GENERATIVE, generative, generative_mixture, generative_pid
from pid.models.fusion import MODELS
from pid.models.trainer import TrainConfig
from pid.models.zoo import train_zoo
from pid.result import PIDResult, normalized_pid
from pid.selection import BANK_KIND, BANK_SCHEMA_VERSION
from pid.sweep import SweepOptions, run_sweep
from pid.version import __version__

#: Mixtures added to Table 3.2's datasets: weights of the R, U1, U2 and S channels.
MIXTURES: tuple[dict[str, float], ...] = (
    {"R": 1, "U1": 1},
    {"R": 1, "U2": 1},
    {"U1": 1, "U2": 1},
    {"R": 1, "S": 1},
    {"U1": 1, "S": 1},
    {"U2": 1, "S": 1},
    {"R": 2, "S": 1},
    {"R": 1, "S": 2},
    {"U1": 2, "S": 1},
    {"U1": 1, "S": 2},
    {"R": 1, "U1": 1, "U2": 1},
    {"R": 1, "U1": 1, "S": 1},
    {"U1": 1, "U2": 1, "S": 1},
    {"R": 1, "U1": 1, "U2": 1, "S": 1},
)


def mixture_name(weights: dict[str, float]) -> str:
    """A short name for a mixture, e.g. ``"2S+R"`` for ``{"R": 1, "S": 2}``."""
    parts = [
        f"{w:g}{t}" if w != 1 else t for t, w in sorted(weights.items(), key=lambda kv: -kv[1])
    ]
    return "+".join(parts)


def reference_recipes() -> list[dict[str, Any]]:
    """How each reference dataset is generated: ``{"name", "generator", ...arguments}``."""
    recipes: list[dict[str, Any]] = [
        {"name": name, "generator": "generative", "dataset": name} for name in GENERATIVE
    ]
    recipes += [
        {"name": mixture_name(w), "generator": "generative_mixture", "weights": dict(w)}
        for w in MIXTURES
    ]
    return recipes


def make_dataset(
    recipe: dict[str, Any], n_samples: int, *, seed: int = 0, structure_seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples of a recipe from :func:`reference_recipes` (or any recipe of that form)."""
    if recipe["generator"] == "generative":
        return generative(recipe["dataset"], n_samples, seed=seed, structure_seed=structure_seed)
    return generative_mixture(
        recipe["weights"], n_samples, seed=seed, structure_seed=structure_seed
    )


def _reference_entry(
    recipe: dict[str, Any],
    seed: int,
    n_samples: int,
    models: list[str] | None,
    config: TrainConfig,
    construction: PIDResult,
    threads: int,
) -> dict[str, Any]:
    """One reference dataset drawn with ``seed``: its measured PID beside its construction and
    what the zoo reached on it (a sweep's job)."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    x1, x2, y = make_dataset(recipe, n_samples, seed=seed)
    zoo = train_zoo(x1, x2, y, models=models, config=config)
    measured = decompose(x1, x2, y)
    terms, exact = measured.terms(), construction.terms()
    return {
        "name": f"{recipe['name']} (seed {seed})",
        "recipe": {k: v for k, v in recipe.items() if k != "name"},
        "seed": seed,
        "pid": terms,
        "shares": normalized_pid(terms),
        "information": measured.mi_x1x2_y,
        "construction": {"pid": exact, "information": construction.mi_x1x2_y},
        "construction_error_bits": max(abs(terms[t] - exact[t]) for t in terms),
        "zoo_codes_pid": zoo.dataset_pid.terms(),
        # The model of highest test accuracy, which the shares of pid.selection.select divide
        # by (pid.selection.load_reference); ZooResult.best chooses on validation instead.
        "best_model": max(zoo.models, key=lambda name: zoo.models[name]["accuracy"]),
        "models": {
            name: {k: r[k] for k in ("accuracy", "pid", "agreement", "epochs")}
            for name, r in zoo.models.items()
        },
    }


def construction_pid(recipe: dict[str, Any]) -> PIDResult:
    """The exact PID a recipe of :func:`reference_recipes` is built with:
    :func:`pid.datasets.generative_pid` of its dataset or weights (200,000 draws of the exact
    posteriors, 64 bins a modality; within 0.003 bits of a million draws and 256 bins)."""
    spec = recipe["dataset"] if recipe["generator"] == "generative" else recipe["weights"]
    return generative_pid(spec, n_samples=200_000, bins=64)


def build_reference(
    *,
    n_samples: int = 3000,
    config: TrainConfig | None = None,
    recipes: list[dict[str, Any]] | None = None,
    models: list[str] | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    progress: bool = False,
    sweep: SweepOptions | None = None,
) -> dict[str, Any]:
    """Train the zoo on every reference dataset and return the bank (a JSON-ready dict).

    Each recipe is drawn once per sample seed of ``seeds`` (``n_samples`` samples each, named
    ``"NAME (seed S)"``), split 60/20/20; see :func:`pid.models.zoo.train_zoo`. Its ``pid``
    and ``shares``, which :func:`pid.selection.select` matches a report against, are those of
    :func:`pid.decompose`'s default on the samples (bias-corrected, as ``pid compute`` reports
    them); ``construction`` holds the exact PID it is built with (:func:`construction_pid`)
    and ``construction_error_bits`` the largest term difference; ``zoo_codes_pid`` the plug-in
    PID of the codes the zoo's model PIDs and agreements are measured on. ``progress`` shows a
    bar over datasets. The draws run where ``sweep`` says (:func:`pid.sweep.run_sweep`; by
    default one after the other in this process), each with this process's number of torch
    threads, giving the same bank wherever they run.
    """
    import sklearn
    import torch
    from tqdm.auto import tqdm

    config = config or TrainConfig()
    recipes = reference_recipes() if recipes is None else recipes
    start = time.perf_counter()
    draws = [(recipe, seed) for recipe in recipes for seed in seeds]
    constructions = {recipe["name"]: construction_pid(recipe) for recipe in recipes}
    sweep = sweep or SweepOptions()
    jobs = [
        (
            recipe,
            seed,
            n_samples,
            models,
            config,
            constructions[recipe["name"]],
            torch.get_num_threads(),
        )
        for recipe, seed in draws
    ]
    if sweep.serial:
        entries = [
            _reference_entry(*job)
            for job in tqdm(jobs, desc="reference datasets", disable=not progress)
        ]
    else:
        entries = run_sweep(_reference_entry, jobs, sweep)
    seconds = time.perf_counter() - start
    return {
        "schema_version": BANK_SCHEMA_VERSION,
        "kind": BANK_KIND,
        "description": (
            "The fusion zoo trained on synthetic datasets spanning the interaction simplex: "
            "each dataset's bias-corrected PID and normalized PID beside the exact PID it is "
            "built with, and each model's test accuracy, model PID and agreement (thesis Eq. "
            "3.6)."
        ),
        "settings": {
            "n_samples": n_samples,
            "seeds": list(seeds),
            "split": [0.6, 0.2, 0.2],
            "structure_seed": 0,
            "models": list(models or MODELS),
            "train": asdict(config),
        },
        "timing": {
            "seconds": seconds,
            "device": str(resolve_device(config.device)),
            "torch_threads": torch.get_num_threads(),
            "machine": platform.machine(),
        },
        "versions": {
            "pid": __version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,  # its classifiers encode the measured PIDs
        },
        "datasets": entries,
    }
