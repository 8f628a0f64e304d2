"""Heterogeneity by transfer, completion from sampled pairs, and the grouped HighMMT model.

Data: :func:`pid.datasets.source_modalities`, modalities that see one of a few sources through
their own invertible maps (widths 8 to 512), the label one bit per source. Prints

1. modality heterogeneity d(X_i; X_j) (thesis Eq. 9.5) on five modalities from three sources
   (widths 8 and 512, 32 and 128, 64), one row per seed: the largest d between modalities of
   one source, the smallest between modalities of different sources, and whether the three
   groups of agglomerative clustering are the sources; with the transferred model's
   projection trained alone (the default) and with every weight fine-tuned;
2. on ten modalities from three sources: the full matrix M_U against its rank-3 completion
   from round(c M) pairs (relative Frobenius error, groups), for several c and sample seeds,
   the pairs drawn at random or measured in rounds (AdaptiveDesign, the entries looked up in
   the full matrix); and one run that measures only the adaptively chosen pairs;
3. the HighMMT-style model on the five-modality data: groups from the measured M_U and M_C
   against one encoder and fusion per modality and pair (none shared) and one for all (all
   shared): parameters and test accuracy over seeds, and grouped minus none-shared.

    python benchmarks/heterogeneity.py [--seeds 10] [--samples 3000] [--model-seeds 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _machine import describe

from pid.datasets import source_modalities
from pid.heterogeneity import (
    AdaptiveDesign,
    complete_distances,
    measure_heterogeneity,
    modality_transfer,
    parameter_groups,
    sample_pairs,
)
from pid.models import TrainConfig, split_indices
from pid.models.highmmt import HighMMT
from pid.models.trainer import fit_model
from pid.models.zoo import mean_interval

FIVE = {"source_of": (0, 0, 1, 1, 2), "widths": (8, 512, 32, 128, 64)}
TEN = {
    "source_of": (0, 1, 2, 0, 1, 2, 0, 1, 2, 0),
    "widths": (8, 512, 16, 256, 32, 128, 384, 64, 24, 192),
}


def first_seen(labels) -> list[int]:
    """Labels renumbered in the order they first appear (as parameter_groups numbers them)."""
    order = {label: k for k, label in enumerate(dict.fromkeys(labels))}
    return [order[label] for label in labels]


def separation(d: np.ndarray, source_of) -> tuple[float, float]:
    """The largest d within a source and the smallest across sources."""
    same = np.equal.outer(source_of, source_of)
    upper = np.triu(np.ones_like(d, dtype=bool), k=1)
    return float(d[same & upper].max()), float(d[~same & upper].min())


def modality_table(n_seeds: int, n_samples: int) -> None:
    print("\n## 1. Modality heterogeneity on five modalities from three sources\n")
    print(
        "Sources {x1 (8 features), x2 (512)}, {x3 (32), x4 (128)}, {x5 (64)}; "
        f"{n_samples} samples, d in bits.\n"
    )
    print(
        "| seed | projection: max d same source | min d other source | closer | groups = "
        "sources | all weights: max d same | min d other | closer | groups = sources | s |"
    )
    print("|---" * 10 + "|")
    sources = first_seen(FIVE["source_of"])
    passed = {"projection": [0, 0], "all": [0, 0]}
    for seed in range(n_seeds):
        xs, y = source_modalities(n_samples, seed=seed, **FIVE)
        cells = []
        start = time.perf_counter()
        for mode in ("projection", "all"):
            config = TrainConfig(seed=seed)
            d = modality_transfer(xs, y, fine_tune=mode, config=config, split_seed=seed).distance
            within, across = separation(d, FIVE["source_of"])
            recovered = parameter_groups(d, 3).tolist() == sources
            passed[mode][0] += within < across
            passed[mode][1] += recovered
            cells += [f"{within:.3f}", f"{across:.3f}", str(within < across), str(recovered)]
        print(f"| {seed} | " + " | ".join(cells) + f" | {time.perf_counter() - start:.0f} |")
    for mode, (closer, recovered) in passed.items():
        print(
            f"\n{mode}: same source closer in {closer} of {n_seeds} seeds; three groups = the "
            f"sources in {recovered} of {n_seeds}"
        )


def observed_pairs(full: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """``full`` where ``pairs`` are measured (and on the diagonal), NaN elsewhere."""
    observed = np.full_like(full, np.nan)
    np.fill_diagonal(observed, 0.0)
    for i, j in pairs:
        observed[i, j] = observed[j, i] = full[i, j]
    return observed


def design_pairs(
    full: np.ndarray, n_pairs: int, seed: int, adaptive: bool
) -> list[tuple[int, int]]:
    """The pairs measured: random, or AdaptiveDesign's rounds with entries from ``full``."""
    if not adaptive:
        return sample_pairs(len(full), n_pairs, seed=seed)
    design = AdaptiveDesign(len(full), n_pairs, seed=seed)
    pairs = design.first()
    while more := design.next(observed_pairs(full, pairs)):
        pairs += more
    return pairs


