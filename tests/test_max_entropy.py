"""The certified maximum-entropy solver behind S_R: references, closed forms, validity, errors."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import random_shape, random_sparse_table, random_table

import pid.bounds.max_entropy as max_entropy
from pid.bounds import (
    MaxEntropyOptions,
    PairwiseMarginals,
    maximize_joint_entropy,
    minimize_conditional_mutual_information,
    synergy_bounds,
)
from pid.information import conditional_mutual_information, entropy

# The independent reference; a GPU image may lack it (benchmarks/gpu_check.py runs there).
cp = pytest.importorskip("cvxpy")


def _marginals(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return table.sum(axis=1), table.sum(axis=0), table.sum(axis=2)


def _converged(fit, tol_bits: float = 1e-9) -> bool:
    return fit.gap_bits <= tol_bits and fit.residual <= max_entropy.MARGINAL_TOLERANCE


def _cvxpy_maximum_bits(table: np.ndarray) -> float:
    """``max H_r`` by Clarabel on the support cells, an independent solver."""
    p1, p2, p12 = _marginals(table)
    cells = np.argwhere((p1[:, None, :] > 0) & (p2[None, :, :] > 0) & (p12[:, :, None] > 0))
    i, j, y = cells.T
    k = np.arange(len(cells))
    constraints = []
    r = cp.Variable(len(cells), nonneg=True)
    for rows, target in (
        (i * p1.shape[1] + y, p1.ravel()),
        (j * p2.shape[1] + y, p2.ravel()),
        (i * p12.shape[1] + j, p12.ravel()),
    ):
        matrix = sp.csr_matrix((np.ones(len(cells)), (rows, k)), shape=(target.size, len(cells)))
        constraints.append(matrix @ r == target)
    problem = cp.Problem(cp.Maximize(cp.sum(cp.entr(r))), constraints)
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert problem.status in ("optimal", "optimal_inaccurate"), problem.status
    return problem.value / math.log(2)


def test_newton_matches_ipf_run_to_convergence_on_dense_inputs(rng):
    for _ in range(10):
        table = random_table(rng, random_shape(rng, max_x=8, max_y=5))
        newton = maximize_joint_entropy(*_marginals(table))
        ipf = maximize_joint_entropy(*_marginals(table), method="ipf")
        assert (newton.method, ipf.method) == ("newton", "ipf")
        assert _converged(newton) and _converged(ipf)
        assert newton.upper_bits == pytest.approx(ipf.upper_bits, abs=1e-9)
        np.testing.assert_allclose(newton.joint, ipf.joint, atol=1e-9)


# Where the optimum puts zero mass on some support cells (sparse inputs), the interior-point
# reference reaches it only approximately and says so (here still within 3e-8 bits).
@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
def test_agrees_with_cvxpy_on_mixed_shapes_and_sparsity(rng):
    for trial in range(40):
        shape = random_shape(rng, max_x=8, max_y=5)
        table = random_sparse_table(rng, shape) if trial % 2 else random_table(rng, shape)
        fit = maximize_joint_entropy(*_marginals(table))
        assert _converged(fit), (shape, fit)
        assert fit.upper_bits == pytest.approx(_cvxpy_maximum_bits(table), abs=1e-6), shape
        assert fit.entropy_bits == pytest.approx(fit.upper_bits, abs=1e-9)


def test_conditionally_independent_joint_is_the_maximum(rng):
    # If p(x1, x2, y) = p(x1, y) p(x2, y) / p(y), it meets its own p(x1, x2), so it is the
    # maximum-entropy joint: H = H(X1,Y) + H(X2,Y) - H(Y) and min I(X1;X2|Y) = 0.
    for shape in [(3, 4, 2), (5, 2, 3), (6, 6, 4)]:
        p_y = rng.dirichlet(np.ones(shape[2]))
        x1_given_y = rng.dirichlet(np.ones(shape[0]), size=shape[2]).T
        x2_given_y = rng.dirichlet(np.ones(shape[1]), size=shape[2]).T
        table = x1_given_y[:, None, :] * x2_given_y[None, :, :] * p_y
        p1, p2, _ = _marginals(table)
        closed_form = entropy(p1) + entropy(p2) - entropy(p_y)
        fit = maximize_joint_entropy(*_marginals(table))
        np.testing.assert_allclose(fit.joint, table, atol=1e-12)
        assert fit.upper_bits == pytest.approx(closed_form, abs=1e-10)
        assert fit.upper_bits >= closed_form
        minimum = minimize_conditional_mutual_information(*_marginals(table))
        assert 0.0 <= minimum.lower_bits <= 1e-10
        assert minimum.value_bits == pytest.approx(0.0, abs=1e-12)


def test_product_and_xor_have_the_uniform_or_product_maximum(rng):
    a, b, c = (rng.dirichlet(np.ones(n)) for n in (4, 3, 2))
    product = a[:, None, None] * b[None, :, None] * c[None, None, :]
    fit = maximize_joint_entropy(*_marginals(product))
    assert fit.upper_bits == pytest.approx(entropy(a) + entropy(b) + entropy(c), abs=1e-10)
    xor = np.zeros((2, 2, 2))
    for x1 in (0, 1):
        for x2 in (0, 1):
            xor[x1, x2, x1 ^ x2] = 0.25
    # All three pairwise marginals of XOR are uniform: the maximum is the uniform joint, 3 bits,
    # and the minimum of I(X1;X2|Y) is 0 although XOR's own is 1 bit.
    minimum = minimize_conditional_mutual_information(*_marginals(xor))
    assert minimum.fit.upper_bits == pytest.approx(3.0, abs=1e-10)
    np.testing.assert_allclose(minimum.fit.joint, 0.125, atol=1e-12)
    assert minimum.lower_bits == pytest.approx(0.0, abs=1e-10)
    assert conditional_mutual_information(xor) == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["newton", "ipf"])
def test_upper_bound_holds_for_the_source_joint_even_when_stopped_early(rng, method):
    for trial in range(60):
        shape = random_shape(rng, max_x=7, max_y=4)
        table = random_sparse_table(rng, shape) if trial % 2 else random_table(rng, shape)
        source = entropy(table)
        for max_steps in (1, 2, 200 if method == "newton" else 100):
            limit = {"newton_steps" if method == "newton" else "ipf_sweeps": max_steps}
            options = MaxEntropyOptions(**limit)
            fit = maximize_joint_entropy(*_marginals(table), method=method, options=options)
            assert fit.upper_bits >= source, (shape, max_steps)
            minimum = minimize_conditional_mutual_information(
                *_marginals(table), method=method, options=options
            )
            assert minimum.lower_bits <= conditional_mutual_information(table)


def test_sparse_supports_converge_where_ipf_crawls(rng):
    # 50x50x5 with 3% of the cells nonzero: IPF is far from converged after 500 sweeps.
    table = random_table(rng, (50, 50, 5)) * (rng.random((50, 50, 5)) < 0.03)
    table /= table.sum()
    newton = maximize_joint_entropy(*_marginals(table))
    assert newton.method == "newton" and _converged(newton) and newton.steps <= 60
    ipf = maximize_joint_entropy(
        *_marginals(table), method="ipf", options=MaxEntropyOptions(ipf_sweeps=500)
    )
    assert ipf.residual > 1e-9
    assert ipf.upper_bits >= newton.upper_bits - 1e-9
    assert ipf.upper_bits - newton.upper_bits < 1e-2


def _degenerate_tables():
    rng = np.random.default_rng(7)
    y_is_x1 = np.zeros((4, 3, 4))
    for x1 in range(4):
        y_is_x1[x1, :, x1] = rng.dirichlet(np.ones(3)) / 4
    tiny = rng.dirichlet(np.ones(27)).reshape(3, 3, 3)
    tiny[0, 0, 0] = tiny[1, 2, 0] = 1e-15
    return {
        "constant X1": rng.dirichlet(np.ones(12)).reshape(1, 4, 3),
        "single label": rng.dirichlet(np.ones(12)).reshape(3, 4, 1),
        "Y determined by X1": y_is_x1,
        "1e-15 probabilities": tiny / tiny.sum(),
        "one cell": np.ones((1, 1, 1)),
    }


@pytest.mark.parametrize("name", sorted(_degenerate_tables()))
@pytest.mark.parametrize("method", ["newton", "ipf"])
def test_degenerate_inputs_give_finite_converged_answers(name, method):
    table = _degenerate_tables()[name]
    fit = maximize_joint_entropy(*_marginals(table), method=method)
    values = [fit.entropy_bits, fit.upper_bits, fit.gap_bits, fit.residual]
    assert np.all(np.isfinite(fit.joint)) and np.all(np.isfinite(values))
    assert _converged(fit)
    assert fit.upper_bits >= entropy(table)
    if name != "1e-15 probabilities":
        # One joint has these marginals (r(x1,x2,y) is fixed by p(x1,x2) or p(x2,y) alone).
        np.testing.assert_allclose(fit.joint, table, atol=1e-12)
        assert fit.upper_bits == pytest.approx(entropy(table), abs=1e-10)
    minimum = minimize_conditional_mutual_information(*_marginals(table), method=method)
    assert math.isfinite(minimum.lower_bits) and math.isfinite(minimum.value_bits)


def test_large_problems_fall_back_to_ipf(rng):
    table = random_table(rng, (6, 5, 3))
    options = MaxEntropyOptions(newton_size_limit=10)
    fit = maximize_joint_entropy(*_marginals(table), options=options)
    assert fit.method == "ipf" and _converged(fit)


def test_synergy_bounds_report_the_solver(rng):
    table = random_table(rng, (4, 3, 3))
    marginals = PairwiseMarginals.from_tables(*_marginals(table))
    diagnostics = synergy_bounds(marginals).diagnostics
    assert diagnostics["max_entropy_method"] == "newton"
    assert diagnostics["max_entropy_gap_bits"] <= 1e-9
    assert diagnostics["max_entropy_residual"] <= max_entropy.MARGINAL_TOLERANCE
    assert diagnostics["max_entropy_steps"] >= 0


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (
            (np.full((2, 2), 0.25), np.full((3, 2), 1 / 6), np.full((3, 3), 1 / 9)),
            {},
            "p_x1_x2 has shape",
        ),
        (
            (np.array([[0.5, 0.5], [0.25, -0.25]]), np.full((2, 2), 0.25), np.full((2, 2), 0.25)),
            {},
            "p_x1_y must hold finite, non-negative",
        ),
        (
            (np.array([[0.6, 0.0], [0.0, 0.4]]), np.full((2, 2), 0.25), np.full((2, 2), 0.25)),
            {},
            "two different p\\(x1\\)",
        ),
        (
            (np.eye(2) / 2, np.eye(2) / 2, np.eye(2)[::-1] / 2),
            {},
            "no joint distribution has these three marginals",
        ),
        ((np.full((2, 2), 0.25),) * 3, {"method": "lbfgs"}, "method 'lbfgs' is unknown"),
        ((np.full((2, 2), 0.25),) * 3, {"tol_bits": 0.0}, "tol_bits is 0.0"),
        ((np.full((2, 2), 0.25),) * 3, {"tol_bits": -1e-9}, "tol_bits is -1e-09"),
    ],
)
def test_bad_input_is_refused_with_a_message(args, options, message):
    with pytest.raises(ValueError, match=message):
        maximize_joint_entropy(*args, **options)


def test_options_are_whole_counts_of_at_least_one():
    assert type(MaxEntropyOptions(newton_steps=np.int64(50)).newton_steps) is int
    with pytest.raises(ValueError, match=r"ipf_sweeps is 0; pass a whole number of at least 1"):
        MaxEntropyOptions(ipf_sweeps=0)
    with pytest.raises(ValueError, match=r"warm_sweeps is 1.5; pass a whole number"):
        MaxEntropyOptions(warm_sweeps=1.5)
