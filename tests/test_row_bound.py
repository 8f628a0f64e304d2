"""The dual bound tightened row by row: each row's minimum against cvxpy, validity, odd rows."""

import numpy as np
import pytest
from conftest import random_shape, random_sparse_table, random_table

from pid import Distribution
from pid.backend import namespace
from pid.estimators.exact import certificate, maximize_conditional_entropy, path, problem
from pid.estimators.exact.conditional import ConditionalTable
from pid.estimators.exact.row_bound import tighten_rows

# The independent reference; a GPU image may lack it (benchmarks/gpu_check.py runs there).
cp = pytest.importorskip("cvxpy")

ALL = np.ones(1, bool)  # the one problem of a batch, marked for tightening


def _path_points(monkeypatch, dist, tol_bits=1e-9):
    """The solver's problem and, at every level it certifies, the multipliers extrapolated to
    ``eps = 0`` (those the tightening starts from) with ``eps``; and the solution."""
    certify, points = path.certify, []

    def recording(prob, lam, mu, state, eps, tangent, *tolerances):
        points.append((lam - eps * tangent[0], mu - eps * tangent[1], eps))
        recording.prob = prob
        return certify(prob, lam, mu, state, eps, tangent, *tolerances)

    monkeypatch.setattr(path, "certify", recording)
    solution = maximize_conditional_entropy(dist.p_x1_y[None], dist.p_x2_y[None], tol_bits=tol_bits)
    return recording.prob, points, solution


def _tightened(prob, lam, mu, eps):
    table = ConditionalTable(prob.xp, lam, mu, prob.free1, prob.free2, prob.live)
    everywhere = prob.p_x1.sum(axis=1) > 0
    *_, last = tighten_rows(
        prob.xp, lam, mu, table.log_partition, prob.p1, prob.free1, prob.free2, eps, everywhere
    )
    return last


def _row_minimum(p_row, free_row, mu, free2):
    """``min_l -l . p(x1, .) + p(x1) max_x2 LSE_y(l_y + mu(x2, y))`` over all pairs, by cvxpy
    with Clarabel on the epigraph form (one exponential-cone constraint a pair)."""
    labels = np.flatnonzero(free_row)
    lam, top = cp.Variable(len(labels)), cp.Variable()
    constraints = []
    for x2 in range(mu.shape[0]):
        cells = [i for i, y in enumerate(labels) if free2[x2, y]]
        if cells:
            constraints.append(top >= cp.log_sum_exp(lam[cells] + mu[x2, labels[cells]]))
    objective = cp.Minimize(-p_row[labels] @ lam + p_row.sum() * top)
    problem = cp.Problem(objective, constraints)
    problem.solve(solver=cp.CLARABEL)
    return problem.value


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
@pytest.mark.parametrize("sparse", [False, True])
def test_each_row_reaches_its_minimum_as_cvxpy_finds_it(rng, monkeypatch, sparse):
    draw = random_sparse_table if sparse else random_table
    dist = Distribution.from_table(draw(rng, (9, 8, 4)))
    prob, points, _ = _path_points(monkeypatch, dist)
    checked = 0
    for lam, mu, eps in points:
        if eps > 1e-3:
            continue
        before = certificate.dual_bound_rows(prob, lam, mu)[0]
        after = certificate.dual_bound_rows(prob, _tightened(prob, lam, mu, eps), mu)[0]
        for x1 in np.flatnonzero(prob.p_x1[0] > 0):
            best = _row_minimum(prob.p1[0, x1], prob.free1[0, x1], mu[0], prob.free2[0])
            # cvxpy's answer is good to about 1e-8 here; no multipliers go below the minimum.
            assert after[x1] >= best - 2e-8
            # The smoothing left at the end (eps / 1000, over at most n2 pairs) is all that
            # may separate the two, unless the row started closer still.
            slack = 1e-3 * eps * np.log(prob.shape[2]) * prob.p_x1[0, x1] + 2e-8
            assert after[x1] <= max(best + slack, before[x1])
            checked += 1
    assert checked >= 20