def completion_table(n_samples: int, n_sample_seeds: int) -> None:
    print("\n## 2. Completion of a ten-modality M_U from O(M) sampled pairs\n")
    xs, y = source_modalities(n_samples, seed=100, **TEN)
    start = time.perf_counter()
    measured = modality_transfer(xs, y, config=TrainConfig(seed=0))
    full = measured.distance
    seconds = time.perf_counter() - start
    sources = first_seen(TEN["source_of"])
    within, across = separation(full, TEN["source_of"])
    print(
        f"Sources {TEN['source_of']}, widths {TEN['widths']}, {n_samples} samples. The full "
        f"matrix took 10 + 90 = 100 models in {seconds:.0f} s; max d within a source {within:.3f}, "
        f"min across {across:.3f} bits; 3 groups = sources: "
        f"{parameter_groups(full, 3).tolist() == sources}.\n"
    )
    print(
        "| c | pairs measured (of 45) | models trained (of 100) | design | relative Frobenius "
        "error: mean | max | samplings within 10% | groups = sources |"
    )
    print("|---|---|---|---|---|---|---|---|")
    count = len(full)
    for c in (2.0, 2.5, 3.0, 4.0):
        n_pairs = round(c * count)
        for adaptive in (False, True):
            errors, recovered = [], 0
            for sample_seed in range(n_sample_seeds):
                pairs = design_pairs(full, n_pairs, sample_seed, adaptive)
                completed = complete_distances(observed_pairs(full, pairs), 3)
                errors.append(np.linalg.norm(completed - full) / np.linalg.norm(full))
                recovered += parameter_groups(completed, 3).tolist() == sources
            print(
                f"| {c:g} | {n_pairs} | {count + 2 * n_pairs} | "
                f"{'adaptive' if adaptive else 'random'} | {np.mean(errors):.3f} | "
                f"{np.max(errors):.3f} | {np.sum(np.array(errors) <= 0.1)} of {n_sample_seeds} | "
                f"{recovered} of {n_sample_seeds} |",
                flush=True,
            )
    sampled = measure_heterogeneity(
        xs,
        y,
        modality_groups=3,
        interactions=False,
        pairs_per_member=3.0,
        config=TrainConfig(seed=0),
    )
    measured_entries = ~np.isnan(sampled.modality.distance)
    same = np.allclose(sampled.modality.distance[measured_entries], full[measured_entries])
    looked_up = ~np.isnan(observed_pairs(full, design_pairs(full, 30, 0, adaptive=True)))
    error = np.linalg.norm(sampled.modality_distance - full) / np.linalg.norm(full)
    print(
        f"\nMeasuring only the adaptively chosen pairs (pairs_per_member=3, sample seed 0, "
        f"{int(np.triu(measured_entries, 1).sum())} pairs, 70 models): "
        f"its entries equal the full run's: {same}; the same pairs as the rounds above: "
        f"{np.array_equal(measured_entries, looked_up)}; "
        f"relative error of its completion {error:.3f}; groups = sources: "
        f"{sampled.modality_groups.tolist() == sources}"
    )


