import json

import pytest

from pid import Distribution, PIDResult, SamplingOptions, decompose, estimate
from pid.datasets import canonical, latent_bits
from pid.report import REPORT_SCHEMA_VERSION, compute_report, read_report, write_report


@pytest.fixture
def report():
    dist = canonical("rdn_xor")
    intervals = {"R": (0.9, 1.1), "U1": (0.0, 0.05), "U2": (0.0, 0.04), "S": (0.8, 1.2)}
    boot = {"n_resamples": 50, "confidence": 0.95, "seed": 0}
    result = estimate(dist)
    return compute_report(result, dist, intervals=intervals, bootstrap=boot, source="rdn_xor")


def test_report_holds_numbers_shares_intervals_and_provenance(report):
    assert report.to_dict()["schema_version"] == REPORT_SCHEMA_VERSION
    assert report.terms["R"] == pytest.approx(1.0, abs=1e-7)
    assert report.shares["S"] == pytest.approx(0.5, abs=1e-7)
    assert report.intervals["S"] == [0.8, 1.2]
    assert report.information["H(Y)"] == pytest.approx(2.0)
    assert report.alphabets["y"] == {
        "size": 4,
        "occupied": 4,
        "largest_share": 0.25,
        "smallest_nonzero_share": 0.25,
        "entropy_bits": 2.0,
        "shares": [0.25] * 4,
        "rest": {"count": 0, "share": 0.0},
    }
    assert report.provenance["source"] == "rdn_xor"
    assert PIDResult.from_dict(report.result).S == pytest.approx(1.0, abs=1e-7)


def test_write_and_read_back(report, tmp_path):
    paths = write_report(report, tmp_path / "out")
    assert read_report(paths["json"]).to_dict() == json.loads(json.dumps(report.to_dict()))
    markdown = paths["md"].read_text()
    assert "| Synergy (only both together) | 1.000000 | 50.0% | [0.8000, 1.2000] |" in markdown
    page = paths["html"].read_text()
    assert page.count("data:image/png;base64,") == 3
    assert "<script" not in page and "http" not in page  # self-contained
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
    ]


def test_report_without_intervals_says_how_to_get_them(tmp_path):
    dist = Distribution.from_table(canonical("and").table)
    report = compute_report(estimate(dist), dist)
    assert report.intervals is None
    assert "run with --bootstrap N" in write_report(report, tmp_path)["md"].read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"kind": "other"}', "is not a pid report"),
        ('{"kind": "pid-report", "schema_version": 0}', "schema_version 0"),
    ],
)
def test_read_report_refuses_other_files(tmp_path, content, message):
    path = tmp_path / "report.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_report(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_report(tmp_path / "missing.json")


def test_a_sparse_sample_is_warned_of_in_every_format(tmp_path):
    x1, x2, y = latent_bits(300, flip=0.1, seed=0)  # 8 x 8 x 16 cells: 300 samples in 115 of them
    with pytest.warns(UserWarning, match="samples per occupied cell"):
        result = decompose(x1, x2, y, sampling=SamplingOptions(n_null=2))
    dist = Distribution.from_samples(x1, x2, y)
    paths = write_report(compute_report(result, dist), tmp_path)
    warning = "Warning: only 2.6 samples per occupied cell (fewer than 10)"
    assert warning in paths["md"].read_text()
    assert warning in paths["html"].read_text()
    assert read_report(paths["json"]).sampling["warnings"][0].startswith("only 2.6 samples")


def test_a_huge_alphabet_gives_a_report_of_bounded_size(tmp_path):
    import numpy as np

    values = np.arange(20_000)
    dist = Distribution.from_samples(values, values % 4, values % 2)
    report = compute_report(estimate(dist), dist)
    x1 = report.alphabets["x1"]
    assert x1["size"] == x1["occupied"] == 20_000
    assert x1["shares"] == pytest.approx([1 / 20_000] * 20)
    assert x1["rest"]["count"] == 19_980
    assert x1["rest"]["share"] == pytest.approx(19_980 / 20_000)
    assert report.alphabets["x2"]["shares"] == pytest.approx([0.25] * 4)
    assert report.alphabets["x2"]["rest"] == {"count": 0, "share": 0.0}
    from pid.report.writer import render_report

    rendered = render_report(report)
    assert len(rendered["json"]) < 20_000 and len(rendered["html"]) < 200_000
    assert "data:image/png;base64," in rendered["html"]
