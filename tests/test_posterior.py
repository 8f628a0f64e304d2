"""The classifiers of the posterior encoding: rare labels and their settings."""

import numpy as np
import pytest

import pid
from pid.posterior import PosteriorOptions, encode_posteriors


def test_a_label_too_rare_for_some_folds_is_predicted_from_the_others():
    # Two samples of label 1 in 300: some folds' fitting rows hold label 0 alone.
    rng = np.random.default_rng(0)
    f1, f2 = rng.normal(size=(300, 4)), rng.normal(size=(300, 4))
    y = np.zeros(300, dtype=int)
    y[:2] = 1
    result = pid.decompose(f1, f2, y, sampling=pid.SamplingOptions(n_null=4))
    assert result.provenance["discretization"]["method"] == "posterior"
    # The features say nothing of y, whose entropy is 0.06 bits.
    assert max(abs(v) for v in result.terms().values()) < 0.06


def test_posterior_settings_take_numpy_integers_and_refuse_the_rest_in_a_sentence():
    options = PosteriorOptions(folds=np.int64(3), max_train=np.int64(3000), hidden=[64, 32])
    assert (options.folds, options.max_train, options.hidden) == (3, 3000, (64, 32))
    assert type(options.folds) is int and type(options.hidden[1]) is int
    refusals = [
        ({"calibration": "a"}, "calibration is 'a'; pass a number between 0 and 0.5"),
        ({"hidden": 128}, r"hidden is 128; pass a tuple of positive layer widths, e.g. \(128,\)"),
        ({"hidden": (64, 0)}, "hidden is 0; pass a whole number of at least 1"),
        ({"folds": 1}, "folds is 1; pass a whole number of at least 2"),
        ({"max_train": 2.5}, "max_train is 2.5; pass a whole number of at least 10"),
    ]
    for settings, message in refusals:
        with pytest.raises(ValueError, match=message):
            PosteriorOptions(**settings)
    rng = np.random.default_rng(0)
    x1, x2, y = rng.normal(size=(150, 2)), rng.normal(size=(150, 2)), rng.integers(0, 2, 150)
    with pytest.raises(ValueError, match="folds is 200, but 150 samples give each fold fewer"):
        encode_posteriors(x1, x2, y, options=PosteriorOptions(folds=200))
