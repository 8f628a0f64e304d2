"""The small-table interior-point method: agreement with the path and cvxpy, its certificate,
edge cases, and the fallback to the path."""

import numpy as np
import pytest
from conftest import random_sparse_table, random_table

from pid import Distribution, estimate
from pid.backend import namespace
from pid.datasets.bitwise import CANONICAL, canonical
from pid.estimators.exact import NewtonOptions, cvx_batch, interior_point
from pid.estimators.exact.certificate import dual_bound_bits, table_residual
from pid.estimators.exact.problem import Problem
from pid.estimators.exact.small_table import CellSystem, multiplier_count, solve_small_table
from pid.information import LN2

SMALL = "small-table interior point"
PATH = NewtonOptions(small_multipliers=0)  # the smoothed-dual path only
TOL = 1e-7
SHAPES = [(2, 2, 2), (3, 3, 3), (4, 4, 2), (8, 8, 4), (16, 16, 2)]


def _terms(result):
    return np.array([result.R, result.U1, result.U2, result.S])


def _check_agreement(dist, reference_tol=TOL):
    small = estimate(dist)
    assert small.diagnostics["algorithm"] == SMALL
    assert small.diagnostics["gap_bits"] <= TOL
    assert small.diagnostics["max_marginal_residual"] <= NewtonOptions().feasible_residual
    path = estimate(dist, options=PATH)
    assert path.diagnostics["algorithm"] == "smoothed-dual path"
    # Each answer is within its certified gap of the exact terms.
    bound = small.diagnostics["gap_bits"] + path.diagnostics["gap_bits"] + 1e-12
    assert np.abs(_terms(small) - _terms(path)).max() <= bound
    assert min(_terms(small)) >= 0.0
    return small


@pytest.mark.parametrize("shape", SHAPES)
def test_random_tables_agree_with_the_path(rng, shape):
    for _ in range(3):
        _check_agreement(Distribution.from_table(random_table(rng, shape)))


@pytest.mark.parametrize("shape", SHAPES[:4])
def test_sparse_tables_agree_with_the_path(rng, shape):
    for _ in range(3):
        _check_agreement(Distribution.from_table(random_sparse_table(rng, shape)))


@pytest.mark.parametrize("shape", [(2, 2, 2), (3, 3, 3), (4, 4, 2)])
def test_random_tables_agree_with_cvxpy(rng, shape):
    dist = Distribution.from_table(random_table(rng, shape))
    small = estimate(dist)
    reference = estimate(dist, method="cvxpy", tol_bits=1e-9)
    bound = small.diagnostics["gap_bits"] + reference.diagnostics["gap_bits"] + 1e-12
    assert np.abs(_terms(small) - _terms(reference)).max() <= bound


@pytest.mark.parametrize("name", sorted(CANONICAL))
def test_canonical_distributions(name):
    _check_agreement(canonical(name))


def test_closed_form_values():
    assert _terms(estimate(canonical("xor"))) == pytest.approx([0, 0, 0, 1], abs=TOL)
    assert _terms(estimate(canonical("copy"))) == pytest.approx([0, 1, 1, 0], abs=TOL)
    quarter = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    expected = [quarter - 0.5, 0, 0, 0.5]
    assert _terms(estimate(canonical("and"))) == pytest.approx(expected, abs=TOL)


def test_edge_cases(rng):
    # Zero cells, a deterministic label, a single value of a modality, a single label.
    zeros = random_table(rng, (3, 3, 2))
    zeros[0, :, 1] = 0.0
    zeros[:, 2, 0] = 0.0
    deterministic = np.zeros((3, 3, 2))
    deterministic[:, :, 1] = random_table(rng, (3, 3, 1))[:, :, 0]
    single_x2 = random_table(rng, (4, 1, 3))
    single_y = random_table(rng, (3, 4, 1))
    for table in (zeros, deterministic, single_x2, single_y):
        small = _check_agreement(Distribution.from_table(table / table.sum()))
        assert small.diagnostics["gap_bits"] <= TOL


