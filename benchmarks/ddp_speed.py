"""One process against two data-parallel processes (torchrun, gloo, CPU), side by side.

Each configuration trains the same things in fresh processes, one torch thread a process:
the zoo's EF and TENSOR (``pid.models.train_model``, 60/20/20 split of the planted synergy
dataset, hidden 64, batch 256, no early stop) and EF at hidden 512, batch 2048 (more compute a
step for the same communication), FactorCL's ``factorcl-sup`` and
``factorcl-ssl`` (``pid.factorcl.shared_unique``, default networks, batch 256, linear probe on
a held-out 20%), and BATCH's torch classifiers (``PosteriorOptions(device="cpu")``, five folds,
on noisy bits of known PID: R = U1 = 1 bit). "1 process, 2 threads" is the other use of the
second core. Prints the median seconds per epoch (BATCH: seconds of its classifiers) and the
accuracy (BATCH: the terms) of each.

Run: ``python benchmarks/ddp_speed.py [--samples 20000] [--epochs 5]`` (it starts the
processes itself: ``python ddp_speed.py --worker`` alone and under
``torchrun --standalone --nproc_per_node 2``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

#: The zoo's trainings: model, hidden width, batch size.
ZOO = (("EF", 64, 256), ("TENSOR", 64, 256), ("EF", 512, 2048))
#: The configurations: name, torch threads, processes.
CONFIGURATIONS = (
    ("1 process", 1, 1),
    ("1 process, 2 threads", 2, 1),
    ("2 processes (torchrun)", 1, 2),
)


def worker(args: argparse.Namespace) -> None:
    """Train everything once in this process (or with the others torchrun started); rank 0
    writes the figures to ``args.out``."""
    import torch

    from pid.datasets import generative, latent_bits
    from pid.distributed import main_process
    from pid.estimators.neural import BatchConfig, batch
    from pid.factorcl import linear_probe, shared_unique, train
    from pid.models import TrainConfig, split_indices, train_model
    from pid.posterior import PosteriorOptions

    torch.set_num_threads(args.threads)
    figures = {}
    x1, x2, y = generative("S", args.samples, seed=0)
    split = split_indices(len(y))
    for name, hidden, batch_size in ZOO:
        config = TrainConfig(
            hidden=hidden,
            batch_size=batch_size,
            max_epochs=args.epochs,
            patience=args.epochs,
            device="cpu",
        )
        trained = train_model(name, x1, x2, y, split, config)
        row = f"{name}, hidden {hidden}, batch {batch_size}"
        figures[row] = (_median_seconds(trained.history), trained.accuracy)
    f1, f2, fy, _ = shared_unique(args.factorcl_samples, 0.5, seed=0)
    fit, test = np.arange(len(fy)) % 5 != 0, np.arange(len(fy)) % 5 == 0
    for method in ("factorcl-sup", "factorcl-ssl"):
        model = train(f1[fit], f2[fit], fy[fit], method=method, epochs=args.epochs, device="cpu")
        accuracy = linear_probe(
            model.features(f1[fit], f2[fit]), fy[fit], model.features(f1[test], f2[test]), fy[test]
        )
        figures[method] = (_median_seconds(model.history), accuracy)
    b1, b2, by = latent_bits(args.batch_samples, redundant=1, unique1=1, unique2=0, seed=0)
    rng = np.random.default_rng(0)
    n1, n2 = (
        ((codes[:, None] >> np.arange(bits)) & 1) + 0.1 * rng.normal(size=(len(codes), bits))
        for codes, bits in ((b1, 2), (b2, 1))
    )
    result = batch(
        n1, n2, by, posterior=PosteriorOptions(device="cpu"), config=BatchConfig(steps=200)
    )
    seconds = sum(result.diagnostics["classifiers"]["seconds_by_classifier"].values())
    figures["BATCH classifiers"] = (seconds, result.terms())
    if main_process():
        Path(args.out).write_text(json.dumps(figures))


def _median_seconds(history: list[dict[str, float]]) -> float:
    return float(np.median([record["seconds"] for record in history]))


def run(args: argparse.Namespace, threads: int, processes: int, out: Path) -> dict:
    """One configuration in fresh processes; its figures."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    env.pop("WORLD_SIZE", None)
    launcher = [sys.executable]
    if processes > 1:
        torchrun = Path(sys.executable).with_name("torchrun")
        launcher = [str(torchrun), "--standalone", f"--nproc_per_node={processes}"]
    options = [
        *("--samples", str(args.samples), "--epochs", str(args.epochs)),
        *("--factorcl-samples", str(args.factorcl_samples)),
        *("--batch-samples", str(args.batch_samples), "--threads", str(threads)),
    ]
    command = [*launcher, __file__, "--worker", "--out", str(out), *options]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20_000, help="zoo samples")
    parser.add_argument("--factorcl-samples", type=int, default=4000)
    parser.add_argument("--batch-samples", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="(worker) torch threads")
    parser.add_argument("--worker", action="store_true", help="(internal) train and write")
    parser.add_argument("--out", help="(internal) where the worker writes")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    import torch
    from _machine import describe

    print(f"machine: {describe()}; torch {torch.__version__}, gloo")
    print(
        f"zoo: {args.samples} samples; FactorCL: {args.factorcl_samples}; BATCH: "
        f"{args.batch_samples}; {args.epochs} epochs, median seconds per epoch\n"
    )
    with tempfile.TemporaryDirectory() as scratch:
        results = {
            name: run(args, threads, processes, Path(scratch) / f"{k}.json")
            for k, (name, threads, processes) in enumerate(CONFIGURATIONS)
        }
    names = [name for name, _, _ in CONFIGURATIONS]
    print("| trainer | " + " | ".join(f"{n}: s/epoch | accuracy" for n in names) + " |")
    print("|---" * (1 + 2 * len(names)) + "|")
    for trainer in results[names[0]]:
        cells = []
        for name in names:
            seconds, quality = results[name][trainer]
            if isinstance(quality, dict):
                quality = ", ".join(f"{k} {v:.3f}" for k, v in quality.items())
            else:
                quality = f"{quality:.3f}"
            cells += [f"{seconds:.2f}", quality]
        print(f"| {trainer} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
