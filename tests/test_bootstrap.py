import numpy as np
import pytest

from pid import decompose
from pid.datasets import latent_bits
from pid.workflows import bootstrap


def test_intervals_cover_the_population_values_and_shrink_with_n():
    widths = []
    for n in (1_000, 16_000):
        x1, x2, y = latent_bits(n, redundant=1, unique1=0, unique2=1, synergistic=0, seed=2)
        intervals, values = bootstrap(x1, x2, y, n_resamples=30, seed=0)
        assert values.shape == (30, 4)
        for name, truth in zip(("R", "U1", "U2", "S"), (1, 0, 1, 0), strict=True):
            low, high = intervals[name]
            assert low <= high
            assert low - 0.05 <= truth <= high + 0.05
        widths.append(intervals["R"][1] - intervals["R"][0])
    # Interval width falls roughly like 1/sqrt(n): 16x the data, about a quarter the width.
    assert widths[1] < widths[0] / 2


def test_intervals_are_percentiles_of_the_resampled_values():
    x1, x2, y = latent_bits(500, seed=5)
    intervals, values = bootstrap(x1, x2, y, n_resamples=20, confidence=0.8, seed=1)
    for j, name in enumerate(("R", "U1", "U2", "S")):
        assert intervals[name] == pytest.approx(tuple(np.quantile(values[:, j], [0.1, 0.9])))


def test_seeded_and_on_the_full_alphabet():
    x1, x2, y = latent_bits(300, seed=3)
    a = bootstrap(x1, x2, y, n_resamples=5, seed=7)[1]
    b = bootstrap(x1, x2, y, n_resamples=5, seed=7)[1]
    np.testing.assert_array_equal(a, b)
    # Each resample's terms sum to its own I(X1,X2;Y), which is at most log2 |Y| = 4 bits.
    assert np.all(a.sum(axis=1) <= 4 + 1e-9)
    assert decompose(x1, x2, y).total <= 4 + 1e-9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n_resamples": 1}, "n_resamples"), ({"n_resamples": 5, "confidence": 1.5}, "confidence")],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bootstrap([0, 1], [0, 1], [0, 1], **kwargs)


def test_a_rare_class_does_not_abort_the_bootstrap():
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 3, 40), rng.integers(0, 3, 40)
    y = np.zeros(40, dtype=int)
    y[0] = 1  # one positive: many resamples would miss it
    _, values = bootstrap(x1, x2, y, n_resamples=30, seed=0)
    assert values.shape == (30, 4) and np.all(np.isfinite(values))
