import numpy as np
import pytest

from pid import Distribution
from pid.distribution import count_codes


def test_from_samples_counts_and_relabels():
    x1 = np.array([5, 5, 7, 7])
    x2 = np.array([-1, 3, -1, 3])
    y = np.array([0, 1, 1, 0])
    dist = Distribution.from_samples(x1, x2, y)
    assert dist.shape == (2, 2, 2)
    assert dist.n_samples == 4
    np.testing.assert_array_equal(dist.values[0], [5, 7])
    np.testing.assert_array_equal(dist.values[1], [-1, 3])
    assert dist.table[0, 0, 0] == 0.25 and dist.table[1, 1, 0] == 0.25
    assert dist.table.sum() == pytest.approx(1.0)


def test_count_codes_counts_each_triple_once_whatever_the_integer_type():
    rng = np.random.default_rng(0)
    codes = [rng.integers(0, k, 500).astype(np.int32) for k in (4, 3, 2)]
    counts = count_codes(*codes, (4, 3, 2))
    expected = np.zeros((4, 3, 2), dtype=np.int64)
    np.add.at(expected, tuple(codes), 1)
    np.testing.assert_array_equal(counts, expected)
    assert codes[0].dtype == np.int32  # the inputs are left as they were
    with pytest.raises(ValueError, match="joint table"):
        count_codes(*codes, (4, 3, 2), max_cells=23)


def test_from_samples_accepts_integral_floats_and_bools():
    dist = Distribution.from_samples([0.0, 1.0], np.array([True, False]), [2, 2])
    assert dist.shape == (2, 2, 1)


def test_from_counts_normalizes():
    counts = np.arange(8, dtype=float).reshape(2, 2, 2)
    dist = Distribution.from_counts(counts)
    np.testing.assert_allclose(dist.table, counts / counts.sum())
    assert dist.n_samples == 28


def test_from_table_normalize_option():
    with pytest.raises(ValueError, match="normalize=True"):
        Distribution.from_table(np.full((2, 2, 2), 0.2))
    dist = Distribution.from_table(np.full((2, 2, 2), 0.2), normalize=True)
    assert dist.table.sum() == pytest.approx(1.0)


def test_marginals_and_information(xor):
    np.testing.assert_allclose(xor.p_x1_y, np.full((2, 2), 0.25))
    np.testing.assert_allclose(xor.p_y, [0.5, 0.5])
    assert xor.mi_x1_y == pytest.approx(0.0, abs=1e-15)
    assert xor.mi_x1x2_y == pytest.approx(1.0)
    assert xor.co_information == pytest.approx(-1.0)
    assert xor.entropy_y == pytest.approx(1.0)


def test_swap_modalities(rng):
    table = rng.dirichlet(np.ones(24)).reshape(2, 3, 4)
    swapped = Distribution.from_table(table).swap_modalities()
    assert swapped.shape == (3, 2, 4)
    np.testing.assert_allclose(swapped.p_x1_y, table.sum(axis=0), rtol=1e-14)


def test_table_is_read_only():
    dist = Distribution.from_table(np.full((2, 2, 2), 0.125))
    with pytest.raises(ValueError):
        dist.table[0, 0, 0] = 1.0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (np.full((2, 2, 2), -0.125), "negative"),
        (np.full((2, 2, 2), np.nan), "NaN"),
        (np.full((2, 2), 0.25), "three axes"),
        (np.zeros((0, 2, 2)), "empty"),
        (np.zeros((2, 2, 2)), "sums to zero"),
        ([["a"]], "numeric array"),
    ],
)
def test_bad_tables_are_refused(table, message):
    with pytest.raises(ValueError, match=message):
        Distribution.from_table(table)


@pytest.mark.parametrize(
    ("x1", "x2", "y", "message"),
    [
        ([0, 1], [0, 1], [0], "lengths are 2, 2 and 1"),
        ([0.5, 1], [0, 1], [0, 1], "x1 must hold integer codes"),
        ([0, 1], [0, np.nan], [0, 1], "x2 contains NaN"),
        ([], [], [], "x1 is empty"),
        ([[0, 1]], [0], [0], "1-D array"),
        ([0, 1], [0, 1], ["a", "b"], "y must hold integer codes"),
    ],
)
def test_bad_samples_are_refused(x1, x2, y, message):
    with pytest.raises(ValueError, match=message):
        Distribution.from_samples(x1, x2, y)
