import html
import json
import math
import re
from dataclasses import replace

import numpy as np
import pytest

from pid import Distribution, PIDResult, SamplingOptions, decompose, decompose_many, estimate
from pid.datasets import canonical, latent_bits
from pid.posterior import PosteriorOptions
from pid.report import (
    REPORT_SCHEMA_VERSION,
    Report,
    compute_report,
    figures,
    many_report,
    read_report,
    write_report,
)
from pid.report.build import inputs_report
from pid.report.writer import render_html, render_markdown


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


#: Stands for an integer of 5000 digits, which json.dumps refuses to write.
LONG = "<5000 digits>"


def _bounds_record(report):
    """``report``'s JSON form with the fields of a bounds report added."""
    record = json.loads(json.dumps(report.to_dict()))
    record["bounds"] = {"S_lower": 0.5, "S_upper": 1.0}
    record["accuracy"] = {"lower": 0.7, "upper": 0.9}
    return record


def _set(path, value):
    """An edit of a report's JSON form: ``value`` at the dotted ``path``."""

    def edit(record):
        *parents, last = path.split(".")
        for key in parents:
            record = record[key]
        record[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set("terms.S", 10**400), "terms.S is an integer of 401 digits, more than the 100"),
        (_set("terms.S", 1e308), r"terms.S is 1e\+308, outside \[-64, 64\] bits"),
        (_set("terms.S", math.nan), "terms.S is NaN, not a finite number"),
        (_set("terms.U1", None), "terms.U1 is null"),
        (_set("terms", [1, 2, 3, 4]), "terms is a list of 4 items, not an object"),
        (_set("intervals.S", 5), r"intervals.S is 5, not a pair \[lower, upper\]"),
        (_set("intervals.S", None), "intervals.S is null"),
        (_set("intervals.S", [1.2, 0.8]), "intervals.S has its lower end 1.2 above"),
        (_set("intervals", [1, 2]), "intervals is a list of 2 items, not an object"),
        (_set("accuracy", "high"), "accuracy is 'high', not an object"),
        (_set("accuracy.upper", 1.5), r"accuracy.upper is 1.5, outside \[0, 1\]"),
        (_set("accuracy.lower", 0.95), "accuracy has its lower end above its upper end"),
        (_set("bounds.S_lower", "x"), "bounds.S_lower is 'x', not a number"),
        (_set("shares.S", -0.5), r"shares.S is -0.5, outside \[0, 1\]"),
        (_set("information.H(Y)", math.inf), "information.H\\(Y\\) is Infinity, not a finite"),
        (_set("mode", "partial"), "mode is 'partial', not one of full, bounds"),
        (_set("provenance", "x"), "provenance is 'x', not an object"),
        (_set("guidance", [1]), r"guidance\[0\] is 1, not a string"),
        (_set("provenance.seed", LONG), "provenance.seed is an integer of 5000 digits"),
        (_set("zoo", {"models": {"EF": {"accuracy": "high"}}}), "zoo.models.EF.accuracy is 'high'"),
    ],
)
def test_read_report_names_the_wrong_field(report, tmp_path, edit, message):
    record = _bounds_record(report)
    edit(record)
    path = tmp_path / "report.json"
    # NaN and Infinity as Python's json writes them; LONG as 5000 digits, past Python's limit.
    path.write_text(json.dumps(record).replace(f'"{LONG}"', "1" * 5000))
    with pytest.raises(ValueError, match=f"^REPORT file report.json: {message}.*; pass a report"):
        read_report(path)


def test_read_report_refuses_deep_nesting_in_one_sentence(report, tmp_path):
    depth = 100_000
    text = json.dumps(report.to_dict())[:-1] + ', "zoo": ' + "[" * depth + "]" * depth + "}"
    path = tmp_path / "report.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="json nests arrays and objects more than 64 levels deep"):
        read_report(path)
    path.write_text(text.replace("[" * depth + "]" * depth, "[" * 70 + "]" * 70))
    with pytest.raises(ValueError, match="zoo nests arrays and objects more than 64 levels deep"):
        read_report(path)