@pytest.mark.parametrize(
    ("shape", "cells", "redundancy"),
    [
        ((2, 2, 2), [(0, 0, 0)], 0.0),  # a point mass: one feasible cell
        ((1, 1, 1), [(0, 0, 0)], 0.0),
        ((3, 2, 2), [(0, 0, 0), (1, 1, 1)], 1.0),  # y = x1 = x2: one cell per pair
    ],
)
def test_flat_problems_are_certified_by_the_small_method(shape, cells, redundancy):
    # The merit is flat there: only its rounding changes along a step.
    table = np.zeros(shape)
    for cell in cells:
        table[cell] = 1 / len(cells)
    result = _check_agreement(Distribution.from_table(table))
    assert _terms(result) == pytest.approx([redundancy, 0, 0, 0], abs=TOL)


def test_the_small_certificate_is_the_dual_bound_of_the_path(rng):
    # gibbs_bounds evaluates the bound of certificate.dual_bound_bits on the cells.
    table = random_table(rng, (4, 3, 3))
    table[0, :, 1] = 0.0  # p(x1, y) = 0 there: no feasible cell
    dist = Distribution.from_table(table / table.sum())
    system = CellSystem.of(dist.p_x1_y, dist.p_x2_y)
    nu = rng.normal(size=(1, len(system.targets)))
    q = dist.table[system.cells]
    log_c = np.log(q / dist.p_x1_x2[system.cells[:2]])
    theta = interior_point.transpose_constraints(nu, system.lam_index, system.mu_index)[0]
    lower, upper = interior_point.gibbs_bounds(
        q,
        log_c,
        nu[0],
        theta,
        system.pair_starts,
        system.row_starts,
        system.row_mass,
        system.targets,
    )
    lam, mu = np.zeros(dist.p_x1_y.shape), np.zeros(dist.p_x2_y.shape)
    n_lam = int(system.lam_rows.sum())
    lam[system.lam_rows], mu[system.mu_rows] = nu[0, :n_lam], nu[0, n_lam:]
    prob = Problem(dist.p_x1_y[None], dist.p_x2_y[None], namespace(None))
    dual = float(dual_bound_bits(prob, lam[None], mu[None])[0])
    assert upper / LN2 == pytest.approx(dual, abs=1e-12)
    assert lower / LN2 == pytest.approx(dist.entropy_y - dist.mi_x1x2_y, abs=1e-12)


def test_the_solution_is_feasible_and_certified(rng):
    dist = Distribution.from_table(random_table(rng, (5, 4, 3)))
    solution = solve_small_table(dist.p_x1_y, dist.p_x2_y, TOL, NewtonOptions())
    assert solution is not None
    assert table_residual(dist, solution.q) <= 1e-13
    assert solution.gap_bits <= TOL
    assert solution.n_variables == len(CellSystem.of(dist.p_x1_y, dist.p_x2_y).cells[0]) == 60


def test_an_uncertified_table_falls_back_to_the_path(rng):
    dist = Distribution.from_table(random_table(rng, (3, 3, 3)))
    starved = NewtonOptions(small_iterations=1)
    assert solve_small_table(dist.p_x1_y, dist.p_x2_y, TOL, starved) is None
    result = estimate(dist, options=starved)
    assert result.diagnostics["algorithm"] == "smoothed-dual path"
    assert result.diagnostics["gap_bits"] <= TOL
    assert _terms(result) == pytest.approx(_terms(estimate(dist)), abs=2 * TOL)


def test_tables_above_the_threshold_take_the_path(rng):
    dist = Distribution.from_table(random_table(rng, (3, 3, 3)))
    assert multiplier_count(dist.p_x1_y, dist.p_x2_y) == 9 + 9 - 3
    above = estimate(dist, options=NewtonOptions(small_multipliers=14))
    assert above.diagnostics["algorithm"] == "smoothed-dual path"
    at = estimate(dist, options=NewtonOptions(small_multipliers=15))
    assert at.diagnostics["algorithm"] == SMALL


