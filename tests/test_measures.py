"""I_min, MMI and co-information against closed forms and dit's implementations."""

import numpy as np
import pytest
from conftest import random_shape, random_sparse_table, random_table, to_dit

from pid import Distribution, estimate
from pid.datasets import canonical


@pytest.mark.parametrize(("estimator", "dit_name"), [("imin", "PID_WB"), ("mmi", "PID_MMI")])
def test_agrees_with_dit(rng, estimator, dit_name):
    import dit.pid

    measure = getattr(dit.pid, dit_name)
    for trial in range(25):
        shape = random_shape(rng)
        table = random_sparse_table(rng, shape) if trial % 3 == 2 else random_table(rng, shape)
        ours = estimate(Distribution.from_table(table), estimator)
        theirs = measure(to_dit(table), [[0], [1]], [2])
        expected = [theirs.get_pi(node) for node in (((0,), (1,)), ((0,),), ((1,),), ((0, 1),))]
        np.testing.assert_allclose(list(ours.terms().values()), expected, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "estimator", "expected"),
    [
        # I_min's known flaw: two independent bits copied into Y look redundant.
        ("copy", "imin", (1.0, 0.0, 0.0, 1.0)),
        ("copy", "mmi", (1.0, 0.0, 0.0, 1.0)),
        # Co-information of COPY is zero, so it keeps both bits unique.
        ("copy", "coinformation", (0.0, 1.0, 1.0, 0.0)),
        ("xor", "coinformation", (0.0, 0.0, 0.0, 1.0)),
        ("rdn", "coinformation", (1.0, 0.0, 0.0, 0.0)),
        ("and", "imin", (0.311278, 0.0, 0.0, 0.5)),
        ("unq", "mmi", (0.0, 1.0, 0.0, 0.0)),
    ],
)
def test_closed_form_values(name, estimator, expected):
    np.testing.assert_allclose(
        list(estimate(canonical(name), estimator).terms().values()), expected, atol=1e-6
    )


def test_coinformation_split_satisfies_identities(rng):
    for _ in range(50):
        dist = Distribution.from_table(random_table(rng, random_shape(rng)))
        r = estimate(dist, "coinformation")
        assert r.R - r.S == pytest.approx(dist.co_information, abs=1e-12)
        assert r.R + r.U1 + r.U2 + r.S == pytest.approx(dist.mi_x1x2_y, abs=1e-12)
        assert min(r.terms().values()) >= -1e-12
        assert r.R * r.S == 0.0


@pytest.mark.parametrize("estimator", ["imin", "mmi"])
def test_redundancy_never_exceeds_the_smaller_mutual_information(rng, estimator):
    # Both measures stay below min(I(X1;Y), I(X2;Y)), and MMI attains it.
    for _ in range(30):
        dist = Distribution.from_table(random_table(rng, random_shape(rng)))
        r = estimate(dist, estimator)
        smaller = min(dist.mi_x1_y, dist.mi_x2_y)
        assert r.R <= smaller + 1e-12
        if estimator == "mmi":
            assert r.R == smaller
        assert min(r.terms().values()) >= -1e-12
