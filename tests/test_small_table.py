"""The small-table interior-point method: agreement with the path and cvxpy, its certificate,
edge cases, and the fallback to the path."""

import numpy as np
import pytest
from conftest import random_sparse_table, random_table

from pid import Distribution, estimate
from pid.backend import namespace
from pid.datasets.bitwise import CANONICAL, canonical
from pid.estimators.exact import NewtonOptions, cvx_batch
from pid.estimators.exact.certificate import dual_bound_bits, table_residual
from pid.estimators.exact.problem import Problem
from pid.estimators.exact.small_table import (
    CellSystem,
    feasible_cells,
    gibbs_gap_bits,
    restore_feasibility,
    solve_small_table,
)

SMALL = "small-table interior point"
PATH = NewtonOptions(small_cells=0)  # the smoothed-dual path only
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
    # gibbs_gap_bits evaluates the bound of certificate.dual_bound_bits on the cells.
    table = random_table(rng, (4, 3, 3))
    table[0, :, 1] = 0.0  # p(x1, y) = 0 there: no feasible cell
    dist = Distribution.from_table(table / table.sum())
    system = CellSystem.of(dist.p_x1_y, dist.p_x2_y)
    nu = rng.normal(size=system.targets.shape)
    q = dist.table[system.cells]
    log_c = np.log(q / dist.p_x1_x2[system.cells[:2]])
    lower, upper = gibbs_gap_bits(system, q, log_c, nu, nu @ system.constraints)
    lam, mu = system.multipliers(nu)
    prob = Problem(dist.p_x1_y[None], dist.p_x2_y[None], namespace(None))
    assert upper == pytest.approx(float(dual_bound_bits(prob, lam[None], mu[None])[0]), abs=1e-12)
    assert lower == pytest.approx(dist.entropy_y - dist.mi_x1x2_y, abs=1e-12)


def test_the_solution_is_feasible_and_certified(rng):
    dist = Distribution.from_table(random_table(rng, (5, 4, 3)))
    solution = solve_small_table(dist.p_x1_y, dist.p_x2_y, TOL, NewtonOptions())
    assert solution is not None
    assert table_residual(dist, solution.q) <= 1e-13
    assert solution.gap_bits <= TOL
    assert solution.n_variables == feasible_cells(dist.p_x1_y, dist.p_x2_y) == 60


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
    assert estimate(dist, options=NewtonOptions(small_cells=26)).diagnostics["algorithm"] == (
        "smoothed-dual path"
    )
    assert estimate(dist, options=NewtonOptions(small_cells=27)).diagnostics["algorithm"] == SMALL


def test_batches_stack_shared_shapes_and_solve_lone_ones_small(rng):
    shapes = ((2, 2, 2), (3, 3, 3), (3, 3, 3), (4, 4, 2))
    dists = [Distribution.from_table(random_table(rng, s)) for s in shapes]
    results = cvx_batch(dists, options=NewtonOptions(small_cells=30))
    algorithms = [r.diagnostics["algorithm"] for r in results]
    assert algorithms == [SMALL, "smoothed-dual path", "smoothed-dual path", "smoothed-dual path"]
    for dist, result in zip(dists, results, strict=True):
        alone = estimate(dist, options=PATH)
        assert _terms(result) == pytest.approx(_terms(alone), abs=2 * TOL)


@pytest.mark.parametrize("field", ["small_cells", "small_iterations"])
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
    restored = restore_feasibility(system, q)
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
        for name in ("pair_starts", "pair_of", "row_starts", "constraints", "kkt_entries"):
            assert np.array_equal(getattr(kept, name), getattr(fresh, name))
        assert all(np.array_equal(k, f) for k, f in zip(kept.cells, fresh.cells, strict=True))
        assert np.array_equal(kept.targets, fresh.targets)
        assert np.array_equal(kept.row_mass, fresh.row_mass)
    assert CellSystem.of(first.p_x1_y * 2, first.p_x2_y).constraints is kept.constraints
    assert not kept.constraints.flags.writeable  # shared, so read-only