def test_multipliers_count_the_nonzero_marginal_entries_less_one_per_label(rng):
    table = random_table(rng, (4, 3, 3))
    table[0, :, 1] = 0.0  # p(x1=0, y=1) = 0
    table[:, :, 2] = 0.0  # the third label never occurs
    dist = Distribution.from_table(table / table.sum())
    system = CellSystem.of(dist.p_x1_y, dist.p_x2_y)
    count = multiplier_count(dist.p_x1_y, dist.p_x2_y)
    assert count == (4 + 3) + (3 + 3) - 2 == len(system.targets)


def test_batches_solve_small_tables_one_by_one_and_stack_the_rest(rng):
    shapes = ((2, 2, 2), (3, 3, 3), (3, 3, 3), (4, 4, 2), (2, 2, 2))
    dists = [Distribution.from_table(random_table(rng, s)) for s in shapes]
    results = cvx_batch(dists, options=NewtonOptions(small_multipliers=14))
    algorithms = [r.diagnostics["algorithm"] for r in results]
    assert algorithms == [SMALL, "smoothed-dual path", "smoothed-dual path", SMALL, SMALL]
    starved = cvx_batch(dists, options=NewtonOptions(small_iterations=1))
    assert {r.diagnostics["algorithm"] for r in starved} == {"smoothed-dual path"}
    for dist, result, fallback in zip(dists, results, starved, strict=True):
        alone = estimate(dist, options=PATH)
        assert _terms(result) == pytest.approx(_terms(alone), abs=2 * TOL)
        assert _terms(fallback) == pytest.approx(_terms(alone), abs=2 * TOL)


@pytest.mark.parametrize("field", ["small_multipliers", "small_iterations"])
def test_small_table_options_are_validated(field):
    with pytest.raises(ValueError, match=field):
        NewtonOptions(**{field: -1})
    with pytest.raises(ValueError, match=field):
        NewtonOptions(**{field: 2.5})


def test_a_table_off_the_marginals_is_moved_back_onto_them(rng):
    dist = Distribution.from_table(random_table(rng, (3, 4, 2)))
    system = CellSystem.of(dist.p_x1_y, dist.p_x2_y)
    q = dist.table[system.cells] * (1 + 1e-9 * rng.standard_normal(system.cells[0].shape))
    assert table_residual(dist, system.table(q)) > 1e-11
    restored, factored = interior_point.restore(
        q, system.lam_index, system.mu_index, system.targets
    )
    assert factored
    assert table_residual(dist, system.table(restored)) <= 1e-15
    assert np.abs(restored / q - 1).max() <= 1e-8  # each cell moved in proportion to itself


def test_an_ill_conditioned_last_step_is_certified_on_the_marginals():
    # The sixteenth of these tables has a pair whose mass vanishes at the optimum: the last
    # Newton step met the marginals only to 4e-9, and the table fell back to the path.
    draws = np.random.default_rng(1)
    tables = [draws.dirichlet(np.ones(8)).reshape(2, 2, 2) for _ in range(16)]
    small = _check_agreement(Distribution.from_table(tables[15]))
    assert small.diagnostics["max_marginal_residual"] <= 1e-15


def test_tables_of_one_support_share_its_cells_and_keep_their_own_marginals(rng):
    first, second = (Distribution.from_table(random_sparse_table(rng, (4, 3, 3))) for _ in range(2))
    for dist in (first, second, first):
        kept, fresh = (make(dist.p_x1_y, dist.p_x2_y) for make in (CellSystem.of, CellSystem.build))
        for name in ("pair_starts", "pair_of", "row_starts", "lam_index", "mu_index"):
            assert np.array_equal(getattr(kept, name), getattr(fresh, name))
        assert all(np.array_equal(k, f) for k, f in zip(kept.cells, fresh.cells, strict=True))
        assert np.array_equal(kept.targets, fresh.targets)
        assert np.array_equal(kept.row_mass, fresh.row_mass)
    assert CellSystem.of(first.p_x1_y * 2, first.p_x2_y).lam_index is kept.lam_index
    assert not kept.lam_index.flags.writeable  # shared, so read-only


