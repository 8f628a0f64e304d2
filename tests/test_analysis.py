"""The pid compute pipeline on real data: stable across seeds."""

import pytest

from pid import SamplingOptions
from pid.datasets import digits
from pid.workflows import analyze


@pytest.fixture(scope="module")
def digit_reports():
    x1, x2, y = digits()
    resampled = SamplingOptions(n_bootstrap=25)
    return [analyze(x1, x2, y, seed=seed, sampling=resampled)[1] for seed in (0, 1)]


def test_digits_terms_of_two_seeds_agree_within_their_intervals(digit_reports):
    first, second = digit_reports
    for term in first.terms:
        widths = [(r.intervals[term][1] - r.intervals[term][0]) / 2 for r in digit_reports]
        assert abs(first.terms[term] - second.terms[term]) <= sum(widths), term
        for report in digit_reports:
            low, high = report.intervals[term]
            assert low <= report.terms[term] <= high  # centred on the estimate


def test_digits_report_records_its_provenance(digit_reports):
    report = digit_reports[0]
    assert report.provenance["n_samples"] == 1797
    assert report.provenance["discretization"]["method"] == "posterior"
    assert report.provenance["discretization"]["n_codes"] == 17  # ten samples a cell
    assert report.provenance["seed"] == 0
    assert report.bootstrap == {"n_resamples": 25, "confidence": 0.95}
    # Both halves of a digit image say a lot about the digit, mostly the same thing.
    assert max(report.terms, key=report.terms.get) == "R"
