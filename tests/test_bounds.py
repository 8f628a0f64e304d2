"""Synergy bounds and accuracy bounds: validity on random joints, the thesis's Table 6.2."""

import numpy as np
import pytest
from conftest import random_table

from pid import Distribution, estimate
from pid.bounds import (
    PairwiseMarginals,
    coupling_entropy,
    greedy_coupling_entropy,
    majorization_meet,
    synergy_bounds,
)
from pid.bounds.accuracy import accuracy_interval
from pid.datasets import canonical
from pid.information import entropy


def _bounds(dist):
    return synergy_bounds(PairwiseMarginals.from_distribution(dist))


@pytest.mark.parametrize(("shape", "count"), [((2, 2, 2), 150), ((3, 3, 3), 40), ((5, 5, 3), 8)])
def test_bounds_hold_on_random_distributions(rng, shape, count):
    for _ in range(count):
        dist = Distribution.from_table(random_table(rng, shape))
        exact = estimate(dist)
        b = _bounds(dist)
        assert b.S_R <= exact.S + 1e-9
        assert b.S_U <= exact.S + 1e-9
        assert exact.S <= b.S_upper + 1e-9
        # R, U1, U2 need only the unimodal marginals.
        np.testing.assert_allclose((b.R, b.U1, b.U2), (exact.R, exact.U1, exact.U2), atol=1e-6)
        low, high = b.information_interval
        assert low - 1e-9 <= dist.mi_x1x2_y <= high + 1e-9


def test_bounds_on_table_6_2_examples():
    # (b) agreement XOR: the pairwise marginals are uniform, exactly those of the uniform
    # joint whose synergy is 0, so no bound from them can exceed 0 (the thesis reports 1).
    xor = _bounds(canonical("xor"))
    assert xor.S_R == pytest.approx(0.0, abs=1e-9)
    assert xor.S_upper == pytest.approx(1.0, abs=1e-6)  # S = 1: the upper bound is tight
    # (d) y = x1 = x2: S_R = S = 0.
    assert _bounds(canonical("rdn")).S_R == pytest.approx(0.0, abs=1e-9)
    # (c) y = x1: disagreement is explained by uniqueness, S_U <= 0 = S.
    unq = _bounds(canonical("unq"))
    assert unq.diagnostics["disagreement_bits"] > 0.5
    assert unq.S_U <= 1e-9
    # (a) disagreement XOR (the thesis's table, which sums to 0.99, renormalized).
    table = np.array([[[0.0, 0.05], [0.03, 0.28]], [[0.53, 0.03], [0.01, 0.06]]])
    dist = Distribution.from_table(table, normalize=True)
    assert estimate(dist).S == pytest.approx(0.16, abs=0.005)
    disagreement = _bounds(dist)
    assert 0.05 < disagreement.S_U <= estimate(dist).S


def test_accuracy_interval_contains_the_bayes_accuracy(rng):
    for _ in range(300):
        shape = tuple(int(n) for n in rng.integers(1, 5, size=3))
        table = random_table(rng, shape)
        dist = Distribution.from_table(table)
        bayes = table.max(axis=2).sum()
        low, high = accuracy_interval(dist.mi_x1x2_y, dist.mi_x1x2_y, dist.p_y)
        assert 0.0 <= low <= high <= 1.0
        assert low - 1e-12 <= bayes <= high + 1e-12


def test_accuracy_interval_extremes():
    assert accuracy_interval(1.0, 1.0, [0.5, 0.5]) == (1.0, 1.0)
    assert accuracy_interval(0.0, 0.0, [0.5, 0.5]) == pytest.approx((0.5, 0.5))
    low, high = accuracy_interval(0.0, 2.0, [0.25] * 4)
    assert (low, high) == pytest.approx((0.25, 1.0))
    # Never above 1, even with more information than H(Y) (a loose upper bound on synergy).
    assert accuracy_interval(0.0, 5.0, [0.9, 0.1])[1] == 1.0


def test_coupling_entropies_bracket_the_minimum(rng):
    for _ in range(200):
        a = rng.dirichlet(np.ones(2))
        b = rng.dirichlet(np.ones(2))
        # A 2x2 coupling is fixed by its (0, 0) cell; the minimum sits at an end of its range.
        ends = [max(0.0, a[0] + b[0] - 1), min(a[0], b[0])]
        minimum = min(entropy([c, a[0] - c, b[0] - c, 1 - a[0] - b[0] + c]) for c in ends)
        c = coupling_entropy(a, b)
        assert c.lower_bound <= minimum + 1e-12 <= c.greedy + 2e-12


def test_majorization_meet_and_greedy_known_values():
    np.testing.assert_allclose(majorization_meet([0.7, 0.3], [0.6, 0.4]), [0.6, 0.4])
    assert greedy_coupling_entropy([0.5, 0.5], [0.25] * 4) == pytest.approx(2.0)
    assert greedy_coupling_entropy([0.7, 0.3], [0.6, 0.4]) == pytest.approx(
        entropy([0.6, 0.1, 0.3])
    )


def test_marginals_from_samples_approach_the_population(rng):
    table = random_table(rng, (3, 4, 2))
    flat = rng.choice(table.size, size=(3, 60_000), p=table.ravel())
    x1, x2, y = (np.unravel_index(f, table.shape) for f in flat)
    m = PairwiseMarginals.from_samples((x1[0], x1[2]), (x2[1], x2[2]), (y[0], y[1]))
    np.testing.assert_allclose(m.p_x1_y, table.sum(axis=1), atol=0.01)
    np.testing.assert_allclose(m.p_x2_y, table.sum(axis=0), atol=0.01)
    np.testing.assert_allclose(m.p_x1_x2, table.sum(axis=2), atol=0.01)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((([0, 1], [0, 0]), ([0, 1], [1, 1]), ([0, 1], [0, 1])), "share no label"),
        ((([0, 1], [0]), ([0, 1], [0, 1]), ([0, 1], [0, 1])), "labeled1 holds 2 and 1"),
        ((([0.5], [0]), ([0], [0]), ([0], [0])), "integer codes"),
    ],
)
def test_bad_samples_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        PairwiseMarginals.from_samples(*args)


def test_inconsistent_tables_are_refused():
    p = np.full((2, 2), 0.25)
    skewed = np.array([[0.5, 0.25], [0.125, 0.125]])
    with pytest.raises(ValueError, match="two different p\\(x1\\)"):
        PairwiseMarginals.from_tables(p, p, skewed)
    with pytest.raises(ValueError, match="one code space"):
        PairwiseMarginals.from_tables(p, np.full((2, 3), 1 / 6), p)


def test_marginals_of_no_joint_are_refused():
    # x1 = y and x2 = y, yet x1 != x2: no joint distribution has these marginals.
    same = np.eye(2) / 2
    with pytest.raises(ValueError, match="no joint distribution has these three marginals"):
        synergy_bounds(PairwiseMarginals.from_tables(same, same, (1 - np.eye(2)) / 2))


@pytest.mark.parametrize("name", ["unq", "copy", "imperfect_rdn", "xor", "and"])
def test_interval_is_ordered_despite_rounding(name):
    b = _bounds(canonical(name))
    assert b.lower <= b.upper
    assert b.lower - 1e-9 <= estimate(canonical(name)).S <= b.upper + 1e-9
