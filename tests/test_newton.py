"""The dedicated CVX solver: exact values, the cvxpy reference, degenerate inputs, batches."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import random_shape, random_sparse_table, random_table, torch_devices

from pid import Distribution, estimate
from pid.backend import namespace
from pid.datasets import canonical
from pid.estimators.exact import (
    NewtonOptions,
    certificate,
    cvx_batch,
    maximize_conditional_entropy,
    path,
    problem,
    systems,
)
from pid.estimators.exact.matrix_free import PairHessian, conjugate_gradient
from pid.estimators.exact.memory import check_size, chunks
from pid.information import entropy

H_QUARTER = entropy([0.25, 0.75])

# None: numpy; the torch path runs the same solver on every device there is.
DEVICES = [None, *torch_devices()]


def _cvxpy(dist: Distribution, **options):
    """The independent reference: the cvxpy formulation (skipped where cvxpy is not installed,
    as on a GPU image without it, where benchmarks/gpu_check.py runs the tests marked cuda)."""
    pytest.importorskip("cvxpy")
    return estimate(dist, method="cvxpy", **options)


# Exact values in closed form, in bits.
EXACT = {
    "and": (H_QUARTER - 0.5, 0.0, 0.0, 0.5),
    "or": (H_QUARTER - 0.5, 0.0, 0.0, 0.5),
    "xor": (0.0, 0.0, 0.0, 1.0),
    "rdn": (1.0, 0.0, 0.0, 0.0),
    "unq": (0.0, 1.0, 0.0, 0.0),
    "copy": (0.0, 1.0, 1.0, 0.0),
    "sum": (0.5, 0.0, 0.0, 1.0),
    "rdn_xor": (1.0, 0.0, 0.0, 1.0),
    "diff": (2 * H_QUARTER - 1.5, 1 - H_QUARTER, 1 - H_QUARTER, 0.0),
    "reduced_or": (H_QUARTER - 0.5, 0.0, 0.0, 1.5 - H_QUARTER),
    "imperfect_rdn": (
        1 - 0.501 * entropy([0.001 / 0.501, 0.5 / 0.501]),
        0.501 * entropy([0.001 / 0.501, 0.5 / 0.501]),
        0.0,
        0.0,
    ),
}


def _terms(result):
    return np.array([result.R, result.U1, result.U2, result.S])


def _optimum_bits(dist):
    reference = _cvxpy(dist, tol_bits=1e-9)
    return dist.entropy_y - (dist.mi_x1_y + dist.mi_x2_y - reference.R)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_canonical_distributions_to_1e8(name):
    result = estimate(canonical(name), tol_bits=5e-9)
    np.testing.assert_allclose(_terms(result), EXACT[name], atol=1e-8)
    assert result.diagnostics["gap_bits"] <= 5e-9


def test_agrees_with_the_cvxpy_reference_on_mixed_shapes(rng):
    for trial in range(40):
        shape = random_shape(rng, max_x=7, max_y=4)
        table = random_sparse_table(rng, shape) if trial % 2 else random_table(rng, shape)
        dist = Distribution.from_table(table)
        fast = estimate(dist)
        reference = _cvxpy(dist, tol_bits=1e-9)
        np.testing.assert_allclose(_terms(fast), _terms(reference), atol=1e-6, err_msg=str(shape))
        assert fast.diagnostics["gap_bits"] <= 1e-7


def _assert_within_both_gaps(fast, reference):
    # Each term moves with the optimum one for one: the two gaps bound the difference.
    both = fast.diagnostics["gap_bits"] + reference.diagnostics["gap_bits"]
    np.testing.assert_allclose(_terms(fast), _terms(reference), atol=both + 1e-10)


MATRIX_FREE = NewtonOptions(matrix_free_size=0)  # every Newton system solved matrix-free


# More than 64 multipliers: the Newton systems are solved by the Schur complement, or, with
# matrix_free_size at 0, all of them matrix-free.
@pytest.mark.parametrize(
    ("options", "device"),
    [(NewtonOptions(), None)] + [(MATRIX_FREE, device) for device in DEVICES],
)
def test_agrees_with_the_cvxpy_reference_on_larger_systems(rng, options, device):
    for trial, shape in enumerate([(16, 12, 5), (12, 16, 4), (20, 9, 6), (14, 14, 3)]):
        table = random_sparse_table(rng, shape) if trial % 2 == 0 else random_table(rng, shape)
        dist = Distribution.from_table(table)
        fast = estimate(dist, tol_bits=1e-8, device=device, options=options)
        reference = _cvxpy(dist, tol_bits=1e-7)
        _assert_within_both_gaps(fast, reference)
        assert fast.diagnostics["gap_bits"] <= 1e-8


def test_conjugate_gradients_that_miss_hand_over_to_the_schur_complement(rng):
    table = random_sparse_table(rng, (16, 12, 5))
    p1, p2 = table.sum(axis=1)[None], table.sum(axis=0)[None]
    # Levels are never retried, so that no solve gives its level up (test below).
    never_retried = NewtonOptions(crawl=0.0)
    schur = maximize_conditional_entropy(p1, p2, tol_bits=1e-8, options=never_retried)
    missing = NewtonOptions(crawl=0.0, matrix_free_size=0, cg_iterations=1)  # every solve misses
    handed_over = maximize_conditional_entropy(p1, p2, tol_bits=1e-8, options=missing)
    assert handed_over.newton_steps == schur.newton_steps
    assert abs(handed_over.lower_bits[0] - schur.lower_bits[0]) <= 1e-12
    # No room for the Schur complement: inexact steps only.
    inexact = NewtonOptions(
        crawl=0.0, matrix_free_size=0, cg_iterations=1, schur_fallback_numbers=0, max_steps=60
    )
    alone = maximize_conditional_entropy(p1, p2, tol_bits=1e-8, options=inexact)
    assert alone.lower_bits[0] - 1e-9 <= schur.upper_bits[0]
    assert schur.lower_bits[0] - 1e-9 <= alone.upper_bits[0]


def test_a_level_that_can_be_retried_gives_up_on_a_missed_system(rng, monkeypatch):
    table = random_sparse_table(rng, (16, 12, 5))
    p1, p2 = table.sum(axis=1)[None], table.sum(axis=0)[None]
    centre, outcomes = path.centre_level, []

    def recording(prob, lam, mu, state, eps, budget, frozen, crawl):
        found = centre(prob, lam, mu, state, eps, budget, frozen, crawl)
        outcomes.append((crawl, found[3], found[4]))
        return found

    monkeypatch.setattr(path, "centre_level", recording)
    missing = NewtonOptions(matrix_free_size=0, cg_iterations=3)  # at small eps, misses
    solution = maximize_conditional_entropy(p1, p2, tol_bits=1e-8, options=missing)
    assert solution.gap_bits[0] <= 1e-8
    # Given up after one step, then retried with a shorter step, down to a last resort,
    # which never gives up.
    given_up = [taken for crawl, taken, settled in outcomes if crawl > 0 and not settled]
    assert given_up.count(1) >= 3
    assert any(crawl == 0.0 and settled for crawl, _, settled in outcomes)


def test_steps_close_to_the_threshold_solve_their_systems_loosely(rng, monkeypatch):
    table = random_sparse_table(rng, (16, 12, 5))
    p1, p2 = table.sum(axis=1)[None], table.sum(axis=0)[None]
    solve, tolerances, loose = systems.conjugate_gradient, [], []
    usual = NewtonOptions().cg_tolerance

    def products(xp, apply, precondition, rhs, tolerance, iterations):
        count = [0]

        def counted(v):
            count[0] += 1
            return apply(v)

        found = solve(xp, counted, precondition, rhs, tolerance, iterations)
        return found, count[0]

    def recording(xp, apply, precondition, rhs, tolerance, iterations):
        found, count = products(xp, apply, precondition, rhs, tolerance, iterations)
        tolerances.append(tolerance)
        if tolerance > usual:  # loosened: the usual solve for comparison
            strict = products(xp, apply, precondition, rhs, usual, iterations)
            loose.append((tolerance, count, strict[1]))
        return found

    monkeypatch.setattr(systems, "conjugate_gradient", recording)
    forced = maximize_conditional_entropy(p1, p2, tol_bits=1e-8, options=MATRIX_FREE)
    assert forced.gap_bits[0] <= 1e-8
    # At least a fifth of the products of the usual tolerance saved.
    assert len(loose) >= 3
    assert sum(n for _, n, _ in loose) <= 0.8 * sum(n for _, _, n in loose)
    tolerances[:] = []
    unforced = NewtonOptions(matrix_free_size=0, forcing=0.0)
    plain = maximize_conditional_entropy(p1, p2, tol_bits=1e-8, options=unforced)
    assert set(tolerances) == {usual, unforced.tangent_tolerance}
    assert abs(forced.lower_bits[0] - plain.lower_bits[0]) <= 2e-8


def test_matrix_free_batches_match_single_solves(rng):
    tables = [random_sparse_table(rng, (14, 12, 4)), random_table(rng, (14, 12, 4))]
    p1 = np.stack([t.sum(axis=1) for t in tables])
    p2 = np.stack([t.sum(axis=0) for t in tables])
    batch = maximize_conditional_entropy(p1, p2, tol_bits=1e-8, options=MATRIX_FREE)
    for b in range(2):
        single = maximize_conditional_entropy(
            p1[b : b + 1], p2[b : b + 1], tol_bits=1e-8, options=MATRIX_FREE
        )
        both = batch.gap_bits[b] + single.gap_bits[0]
        assert max(batch.gap_bits[b], single.gap_bits[0]) <= 1e-8
        assert abs(batch.lower_bits[b] - single.lower_bits[0]) <= both + 1e-12


def test_large_systems_are_solved_matrix_free_to_the_schur_answer(rng, monkeypatch):
    table = random_table(rng, (24, 16, 10))  # 160 mu variables: above MATRIX_FREE_SIZE
    p1, p2 = table.sum(axis=1)[None], table.sum(axis=0)[None]
    solver, calls = systems._matrix_free_solver, []
    monkeypatch.setattr(systems, "_matrix_free_solver", lambda *a: calls.append(1) or solver(*a))
    matrix_free = maximize_conditional_entropy(p1, p2, tol_bits=1e-8)
    assert calls
    calls.clear()
    options = NewtonOptions(matrix_free_size=10_000)
    schur = maximize_conditional_entropy(p1, p2, tol_bits=1e-8, options=options)
    assert not calls
    both = matrix_free.gap_bits[0] + schur.gap_bits[0]
    assert max(matrix_free.gap_bits[0], schur.gap_bits[0]) <= 1e-8
    assert abs(matrix_free.lower_bits[0] - schur.lower_bits[0]) <= both


@pytest.mark.parametrize("every_pair", [0.5, 2.0])  # the whole table; gathered pairs
@pytest.mark.parametrize("device", DEVICES)
def test_pair_hessian_products_match_the_dense_hessian(rng, device, every_pair):
    xp = namespace(device)
    table = random_sparse_table(rng, (9, 7, 4))
    prob = problem.Problem(
        xp.asarray(table.sum(axis=1)[None]), xp.asarray(table.sum(axis=0)[None]), xp
    )
    lam = xp.asarray(rng.normal(size=(1, 9, 4)))
    mu = xp.asarray(rng.normal(size=(1, 7, 4)))
    eps = 0.05
    state = problem.evaluate(prob, lam, mu, eps)
    dense = xp.to_numpy(systems.dense_hessian(prob, systems.hessian_blocks(prob, state, eps)))[0]
    free = np.concatenate([table.sum(axis=1).ravel() > 0, table.sum(axis=0).ravel() > 0])
    direction = rng.normal(size=free.size) * free
    hessian = PairHessian(xp, state.table, 0, state.omega[0], state.w[0], eps, 0.0, every_pair)
    assert hessian.every_pair == (every_pair < 1)
    product = xp.to_numpy(hessian.times(xp.asarray(direction)))
    expected = dense @ direction
    np.testing.assert_allclose(product, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("device", DEVICES)
def test_the_preconditioner_blocks_are_the_hessians_diagonal_blocks(rng, device):
    xp = namespace(device)
    table = random_sparse_table(rng, (9, 7, 4))
    prob = problem.Problem(
        xp.asarray(table.sum(axis=1)[None]), xp.asarray(table.sum(axis=0)[None]), xp
    )
    lam, mu = (xp.asarray(rng.normal(size=(1, n, 4))) for n in (9, 7))
    eps = 0.05
    state = problem.evaluate(prob, lam, mu, eps)
    hessian = xp.to_numpy(systems.dense_hessian(prob, systems.hessian_blocks(prob, state, eps)))[0]
    lam_blocks = xp.to_numpy(systems.preconditioner_lam_blocks(prob, state, eps))[0]
    mu_blocks = xp.to_numpy(systems.preconditioner_mu_blocks(prob, state, eps))[0]
    blocks = np.concatenate([lam_blocks, mu_blocks])
    for k in range(16):
        diagonal = hessian[4 * k : 4 * k + 4, 4 * k : 4 * k + 4]
        np.testing.assert_allclose(blocks[k], diagonal, rtol=0, atol=1e-12)


def test_conjugate_gradient_stops_at_its_relative_residual(rng):
    xp = namespace(None)
    basis = np.linalg.qr(rng.normal(size=(40, 40)))[0]
    matrix = basis @ np.diag(np.logspace(0, 4, 40)) @ basis.T
    rhs = rng.normal(size=40)
    inverse_diagonal = 1.0 / np.diag(matrix)
    for tolerance in (1e-2, 1e-10):
        x, converged = conjugate_gradient(
            xp, lambda v: matrix @ v, lambda v: inverse_diagonal * v, rhs, tolerance, 1000
        )
        assert converged
        assert np.linalg.norm(rhs - matrix @ x) <= tolerance * np.linalg.norm(rhs)
    np.testing.assert_allclose(x, np.linalg.solve(matrix, rhs), rtol=1e-6)
    short, converged = conjugate_gradient(
        xp, lambda v: matrix @ v, lambda v: inverse_diagonal * v, rhs, 1e-10, 3
    )
    assert not converged and rhs @ short > 0  # still a descent direction
    zero, converged = conjugate_gradient(
        xp, lambda v: matrix @ v, lambda v: v, np.zeros(40), 1e-2, 10
    )
    assert converged and not zero.any()


def test_hopeless_levels_skip_rounding_yet_the_answer_is_the_last_point(rng, monkeypatch):
    dist = Distribution.from_table(random_table(rng, (8, 7, 3)))
    optimum = _optimum_bits(dist)
    project, centre, rounded, levels = certificate.project, path.centre_level, [], []
    monkeypatch.setattr(certificate, "project", lambda *args: rounded.append(1) or project(*args))

    def recording(prob, lam, mu, state, eps, *rest):
        levels.append(eps)
        return centre(prob, lam, mu, state, eps, *rest)

    monkeypatch.setattr(path, "centre_level", recording)
    # 1e-15 bits is out of reach within six steps: no level in between is worth rounding.
    solution = maximize_conditional_entropy(
        dist.p_x1_y[None], dist.p_x2_y[None], tol_bits=1e-15, options=NewtonOptions(max_steps=6)
    )
    assert len(rounded) == 2  # the start, and the last point once the steps ran out
    assert solution.epsilon[0] == levels[-1]
    assert solution.lower_bits[0] - 1e-9 <= optimum <= solution.upper_bits[0] + 1e-9


@pytest.mark.parametrize("device", DEVICES)
def test_empty_cells_of_the_first_modality_are_left_out_of_the_schur_product(
    rng, monkeypatch, device
):
    # Whole (x1, ., y) slices empty: their rows of the elimination are zero and skipped.
    table = random_table(rng, (16, 12, 5)) * (rng.random((16, 1, 5)) < 0.6)
    dist = Distribution.from_table(table / table.sum())
    assert (dist.p_x1_y == 0).mean() > 0.2
    skipped = []
    elimination = systems.Elimination

    class EveryRow(elimination):
        def __init__(self, *args):
            skipped.append(args[-1] is not None)
            super().__init__(*args[:-1], None)

    def solve():
        return maximize_conditional_entropy(
            dist.p_x1_y[None], dist.p_x2_y[None], tol_bits=1e-8, device=device
        )

    with monkeypatch.context() as patch:
        patch.setattr(systems, "Elimination", EveryRow)
        every_row = solve()
    assert any(skipped)
    fewer_rows = solve()
    assert fewer_rows.newton_steps == every_row.newton_steps
    assert abs(fewer_rows.lower_bits[0] - every_row.lower_bits[0]) <= 1e-12
    fast = estimate(dist, tol_bits=1e-8, device=device)
    reference = _cvxpy(dist, tol_bits=1e-7)
    _assert_within_both_gaps(fast, reference)
    assert fast.diagnostics["gap_bits"] <= 1e-8


def test_certificate_brackets_the_reference_optimum(rng):
    for _ in range(20):
        table = random_table(rng, random_shape(rng, max_x=6, max_y=3))
        dist = Distribution.from_table(table)
        solution = maximize_conditional_entropy(dist.p_x1_y[None], dist.p_x2_y[None], tol_bits=1e-8)
        optimum = _optimum_bits(dist)
        assert solution.lower_bits[0] - 1e-9 <= optimum <= solution.upper_bits[0] + 1e-9
        q = solution.q[0]
        assert np.abs(q.sum(axis=1) - dist.p_x1_y).max() <= 1e-12
        assert np.abs(q.sum(axis=0) - dist.p_x2_y).max() <= 1e-12
        assert q.min() >= 0.0


def test_an_early_stop_still_brackets_the_optimum(rng):
    for _ in range(5):
        dist = Distribution.from_table(random_table(rng, random_shape(rng, max_x=6, max_y=3)))
        optimum = _optimum_bits(dist)
        for max_steps in (0, 1, 3, 6):
            solution = maximize_conditional_entropy(
                dist.p_x1_y[None], dist.p_x2_y[None], options=NewtonOptions(max_steps=max_steps)
            )
            assert solution.lower_bits[0] - 1e-9 <= optimum <= solution.upper_bits[0] + 1e-9


def test_the_extrapolated_dual_bound_is_far_tighter_at_small_smoothing(rng, monkeypatch):
    dist = Distribution.from_table(random_table(rng, (12, 10, 4)))
    optimum = _optimum_bits(dist)
    certify, seen = path.certify, []

    def recording(prob, lam, mu, state, eps, tangent, *tolerances):
        plain = certificate.dual_bound_bits(prob, lam, mu, state.g)[0]
        # A certificate at every level; a zero tolerance leaves the bound untightened.
        found = certify(prob, lam, mu, state, eps, tangent, 0.0)
        seen.append((eps, plain - optimum, found.upper_bits[0] - optimum))
        return found

    monkeypatch.setattr(path, "certify", recording)
    maximize_conditional_entropy(dist.p_x1_y[None], dist.p_x2_y[None], tol_bits=1e-10)
    small = [(plain, extrapolated) for eps, plain, extrapolated in seen if eps <= 1e-5]
    assert small
    for plain, extrapolated in small:
        assert -1e-9 <= extrapolated <= 0.1 * plain


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # the NaN tangent itself
@pytest.mark.parametrize("scale", [np.nan, 1e12])
def test_a_broken_tangent_neither_moves_nor_loosens_the_certificate(rng, monkeypatch, scale):
    dist = Distribution.from_table(random_table(rng, (6, 5, 3)))
    optimum = _optimum_bits(dist)
    tangent = path.path_tangent
    monkeypatch.setattr(path, "path_tangent", lambda *a: tuple(t * scale for t in tangent(*a)))
    solution = maximize_conditional_entropy(
        dist.p_x1_y[None], dist.p_x2_y[None], options=NewtonOptions(max_steps=40)
    )
    assert np.isfinite(solution.lower_bits[0]) and np.isfinite(solution.upper_bits[0])
    assert solution.lower_bits[0] - 1e-9 <= optimum <= solution.upper_bits[0] + 1e-9
    assert solution.gap_bits[0] <= 1e-3  # without a usable tangent the path still advances


def test_the_extrapolated_bound_is_ignored_beyond_the_step_cap(rng):
    dist = Distribution.from_table(random_table(rng, (6, 5, 3)))
    prob = problem.Problem(dist.p_x1_y[None], dist.p_x2_y[None], namespace(None))
    solution = maximize_conditional_entropy(
        dist.p_x1_y[None], dist.p_x2_y[None], options=NewtonOptions(max_steps=6)
    )
    eps = solution.epsilon[0]
    lam, mu = prob.start()
    unfrozen = np.zeros(1, bool)
    for _ in range(3):  # centre at eps from the closed-form start, level by level
        state = problem.evaluate(prob, lam, mu, eps)
        lam, mu, state, *_ = path.centre_level(prob, lam, mu, state, eps, 50, unfrozen, 0.0)
    tangent = path.path_tangent(prob, state, eps)
    plain = certificate.dual_bound_bits(prob, lam, mu, state.g)[0]
    useful = certificate.certify(prob, lam, mu, state, eps, tangent, 0.0).upper_bits[0]
    # Adding a constant to each row of lam leaves every bound unchanged in exact arithmetic;
    # scaled far beyond STEP_CAP it makes the extrapolated bound's rounding unreliable.
    gauge = np.ones_like(tangent[0]) * (1e6 / eps)
    far = certificate.certify(prob, lam, mu, state, eps, (tangent[0] + gauge, tangent[1]), 0.0)
    assert useful < plain
    assert far.upper_bits[0] == plain


def test_a_level_backs_off_to_a_last_resort_that_centres_through_short_steps(monkeypatch):
    dist = Distribution.from_table(random_table(np.random.default_rng(0), (8, 8, 3)))
    centre, calls = path.centre_level, []

    def recording(prob, lam, mu, state, eps, budget, frozen, crawl):
        calls.append((budget, crawl))
        return centre(prob, lam, mu, state, eps, budget, frozen, crawl)

    monkeypatch.setattr(path, "centre_level", recording)
    # Ordinary levels of one step rarely settle: the solver backs off.
    options = NewtonOptions(level_steps=1, max_steps=200)
    maximize_conditional_entropy(dist.p_x1_y[None], dist.p_x2_y[None], options=options)
    ordinary = {call for call in calls if call[1] == options.crawl}
    last = [budget for budget, crawl in calls if crawl == 0.0]
    assert ordinary and all(budget == 1 for budget, _ in ordinary)
    assert last and max(last) == options.last_resort_steps


def test_a_last_resort_level_centres_through_short_steps():
    dist = Distribution.from_table(random_table(np.random.default_rng(0), (8, 8, 3)))
    prob = problem.Problem(dist.p_x1_y[None], dist.p_x2_y[None], namespace(None))
    lam, mu = prob.start()  # centred at eps = 1, far from the path at eps = 0.03
    eps, unfrozen, crawl = 0.03, np.zeros(1, dtype=bool), prob.options.crawl
    state = problem.evaluate(prob, lam, mu, eps)
    *_, settled = path.centre_level(prob, lam, mu, state, eps, 100, unfrozen, crawl)
    assert not settled  # an ordinary level gives up on its first short step
    _, _, centred, taken, settled = path.centre_level(prob, lam, mu, state, eps, 100, unfrozen, 0.0)
    assert settled and taken < 100
    residual = problem.largest(prob, problem.gradient(prob, centred))[0]
    assert residual <= prob.options.centering * eps


def test_a_trial_off_the_path_is_never_accepted(rng):
    joint = random_table(rng, (5, 4, 3))
    prob = problem.Problem(joint.sum(axis=1)[None], joint.sum(axis=0)[None], namespace(None))
    lam, mu = prob.start()
    state = problem.evaluate(prob, lam, mu, 0.1)
    d_lam, d_mu = np.zeros_like(lam), np.zeros_like(mu)
    d_lam[0, 2, 1] -= 800.0
    d_mu[0] += np.array([-800.0, 0.0, -800.0])  # no pair of row 2 fits the factors any more
    trial = problem.evaluate(prob, lam + d_lam, mu + d_mu, 0.1)
    assert trial.value[0] == np.inf and np.isfinite(state.value[0])
    g1, g2 = problem.gradient(prob, trial)
    slope = (g1 * d_lam).sum() + (g2 * d_mu).sum()
    decrement = np.array([4.0 * abs(slope)])  # the slope test alone would accept the trial
    assert not path.acceptable_step(prob, state, trial, np.ones(1), d_lam, d_mu, decrement)[0]


def test_rounding_a_point_with_an_underflowed_row_stays_finite_and_silent():
    dist = Distribution.from_table(random_table(np.random.default_rng(1), (3, 4, 2)))
    prob = problem.Problem(dist.p_x1_y[None], dist.p_x2_y[None], namespace(None))
    # The conditional product p(x1, y) p(x2, y) / p(y), as factors.
    mass, lam_factor, mu_factor = np.ones((1, 3, 4)), prob.p1.copy(), prob.p2 / dist.p_y
    lam_factor[0, 1, 0] *= 1e-320  # a row far off the path: its sum is subnormal
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rounded = certificate.project(prob, mass, lam_factor, mu_factor)
    assert np.isfinite(rounded).all() and rounded.min() >= 0.0
    residual = problem.largest(prob, problem.marginal_residual(prob, rounded))[0]
    assert residual <= prob.options.feasible_residual


def _assert_clean(result, dist):
    terms = _terms(result)
    assert np.all(np.isfinite(terms))
    assert terms.min() >= -1e-12
    assert terms.sum() == pytest.approx(dist.mi_x1x2_y, abs=1e-7)


@pytest.mark.parametrize("device", DEVICES)
def test_a_constant_modality_has_no_redundancy_or_synergy(rng, device):
    table = rng.dirichlet(np.ones(12)).reshape(1, 4, 3)
    dist = Distribution.from_table(table)
    result = estimate(dist, device=device)
    _assert_clean(result, dist)
    np.testing.assert_allclose(_terms(result), (0, 0, dist.mi_x2_y, 0), atol=1e-8)


@pytest.mark.parametrize("device", DEVICES)
def test_labels_determined_by_the_first_modality(rng, device):
    # y = x1 mod 3 and x2 a noisy copy of x1: U2 = S = 0, so R = I(X2;Y).
    table = np.zeros((6, 6, 3))
    for a in range(6):
        table[a, :, a % 3] = rng.dirichlet(np.ones(6)) / 6
    dist = Distribution.from_table(table)
    result = estimate(dist, device=device)
    _assert_clean(result, dist)
    assert result.U2 == pytest.approx(0.0, abs=1e-7)
    assert result.S == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("device", DEVICES)
def test_probabilities_of_1e_15(rng, device):
    table = rng.dirichlet(np.ones(27)).reshape(3, 3, 3)
    table[0, :, :] = 1e-15
    table[:, :, 2] = 1e-15
    dist = Distribution.from_table(table / table.sum())
    result = estimate(dist, device=device)
    _assert_clean(result, dist)
    reference = _cvxpy(dist)
    np.testing.assert_allclose(_terms(result), _terms(reference), atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_a_single_label_has_no_information(rng, device):
    dist = Distribution.from_table(rng.dirichlet(np.ones(9)).reshape(3, 3, 1))
    result = estimate(dist, device=device)
    _assert_clean(result, dist)
    assert _terms(result).max() <= 1e-12


def test_degenerate_inputs_through_the_matrix_free_path(rng):
    # Each case has over 64 multipliers, all solved matrix-free.
    constant = Distribution.from_table(rng.dirichlet(np.ones(90)).reshape(1, 30, 3))
    result = estimate(constant, options=MATRIX_FREE)
    _assert_clean(result, constant)
    np.testing.assert_allclose(_terms(result), (0, 0, constant.mi_x2_y, 0), atol=1e-8)
    table = np.zeros((12, 12, 3))  # y = x1 mod 3: U2 = S = 0
    for a in range(12):
        table[a, :, a % 3] = rng.dirichlet(np.ones(12)) / 12
    determined = Distribution.from_table(table)
    result = estimate(determined, options=MATRIX_FREE)
    _assert_clean(result, determined)
    assert abs(result.U2) <= 1e-7 and abs(result.S) <= 1e-7
    table = rng.dirichlet(np.ones(400)).reshape(10, 10, 4)
    table[0, :, :] = 1e-15
    table[:, :, 3] = 1e-15
    tiny = Distribution.from_table(table / table.sum())
    result = estimate(tiny, options=MATRIX_FREE)
    _assert_clean(result, tiny)
    reference = _cvxpy(tiny)
    np.testing.assert_allclose(_terms(result), _terms(reference), atol=1e-5)
    single = Distribution.from_table(rng.dirichlet(np.ones(1600)).reshape(40, 40, 1))
    result = estimate(single, options=MATRIX_FREE)
    _assert_clean(result, single)
    assert _terms(result).max() <= 1e-12


def test_batches_match_single_solves_and_keep_their_order(rng):
    dists = [
        Distribution.from_table(random_table(rng, (3, 2, 2) if k % 3 else (4, 4, 3)))
        for k in range(9)
    ]
    batched = cvx_batch(dists)
    for dist, result in zip(dists, batched, strict=True):
        np.testing.assert_allclose(_terms(result), _terms(estimate(dist)), atol=2e-7)
        assert result.provenance["alphabet_sizes"]["x1"] == dist.shape[0]


def test_a_batch_whose_rounding_overflows_is_silent_and_matches_single_solves():
    # Two tables of sample counts (32 x 18 x 2) from the corrections of a sample: solved
    # together, one is rounded far off its path, where its factors' product overflows.
    data = np.load(Path(__file__).parent / "data" / "overflowing_batch.npz")
    dists = [Distribution.from_counts(data[name]) for name in ("first", "second")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batched = cvx_batch(dists)
    for dist, result in zip(dists, batched, strict=True):
        np.testing.assert_allclose(_terms(result), _terms(estimate(dist)), atol=2e-7)


@pytest.mark.parametrize("device", DEVICES)
def test_the_schur_products_by_active_pairs_match_the_dense_products(rng, device):
    table = random_sparse_table(rng, (30, 12, 4))
    p1, p2 = table.sum(axis=1)[None], table.sum(axis=0)[None]
    answers = []
    for density in (0.0, 1.1):  # never, then always, by active pairs
        options = NewtonOptions(sparse_density=density)
        answers.append(
            maximize_conditional_entropy(p1, p2, tol_bits=1e-8, device=device, options=options)
        )
    assert all(answer.gap_bits[0] <= 1e-8 for answer in answers)
    assert abs(answers[0].lower_bits[0] - answers[1].lower_bits[0]) <= 2e-8


def test_a_shape_beyond_the_memory_limit_is_refused_before_solving(rng):
    default = NewtonOptions()
    check_size((2000, 2000, 10), None, default)  # matrix-free: some 3.8 GB
    refusal = r"^x1 and x2 hold 2500 and 2500 distinct values, so the newton solver would need 6"
    with pytest.raises(ValueError, match=refusal):
        check_size((2500, 2500, 10), None, default)
    dist = Distribution.from_table(random_table(rng, (30, 30, 3)))
    refusal = r"^x1 and x2 hold 30 and 30 .* limit of 800 kB; map x1 and x2 to fewer codes"
    # Refused although the small-table method would take it: any table may end on the path.
    with pytest.raises(ValueError, match=refusal):
        estimate(dist, options=NewtonOptions(max_numbers=1e5))


@pytest.mark.parametrize("device", DEVICES[1:])
def test_the_torch_path_gives_the_numpy_answers(rng, device):
    import torch

    # Batched small systems, the Schur complement (more than 64 multipliers), and a larger
    # second modality (solved with the modalities swapped).
    shapes = [(3, 2, 2), (3, 2, 2), (5, 4, 3), (5, 4, 3), (14, 9, 4), (9, 14, 4)]
    dists = [
        Distribution.from_table(
            random_sparse_table(rng, shape) if k % 2 else random_table(rng, shape)
        )
        for k, shape in enumerate(shapes)
    ]
    on_device = cvx_batch(dists, device=device)
    for dist, result, reference in zip(dists, on_device, cvx_batch(dists), strict=True):
        np.testing.assert_allclose(_terms(result), _terms(reference), atol=2e-7)
        _assert_clean(result, dist)
        assert result.diagnostics["gap_bits"] <= 1e-7
        assert result.diagnostics["device"] == str(torch.device(device))
        assert reference.diagnostics["device"] == "numpy"


def test_a_device_is_refused_where_it_cannot_be_used():
    dist = canonical("xor")
    with pytest.raises(ValueError, match="device and options set up method='newton'"):
        estimate(dist, method="cvxpy", device="cpu")
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="is not a torch device"):
        estimate(dist, device="abacus")


def test_a_failed_rounding_falls_back_to_an_exactly_feasible_point(rng, monkeypatch):
    dist = Distribution.from_table(random_table(rng, (4, 3, 2)))
    monkeypatch.setattr(
        certificate, "project", lambda prob, mass, *factors: np.full((1, 4, 3, 2), np.nan)
    )
    solution = maximize_conditional_entropy(
        dist.p_x1_y[None], dist.p_x2_y[None], options=NewtonOptions(max_steps=5)
    )
    product = dist.p_x1_y[:, None, :] * dist.p_x2_y[None, :, :] / dist.p_y
    np.testing.assert_allclose(solution.q[0], product, atol=1e-15)
    product_entropy = entropy(product) - entropy(product.sum(axis=2))
    assert solution.lower_bits[0] == pytest.approx(product_entropy, abs=1e-12)
    optimum = _optimum_bits(dist)
    assert solution.lower_bits[0] <= optimum + 1e-9 <= solution.upper_bits[0] + 2e-9


def test_a_cuda_device_allows_what_its_memory_holds(monkeypatch):
    from types import SimpleNamespace

    torch = pytest.importorskip("torch")

    memory = SimpleNamespace(total_memory=16e9)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device: memory)
    cuda, default = torch.device("cuda"), NewtonOptions()
    check_size((2500, 2500, 10), cuda, default)  # about 6 GB: refused on the CPU, fits in 12.8 GB
    with pytest.raises(ValueError, match=r"the newton solver on cuda would need .* of 12\.8 GB"):
        check_size((4000, 4000, 10), cuda, default)
    assert chunks(list(range(10_000)), (5, 5, 2), cuda, default) == [list(range(10_000))]
    assert len(chunks(list(range(10_000)), (5, 5, 2), None, default)) == 2


# Tables whose entries span some thirty orders of magnitude, from a fuzz of the solver.
THIRTY_ORDERS = np.load(Path(__file__).parent / "data" / "thirty_orders_tables.npz")


@pytest.mark.parametrize("name", ["ipf_diverges", "factors_overflow"])
def test_rounding_a_point_whose_support_misses_the_marginals_keeps_the_path_certified(name):
    # Near the optimum some pairs carry no mass: proportional fitting then drives factors of
    # 1e-29 cells past the double range, and A B overflows on massless pairs. The rounded
    # point fell back to the conditional product, and the gap stayed at 3e-4 and 9e-4 bits.
    dist = Distribution.from_table(THIRTY_ORDERS[name])
    result = estimate(dist)
    assert result.diagnostics["algorithm"] == "smoothed-dual path"
    assert result.diagnostics["gap_bits"] <= 1e-7
    _assert_within_both_gaps(result, _cvxpy(dist, tol_bits=1e-6))


def test_a_table_the_path_cannot_certify_is_answered_by_the_conic_program():
    dist = Distribution.from_table(THIRTY_ORDERS["path_crawls"])
    result = estimate(dist)
    diagnostics = result.diagnostics
    assert diagnostics["algorithm"] == "conic program after the path"
    assert diagnostics["method"] == "newton" and diagnostics["solver"] == "CLARABEL"
    assert diagnostics["gap_bits"] <= 1e-7 < diagnostics["path_gap_bits"] < 1e-5
    _assert_clean(result, dist)
    _assert_within_both_gaps(result, _cvxpy(dist, tol_bits=1e-6))
