"""The factored conditional of the exact solver against the same quantities from the table."""

import numpy as np
import pytest
from conftest import random_sparse_table, torch_devices
from scipy.special import logsumexp

from pid.backend import namespace
from pid.estimators.exact import certificate, problem
from pid.estimators.exact.conditional import ConditionalTable, marginal_sums, pair_sums

DEVICES = [None, *torch_devices()]


def _table_and_inputs(rng, shape, spread):
    """Multipliers of the given spread on a sparse problem, the masks, and ``c`` and ``g``
    computed directly over each pair's feasible labels."""
    n1, n2, ny = shape
    joint = random_sparse_table(rng, shape)
    joint[1], joint[:, 2], joint[:, :, 0] = 0.0, 0.0, 0.0  # an empty row, column and label
    joint[3, :, 1], joint[:, 4, 2] = 0.0, 0.0  # an empty (x1, y) and (x2, y) cell
    free1, free2 = joint.sum(axis=1) > 0, joint.sum(axis=0) > 0
    lam, mu = spread * rng.normal(size=(n1, ny)), spread * rng.normal(size=(n2, ny))
    theta = np.where(
        free1[:, None, :] & free2[None, :, :], lam[:, None, :] + mu[None, :, :], -np.inf
    )
    live = np.isfinite(theta).any(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = logsumexp(theta, axis=2)
        c = np.where(live[..., None], np.exp(theta - g[..., None]), 0.0)
    g = np.where(live, g, -np.inf)
    return (lam, mu, free1, free2, live), c, g


def _conditional(xp, lam, mu, free1, free2, live):
    arrays = [xp.asarray(a[None]) for a in (lam, mu)]
    masks = [xp.asarray(m[None]) > 0 for m in (free1, free2, live)]
    return ConditionalTable(xp, *arrays, *masks)


@pytest.mark.parametrize("device", DEVICES)
def test_the_factors_give_the_tables_sums_and_moments(rng, device):
    xp = namespace(device)
    inputs, c, g = _table_and_inputs(rng, (9, 7, 4), spread=3.0)
    table = _conditional(xp, *inputs)
    assert xp.to_numpy(table.covered)[0][inputs[4]].all()
    got_g = xp.to_numpy(table.log_partition)[0]
    np.testing.assert_array_equal(np.isfinite(got_g), inputs[4])
    np.testing.assert_allclose(got_g[inputs[4]], g[inputs[4]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(xp.to_numpy(table.table())[0], c, rtol=0, atol=1e-14)

    weights, d_lam, d_mu = rng.random((9, 7)), rng.normal(size=(9, 4)), rng.normal(size=(7, 4))
    as_xp = [xp.asarray(a[None]) for a in (weights, d_lam, d_mu)]
    expected_sums = np.einsum("ijy,iy->ij", c, d_lam) + np.einsum("ijy,jy->ij", c, d_mu)
    factors = (table.lam_factor, table.mu_factor)
    got = xp.to_numpy(pair_sums(*factors, table.inverse_total, as_xp[1], as_xp[2]))[0]
    np.testing.assert_allclose(got, expected_sums, rtol=0, atol=1e-12)
    rows, columns = (xp.to_numpy(m)[0] for m in table.marginals(as_xp[0]))
    np.testing.assert_allclose(rows, np.einsum("ij,ijy->iy", weights, c), atol=1e-13)
    np.testing.assert_allclose(columns, np.einsum("ij,ijy->jy", weights, c), atol=1e-13)
    scaled = as_xp[0] * table.inverse_total
    rows, columns = (xp.to_numpy(m)[0] for m in marginal_sums(*factors, scaled, *as_xp[1:]))
    np.testing.assert_allclose(rows, np.einsum("ij,ijy,jy->iy", weights, c, d_mu), atol=1e-13)
    np.testing.assert_allclose(columns, np.einsum("ij,ijy,iy->jy", weights, c, d_lam), atol=1e-13)
    row_moments = xp.to_numpy(table.row_moments(as_xp[0]))[0]
    column_moments = xp.to_numpy(table.column_moments(as_xp[0]))[0]
    np.testing.assert_allclose(row_moments, np.einsum("ij,ijy,ijz->iyz", weights, c, c), atol=1e-13)
    np.testing.assert_allclose(
        column_moments, np.einsum("ij,ijy,ijz->jyz", weights, c, c), atol=1e-13
    )


@pytest.mark.parametrize("device", DEVICES)
def test_pairs_beyond_the_factors_reach_get_their_exact_log_partition(rng, device):
    xp = namespace(device)
    inputs, c, g = _table_and_inputs(rng, (9, 7, 4), spread=400.0)
    table = _conditional(xp, *inputs)
    covered = xp.to_numpy(table.covered)[0]
    live = inputs[4]
    assert (live & ~covered).any() and (live & covered).any()
    got_g = xp.to_numpy(table.log_partition)[0]
    np.testing.assert_array_equal(np.isfinite(got_g), live)
    np.testing.assert_allclose(got_g[live], g[live], rtol=1e-13)
    got_c = xp.to_numpy(table.table())[0]
    assert not got_c[~covered].any()  # left out of the path
    np.testing.assert_allclose(got_c[covered], c[covered], rtol=0, atol=1e-12)
    # Covered pairs down to T = 1e-150 keep finite, exact second moments.
    weights = rng.random((9, 7))
    on_path = np.where(covered[..., None], c, 0.0)
    moments = xp.to_numpy(table.row_moments(xp.asarray(weights[None])))[0]
    assert np.isfinite(moments).all()
    expected = np.einsum("ij,ijy,ijz->iyz", weights, on_path, on_path)
    np.testing.assert_allclose(moments, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_moving_along_the_gauge_changes_nothing(rng, device):
    xp = namespace(device)
    (lam, mu, *masks), c, g = _table_and_inputs(rng, (9, 7, 4), spread=3.0)
    # lam(., y) + k_y, mu(., y) - k_y; label 0 is empty. Unbalanced, T would be about e^-370.
    drift = np.array([0.0, 300.0, -250.0, 120.0])
    moved = _conditional(xp, lam + drift, mu - drift, *masks)
    live = masks[2]
    assert xp.to_numpy(moved.covered)[0][live].all()
    np.testing.assert_allclose(xp.to_numpy(moved.log_partition)[0][live], g[live], atol=1e-11)
    np.testing.assert_allclose(xp.to_numpy(moved.table())[0], c, rtol=0, atol=1e-13)


@pytest.mark.parametrize("device", DEVICES)
def test_sparse_matrices_and_block_diagonals_on_free_cells(rng, device):
    xp = namespace(device)
    positions = rng.permutation(54)[:40]  # distinct, in no order
    rows, columns, values = positions // 9, positions % 9, rng.normal(size=40)
    matrix = np.zeros((6, 9))
    matrix[rows, columns] = values

    def as_index(a):
        return a if device is None else xp.torch.as_tensor(a, device=xp.device)

    sparse = xp.sparse(as_index(rows), as_index(columns), xp.asarray(values), (6, 9))
    vector = rng.normal(size=9)
    np.testing.assert_allclose(xp.to_numpy(sparse.times(xp.asarray(vector))), matrix @ vector)
    # Blocks that keep free and empty cells apart, as the preconditioner's do.
    free = rng.random((7, 4)) < 0.6
    blocks = rng.normal(size=(7, 4, 4)) * (free[:, :, None] == free[:, None, :])
    dense = np.zeros((28, 28))
    for b in range(7):
        dense[4 * b : 4 * b + 4, 4 * b : 4 * b + 4] = blocks[b]
    vector = rng.normal(size=28) * free.reshape(-1)  # vanishing on the empty cells
    found = xp.block_diagonal(xp.asarray(free) > 0).of(xp.asarray(blocks)).times(xp.asarray(vector))
    np.testing.assert_allclose(xp.to_numpy(found), (dense @ vector) * free.reshape(-1), atol=1e-14)


def test_a_row_with_no_covered_pair_is_off_the_path(rng):
    xp = namespace(None)
    joint = random_sparse_table(rng, (5, 4, 3)) + 1e-3
    joint /= joint.sum()
    prob = problem.Problem(joint.sum(axis=1)[None], joint.sum(axis=0)[None], xp)
    lam, mu = prob.start()
    lam[0, 2] += np.array([0.0, -800.0, 0.0])
    mu[0] += np.array([-800.0, 0.0, -800.0])[None, :]  # no pair of row 2 fits the factors
    state = problem.evaluate(prob, lam, mu, 0.1)
    assert not state.table.covered[0, 2].any()
    assert state.value[0] == np.inf
    assert np.isfinite(state.w).all() and not state.w[0, 2].any()
    assert np.isfinite(certificate.dual_bound_bits(prob, lam, mu, state.g)).all()
