"""Every device path of the package, on each device there is, against the CPU's answer.

Runs each path on small sizes on the CPU and then on every other device (``--devices``; by
default CUDA when torch sees it) and prints one table: path, device, seconds, the largest
difference from the CPU's answer (or from the exact answer where there is one) and whether
it is within the path's tolerance. Paths: CVX on one table, on a batch of tables and on a
large table (torch on the device); BATCH against an exact PID, on codes and on features
(with the posterior encoding's classifiers on the device); every FactorCL method and
every zoo family (test accuracy; training on another device draws other random numbers, so
accuracies agree within a tolerance, not exactly); ``collect_outputs``; the posterior
encoding with the bias-corrected estimate; and, on CUDA, the tests marked ``cuda``. Exits 1
when a row fails.

Run on a machine whose torch sees the GPU (the repository's virtual environment installs
the CPU build): ``make gpu-check`` or ``PYTHONPATH=. python3 benchmarks/gpu_check.py``;
``--quick`` shrinks every size (the CPU rows are tested that way in tests/test_gpu_check.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pid.factorcl import METHODS
from pid.models.fusion import MODELS

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Check:
    """One device path: ``run(device, scale)`` returns numbers; ``exact`` (if set) returns the
    numbers they should be, otherwise the CPU's are the reference; ``tolerance`` bounds the
    largest absolute difference."""

    name: str
    run: Callable[[str, float], np.ndarray]
    tolerance: float
    exact: Callable[[float], np.ndarray] | None = None


def _random_tables(count: int, shape: tuple[int, int, int], seed: int) -> list:
    from pid import Distribution

    rng = np.random.default_rng(seed)
    return [
        Distribution(rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape))
        for _ in range(count)
    ]


def _terms(results) -> np.ndarray:
    return np.array([[r.R, r.U1, r.U2, r.S] for r in results]).ravel()


def cvx_single(device: str, scale: float) -> np.ndarray:
    from pid.estimators.exact import cvx

    (table,) = _random_tables(1, (30, 30, 5), seed=1)
    return _terms([cvx(table, tol_bits=1e-7, device=device)])


def cvx_many(device: str, scale: float) -> np.ndarray:
    from pid.estimators.exact import cvx_batch

    tables = _random_tables(max(int(500 * scale), 10), (5, 5, 2), seed=2)
    return _terms(cvx_batch(tables, tol_bits=1e-7, device=device))


def cvx_large(device: str, scale: float) -> np.ndarray:
    from pid.estimators.exact import cvx

    side = max(int(400 * scale), 40)
    (table,) = _random_tables(1, (side, side, 10), seed=3)
    return _terms([cvx(table, tol_bits=1e-7, device=device)])


def _xor_samples(scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bits ``x1, x2`` and ``y = x1 XOR x2`` flipped with probability 0.05."""
    rng = np.random.default_rng(4)
    n = max(int(4000 * scale), 1000)
    x1, x2 = rng.integers(0, 2, n), rng.integers(0, 2, n)
    return x1, x2, (x1 ^ x2) ^ (rng.random(n) < 0.05).astype(int)


def batch_xor(device: str, scale: float) -> np.ndarray:
    from pid.estimators.neural import BatchConfig, batch

    config = BatchConfig(steps=max(int(600 * scale), 100))
    return _terms([batch(*_xor_samples(scale), config=config, device=device)])


def batch_exact(scale: float) -> np.ndarray:
    from pid import Distribution
    from pid.estimators.exact import cvx

    table = np.zeros((2, 2, 2))
    for a in range(2):
        for b in range(2):
            table[a, b, a ^ b] = 0.25 * 0.95
            table[a, b, 1 - (a ^ b)] = 0.25 * 0.05
    return _terms([cvx(Distribution(table), tol_bits=1e-9)])


#: The interactions of the generative mixture BATCH decomposes from features.
MIXTURE = {"R": 1.0, "U1": 1.0, "S": 1.0}


def batch_features(device: str, scale: float) -> np.ndarray:
    """BATCH on features: the cross-fitted torch classifiers on ``device``, then the
    coupling."""
    from pid import PosteriorOptions
    from pid.datasets import generative_mixture
    from pid.estimators.neural import batch

    x1, x2, y = generative_mixture(MIXTURE, max(int(20_000 * scale), 4_000), dim=64, seed=1)
    classifiers = PosteriorOptions(device=device, folds=2)
    return _terms([batch(x1, x2, y, posterior=classifiers, device=device)])


def batch_features_exact(scale: float) -> np.ndarray:
    from pid.datasets import generative_pid

    return _terms([generative_pid(MIXTURE, dim=64)])


