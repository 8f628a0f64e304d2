"""The training deficit against what the joint classifier actually still loses.

The posterior encoding adds to ``I(X1,X2;Y)`` the training deficit ``d12 = CE(m/2) - CE(m)``
of its joint posterior (:attr:`pid.posterior.PosteriorEncoding.training_deficits`), the
excess loss of a ``1/m`` learning curve. Here a reference recipe of known PID (synergy and
redundancy, ``z1h_z2h_zch`` by default) is encoded at growing sample sizes, two sample seeds
each; printed per size: the held-out ``I(X1,X2;Y)``, its deficit ``d12``, the shortfall
``I - (held-out + d12)`` that remains, and the ratio of the whole shortfall to ``d12`` (1 if
the curve fell as ``1/m``, ``1 / (sqrt 2 - 1) = 2.41`` if as ``1/sqrt(m)``).

Run: ``OMP_NUM_THREADS=1 python benchmarks/training_deficit.py [--recipe z1h_z2h_zch]
[--samples 1500 3000 6000 12000 24000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _machine import describe

from pid.models.reference import construction_pid, make_dataset, reference_recipes
from pid.posterior import encode_posteriors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipe", default="z1h_z2h_zch")
    parser.add_argument("--samples", type=int, nargs="+", default=[1500, 3000, 6000, 12000, 24000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    recipe = next(r for r in reference_recipes() if r["name"] == args.recipe)
    exact = sum(construction_pid(recipe).terms().values())
    print(f"machine: {describe()}; {args.recipe}, exact I(X1,X2;Y) {exact:.3f}")
    print("|samples|seed|held-out I12|d12|shortfall after d12|shortfall before d12 / d12|seconds|")
    print("|---|---|---|---|---|---|---|")
    for n in args.samples:
        for seed in args.seeds:
            start = time.perf_counter()
            x1, x2, y = make_dataset(recipe, n, seed=seed)
            encoding = encode_posteriors(x1, x2, y, seed=seed)
            frequencies = np.bincount(encoding.labels) / n
            entropy = -float(np.sum(frequencies * np.log2(frequencies)))
            held_out = entropy - encoding.diagnostics["cross_entropy_bits"]["chosen"]
            deficit = float(encoding.training_deficits[2])
            ratio = (exact - held_out) / deficit if deficit > 0 else float("inf")
            print(
                f"|{n:,}|{seed}|{held_out:.3f}|{deficit:.3f}|{exact - held_out - deficit:.3f}|"
                f"{ratio:.1f}|{time.perf_counter() - start:.0f}|",
                flush=True,
            )


if __name__ == "__main__":
    main()