def test_read_report_reads_the_nan_pid_writes_where_a_figure_does_not_exist(tmp_path):
    # Without permutations the null model's mean is NaN: a report pid wrote is read back whole.
    x1, x2, y = latent_bits(400, flip=0.1, seed=0)
    plugin = SamplingOptions(correction="none", n_null=0)
    dist = Distribution.from_samples(x1, x2, y)
    report = compute_report(decompose(x1, x2, y, sampling=plugin), dist)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report.to_dict()))
    assert "NaN" in path.read_text()
    again = read_report(path)
    assert math.isnan(again.sampling["null"]["mean"]["S"])
    assert again.terms == report.terms


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


def test_null_sentence_separates_the_null_test_from_the_intervals():
    from pid.report.build import null_sentence

    # An AND gate's unique informations are 0; the label permutations test for no
    # information at all, which U2 passes by chance here, while its interval reaches 0.
    sampling = {
        "null": {
            "n_permutations": 20,
            "above_null": {"R": True, "U1": False, "U2": True, "S": True},
        },
        "intervals": {
            "R": [0.28, 0.34],
            "U1": [-0.01, 0.02],
            "U2": [-0.01, 0.05],
            "S": [0.46, 0.51],
        },
    }
    test = (
        "permutation p-value over 20 label permutations (1 + permutations at or above the "
        "term, over their number + 1)"
    )
    assert null_sentence(sampling) == (
        f"The information unique to X1 cannot be told from zero: its {test} is above 0.05. The "
        "information unique to X2 stands out from the null model, which tests for no "
        "information at all, but its interval reaches 0: it may be zero."
    )
    sampling["null"]["n_permutations"] = 6  # no p-value reaches 0.05: the level is 1/7
    del sampling["intervals"]
    assert null_sentence(sampling).endswith("over their number + 1) is above 0.143.")
    sampling["null"]["above_null"]["U1"] = True
    assert null_sentence(sampling).startswith("Every term stands out from the null model: its ")


def test_a_corrected_total_below_zero_is_not_called_four_zero_terms():
    # Independent x1, x2 and y: corrected for bias, the terms scatter about 0 and their sum
    # falls below it; the summary gives that sum and the null test, not "all four are 0".
    import numpy as np

    rng = np.random.default_rng(3)
    x1, x2, y = rng.integers(0, 4, 400), rng.integers(0, 4, 400), rng.integers(0, 2, 400)
    result = decompose(x1, x2, y)
    total = sum(result.terms().values())
    assert total < 0 and max(result.terms().values()) > 0
    summary = compute_report(result, Distribution.from_samples(x1, x2, y)).summary
    assert summary.startswith(
        "Corrected for sampling bias, the information the two modalities carry about the "
        f"label is {result.mi_x1x2_y:.4f} bits: the samples show none beyond their sampling"
    )
    assert "permutation p-value" in summary and "all four terms are 0" not in summary


def _table_widths(markdown: str) -> list[list[int]]:
    """The number of cells of each line of each table in ``markdown``, table by table (a "|"
    after a backslash is text, not a column break)."""
    blocks = [block.splitlines() for block in markdown.split("\n\n") if block.startswith("| ")]
    return [[len(re.split(r"(?<!\\)\|", line)) for line in block] for block in blocks]


def test_markdown_text_escapes_markup_and_line_breaks():
    from pid.report.writer import markdown_text

    assert markdown_text("a\\b`c|d&e<f>g\nh\ti\x00j\u2028k") == (
        "a\\\\b\\`c\\|d&amp;e&lt;f&gt;g h i j k"
    )
    assert markdown_text("[a]") == "[a]" and markdown_text("[a]", link_text=True) == "\\[a\\]"


def test_markdown_shows_every_name_as_written_never_as_markup():
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    tag = "<img src=x onerror=alert(1)>"
    codes = {tag: a, "b|c": b, "d\ne": rng.integers(0, 3, 200)}
    plain = SamplingOptions(correction="none", n_null=0)
    many = render_markdown(many_report(decompose_many(codes, a ^ b, sampling=plain), source="m"))
    shown = "&lt;img src=x onerror=alert(1)&gt;"
    assert "<img" not in many and "d\ne" not in many
    assert f"| {shown} + b\\|c | 200 | 0.000 | 0.000 | 0.000 | 0.999 | 1.000 | S |" in many
    assert f"- {shown} and b\\|c are largely synergistic (S 1.00 of 1.00 bits)." in many
    assert "| d e | 200 | 0.010 | 0.000 | 0.990 | 0.000 |" in many
    widths = _table_widths(many)
    assert [len(set(table)) for table in widths] == [1] * 6
    assert [table[0] for table in widths] == [10, 8, 6, 6, 6, 6]

    dist = Distribution.from_samples(a, b, a ^ b)
    title = "<script>alert(1)</script> & more\nlines"
    full = render_markdown(compute_report(estimate(dist), dist, source="`a`\\b.npz", title=title))
    assert full.startswith("# &lt;script&gt;alert(1)&lt;/script&gt; &amp; more lines\n")
    assert "\n- provenance.source: \\`a\\`\\\\b.npz\n" in full