def _tightened_bound(prob, lam, mu, eps):
    """The solver's tightened bound of the one problem at ``(lam, mu)``, in bits."""
    g = ConditionalTable(prob.xp, lam, mu, prob.free1, prob.free2, prob.live).log_partition
    return certificate.tightened_bound_bits(prob, lam, mu, g, eps, ALL, -np.inf)[0]


def test_the_tightened_bound_is_valid_and_never_looser(rng, monkeypatch):
    for _ in range(6):
        shape = random_shape(rng, max_x=8, max_y=4)
        table = random_sparse_table(rng, shape) if rng.random() < 0.5 else random_table(rng, shape)
        dist = Distribution.from_table(table)
        prob, points, solution = _path_points(monkeypatch, dist)
        for lam, mu, eps in points:
            plain = certificate.dual_bound_bits(prob, lam, mu)[0]
            tightened = _tightened_bound(prob, lam, mu, eps)
            assert tightened <= plain
            # Every feasible point's entropy is below any valid dual bound.
            assert tightened >= solution.lower_bits[0] - 1e-12


def test_tightening_lowers_the_bound_several_fold_on_clustered_codes(monkeypatch):
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 40, size=(3, 4000))  # x1, x2 and y share a latent cause
    labels = (codes[0] // 4 + rng.integers(0, 2, 4000)) % 10
    table = np.zeros((40, 40, 10))
    np.add.at(table, ((codes[0] + codes[1]) % 40, codes[1], labels), 1.0)
    dist = Distribution.from_table(table / table.sum())
    prob, points, solution = _path_points(monkeypatch, dist)
    optimum = solution.upper_bits[0] - solution.gap_bits[0] / 2
    ratios = [
        (_tightened_bound(prob, lam, mu, eps) - optimum)
        / (certificate.dual_bound_bits(prob, lam, mu)[0] - optimum)
        for lam, mu, eps in points
        if 1e-7 <= certificate.dual_bound_bits(prob, lam, mu)[0] - optimum <= 1e-3
    ]
    assert ratios and np.median(ratios) <= 0.6


def test_rows_without_mass_one_label_or_dead_pairs_stay_finite():
    xp = namespace(None)
    p_x1_y = np.array([[[0.2, 0.0, 0.1], [0.0, 0.0, 0.0], [0.0, 0.3, 0.0], [0.1, 0.2, 0.1]]])
    free1 = p_x1_y > 0
    free2 = np.array([[[True, False, True], [False, True, False], [True, True, True]]])
    lam = np.array([[[0.5, 0.0, -1.0], [0.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, -3.0, 0.2]]])
    mu = np.array([[[0.3, 0.0, -0.2], [0.0, -40.0, 0.0], [1.0, 0.1, -5.0]]])
    live = (free1.astype(float) @ free2.astype(float).swapaxes(1, 2)) > 0
    g = ConditionalTable(xp, lam, mu, free1, free2, live).log_partition
    *_, tightened = tighten_rows(xp, lam, mu, g, p_x1_y, free1, free2, 1e-4, ALL)
    assert np.isfinite(tightened).all()
    np.testing.assert_array_equal(tightened[0, 1], lam[0, 1])  # no mass: untouched
    np.testing.assert_array_equal(tightened[0, 2], lam[0, 2])  # one free label: no curvature


def test_torch_and_numpy_tighten_alike(rng, monkeypatch):
    torch = pytest.importorskip("torch")
    dist = Distribution.from_table(random_sparse_table(rng, (10, 7, 4)))
    prob, points, _ = _path_points(monkeypatch, dist)
    lam, mu, eps = points[-1]
    expected = _tightened(prob, lam, mu, eps)
    xp = namespace("cpu")
    torch_prob = problem.Problem(xp.asarray(prob.p1), xp.asarray(prob.p2), xp)
    found = _tightened(torch_prob, xp.asarray(lam), xp.asarray(mu), eps)
    assert isinstance(found, torch.Tensor)
    np.testing.assert_allclose(found.numpy(), expected, atol=1e-9)
