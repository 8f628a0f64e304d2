"""The pid compute pipeline on real data: stable across seeds."""

import pytest

from pid.datasets import digits
from pid.workflows import analyze


@pytest.fixture(scope="module")
def digit_reports():
    x1, x2, y = digits()
    return [analyze(x1, x2, y, seed=seed, n_bootstrap=25)[1] for seed in (0, 1)]


def test_digits_terms_fall_in_each_others_bootstrap_intervals(digit_reports):
    first, second = digit_reports
    for a, b in ((first, second), (second, first)):
        for term, value in a.terms.items():
            low, high = b.intervals[term]
            assert low <= value <= high, (term, value, (low, high))


def test_digits_report_records_its_provenance(digit_reports):
    report = digit_reports[0]
    assert report.provenance["n_samples"] == 1797
    assert report.provenance["discretization"]["x1"]["n_codes"] == 20
    assert report.bootstrap == {"n_resamples": 25, "confidence": 0.95, "seed": 0}
    # Both halves of a digit image say a lot about the digit, mostly the same thing.
    assert max(report.terms, key=report.terms.get) == "R"