def test_shares_are_labelled_as_what_they_are(report, monkeypatch):
    # The shares are normalized_pid: each term over the sum of the terms, negatives read as
    # 0, which is I(X1,X2;Y) only where no term is below 0.
    drawn = []
    monkeypatch.setattr(figures, "_png", lambda fig: drawn.append(fig) or b"png")
    figures.shares_figure(report)
    label = "share of the sum of the terms (negative terms read as 0)"
    assert drawn[0].axes[0].get_xlabel() == label
    page = render_html(report, {"shares": b"png"})
    caption = html.escape(f"Each term's {label}.")
    assert f"<figcaption>{caption}</figcaption>" in page
    assert "I(X1,X2;Y)" not in page.split("<figcaption>")[1]


def test_a_many_report_counts_the_pairs_it_cannot_bound_apart():
    # x1 and x2 are never observed together, but each with both labels: bounded. x3 is never
    # observed with the label 1, so neither of its pairs can be bounded.
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 900)
    x1 = np.where(rng.random(900) < 0.9, y, 1 - y).astype(float)
    x2, x3 = x1.copy(), rng.integers(0, 2, 900).astype(float)
    x1[300:], x2[:300], x2[600:], x3[:600], x3[y == 1] = (np.nan,) * 5
    many = decompose_many({"x1": x1, "x2": x2, "x3": x3}, y, sampling=SamplingOptions(n_null=2))
    assert list(many.bounds) == [("x1", "x2")]
    assert many.unbounded == (("x1", "x3"), ("x2", "x3"))
    assert many_report(many).summary.endswith(
        " 3 pairs were not decomposed (3 observed together on fewer than 20 samples): 1 is "
        "bounded from each modality's labeled samples instead, where every label is observed "
        "with both; in the other 2, some label is never observed with one of the two "
        "modalities, so nothing about them can be bounded."
    )


def _and_gate_reports(n_bootstrap: int) -> list[tuple[str, Report]]:
    """The reports of two AND gates of 500 samples each, resampled ``n_bootstrap`` times."""
    reports = []
    for seed in range(2):
        rng = np.random.default_rng(seed)
        x1, x2 = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
        sampling = SamplingOptions(n_null=20, n_bootstrap=n_bootstrap)
        result = decompose(x1, x2, x1 & x2, sampling=sampling)
        reports.append((f"run_{seed}", compute_report(result, None, entropy_y=1.0)))
    return reports


def test_a_report_across_inputs_names_a_term_only_where_its_interval_lies_above_zero():
    # U2 of an AND gate is 0, yet it stands out from the label permutations at both inputs;
    # its interval reaches 0 at both, as the report of each says.
    reports = _and_gate_reports(30)
    for _, report in reports:
        assert report.sampling["null"]["above_null"]["U2"] and report.intervals["U2"][0] <= 0
        assert report.summary.endswith(
            "The information unique to X2 stands out from the null model, which tests for no "
            "information at all, but its interval reaches 0: it may be zero."
        )
    terms = {name: report.terms for name, report in reports}
    assert inputs_report(reports).summary == (
        "2 inputs, run_0 to run_1. Among the inputs where each term stands out from its null "
        "model and its interval lies above 0, the most redundancy is at run_0 "
        f"({terms['run_0']['R']:.3f} bits) and the most synergy at run_0 "
        f"({terms['run_0']['S']:.3f} bits). No input holds information unique to X1 or "
        "information unique to X2 that stands out from its null model, with an interval above "
        "0, and reaches 0.0005 bits."
    )
    # Without intervals the null model is the only test, and the summary says so.
    reports = _and_gate_reports(0)
    u2 = max(report.terms["U2"] for _, report in reports)
    assert inputs_report(reports).summary == (
        "2 inputs, run_0 to run_1. Among the inputs where each term stands out from its null "
        "model only (a test for no information at all; no interval, from --bootstrap, tests "
        f"the term itself), the most redundancy is at run_0 ({terms['run_0']['R']:.3f} bits), "
        f"the most information unique to X2 at run_1 ({u2:.3f} bits) and the most synergy at "
        f"run_0 ({terms['run_0']['S']:.3f} bits). No input holds information unique to X1 that "
        "stands out from its null model and reaches 0.0005 bits."
    )
    # One input with a null model and one without: the tests are each input's own.
    with_null, without = _and_gate_reports(0)[0], _and_gate_reports(0)[1]
    without = (without[0], replace(without[1], sampling={**without[1].sampling, "null": None}))
    summary = inputs_report([with_null, without]).summary
    assert "Among the inputs where each term passes the tests its input has" in summary
    assert summary.endswith("that passes the tests its input has and reaches 0.0005 bits.")


