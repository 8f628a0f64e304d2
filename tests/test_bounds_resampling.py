"""Bounds from three finite sample sets: bias-corrected figures, intervals and the guidance
that rests on them."""

import numpy as np
import pytest

from pid import Distribution
from pid.bounds import PairwiseMarginals, SynergyBounds, synergy_bounds
from pid.bounds.resampling import FIGURES, BoundsResampling, ResampledBounds, resample_bounds
from pid.datasets import latent_bits_distribution
from pid.report.build import guidance


def _three_sets(dist, n, seed):
    first, second, third = (dist.sample(n, seed + k) for k in range(3))
    return (first[0], first[2]), (second[1], second[2]), (third[0], third[1])


def _figures(bounds):
    return np.array([bounds.R, bounds.U1, bounds.U2, bounds.lower, bounds.upper])


def test_intervals_hold_the_population_figures_and_the_correction_removes_bias():
    # Redundancy, a unique bit of x2 and an XOR, 10% label noise: x1, x2 of 4 codes, y of 8.
    dist = latent_bits_distribution(unique1=0, flip=0.1)
    population = _figures(synergy_bounds(PairwiseMarginals.from_distribution(dist)))
    plugin, corrected, inside = [], [], []
    for seed in range(4):
        sets = _three_sets(dist, 800, 10 * seed)
        resampled = resample_bounds(*sets, options=BoundsResampling(n_bootstrap=40, seed=seed))
        plugin.append(_figures(resampled.bounds))
        corrected.append(resampled.corrected)
        low, high = resampled.intervals.T
        inside.append((low <= population) & (population <= high))
        assert resampled.interval("S")[0] == max(resampled.intervals[3, 0], 0.0)
    # 800 samples a set overstate the lower bound of synergy; Eq. (1) removes part of that.
    plugin_error = np.mean(plugin, axis=0) - population
    corrected_error = np.mean(corrected, axis=0) - population
    assert plugin_error[3] > 0.005
    assert abs(corrected_error[3]) < 0.6 * plugin_error[3]
    assert np.mean(inside) >= 0.85
    assert np.abs(corrected_error).max() < 0.03


def test_resampling_is_seeded_and_refuses_bad_settings():
    sets = _three_sets(latent_bits_distribution(flip=0.1), 300, 0)
    options = BoundsResampling(n_bootstrap=5, seed=3)
    first, second = (resample_bounds(*sets, options=options) for _ in range(2))
    np.testing.assert_array_equal(first.intervals, second.intervals)
    with pytest.raises(ValueError, match="n_bootstrap is 1; pass 0"):
        BoundsResampling(n_bootstrap=1)
    with pytest.raises(ValueError, match="confidence is 2"):
        BoundsResampling(confidence=2)
    with pytest.raises(ValueError, match=r"n_bootstrap is 2.0; pass a whole number"):
        BoundsResampling(n_bootstrap=2.0)
    # A numpy integer is a count like any other, stored as an int.
    assert type(BoundsResampling(n_bootstrap=np.int64(5)).n_bootstrap) is int
    with pytest.raises(ValueError, match=r"options\.n_bootstrap is 0"):
        resample_bounds(*sets, options=BoundsResampling(n_bootstrap=0))


def _resampled(values, half_widths):
    """Bounds whose corrected figures are ``values`` (R, U1, U2, S_lower, S_upper)."""
    values = np.asarray(values, dtype=float)
    bounds = SynergyBounds(*values[:3], S_R=values[3], S_U=0.0, S_upper=values[4])
    intervals = np.stack([values - half_widths, values + half_widths], axis=1)
    return ResampledBounds(bounds, values, intervals, 100, 0.95)


def test_a_near_tie_is_not_determined_and_no_conclusion_says_certainly():
    # Synergy's lower bound 0.007556 bits against R = 0.007544: no ordering is supported.
    tie = _resampled([0.007544, 0.0, 0.0, 0.007556, 0.02], np.full(5, 0.004))
    sentences = guidance(tie.bounds, (0.6, 0.62), tie)
    assert sentences[0].startswith("Whether synergy is the largest interaction is not determined")
    assert sentences[2].startswith(
        "Complex fusion is unlikely to pay off: synergy is at most 0.024"
    )
    wide = _resampled([0.007544, 0.0, 0.0, 0.007556, 0.2], np.full(5, 0.004))
    fusion = guidance(wide.bounds, (0.6, 0.8), wide)[2]
    assert fusion.startswith("Whether complex fusion pays off is not determined")
    # Without intervals the verdict holds for the marginals as given, and says so.
    given = guidance(tie.bounds, (0.6, 0.62))
    assert given[0].startswith("Synergy is the largest interaction (for these marginals)")
    assert not any("certainly" in s for s in sentences + given)