def test_the_cells_rows_are_the_constraint_matrix(rng):
    dist = Distribution.from_table(random_sparse_table(rng, (4, 5, 3)))
    system = CellSystem.of(dist.p_x1_y, dist.p_x2_y)
    # A, written out: a row per non-zero p(x1, y), then per non-zero p(x2, y) but the first
    # x2 of each label.
    lam_rows, mu_rows = np.argwhere(system.lam_rows), np.argwhere(system.mu_rows)
    x1, x2, y = system.cells
    a = np.array(
        [(x1 == i) & (y == label) for i, label in lam_rows]
        + [(x2 == j) & (y == label) for j, label in mu_rows],
        dtype=float,
    )
    v, nu = rng.random((2, a.shape[1])), rng.normal(size=(3, a.shape[0]))
    applied = interior_point.apply_constraints(v, system.lam_index, system.mu_index, len(a))
    assert applied == pytest.approx(v @ a.T, abs=1e-15)
    assert interior_point.transpose_constraints(
        nu, system.lam_index, system.mu_index
    ) == pytest.approx(nu @ a, abs=1e-15)
    assert a @ dist.table[system.cells] == pytest.approx(system.targets, abs=1e-15)
    assert len(system.pair_starts) == system.pair_of[-1] + 2  # followed by the cell count
    assert system.pair_starts[-1] == a.shape[1] and system.row_starts[-1] == system.pair_of[-1] + 1
    weight = rng.random(a.shape[1])
    gram = interior_point.gram_lower(weight, system.lam_index, system.mu_index, len(a))
    assert gram == pytest.approx(np.tril((a * weight) @ a.T), abs=1e-15)


@pytest.mark.parametrize("size", [1, 6, 40])
def test_the_compiled_cholesky_solves_like_lapack(rng, size):
    a = rng.normal(size=(size, 2 * size))
    matrix, rhs = a @ a.T, rng.normal(size=(2, size))  # two right-hand sides, as rows
    factor = matrix.copy()
    assert interior_point.cholesky(factor)
    assert np.tril(factor) == pytest.approx(np.linalg.cholesky(matrix), abs=1e-12)
    solution = interior_point.cholesky_solve(factor, rhs.copy())
    assert solution == pytest.approx(np.linalg.solve(matrix, rhs.T).T, rel=1e-9, abs=1e-12)


def test_the_compiled_cholesky_skips_the_zeros_before_each_row(rng):
    # The systems' shape: block-diagonal lam-lam blocks (one per x1), then dense mu rows.
    blocks = [rng.normal(size=(3, 6)) for _ in range(4)]
    lam = np.zeros((12, 12))
    for b, block in enumerate(blocks):
        lam[3 * b : 3 * b + 3, 3 * b : 3 * b + 3] = block @ block.T
    coupling = rng.normal(size=(5, 12)) * 0.1
    matrix = np.block([[lam, coupling.T], [coupling, 5 * np.eye(5)]])
    factor = matrix.copy()
    assert interior_point.cholesky(factor)
    assert np.tril(factor) == pytest.approx(np.linalg.cholesky(matrix), abs=1e-12)


@pytest.mark.parametrize("size", [1, 2, 7, 30, 64])
def test_the_compiled_cholesky_on_random_zero_patterns(rng, size):
    # Rows whose first entries are zero (some all zero before the diagonal), arrows, and a
    # product that cancels to an exact zero: the sums may start at any row's first non-zero.
    for _ in range(5):
        mask = np.tril(rng.random((size, size)) < rng.uniform(0.05, 0.6), k=-1)
        entries = rng.normal(size=(size, size)) / np.sqrt(size)  # well conditioned
        lower = np.where(mask, entries, 0.0) + np.diag(rng.uniform(1.0, 2.0, size))
        if size >= 3:  # A[2, 1] = L[2] . L[1] = 1 - 1 cancels to an exact zero
            lower[1, :2] = [1.0, 1.0]
            lower[2, :2] = [1.0, -1.0]
        matrix = lower @ lower.T
        factor = matrix.copy()
        assert interior_point.cholesky(factor)
        assert np.tril(factor) == pytest.approx(lower, abs=1e-12)  # the factor is unique