def test_plug_in_values_are_not_called_corrected(tmp_path):
    # Noise features through their cross-fitted posteriors: the held-out information falls
    # below 0 even without a bias correction.
    rng = np.random.default_rng(0)
    y, x1, x2 = (
        rng.integers(0, 2, 200),
        rng.standard_normal((200, 2)),
        rng.standard_normal((200, 2)),
    )
    result = decompose(
        x1,
        x2,
        y,
        discretization="posterior",
        posterior=PosteriorOptions(hidden=(8,), learning_curve=False),
        sampling=SamplingOptions(correction="none", n_null=0),
    )
    assert result.mi_x1x2_y < 0
    report = compute_report(result, None, entropy_y=1.0)
    assert report.summary == (
        "Uncorrected for sampling bias (plug-in values), the information the two modalities "
        f"carry about the label is {result.mi_x1x2_y:.4f} bits: the samples show none beyond "
        "their sampling error."
    )
    cells = result.sampling["samples_per_cell"]
    assert (
        f"\n- No sampling-bias correction (the plug-in values); {cells:.1f} samples per "
        "occupied cell.\n"
    ) in render_markdown(report)


def test_a_corrected_information_above_the_label_entropy_is_called_an_overshoot():
    # y = x1 + x2 mod 4 on 200 samples: quadratic extrapolation carries I(X1,X2;Y) past H(Y).
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    y = (x1 + x2) % 4
    dist = Distribution.from_samples(x1, x2, y)
    result = decompose(x1, x2, y, sampling=SamplingOptions(correction="quadratic", n_null=0))
    over = result.mi_x1x2_y - dist.entropy_y
    assert over > 0.005
    assert compute_report(result, dist).summary == (
        f"Together the two modalities carry {result.mi_x1x2_y:.4f} bits about the label "
        f"({result.mi_x1x2_y / dist.entropy_y:.0%} of H(Y) = {dist.entropy_y:.3f} bits). The "
        f"bias correction overshoots H(Y) by {over:.4f} bits, within its uncertainty: the "
        "modalities carry at most H(Y) about the label. The largest part is synergy: "
        f"{result.shares()['S']:.0%} of the terms' sum."
    )


def test_no_table_shows_a_negative_zero():
    # Two copies of the label: the null means and the intervals of the zero terms are some
    # 1e-16 bits either side of 0.
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 400)
    sampling = SamplingOptions(n_null=20, n_bootstrap=20)
    result = decompose(a, a.copy(), a.copy(), sampling=sampling)
    assert result.sampling["null"]["mean"]["R"] < 0 and result.sampling["intervals"]["S"][0] < 0
    markdown = render_markdown(compute_report(result, Distribution.from_samples(a, a, a)))
    assert "| Redundancy (either modality alone) | 0.988596 | 0.992032 | 0.0000 / 0.0085 |" in (
        markdown
    )
    for term in ("Uniqueness of X1 (only the first modality)", "Synergy (only both together)"):
        assert f"| {term} | 0.000000 | 0.000000 | 0.0000 / 0.0000 | 0.0% | [0.0000, 0.0000] |" in (
            markdown
        )
    codes = {"a": a, "b": a.copy(), "c": rng.integers(0, 2, 400)}
    many = render_markdown(many_report(decompose_many(codes, a.copy(), sampling=sampling)))
    assert "| a + b | 400 | 0.989 | 0.000 | 0.000 | 0.000 | 0.989 | R | [0.000, 0.000] |" in many
    assert "-0.0000" not in markdown and "[-0.000," not in many
