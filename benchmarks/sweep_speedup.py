"""A 200-resample bootstrap in this process and on two local workers of each backend.

``pid.decompose`` of 5,000 samples of 8 x 8 x 4 codes with the default correction, 20
permutations and 200 resamples (about 1,500 tables), run one after the other in this process
and with two workers on processes, Ray and Dask (local clusters started before the clock);
the terms and intervals of every run are compared with the serial ones. Best of ``--repeats``
runs, the backends interleaved.

    .venv/bin/python benchmarks/sweep_speedup.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pid
from pid.sampling import SamplingOptions
from pid.sweep import SweepOptions


def data(n: int = 5000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 8, n), rng.integers(0, 8, n)
    return x1, x2, (x1 + x2 // 2 + rng.integers(0, 2, n)) % 4


def run(codes, sweep: SweepOptions) -> tuple[float, tuple]:
    start = time.perf_counter()
    result = pid.decompose(*codes, sampling=SamplingOptions(n_bootstrap=200, sweep=sweep))
    return time.perf_counter() - start, (result.terms(), result.sampling["intervals"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import distributed
    import ray

    codes = data()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        sweeps = {
            "this process": SweepOptions(),
            "processes, 2 workers": SweepOptions(n_jobs=2),
            "Ray, 2 workers": SweepOptions(backend="ray", n_jobs=2),
            "Dask, 2 workers": SweepOptions(backend="dask", address=cluster.scheduler_address),
        }
        times: dict[str, list[float]] = {name: [] for name in sweeps}
        answers = {}
        run(codes, sweeps["processes, 2 workers"])  # warm the process pool
        for _ in range(args.repeats):
            for name, sweep in sweeps.items():
                seconds, answers[name] = run(codes, sweep)
                times[name].append(seconds)
    ray.shutdown()
    serial = min(times["this process"])
    print(f"|where|best of {args.repeats} (s)|speed-up|same terms and intervals|")
    print("|---|---|---|---|")
    for name in sweeps:
        same = answers[name] == answers["this process"]
        best = min(times[name])
        print(f"|{name}|{best:.1f}|{serial / best:.2f}|{'yes' if same else 'NO'}|")


if __name__ == "__main__":
    main()