def test_a_table_with_more_x2_entries_is_solved_with_the_modalities_swapped(rng):
    dist = Distribution.from_table(random_table(rng, (2, 9, 3)))
    solution = solve_small_table(dist.p_x1_y, dist.p_x2_y, TOL, NewtonOptions())
    swapped = solve_small_table(dist.p_x2_y, dist.p_x1_y, TOL, NewtonOptions())
    assert solution.q.shape == (2, 9, 3)
    assert table_residual(dist, solution.q) <= 1e-13
    assert np.array_equal(solution.q, swapped.q.transpose(1, 0, 2))
    _check_agreement(dist)


def test_the_compiled_cholesky_refuses_an_indefinite_matrix():
    assert not interior_point.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert not interior_point.cholesky(np.zeros((3, 3)))


def test_without_numba_every_table_takes_the_path(rng, monkeypatch):
    # numba is a dependency; an environment without it still gets certified answers.
    dist = Distribution.from_table(random_table(rng, (3, 3, 2)))
    compiled = estimate(dist)
    monkeypatch.setattr(interior_point, "COMPILED", False)
    assert solve_small_table(dist.p_x1_y, dist.p_x2_y, TOL, NewtonOptions()) is None
    result = estimate(dist)
    assert result.diagnostics["algorithm"] == "smoothed-dual path"
    assert _terms(result) == pytest.approx(_terms(compiled), abs=2 * TOL)


def test_a_start_that_underflows_leaves_the_table_to_the_path():
    # p(x1, y) p(x2, y) / p(y) is 5e-324 on two cells: a step divides by zero, which gives
    # inf (as in numpy), not an exception, and the path answers.
    table = np.zeros((2, 2, 2))
    table[0, 1, 0] = table[1, 0, 0] = 2.3e-162
    table[1, 1, 0] = 0.9
    table[1, 1, 1] = 0.1 - 4.6e-162
    dist = Distribution.from_table(table)
    assert solve_small_table(dist.p_x1_y, dist.p_x2_y, TOL, NewtonOptions()) is None
    result = estimate(dist)
    assert result.diagnostics["algorithm"] == "smoothed-dual path"
    assert result.diagnostics["gap_bits"] <= TOL
    assert _terms(result) == pytest.approx(_terms(estimate(dist, options=PATH)), abs=2 * TOL)


def test_the_answer_never_loses_to_the_conditional_product():
    # A table of probabilities down to 1e-30 where the small method's own point stops below
    # the conditional product's H(Y|X1,X2): kept, its R came out at -4e-9 bits and was clipped
    # to 0, breaking R + U1 = I(X1;Y). The best of the three feasible points is kept instead.
    cells = [8.621666770787013e-10, 5.082349952050666e-24, 1.7989908943668285e-20,
             1.409821558819636e-05, 5.5289162142859845e-15, 1.5680598889097304e-24,
             7.076280398497346e-11, 1.2058910534833302e-08, 4.8470190964778164e-27,
             2.2791908995804848e-05, 5.435974741403891e-30, 0.9998678172593737,
             3.662197722139861e-09, 4.9941062780247994e-14, 1.244248661081988e-20,
             2.3011152210125827e-21, 9.504660365313559e-05, 2.7312599933523566e-22,
             7.347905094834606e-11, 2.2928481677402138e-07]  # fmt: skip
    dist = Distribution.from_table(np.array(cells).reshape(2, 5, 2))
    result = estimate(dist)
    assert result.diagnostics["algorithm"] == "small-table interior point"
    product = dist.p_x1_y[:, None, :] * dist.p_x2_y[None, :, :] / dist.p_y
    redundancy_of_product = (
        dist.mi_x1_y
        + dist.mi_x2_y
        - dist.entropy_y
        + (-np.sum(product * np.log2(product / product.sum(axis=2, keepdims=True))))
    )
    assert result.R >= redundancy_of_product > 1e-9
    assert result.R + result.U1 == pytest.approx(dist.mi_x1_y, abs=1e-15)
    assert result.R + result.U2 == pytest.approx(dist.mi_x2_y, abs=1e-15)