def model_table(n_seeds: int, n_samples: int, n_measure: int) -> None:
    print("\n## 3. The HighMMT-style model on the five-modality data\n")
    print(
        f"{n_samples} samples (60/20/20 split per seed); the groups come from M_U and M_C "
        f"measured in full on the first {n_measure} samples, cut into 3 encoder groups and "
        "3 or 5 fusion groups. Adam, learning rate 1e-3, hidden width 32, early stopping "
        "(patience 20).\n"
    )
    variants = ("none shared", "grouped 3+5", "grouped 3+3", "all shared")
    accuracy: dict[str, list[float]] = {v: [] for v in variants}
    sizes: dict[str, list[int]] = {v: [] for v in variants}
    print("| seed | encoder groups | fusion groups (5) | " + " | ".join(variants) + " | s |")
    print("|---" * (len(variants) + 4) + "|")
    for seed in range(n_seeds):
        start = time.perf_counter()
        xs, y = source_modalities(n_samples, seed=seed, **FIVE)
        measured = measure_heterogeneity(
            [x[:n_measure] for x in xs],
            y[:n_measure],
            modality_groups=3,
            interaction_groups=5,
            config=TrainConfig(seed=seed),
            split_seed=seed,
        )
        pair_distance = measured.interaction_distance
        groupings = {
            "none shared": ("none", "none"),
            "grouped 3+5": (measured.modality_groups, measured.interaction_groups),
            "grouped 3+3": (measured.modality_groups, parameter_groups(pair_distance, 3)),
            "all shared": ("all", "all"),
        }
        split = split_indices(n_samples, seed=seed)
        config = TrainConfig(seed=seed, learning_rate=1e-3, max_epochs=200, patience=20)
        cells = []
        for variant, (encoders, fusions) in groupings.items():
            torch.manual_seed(seed)
            model = HighMMT(
                [x.shape[1] for x in xs],
                8,
                32,
                modality_groups=encoders,
                interaction_groups=fusions,
            )
            trained = fit_model(model, xs, y, split, config)
            accuracy[variant].append(trained.accuracy)
            sizes[variant].append(model.n_parameters)
            cells.append(f"{trained.accuracy:.3f} ({model.n_parameters})")
        groups = measured.grouped()
        print(
            f"| {seed} | {' '.join('{' + ','.join(g) + '}' for g in groups)} | "
            f"{measured.interaction_groups.tolist()} | "
            + " | ".join(cells)
            + f" | {time.perf_counter() - start:.0f} |",
            flush=True,
        )
    print("\n| model | parameters | test accuracy, mean [95% interval over seeds] |")
    print("|---|---|---|")
    for variant in variants:
        low, high = mean_interval(accuracy[variant])
        params = sorted(set(sizes[variant]))
        shown = "/".join(str(p) for p in params)
        print(f"| {variant} | {shown} | {np.mean(accuracy[variant]):.3f} [{low:.3f}, {high:.3f}] |")
    for variant in ("grouped 3+5", "grouped 3+3", "all shared"):
        gap = np.array(accuracy[variant]) - np.array(accuracy["none shared"])
        low, high = mean_interval(gap)
        print(
            f"\n{variant} minus none shared: {100 * gap.mean():+.2f} points "
            f"[{100 * low:+.2f}, {100 * high:+.2f}], per seed "
            + ", ".join(f"{100 * g:+.1f}" for g in gap)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds of part 1 (default 10)")
    parser.add_argument(
        "--samples", type=int, default=3000, help="samples in part 1 and for part 3's groups"
    )
    parser.add_argument(
        "--completion-samples", type=int, default=8000, help="samples in part 2 (default 8000)"
    )
    parser.add_argument("--sample-seeds", type=int, default=20, help="samplings in part 2")
    parser.add_argument("--model-seeds", type=int, default=5, help="seeds of part 3 (default 5)")
    parser.add_argument("--model-samples", type=int, default=10000, help="samples in part 3")
    parser.add_argument("--parts", default="123", help="which parts to run (default 123)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {describe()}, torch {torch.__version__} ({torch.get_num_threads()} thread)")
    start = time.perf_counter()
    if "1" in args.parts:
        modality_table(args.seeds, args.samples)
    if "2" in args.parts:
        completion_table(args.completion_samples, args.sample_seeds)
    if "3" in args.parts:
        model_table(args.model_seeds, args.model_samples, args.samples)
    print(f"\nheterogeneity benchmark: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
