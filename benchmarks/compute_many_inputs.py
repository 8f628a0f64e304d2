"""``pid compute`` over six inputs, one after the other and on two worker processes.

Six "layers" of 2,000 samples of 2 x 32 features (:func:`pid.datasets.generative_mixture`,
the label's weight moving from redundancy at ``layer_1`` to synergy at ``layer_6``), one
``.npz`` file each in a folder; ``pid compute FOLDER`` with its defaults (the posterior
encoding, a 20-permutation null model), in a fresh process each time, with ``--jobs 1`` and
``--jobs 2``, interleaved. Prints the best of ``--repeats`` runs of each, whether the report
across the inputs is the same, and the terms of each layer.

    .venv/bin/python benchmarks/compute_many_inputs.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import describe

from pid.datasets import generative_mixture

LAYERS = 6


def write_layers(folder: Path) -> None:
    """One ``.npz`` file a layer, the label's weight shifting from R to S."""
    for k, share in enumerate(np.linspace(0.0, 1.0, LAYERS), start=1):
        weights = {"R": 1.0 - share, "S": share}
        x1, x2, y = generative_mixture(weights, 2000, seed=k)
        np.savez(folder / f"layer_{k}.npz", x1=x1, x2=x2, y=y)


def run(folder: Path, out: Path, jobs: int) -> tuple[float, list]:
    """Seconds of ``pid compute FOLDER --jobs N`` in a fresh process, and its inputs' entries."""
    command = [sys.executable, "-m", "pid", "compute", str(folder), "--quiet"]
    start = time.perf_counter()
    subprocess.run([*command, "--jobs", str(jobs), "--out", str(out)], check=True, stdout=-3)
    seconds = time.perf_counter() - start
    return seconds, json.loads((out / "report.json").read_text())["inputs"]["entries"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(describe())
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "emb"
        folder.mkdir()
        write_layers(folder)
        times: dict[int, list[float]] = {1: [], 2: []}
        entries = {}
        for _ in range(args.repeats):
            for jobs in times:
                seconds, entries[jobs] = run(folder, Path(scratch) / f"out{jobs}", jobs)
                times[jobs].append(seconds)
    serial = min(times[1])
    print(f"|--jobs|best of {args.repeats} (s)|speed-up|same report across the inputs|")
    print("|---|---|---|---|")
    for jobs in times:
        same = entries[jobs] == entries[1]
        print(f"|{jobs}|{min(times[jobs]):.1f}|{serial / min(times[jobs]):.2f}|{same}|")
    print("\n|input|R|U1|U2|S|I(X1,X2;Y)|")
    print("|---|---|---|---|---|---|")
    for entry in entries[1]:
        terms = [entry["terms"][t] for t in ("R", "U1", "U2", "S")]
        values = [*terms, entry["information"]["I(X1,X2;Y)"]]
        print(f"|{entry['name']}|" + "|".join(f"{v:.3f}" for v in values) + "|")


if __name__ == "__main__":
    main()