@pytest.mark.parametrize(
    ("values", "verdict"),
    [
        ([0.05, 0.0, 0.0, 0.40, 0.60], "Synergy is the largest interaction (at 95% confidence)"),
        ([0.50, 0.1, 0.0, 0.01, 0.20], "Synergy is not the largest interaction (at 95% con"),
    ],
)
def test_an_ordering_is_stated_where_the_intervals_separate(values, verdict):
    separated = _resampled(values, np.full(5, 0.02))
    assert guidance(separated.bounds, (0.5, 0.9), separated)[0].startswith(verdict)


def test_bounds_of_zero_in_rounding_noise_state_no_ordering():
    # Constant modalities: every figure is 0, synergy's lower bound 3e-16 of rounding.
    zero = SynergyBounds(0.0, 0.0, 0.0, S_R=3.2e-16, S_U=0.0, S_upper=3.2e-16)
    first = guidance(zero, (0.5, 0.5))[0]
    assert first.startswith("Whether synergy is the largest interaction is not determined")


def test_the_interval_of_synergy_spans_both_ends_of_the_bracket():
    resampled = _resampled([0.1, 0.2, 0.3, 0.01, 0.5], np.array([0.01, 0.01, 0.01, 0.02, 0.05]))
    assert resampled.interval("S") == (0.0, pytest.approx(0.55))
    low, high = resampled.information_interval
    assert low == pytest.approx(0.09 + 0.19 + 0.29)
    assert high == pytest.approx(0.11 + 0.21 + 0.31 + 0.55)
    record = resampled.to_dict()
    assert set(record["corrected"]) == set(FIGURES)
    assert record["intervals"]["S"] == [0.0, pytest.approx(0.55)]


def test_sample_sets_the_marginals_cannot_join_are_refused_in_a_sentence():
    x, y = np.array([0, 1, 2] * 10), np.array([0, 1, 2] * 10)
    # The unlabeled pairs lie on codes 3..5, which no labeled sample has: p(y | x1) there
    # would be the smoothing's, and x1's 1.58 bits about y read as 0 (R = U = 0 "exact").
    unseen = (x + 3, x + 3)
    with pytest.raises(ValueError, match=r"^100% of the unlabeled pairs hold an x1 value that no"):
        PairwiseMarginals.from_samples((x, y), (x, y), unseen)
    with pytest.raises(ValueError, match=r"^100% of the unlabeled pairs hold an x2 value that no"):
        PairwiseMarginals.from_samples((x, y), (x, y), (x, x + 3))
    with pytest.raises(ValueError, match=r"^100% of the unlabeled pairs hold an x1 value that no"):
        resample_bounds((x, y), (x, y), unseen, options=BoundsResampling(n_bootstrap=3))
    few = (np.append(x, 3), np.append(x, 3))  # one pair of 31 on a new value is kept
    assert PairwiseMarginals.from_samples((x, y), (x, y), few).p_x1_y.shape == (4, 3)
    with pytest.raises(ValueError, match=r"^iterations is 0; pass a whole number of at least 1"):
        PairwiseMarginals.from_samples((x, y), (x, y), (x, x), iterations=0)
    with pytest.raises(ValueError, match=r"^labeled1\[0\] is empty; pass at least one sample"):
        resample_bounds((x[:0], y[:0]), (x, y), (x, x), options=BoundsResampling(n_bootstrap=3))


def test_sizes_keep_resamples_in_one_code_space():
    dist = Distribution.from_table(np.full((3, 3, 2), 1 / 18))
    sets = _three_sets(dist, 200, 0)
    marginals = PairwiseMarginals.from_samples(*sets, sizes=(4, 3, 2))
    assert marginals.p_x1_y.shape == (4, 2)
    with pytest.raises(ValueError, match=r"sizes are \(2, 3, 2\) but the codes need"):
        PairwiseMarginals.from_samples(*sets, sizes=(2, 3, 2))
