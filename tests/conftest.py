"""Shared helpers: random distributions and conversion to the independent ``dit`` package."""

from __future__ import annotations

import os

# The suite runs two workers on small shared machines: one OpenMP thread each, set before any
# library starts its thread pool, keeps scikit-learn's k-means from oversubscribing the cores
# (30 times slower on 3,000 points when another process is busy).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest
from hypothesis import settings

from pid import Distribution

# Examples per property test: "ci" by default; `pytest --hypothesis-profile thorough` runs the
# benchmark's count (benchmarks/boundary_fuzz.py). No deadline: the machines are shared.
settings.register_profile("ci", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=10_000, deadline=None)
settings.load_profile("ci")


def torch_devices() -> list[str]:
    """The torch devices to test on: the CPU and CUDA where there is one; none without torch."""
    try:
        import torch
    except ImportError:
        return []
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``cuda`` every test run with a CUDA device among its parameters."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(mentions_cuda(value) for value in params.values()):
            item.add_marker(pytest.mark.cuda)


def mentions_cuda(value: object) -> bool:
    """Whether a test parameter names a CUDA device, alone or inside a tuple or list."""
    if isinstance(value, str):
        return value.startswith("cuda")
    if isinstance(value, tuple | list):
        return any(mentions_cuda(v) for v in value)
    return False


def random_table(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    """A distribution drawn uniformly from the simplex of the given shape."""
    return rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)


def random_sparse_table(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    """A random distribution with roughly half its cells empty (zero marginals included)."""
    table = random_table(rng, shape) * (rng.random(shape) < 0.5)
    if table.sum() == 0:
        table[tuple(rng.integers(0, n) for n in shape)] = 1.0
    return table / table.sum()


def random_shape(rng: np.random.Generator, max_x: int = 6, max_y: int = 4) -> tuple[int, int, int]:
    return (
        int(rng.integers(2, max_x + 1)),
        int(rng.integers(2, max_x + 1)),
        int(rng.integers(2, max_y + 1)),
    )


def to_dit(table: np.ndarray):
    """The same distribution as a ``dit.Distribution`` over outcomes (x1, x2, y)."""
    import dit

    cells = np.argwhere(table > 0)
    return dit.Distribution(
        [tuple(int(v) for v in c) for c in cells], [float(table[tuple(c)]) for c in cells]
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


@pytest.fixture
def xor() -> Distribution:
    table = np.zeros((2, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            table[a, b, a ^ b] = 0.25
    return Distribution.from_table(table)