def _factorcl_data(scale: float):
    from pid.factorcl import shared_unique

    size = {"latent_dim": 6, "dim": 32, "label_dim": 4}
    n = max(int(2000 * scale), 400)
    return shared_unique(n, 1.0, seed=0, **size), shared_unique(n // 2, 1.0, seed=100, **size)


def factorcl_method(method: str) -> Callable[[str, float], np.ndarray]:
    def run(device: str, scale: float) -> np.ndarray:
        from pid.factorcl import linear_probe, train

        (x1, x2, y, _), (t1, t2, ty, _) = _factorcl_data(scale)
        epochs = max(int(10 * scale), 2)
        model = train(x1, x2, y, method=method, epochs=epochs, batch_size=128, device=device)
        return np.array([linear_probe(model.features(x1, x2), y, model.features(t1, t2), ty)])

    return run


def zoo_family(name: str) -> Callable[[str, float], np.ndarray]:
    def run(device: str, scale: float) -> np.ndarray:
        from pid.datasets import generative
        from pid.models.trainer import TrainConfig, split_indices, train_model

        n = max(int(3000 * scale), 600)
        x1, x2, y = generative("S", n, seed=0)
        config = TrainConfig(max_epochs=max(int(20 * scale), 3), device=device)
        trained = train_model(name, x1, x2, y, split_indices(n, seed=0), config)
        return np.array([trained.accuracy])

    return run


def collect(device: str, scale: float) -> np.ndarray:
    from pid.io import collect_outputs

    torch.manual_seed(0)
    layer = torch.nn.Linear(8, 4)
    data = torch.randn(max(int(2048 * scale), 256), 8, generator=torch.Generator().manual_seed(5))
    loader = torch.utils.data.DataLoader(data, batch_size=128)

    def step(model: torch.nn.Module, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        out = model(batch)
        return {"x1": out[:, :2], "x2": out[:, 2:], "y": out.argmax(1)}

    x1, x2, y = collect_outputs(layer, loader, step, device=device)
    return np.concatenate([x1.ravel(), x2.ravel(), y.ravel()])


def posterior_corrected(device: str, scale: float) -> np.ndarray:
    import pid
    from pid.datasets import generative

    n = max(int(3000 * scale), 800)
    x1, x2, y = generative("S", n, seed=0)
    result = pid.decompose(
        x1,
        x2,
        y,
        posterior=pid.PosteriorOptions(device=device, max_train=n),
        sampling=pid.SamplingOptions(n_null=4),
    )
    return _terms([result])


CHECKS = [
    Check("CVX, one table", cvx_single, 1e-5),
    Check("CVX, tables in a batch (cvx_batch)", cvx_many, 1e-5),
    Check("CVX, one large table", cvx_large, 1e-5),
    Check("BATCH on noisy XOR samples (against exact)", batch_xor, 0.1, batch_exact),
    Check(
        "BATCH on 64-dimensional features (against exact)",
        batch_features,
        0.1,
        batch_features_exact,
    ),
    *(
        Check(f"FactorCL {method} (probe accuracy)", factorcl_method(method), 0.1)
        for method in METHODS
    ),
    *(Check(f"zoo {name} (test accuracy)", zoo_family(name), 0.1) for name in MODELS),
    Check("collect_outputs", collect, 1e-4),
    Check("posterior encoding, bias-corrected decompose", posterior_corrected, 0.05),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--devices", nargs="+", help="devices beside the CPU (default: cuda if seen)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (a test of the CPU rows)")
    parser.add_argument("--only", help="run the checks whose name contains this text")
    args = parser.parse_args(argv)
    others = (
        args.devices
        if args.devices is not None
        else (["cuda"] if torch.cuda.is_available() else [])
    )
    scale = 0.1 if args.quick else 1.0
    print(f"torch {torch.__version__}; devices: cpu" + "".join(f", {d}" for d in others))
    print(
        "sizes: " + ("a tenth (--quick)" if args.quick else "full") + "; CVX one 30x30x5 table, "
        "500 of 5x5x2, one 400x400x10; BATCH 4,000 codes and 20,000 features; FactorCL "
        "2,000 samples, 10 epochs; zoo 3,000 samples, 20 epochs; posterior 3,000 samples"
    )
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    print("\n|path|device|seconds|largest difference|tolerance|ok|")
    print("|---|---|---|---|---|---|")
    failures = 0
    start = time.perf_counter()
    for check in CHECKS:
        if args.only and args.only not in check.name:
            continue
        reference = check.exact(scale) if check.exact else None
        for device in ["cpu", *others]:
            seconds, values, error = _timed(check, device, scale)
            if reference is None and device == "cpu":
                reference = values
            if error is not None:
                ok, difference = False, error
            else:
                gap = float(np.max(np.abs(values - reference)))
                ok = bool(np.isfinite(values).all()) and gap <= check.tolerance
                difference = f"{gap:.1e}" if reference is not values else "reference"
                if reference is values:
                    ok = bool(np.isfinite(values).all())
            failures += not ok
            print(
                f"|{check.name}|{device}|{seconds:.2f}|{difference}|{check.tolerance:g}|"
                f"{'yes' if ok else 'NO'}|",
                flush=True,
            )
    if "cuda" in others:
        failures += _cuda_tests()
    print(f"\n{failures} failed; total {time.perf_counter() - start:.0f} s")
    return 1 if failures else 0


def _timed(check: Check, device: str, scale: float) -> tuple[float, np.ndarray | None, str | None]:
    start = time.perf_counter()
    try:
        values = np.asarray(check.run(device, scale), dtype=float)
    except Exception as err:  # a failing path is a row of the table, not the end of the check
        return time.perf_counter() - start, None, f"{type(err).__name__}: {err}".splitlines()[0]
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start, values, None


def _cuda_tests() -> int:
    """Run the tests marked ``cuda``; one row, 1 if they fail."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    summary = (done.stdout.strip().splitlines() or ["no output"])[-1]
    ok = done.returncode == 0
    seconds = time.perf_counter() - start
    print(f"|tests marked cuda ({summary})|cuda|{seconds:.2f}| | |{'yes' if ok else 'NO'}|")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
