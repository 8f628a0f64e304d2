"""``pid heterogeneity``: modality and interaction heterogeneity by transfer, and parameter
groups, for any number of modalities (needs torch)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from pid.cli.common import add_quiet_option, add_training_options, training_config


def add_parser(commands: Any) -> None:
    """Register ``pid heterogeneity``."""
    from pid.heterogeneity import FINE_TUNE, LINKAGES

    parser = commands.add_parser(
        "heterogeneity",
        help="measure how heterogeneous M modalities and their pairs are, and group them",
        description="Train a model on each modality (and each pair of modalities) of DATA, "
        "transfer it to every other one, and measure d(X_i; X_j) = T(i->j)+ + T(j->i)+ from the "
        "transfer losses (thesis Eqs. 9.1-9.8); cluster the matrices into parameter groups and "
        "write heterogeneity.json, heterogeneity.md and one figure per matrix (heatmap and "
        "dendrogram) into --out.",
    )
    parser.add_argument(
        "data", metavar="DATA", help=".npz file (or folder of .npy files) with x1 ... xM and y"
    )
    parser.add_argument(
        "--groups",
        type=int,
        required=True,
        metavar="K",
        help="encoder groups: the parameter budget for the modalities (1: share all, M: none)",
    )
    parser.add_argument(
        "--interaction-groups",
        type=int,
        metavar="K",
        help="fusion groups for the modality pairs (default: --groups)",
    )
    parser.add_argument(
        "--no-interactions",
        action="store_true",
        help="measure the modalities only, not the pairs (whose matrix costs O(M^4) models)",
    )
    parser.add_argument(
        "--pairs-per-member",
        type=float,
        metavar="C",
        help="measure round(C K) pairs of a matrix of K members, half at random and the rest in "
        "rounds where the completion is least determined, and complete the rest at --rank "
        "(default: measure every pair)",
    )
    parser.add_argument(
        "--random-pairs",
        action="store_true",
        help="with --pairs-per-member, draw every measured pair at random instead of in rounds",
    )
    parser.add_argument("--rank", type=int, default=3, help="rank of the completion (default 3)")
    parser.add_argument(
        "--fine-tune",
        choices=FINE_TUNE,
        default="projection",
        help="what a transferred model trains on its target: the input projection only "
        "(default) or all weights",
    )
    parser.add_argument(
        "--linkage", choices=LINKAGES, default="average", help="agglomerative linkage"
    )
    add_training_options(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("pid-heterogeneity"),
        help="output folder (default: pid-heterogeneity)",
    )
    add_quiet_option(parser)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from pid.distributed import main_process
    from pid.file_set import check_target
    from pid.heterogeneity import measure_heterogeneity
    from pid.io import load_modalities
    from pid.workflows.heterogeneity import (
        HETEROGENEITY_FILES,
        summary_lines,
        write_heterogeneity,
    )

    modalities, y = load_modalities(args.data)
    count = len(modalities)
    if not 1 <= args.groups <= count:
        raise ValueError(
            f"--groups is {args.groups}; pass a number between 1 and {count}, the number of "
            f"modalities in {Path(args.data).name}."
        )
    if args.pairs_per_member is not None and not 1 <= args.pairs_per_member < math.inf:
        raise ValueError(
            f"--pairs-per-member is {args.pairs_per_member}; pass a finite number of at least 1 "
            "(a cycle through all members), or leave it out to measure every pair."
        )
    if args.rank < 1:
        raise ValueError(f"--rank is {args.rank}; pass a positive whole number (3 in the paper).")
    n_pairs = count * (count - 1) // 2
    if args.interaction_groups is not None and not 1 <= args.interaction_groups <= n_pairs:
        raise ValueError(
            f"--interaction-groups is {args.interaction_groups}; pass a number between 1 and "
            f"{n_pairs}, the number of modality pairs in {Path(args.data).name}."
        )
    config = training_config(args, "pid heterogeneity")
    check_target(args.out, HETEROGENEITY_FILES)
    result = measure_heterogeneity(
        modalities,
        y,
        modality_groups=args.groups,
        interaction_groups=args.interaction_groups,
        interactions=not args.no_interactions,
        pairs_per_member=args.pairs_per_member,
        adaptive=not args.random_pairs,
        rank=args.rank,
        fine_tune=args.fine_tune,
        linkage=args.linkage,
        config=config,
        progress=not args.quiet,
    )
    if not main_process():
        return 0  # under torchrun, rank 0 writes and prints
    paths = write_heterogeneity(result, args.out, source=str(args.data))
    print("\n".join(summary_lines(result)))
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0
