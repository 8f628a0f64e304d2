"""The exact CVX estimator against published values, PID identities and dit's cone solver."""

import numpy as np
import pytest
from conftest import random_shape, random_sparse_table, random_table, to_dit

from pid import Distribution, SamplingOptions, SolverError, decompose, estimate
from pid.datasets import canonical
from pid.estimators.exact import NewtonOptions
from pid.information import entropy


def _binary_entropy(p: float) -> float:
    return entropy([p, 1 - p])


# Published values (Bertschinger et al.; Griffith and Koch; dit's documentation), in bits.
PUBLISHED = {
    "and": (0.311278, 0.0, 0.0, 0.5),
    "or": (0.311278, 0.0, 0.0, 0.5),
    "xor": (0.0, 0.0, 0.0, 1.0),
    "rdn": (1.0, 0.0, 0.0, 0.0),
    "unq": (0.0, 1.0, 0.0, 0.0),
    "copy": (0.0, 1.0, 1.0, 0.0),
    "sum": (0.5, 0.0, 0.0, 1.0),
    "rdn_xor": (1.0, 0.0, 0.0, 1.0),
    "diff": (0.122556, 0.188722, 0.188722, 0.0),
    "reduced_or": (0.311278, 0.0, 0.0, 0.688722),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
@pytest.mark.parametrize("method", ["newton", "cvxpy"])
def test_canonical_distributions_match_published_values(name, method):
    result = estimate(canonical(name), method=method)
    # Published figures carry six decimals: 5e-7 of rounding plus 5e-7 of solver error.
    np.testing.assert_allclose(
        (result.R, result.U1, result.U2, result.S), PUBLISHED[name], atol=1e-6
    )


def test_and_gate_in_closed_form():
    # R = I(X1;Y) = h(1/4) - 1/2 and S = 1/2 (Bertschinger et al.).
    result = estimate(canonical("and"))
    assert result.R == pytest.approx(_binary_entropy(0.25) - 0.5, abs=1e-7)
    assert result.S == pytest.approx(0.5, abs=1e-7)


def test_imperfect_rdn_in_closed_form():
    # U2 = S = 0, so R = I(X2;Y) = 1 - 0.501 h(0.001 / 0.501); published R = 0.98959.
    result = estimate(canonical("imperfect_rdn"))
    redundancy = 1 - 0.501 * _binary_entropy(0.001 / 0.501)
    assert result.R == pytest.approx(redundancy, abs=1e-6)
    assert result.U1 == pytest.approx(1 - redundancy, abs=1e-6)
    assert (round(result.R, 5), round(result.U1, 5)) == (0.98959, 0.01041)


def test_identities_and_nonnegativity_on_random_distributions(rng):
    for trial in range(200):
        shape = random_shape(rng, max_x=5, max_y=4)
        table = random_sparse_table(rng, shape) if trial % 2 else random_table(rng, shape)
        dist = Distribution.from_table(table)
        r = estimate(dist)
        assert r.R + r.U1 == pytest.approx(dist.mi_x1_y, abs=1e-7)
        assert r.R + r.U2 == pytest.approx(dist.mi_x2_y, abs=1e-7)
        assert r.R + r.U1 + r.U2 + r.S == pytest.approx(dist.mi_x1x2_y, abs=1e-7)
        assert min(r.R, r.U1, r.U2, r.S) >= -1e-9, (trial, r)
        assert r.diagnostics["max_marginal_residual"] < 1e-8


def test_swapping_modalities_swaps_uniques(rng):
    for _ in range(30):
        dist = Distribution.from_table(random_table(rng, random_shape(rng)))
        r, s = estimate(dist), estimate(dist.swap_modalities())
        np.testing.assert_allclose((s.R, s.U1, s.U2, s.S), (r.R, r.U2, r.U1, r.S), atol=1e-7)


def test_relabeling_values_changes_nothing(rng):
    for _ in range(30):
        table = random_table(rng, random_shape(rng))
        perms = [rng.permutation(n) for n in table.shape]
        relabeled = table[np.ix_(*perms)]
        r = estimate(Distribution.from_table(table))
        s = estimate(Distribution.from_table(relabeled))
        np.testing.assert_allclose((s.R, s.U1, s.U2, s.S), (r.R, r.U1, r.U2, r.S), atol=1e-7)


def test_agrees_with_dit_cone_solver(rng):
    from dit.algorithms.broja_cone import broja_cone_solve

    for trial in range(40):
        shape = random_shape(rng, max_x=6, max_y=4)
        table = random_sparse_table(rng, shape) if trial % 4 == 3 else random_table(rng, shape)
        r = estimate(Distribution.from_table(table))
        _, meta = broja_cone_solve(to_dit(table), [[0], [1]], [2])
        assert meta["converged"]
        assert r.U1 == pytest.approx(meta["ui_source0"], abs=1e-5)
        assert r.U2 == pytest.approx(meta["ui_source1"], abs=1e-5)


def test_decompose_on_codes_matches_the_table():
    x1 = np.array([0, 0, 1, 1] * 3)
    x2 = np.array([0, 1, 0, 1] * 3)
    r = decompose(x1, x2, x1 & x2, sampling=SamplingOptions(correction="none", n_null=0))
    assert r.R == pytest.approx(0.311278, abs=1e-6)
    assert r.sampling["correction"] == "none" and r.sampling["bias_bits"]["S"] == 0.0
    assert r.provenance["n_samples"] == 12
    assert r.provenance["alphabet_sizes"] == {"x1": 2, "x2": 2, "y": 2}


def test_diagnostics_are_reported(xor):
    r = estimate(xor, method="cvxpy")
    assert r.diagnostics["solver"] == "CLARABEL"
    assert r.diagnostics["status"] == "optimal"
    assert r.diagnostics["solve_time_s"] > 0
    assert r.diagnostics["n_variables"] == 8
    assert estimate(xor).diagnostics["solver"] == "newton"


def test_only_feasible_cells_become_variables():
    # y = x1 (4 values), x2 independent (3 values): p(x1, y) > 0 only on the diagonal.
    table = np.zeros((4, 3, 4))
    for a in range(4):
        table[a, :, a] = 1 / 12
    r = estimate(Distribution.from_table(table), method="cvxpy")
    assert r.diagnostics["n_variables"] == 12
    assert r.U1 == pytest.approx(2.0, abs=1e-7)
    # The small-table method's variables are the feasible cells, like cvxpy's.
    r = estimate(Distribution.from_table(table))
    assert r.diagnostics["algorithm"] == "small-table interior point"
    assert r.diagnostics["n_variables"] == 12
    assert r.U1 == pytest.approx(2.0, abs=1e-7)
    # The path's are the multipliers of the non-zero marginal entries.
    r = estimate(Distribution.from_table(table), options=NewtonOptions(small_multipliers=0))
    assert r.diagnostics["n_variables"] == 4 + 12
    assert r.U1 == pytest.approx(2.0, abs=1e-7)


def test_a_failing_solver_raises_with_its_name_and_status(xor):
    with pytest.raises(SolverError, match=r"CLARABEL.*status"):
        estimate(xor, method="cvxpy", solver_options={"max_iter": 1})


def test_a_solver_without_exponential_cones_raises(xor):
    with pytest.raises(SolverError, match="OSQP"):
        estimate(xor, method="cvxpy", solver="OSQP")


def test_unknown_estimator_is_refused(xor):
    with pytest.raises(ValueError, match="estimator 'nope' is unknown"):
        estimate(xor, "nope")


def test_every_answer_carries_a_certified_gap(rng):
    for trial in range(60):
        shape = random_shape(rng)
        table = random_sparse_table(rng, shape) if trial % 2 else random_table(rng, shape)
        r = estimate(Distribution.from_table(table))
        assert 0.0 <= r.diagnostics["gap_bits"] <= 1e-6


def test_the_dual_bound_holds_for_any_multipliers(rng):
    from pid.estimators.exact.conic import FeasibleCells

    for _ in range(30):
        dist = Distribution.from_table(random_table(rng, random_shape(rng)))
        cells = FeasibleCells.of(dist)
        optimum = dist.entropy_y - (dist.mi_x1_y + dist.mi_x2_y - estimate(dist).R)
        for scale in (0.1, 1.0, 10.0):
            lam = scale * rng.normal(size=len(cells.x1_y_target))
            mu = scale * rng.normal(size=len(cells.x2_y_target))
            assert cells.entropy_upper_bound_bits(lam, mu) >= optimum - 1e-9


def test_an_uncertified_answer_is_refused(xor):
    with pytest.raises(SolverError, match="CLARABEL"):
        estimate(xor, method="cvxpy", tol_bits=1e-15, solver_options={"max_iter": 3})


def test_solver_settings_without_the_cvxpy_method_are_refused(xor):
    with pytest.raises(ValueError, match="method='cvxpy'"):
        estimate(xor, solver="CLARABEL")
    with pytest.raises(ValueError, match="method 'simplex' is unknown"):
        estimate(xor, method="simplex")
    with pytest.raises(ValueError, match=r"tol_bits is -1\.0; pass a positive number"):
        estimate(xor, tol_bits=-1.0)


def test_a_tight_tolerance_is_met_by_refining(rng):
    dist = Distribution.from_table(random_table(rng, (5, 5, 3)))
    loose = estimate(dist, method="cvxpy")
    tight = estimate(dist, method="cvxpy", tol_bits=1e-10)
    assert tight.diagnostics["gap_bits"] <= 1e-10 < loose.diagnostics["gap_bits"]
    assert tight.diagnostics["refined"] and not loose.diagnostics["refined"]
    assert abs(tight.R - loose.R) <= loose.diagnostics["gap_bits"] + 1e-10


def test_solver_options_do_not_leak_into_later_solves(xor):
    with pytest.raises(SolverError):
        estimate(xor, method="cvxpy", tol_bits=1e-15, solver_options={"max_iter": 3})
    assert estimate(xor, method="cvxpy").S == pytest.approx(1.0, abs=1e-7)
