"""The count tables of a sample's views, drawn from the counts and from the rows: their margins,
their exact moments, and one distribution for both ways of drawing them."""

import pickle

import numpy as np
import pytest

from pid.distribution import count_codes
from pid.information import mutual_information
from pid.sample_tables import CountDraws, RowDraws, random_table
from pid.sampling import SamplingOptions, sample_pid

SHAPE = (3, 4, 2)


def _sample(n=120, seed=0):
    rng = np.random.default_rng(seed)
    c1 = rng.integers(0, SHAPE[0], n)
    c2 = (c1 + rng.integers(0, 2, n)) % SHAPE[1]
    y = (c1 + c2 + (rng.random(n) < 0.2)) % SHAPE[2]
    return c1, c2, y


def _both(seed=1):
    codes = _sample()
    counts = count_codes(*codes, SHAPE)
    return (
        codes,
        counts,
        CountDraws(counts, np.random.default_rng(seed)),
        RowDraws(*codes, SHAPE, np.random.default_rng(seed)),
    )


def test_a_random_table_has_the_margins_and_the_hypergeometric_mean_and_variance():
    rows, columns = np.array([5, 3, 0, 2]), np.array([4, 6])
    rng = np.random.default_rng(0)
    draws = np.stack([random_table(rows, columns, rng) for _ in range(4000)])
    assert (draws.sum(axis=2) == rows).all() and (draws.sum(axis=1) == columns).all()
    n = rows.sum()
    # Cell (i, j) counts the items of column j dealt to row i: hypergeometric.
    mean = np.outer(rows, columns) / n
    variance = np.outer(rows * (n - rows), columns * (n - columns)) / (n**2 * (n - 1))
    standard_error = np.sqrt(variance / len(draws)) + 1e-12
    assert np.abs(draws.mean(axis=0) - mean).max() <= 4 * standard_error.max()
    assert draws.var(axis=0) == pytest.approx(variance, rel=0.1, abs=1e-12)


def test_count_space_views_keep_what_they_must():
    _, counts, draws, _ = _both()
    whole = draws.whole()
    assert (draws.table(whole) == counts).all()
    permuted = draws.table(draws.permute_labels(whole))
    assert (permuted.sum(axis=2) == counts.sum(axis=2)).all()  # the pairs
    assert (permuted.sum(axis=(0, 1)) == counts.sum(axis=(0, 1))).all()  # the labels
    assert not (permuted == counts).all()
    within = draws.table(draws.permute_within(whole))
    assert (within.sum(axis=1) == counts.sum(axis=1)).all()  # p(x1, y)
    assert (within.sum(axis=0) == counts.sum(axis=0)).all()  # p(x2, y)
    resampled = draws.table(draws.resample(whole))
    assert resampled.sum() == counts.sum() and not (resampled == counts).all()


@pytest.mark.parametrize("n", [120, 121, 122, 123])
def test_the_parts_of_a_split_partition_the_view_in_the_sizes_of_array_split(n):
    codes = _sample(n)
    counts = count_codes(*codes, SHAPE)
    draws = CountDraws(counts, np.random.default_rng(2))
    parent = draws.permute_labels(draws.whole())
    parts = draws.split(parent, (2, 4))
    tables = [draws.table(view) for view in parts]
    expected = [len(p) for k in (2, 4) for p in np.array_split(np.arange(n), k)]
    assert [t.sum() for t in tables] == expected
    source = draws.table(parent)
    assert (sum(tables[:2]) == source).all() and (sum(tables[2:]) == source).all()
    # One random order cut twice: the first two quarters make the first half where both
    # splits cut at the same place (all but n = 122: 61 + 61 against 31 + 31 + 30 + 30), and
    # the first quarter lies within the first half always.
    first_half, quarters = tables[0], tables[2:]
    assert (quarters[0] + quarters[1] == first_half).all() == (n != 122)
    assert (quarters[0] <= first_half).all()


@pytest.mark.parametrize("kind", ["counts", "rows"])
def test_x2_permuted_within_the_labels_of_a_resample_keeps_its_pairwise_margins(kind):
    # A resample repeats rows: x2 is permuted among the resample's samples, not the sample's.
    _, _, count_draws, row_draws = _both()
    draws = count_draws if kind == "counts" else row_draws
    for _ in range(20):
        resampled = draws.resample(draws.whole())
        base = draws.table(resampled)
        within = draws.permute_within(resampled)
        table = draws.table(within)
        assert (table.sum(axis=1) == base.sum(axis=1)).all()  # p(x1, y)
        assert (table.sum(axis=0) == base.sum(axis=0)).all()  # p(x2, y)
        halves = [draws.table(part) for part in draws.split(within, (2,))]
        assert (sum(halves) == table).all()


def test_a_view_is_the_same_table_wherever_it_is_built():
    _, _, draws, _ = _both()
    views = draws.split(draws.resample(draws.permute_within(draws.whole())), (2, 4))
    first = [draws.table(v) for v in views]
    elsewhere = pickle.loads(pickle.dumps(draws))
    pairs = zip(reversed(views), reversed(first), strict=True)
    assert all((elsewhere.table(view) == table).all() for view, table in pairs)


def test_a_part_has_the_hypergeometric_moments_of_a_subsample():
    _, counts, draws, _ = _both()
    n = counts.sum()
    halves = np.stack([draws.table(draws.split(draws.whole(), (2,))[0]) for _ in range(3000)])
    m = n // 2
    share = counts / n
    variance = m * share * (1 - share) * (n - m) / (n - 1)
    assert halves.mean(axis=0) == pytest.approx(m * share, abs=4 * np.sqrt(variance.max() / 3000))
    assert halves.var(axis=0) == pytest.approx(variance, rel=0.12, abs=1e-9)


@pytest.mark.parametrize("view", ["labels", "within", "resample"])
def test_counts_and_rows_draw_the_same_distribution_of_informations(view):
    _, _, counts_draws, row_draws = _both()

    def informations(draws):
        values = []
        for _ in range(1500):
            table = draws.table(getattr(draws, _METHODS[view])(draws.whole()))
            values.append(mutual_information(table.reshape(-1, SHAPE[2]) / table.sum()))
        return np.array(values)

    from_counts, from_rows = informations(counts_draws), informations(row_draws)
    spread = np.sqrt((from_counts.var() + from_rows.var()) / len(from_rows))
    assert abs(from_counts.mean() - from_rows.mean()) <= 4 * spread
    assert from_counts.std() == pytest.approx(from_rows.std(), rel=0.1)


_METHODS = {"labels": "permute_labels", "within": "permute_within", "resample": "resample"}


def test_a_given_count_table_is_used_as_it_is_and_a_wrong_one_refused():
    codes, counts, _, _ = _both()
    options = SamplingOptions(n_bootstrap=3)
    given = sample_pid(*codes, options=options, table=counts, seed=5)
    counted = sample_pid(*codes, options=options, seed=5)
    assert (given.informations == counted.informations).all()
    assert (given.intervals == counted.intervals).all()
    with pytest.raises(ValueError, match=r"table has shape .* pass the count table of c1, c2"):
        sample_pid(*codes, options=options, table=counts[:2], seed=5)
