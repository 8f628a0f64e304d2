"""Model PID, agreement (Eq. 3.6), the reference bank and model selection (Section 3.3.4)."""

import copy
import json
import math
import re

import numpy as np
import pytest

import pid
from pid.cli import main
from pid.report import Report
from pid.result import TERMS, normalized_pid
from pid.selection import agreement, distance, load_reference, report_terms, select
from pid.selection_report import render_selection_markdown


def _bank():
    """Two reference datasets with hand-set shares and accuracies."""

    def entry(name, shares, accuracies, s_captured):
        return {
            "name": name,
            "shares": shares,
            "models": {
                m: {"accuracy": a, "pid": {"R": 0.1, "U1": 0.0, "U2": 0.0, "S": s}}
                for (m, a), s in zip(accuracies.items(), s_captured, strict=True)
            },
        }

    return {
        "schema_version": 1,
        "kind": "pid-reference-bank",
        "datasets": [
            entry(
                "synergy",
                {"R": 0.1, "U1": 0.0, "U2": 0.0, "S": 0.9},
                {"ADDITIVE": 0.5, "TENSOR": 0.9, "MI": 0.8, "EF": 0.85},
                [0.05, 0.4, 0.3, 0.35],
            ),
            entry(
                "redundancy",
                {"R": 0.8, "U1": 0.1, "U2": 0.1, "S": 0.0},
                {"ADDITIVE": 0.95, "TENSOR": 0.9, "MI": 0.7, "EF": 0.8},
                [0.0, 0.0, 0.0, 0.0],
            ),
        ],
    }


def _full_report(terms, **fields):
    return Report(
        mode=fields.pop("mode", "full"),
        title="t",
        summary="s",
        estimator="cvx",
        terms=terms,
        information={},
        diagnostics={},
        provenance={},
        **fields,
    )


def test_normalized_pid_agreement_and_distance():
    terms = {"R": 0.1, "U1": 0.2, "U2": 0.0, "S": 0.7}
    assert normalized_pid(terms) == pytest.approx({"R": 0.1, "U1": 0.2, "U2": 0.0, "S": 0.7})
    assert normalized_pid({t: 0.0 for t in TERMS}) == {t: 0.0 for t in TERMS}
    model = {"R": 0.3, "U1": 0.1, "U2": 0.05, "S": 0.5}
    alpha = agreement({k: 2 * v for k, v in terms.items()}, model)  # scale-free in the dataset
    assert alpha["R"] == pytest.approx(0.03)
    assert alpha["S"] == pytest.approx(0.35)
    assert alpha["total"] == pytest.approx(0.03 + 0.02 + 0.0 + 0.35)
    a = {"R": 1.0, "U1": 0.0, "U2": 0.0, "S": 0.0}
    b = {"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 1.0}
    assert distance(a, b) == 2.0
    assert distance(a, a) == 0.0


def test_select_recommends_the_best_models_of_the_nearest_dataset():
    report = _full_report({"R": 0.05, "U1": 0.0, "U2": 0.0, "S": 0.2})
    selection = select(report, bank=_bank(), neighbors=1)
    assert selection.neighbors[0][0] == "synergy"
    assert selection.neighbors[0][1] == pytest.approx(0.2)  # |0.2 - 0.1| + |0.8 - 0.9|
    assert [r.model for r in selection.recommendations] == ["TENSOR", "EF", "MI"]
    assert [r.expected_share for r in selection.recommendations] == pytest.approx(
        [1.0, 0.85 / 0.9, 0.8 / 0.9]
    )
    assert selection.recommendations[0].accuracy_interval is None
    assert selection.summary.startswith("Synergy is 80% of the information: models that multiply")
    reason = selection.recommendations[0].reason
    assert reason == (
        "TENSOR (an outer product of the modalities) reached 100.0% of the best accuracy on the "
        "nearest reference dataset, capturing 0.40 bits of synergy."
    )
    # Where synergy leads, a sum of unimodal predictions is told where its synergy comes from.
    everything = select(report, bank=_bank(), neighbors=1, top=4)
    additive = everything.recommendations[-1]
    assert additive.model == "ADDITIVE" and additive.reason == (
        "ADDITIVE (a sum of unimodal predictions) reached 55.6% of the best accuracy on the "
        "nearest reference dataset, capturing 0.05 bits of synergy; that synergy comes only from "
        "taking the argmax of its summed unimodal logits and from measuring the PID on clustered "
        "codes, not from a learned interaction of the modalities, while synergy is 80% of this "
        "dataset's information."
    )
    unmeasured = _bank()  # a bank without model PIDs: nothing captured to speak of
    for dataset in unmeasured["datasets"]:
        for result in dataset["models"].values():
            del result["pid"]
    additive = select(report, bank=unmeasured, neighbors=1, top=4).recommendations[-1]
    assert additive.reason == (
        "ADDITIVE (a sum of unimodal predictions) reached 55.6% of the best accuracy on the "
        "nearest reference dataset; its logits are a sum of unimodal ones, so it learns no "
        "interaction of the modalities, while synergy is 80% of this dataset's information."
    )

    redundant = select(
        _full_report({"R": 0.5, "U1": 0.1, "U2": 0.0, "S": 0.0}), bank=_bank(), neighbors=1
    )
    assert [r.model for r in redundant.recommendations][:2] == ["ADDITIVE", "TENSOR"]
    unique = select(
        _full_report({"R": 0.0, "U1": 0.3, "U2": 0.0, "S": 0.1}), bank=_bank(), neighbors=1
    )
    assert unique.summary.startswith("Uniqueness of X1 is 75% of the information: models that keep")


def test_select_pools_neighbors_and_reads_bounds_reports():
    report = _full_report(
        {"R": 0.4, "U1": 0.05, "U2": 0.05, "S": 0.0},
        mode="bounds",
        intervals={"S": [0.0, 0.3]},
        bounds={
            "S_lower": 0.01,
            "S_upper": 0.25,
            "S_lower_corrected": 0.0,
            "S_upper_corrected": 0.2,
        },
        accuracy={"lower": 0.7, "upper": 0.9},
    )
    terms, interval = report_terms(report)
    assert terms["S"] == pytest.approx(0.1)  # middle of the bias-corrected range
    assert interval == (0.7, 0.9)
    selection = select(report, bank=_bank(), top=2, neighbors=2)
    # Shares R/U1/U2/S 2/3, 1/12, 1/12, 1/6 (S at 0.1 bits): s = 22/15 from "synergy" and
    # 1/3 from "redundancy"; weights 1 / s.
    weights = np.array([15 / 22, 3.0])
    tensor = np.array([0.9 / 0.9, 0.9 / 0.95])
    expected = float(weights @ tensor / weights.sum())
    top = selection.recommendations[0]
    assert top.model == "TENSOR"
    assert top.expected_share == pytest.approx(expected)
    assert top.share_range == pytest.approx((0.9 / 0.95, 1.0))
    assert top.accuracy_interval == pytest.approx((expected * 0.7, 0.9))
    assert "the 2 nearest reference datasets (from 94.7% to 100.0%)" in top.reason


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (_full_report(None), "REPORT: terms is null"),
        (_full_report({"R": 0.1, "U1": 0.2}), "REPORT: terms.U2 is missing"),
        (_full_report({"R": 0.1, "U1": "x", "U2": 0, "S": 0}), "terms.U1 is 'x', not a number"),
        (_full_report(dict.fromkeys(TERMS, 0.0)), "REPORT's PID is zero"),
        # Corrected terms of independent samples: some above 0, their sum below it.
        (
            _full_report({"R": 0.0025, "U1": 0.0047, "U2": -0.0055, "S": -0.0171}),
            r"REPORT's PID is zero \(its terms sum to -0.015 bits\)",
        ),
        (_full_report({"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 3.2e-16}), "REPORT's PID is zero"),
    ],
)
def test_reports_without_pid_values_are_refused(report, message):
    with pytest.raises(ValueError, match=message):
        select(report, bank=_bank())


def test_bad_banks_and_arguments_are_refused(tmp_path):
    report = _full_report({"R": 0.1, "U1": 0.0, "U2": 0.0, "S": 0.1})
    with pytest.raises(ValueError, match=r"top \(--top\) is 0; pass a whole number of at least 1"):
        select(report, bank=_bank(), top=0)
    with pytest.raises(ValueError, match=r"neighbors \(--neighbors\) is 1.5; pass a whole"):
        select(report, bank=_bank(), neighbors=1.5)
    broken = copy.deepcopy(_bank())
    del broken["datasets"][1]["models"]["MI"]["accuracy"]
    with pytest.raises(ValueError, match=r"datasets\[1\]\.models\.MI\.accuracy is missing"):
        select(report, bank=broken)
    with pytest.raises(ValueError, match="is not a reference bank"):
        select(report, bank={"kind": "other"})
    disjoint = copy.deepcopy(_bank())  # each dataset trained on models the other lacks
    for dataset, kept in zip(
        disjoint["datasets"], (("TENSOR", "MI"), ("ADDITIVE", "EF")), strict=True
    ):
        dataset["models"] = {m: v for m, v in dataset["models"].items() if m in kept}
    with pytest.raises(
        ValueError, match=r"the 2 nearest reference datasets \(synergy, redundancy\)"
    ):
        select(report, bank=disjoint, neighbors=2)
    assert [r.model for r in select(report, bank=disjoint, neighbors=1).recommendations] == [
        "TENSOR",
        "MI",
    ]
    (tmp_path / "bank.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"bank\.json is not JSON"):
        load_reference(tmp_path / "bank.json")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_reference(tmp_path / "missing.json")


def test_tied_models_are_ranked_as_the_bank_names_its_best():
    bank = {
        "schema_version": 1,
        "kind": "pid-reference-bank",
        "datasets": [  # in the zoo's order: EF is the bank's best_model of a tie
            {
                "name": "tie",
                "shares": {"R": 1.0, "U1": 0.0, "U2": 0.0, "S": 0.0},
                "models": {"EF": {"accuracy": 0.9}, "AGREE": {"accuracy": 0.9}},
            }
        ],
    }
    report = _full_report({"R": 1.0, "U1": 0.0, "U2": 0.0, "S": 0.0})
    assert [r.model for r in select(report, bank=bank, neighbors=1).recommendations] == [
        "EF",
        "AGREE",
    ]


def test_a_report_unlike_every_reference_dataset_is_told_so():
    both = select(_full_report({"R": 0.0, "U1": 1.0, "U2": 1.0, "S": 0.0}))
    assert "The nearest reference dataset lies 0.99 away (of at most 2), so no dataset" in (
        both.summary
    )
    synergy = select(_full_report({"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 1.0}))
    assert synergy.neighbors[0][1] < 0.1 and "nearest reference dataset lies" not in (
        synergy.summary
    )


def test_packaged_bank_is_consistent():
    pytest.importorskip("torch")
    from pid.models import MODELS
    from pid.models.reference import reference_recipes

    bank = load_reference()
    seeds = bank["settings"]["seeds"]
    draws = [(recipe, seed) for recipe in reference_recipes() for seed in seeds]
    assert len(seeds) >= 3 and len(bank["datasets"]) == len(draws) >= 60
    for entry, (recipe, seed) in zip(bank["datasets"], draws, strict=True):
        assert entry["name"] == f"{recipe['name']} (seed {seed})" and entry["seed"] == seed
        assert entry["recipe"] == {k: v for k, v in recipe.items() if k != "name"}
        assert set(entry["models"]) == set(MODELS)
        assert entry["shares"] == pytest.approx(normalized_pid(entry["pid"]))
        assert sum(entry["shares"].values()) == pytest.approx(1.0)
        assert sum(entry["pid"].values()) == pytest.approx(entry["information"], abs=1e-5)
        best = max(entry["models"], key=lambda m: entry["models"][m]["accuracy"])
        assert entry["best_model"] == best
        # The bias-corrected PID lies within 0.1 bits (or 10% of I) of the construction.
        exact = entry["construction"]["pid"]
        error = max(abs(entry["pid"][t] - exact[t]) for t in TERMS)
        assert entry["construction_error_bits"] == pytest.approx(error)
        assert error <= max(0.1, 0.1 * entry["construction"]["information"])
        for result in entry["models"].values():
            assert 0.0 <= result["accuracy"] <= 1.0
            assert all(v >= 0 for v in result["pid"].values())
            codes_pid = entry["zoo_codes_pid"]  # the codes the model PIDs are measured on
            assert result["agreement"] == pytest.approx(agreement(codes_pid, result["pid"]))


def test_packaged_bank_matches_its_recipes():
    # Regenerating one dataset with the bank's own settings gives the PIDs the bank stored.
    pytest.importorskip("torch")
    from pid.discretize import discretize
    from pid.models.reference import construction_pid, make_dataset

    bank = load_reference()
    entry = next(d for d in bank["datasets"] if d["name"] == "S (seed 1)")
    x1, x2, y = make_dataset(entry["recipe"], bank["settings"]["n_samples"], seed=1)
    codes = discretize(x1, x2, y, method="kmeans")
    result = pid.estimate(pid.Distribution.from_samples(codes.x1, codes.x2, codes.y))
    assert result.terms() == pytest.approx(entry["zoo_codes_pid"], abs=1e-4)
    # The classifiers of the posterior encoding round differently with the CPU's BLAS kernels:
    # OpenBLAS's AVX-512 kernels move S by 4.0e-4 bits from the AVX2 ones the bank was built
    # with (which give it back to 3e-6); the recipe's other sample seeds move S by 0.01 or more.
    assert pid.decompose(x1, x2, y).terms() == pytest.approx(entry["pid"], abs=1e-3)
    exact = construction_pid(entry["recipe"])
    assert exact.terms() == pytest.approx(entry["construction"]["pid"], abs=1e-6)


def test_model_pid_of_the_true_labels_is_the_data_pid():
    torch = pytest.importorskip("torch")  # noqa: F841
    from pid.discretize import discretize
    from pid.models.zoo import model_pid

    rng = np.random.default_rng(0)
    x1 = rng.integers(0, 3, 400)
    x2 = rng.integers(0, 3, 400)
    y = (x1 + x2) % 2
    codes = discretize(x1, x2, y)
    index = np.arange(100, 400)
    got = model_pid(codes, index, y[index])
    plugin = pid.SamplingOptions(correction="none", n_null=0)
    want = pid.decompose(x1[index], x2[index], y[index], sampling=plugin)
    assert got.terms() == pytest.approx(want.terms(), abs=1e-6)
    constant = model_pid(codes, index, np.zeros(300, dtype=int))
    assert constant.total == 0.0
    assert not math.isnan(constant.S)


def _edited_bank(path, value):
    """The test bank with ``value`` at ``path`` (keys and list indices); None deletes it."""
    bank = _bank()
    record = bank
    for key in path[:-1]:
        record = record[key]
    if value is None:
        del record[path[-1]]
    else:
        record[path[-1]] = value
    return bank


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("datasets", 0, "models", "EF"), 5, r"datasets\[0\]\.models\.EF is 5, not an object"),
        (("datasets", 0, "name"), None, r"datasets\[0\]\.name is missing"),
        (("datasets", 1, "pid"), "high", r"datasets\[1\]\.pid is 'high', not an object"),
        (
            ("datasets", 0, "models", "EF", "accuracy"),
            "high",
            r"datasets\[0\]\.models\.EF\.accuracy is 'high', not a number",
        ),
        (
            ("datasets", 0, "models", "MI", "accuracy"),
            1.5,
            r"datasets\[0\]\.models\.MI\.accuracy is 1\.5, outside \[0, 1\]",
        ),
        (
            ("datasets", 0, "shares", "S"),
            math.nan,
            r"datasets\[0\]\.shares\.S is NaN, not a finite number",
        ),
        (("datasets", 0, "models"), {}, r"datasets\[0\]\.models holds no models"),
        (("datasets", 1), [], r"datasets\[1\] is a list of 0 items, not an object"),
        (("datasets",), {}, "datasets is an object, not a list"),
        (
            ("datasets", 0, "models", "EF", "pid", "S"),
            "x",
            r"datasets\[0\]\.models\.EF\.pid\.S is 'x', not a number",
        ),
    ],
)
def test_a_malformed_bank_is_refused_naming_the_field(tmp_path, capsys, path, value, message):
    bank_file = tmp_path / "bank.json"
    bank_file.write_text(json.dumps(_edited_bank(path, value)))
    expected = f"^reference bank bank.json: {message}; rebuild it with pid zoo build-reference.$"
    with pytest.raises(ValueError, match=expected):
        load_reference(bank_file)
    report = tmp_path / "report.json"
    report.write_text(json.dumps(_full_report({"R": 0.05, "U1": 0, "U2": 0, "S": 0.2}).to_dict()))
    out = tmp_path / "selection"
    _refused(capsys, ["select", str(report), "--bank", str(bank_file), "--out", str(out)])
    assert not out.exists()


def _report_text(**changes):
    """A bounds report's JSON text with top-level fields replaced (Python's json writes NaN)."""
    report = _full_report(
        {"R": 0.4, "U1": 0.05, "U2": 0.05, "S": 0.0},
        mode="bounds",
        intervals={"S": [0.0, 0.3]},
        bounds={"S_lower": 0.0, "S_upper": 0.2},
        accuracy={"lower": 0.7, "upper": 0.9},
    )
    return json.dumps({**report.to_dict(), **changes})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _report_text(terms={"R": 0.1, "U1": 0, "U2": 0, "S": "@"}).replace('"@"', "9" * 400),
            "terms.S is an integer of 400 digits",
        ),
        (
            _report_text(terms={"R": 0.1, "U1": 0, "U2": 0, "S": 1e308}),
            r"terms.S is 1e\+308, outside \[-64, 64\] bits",
        ),
        (
            _report_text(terms={"R": 0.1, "U1": 0, "U2": 0, "S": math.nan}),
            "terms.S is NaN, not a finite number",
        ),
        (_report_text(intervals={"S": 5}), r"intervals.S is 5, not a pair \[lower, upper\]"),
        (_report_text(intervals={"S": None}), "intervals.S is null"),
        (_report_text(intervals=[0, 1]), "intervals is a list of 2 items, not an object"),
        (_report_text(accuracy="high"), "accuracy is 'high', not an object"),
        (_report_text(bounds={"S_lower": None}), "bounds.S_lower is null"),
        (
            _report_text(provenance={"seed": "@"}).replace('"@"', "1" * 5000),
            "provenance.seed is an integer of 5000 digits",
        ),
        (
            _report_text()[:-1] + ', "zoo": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "nests arrays and objects more than 64 levels deep",
        ),
    ],
)
def test_select_refuses_a_malformed_report_in_one_sentence(tmp_path, capsys, text, message):
    path = tmp_path / "report.json"
    path.write_text(text)
    out = tmp_path / "selection"
    err = _refused(capsys, ["select", str(path), "--out", str(out)])
    assert "REPORT file report.json" in err and re.search(message, err)
    assert err.rstrip().endswith(
        "; pass a report.json that pid compute, pid bounds or pid zoo train wrote."
    )
    assert not out.exists()


def _refused(capsys, args):
    """``pid ARGS`` exits with status 2 and one sentence on stderr, without a traceback; the
    sentence is returned."""
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("pid: error: ") and captured.err.count("\n") == 1
    return captured.err


def test_selection_markdown_shows_a_models_name_as_written():
    # A bank's model named with "|", "<" or a line break stays in its own table cell, as text.
    bank = _bank()
    for dataset in bank["datasets"]:
        dataset["models"]["TEN|SOR\n<b>"] = dataset["models"].pop("TENSOR")
    report = _full_report({"R": 0.05, "U1": 0.0, "U2": 0.0, "S": 0.2})
    markdown = render_selection_markdown(select(report, bank=bank, neighbors=1), source="a|b")
    lines = markdown.splitlines()
    assert "| 1 | TEN\\|SOR &lt;b&gt; | 100.0% | 100.0% to 100.0% | 0.900 |" in lines
    assert lines[2] == "From a\\|b."
    table = [line for line in lines if line.startswith("|")]
    assert [len(re.split(r"(?<!\\)\|", line)) for line in table] == [7] * 5
    assert any(line.startswith("- TEN\\|SOR &lt;b&gt;: TEN\\|SOR &lt;b&gt; (") for line in lines)


def _half_bank():
    """The test bank with a dataset of redundancy and synergy in equal shares."""
    bank = _bank()
    accuracies = {"ADDITIVE": 0.6, "TENSOR": 0.9, "MI": 0.85, "EF": 0.8}
    captured = {"ADDITIVE": 0.1, "TENSOR": 0.35, "MI": 0.3, "EF": 0.3}
    bank["datasets"].append(
        {
            "name": "half",
            "shares": {"R": 0.5, "U1": 0.0, "U2": 0.0, "S": 0.5},
            "models": {
                m: {"accuracy": a, "pid": {"R": 0.3, "U1": 0.0, "U2": 0.0, "S": captured[m]}}
                for m, a in accuracies.items()
            },
        }
    )
    return bank


def test_near_equal_shares_lead_together_whichever_is_larger():
    # R 0.50 / S 0.50 and R 0.499 / S 0.501 (or 0.501 / 0.499) describe the same dataset: the
    # summary names both, and the caution about sums of unimodal predictions applies.
    lead = (
        "Redundancy (50%) and synergy (50%) lead together, within 5% of the information of the "
        "largest: models that combine or align what both modalities say capture redundancy; "
        "models that multiply modalities capture synergy."
    )
    additive = (
        "ADDITIVE (a sum of unimodal predictions) reached 66.7% of the best accuracy on the "
        "nearest reference dataset, capturing 0.30 bits of redundancy and 0.10 bits of synergy; "
        "that synergy comes only from taking the argmax of its summed unimodal logits and from "
        "measuring the PID on clustered codes, not from a learned interaction of the "
        "modalities, while synergy is 50% of this dataset's information."
    )
    for r, s in ((0.5, 0.5), (0.499, 0.501), (0.501, 0.499)):
        report = _full_report({"R": r, "U1": 0.0, "U2": 0.0, "S": s})
        selection = select(report, bank=_half_bank(), neighbors=1, top=4)
        assert selection.neighbors[0][0] == "half"
        assert selection.summary == lead
        assert [rec.model for rec in selection.recommendations] == [
            "TENSOR",
            "MI",
            "EF",
            "ADDITIVE",
        ]
        assert selection.recommendations[-1].reason == additive
    # A term 6% of the information below the largest does not lead; a tolerance of 0 keeps
    # only the largest.
    apart = select(
        _full_report({"R": 0.47, "U1": 0.0, "U2": 0.0, "S": 0.53}), bank=_half_bank(), neighbors=1
    )
    assert apart.summary == (
        "Synergy is 53% of the information: models that multiply modalities capture it."
    )
    alone = select(
        _full_report({"R": 0.499, "U1": 0.0, "U2": 0.0, "S": 0.501}),
        bank=_half_bank(),
        neighbors=1,
        top=4,
        lead_tolerance=0.0,
    )
    assert alone.summary == (
        "Synergy is 50% of the information: models that multiply modalities capture it."
    )
    assert alone.recommendations[0].reason == (
        "TENSOR (an outer product of the modalities) reached 100.0% of the best accuracy on the "
        "nearest reference dataset, capturing 0.35 bits of synergy."
    )
    # Three terms within the tolerance: the two of one need are named together.
    three = select(
        _full_report({"R": 0.0, "U1": 0.33, "U2": 0.32, "S": 0.35}), bank=_bank(), neighbors=1
    )
    assert three.summary.startswith(
        "Uniqueness of X1 (33%), uniqueness of X2 (32%) and synergy (35%) lead together, within "
        "5% of the information of the largest: models that keep each modality's own signal "
        "capture uniqueness of X1 and uniqueness of X2; models that multiply modalities capture "
        "synergy."
    )
    with pytest.raises(ValueError, match=r"^lead_tolerance is 1\.5; pass a finite number >= 0 "):
        select(
            _full_report({"R": 0.5, "U1": 0, "U2": 0, "S": 0.5}), bank=_bank(), lead_tolerance=1.5
        )


def test_models_tied_with_the_last_recommended_are_named():
    report = _full_report({"R": 0.05, "U1": 0.0, "U2": 0.0, "S": 0.2})
    # 50 samples a dataset, 20% of them tested: 10 test samples, so shares within 1/10 tie.
    bank = {**_bank(), "settings": {"n_samples": 50, "split": [0.6, 0.2, 0.2]}}
    selection = select(report, bank=bank, neighbors=1, top=1)
    assert [rec.model for rec in selection.recommendations] == ["TENSOR"]
    assert selection.tied == ["EF"]  # 0.85 / 0.9 = 94.4%; MI's 88.9% is 11.1% below
    assert selection.tie_tolerance == pytest.approx(0.1)
    assert selection.summary.endswith(
        " EF is tied with TENSOR, the last recommended: its expected share of the best accuracy, "
        "94.44%, lies less than 10.00% (one test sample of the 10 of each reference dataset) "
        "below TENSOR's 100.00%, too close to rank."
    )
    wider = select(report, bank=bank, neighbors=1, top=1, tie_tolerance=0.2)
    assert wider.tied == ["EF", "MI"]
    assert wider.summary.endswith(
        " EF and MI are tied with TENSOR, the last recommended: their expected shares of the "
        "best accuracy, 94.44% and 88.89%, lie less than 20.00% below TENSOR's 100.00%, too "
        "close to rank."
    )
    # A bank that does not say its test size: one test sample of 600.
    plain = select(report, bank=_bank(), neighbors=1, top=1)
    assert plain.tied == [] and plain.tie_tolerance == pytest.approx(1 / 600)
    assert "tied" not in plain.summary
    with pytest.raises(ValueError, match=r"^tie_tolerance is -0\.1; pass a finite number >= 0"):
        select(report, bank=bank, tie_tolerance=-0.1)
    broken = {**_bank(), "settings": {"n_samples": 50, "split": [0.8, 0.2]}}
    with pytest.raises(ValueError, match=r"settings\.split holds 2 fractions, not 3; rebuild"):
        select(report, bank=broken)


def test_the_packaged_bank_names_the_models_the_top_3_cut_leaves_tied():
    # The first three of R 0.1 / U1 0.1 / U2 0.8 are REC, LOWER and ALIGN; MI, AGREE and
    # ADDITIVE lie within one test sample (1/600) of ALIGN's share, and are named, not dropped.
    bank = load_reference()
    n_test = round(bank["settings"]["split"][2] * bank["settings"]["n_samples"])
    report = _full_report({"R": 0.1, "U1": 0.1, "U2": 0.8, "S": 0.0})
    everything = select(report, bank=bank, top=10)
    shares = {rec.model: rec.expected_share for rec in everything.recommendations}
    selection = select(report, bank=bank)
    top = [rec.model for rec in selection.recommendations]
    assert top == ["REC", "LOWER", "ALIGN"] == [r.model for r in everything.recommendations[:3]]
    assert selection.tie_tolerance == pytest.approx(1 / n_test) == pytest.approx(1 / 600)
    within = [m for m in shares if m not in top and shares["ALIGN"] - shares[m] < 1 / n_test]
    assert selection.tied == within == ["MI", "AGREE", "ADDITIVE"]
    assert selection.summary.endswith(
        " MI, AGREE and ADDITIVE are tied with ALIGN, the last recommended: their expected "
        "shares of the best accuracy, 99.55%, 99.50% and 99.50%, lie less than 0.17% (one test "
        "sample of the 600 of each reference dataset) below ALIGN's 99.55%, too close to rank."
    )
    assert everything.tied == []  # nothing is left out of ten


def test_the_tied_models_are_written_to_the_selection_json(tmp_path):
    from pid.selection_report import write_selection

    bank = {**_bank(), "settings": {"n_samples": 50, "split": [0.6, 0.2, 0.2]}}
    selection = select(
        _full_report({"R": 0.05, "U1": 0.0, "U2": 0.0, "S": 0.2}), bank=bank, neighbors=1, top=1
    )
    paths = write_selection(selection, tmp_path / "chosen")
    record = json.loads(paths["json"].read_text())
    assert record["tied"] == ["EF"] and record["tie_tolerance"] == pytest.approx(0.1)
    assert "EF is tied with TENSOR" in paths["md"].read_text()


def test_more_neighbors_than_the_bank_holds_are_said_to_be_cut(tmp_path, capsys):
    report = _full_report({"R": 0.05, "U1": 0.0, "U2": 0.0, "S": 0.2})
    selection = select(report, bank=_bank(), neighbors=5)
    assert [name for name, _ in selection.neighbors] == ["synergy", "redundancy"]
    said = (
        " The bank holds 2 reference datasets, fewer than the 5 asked for (neighbors, "
        "--neighbors), so all 2 are pooled."
    )
    assert said in selection.summary
    assert said not in select(report, bank=_bank(), neighbors=2).summary
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report.to_dict()))
    bank_file = tmp_path / "bank.json"
    bank_file.write_text(json.dumps(_bank()))
    args = ["select", str(path), "--bank", str(bank_file), "--neighbors", "5"]
    assert main([*args, "--out", str(tmp_path / "chosen")]) == 0
    assert said.strip() in capsys.readouterr().out


def test_reference_accuracy_is_the_banks_weighted_accuracy():
    # The "reference accuracy" column: the model's accuracy on the nearest reference dataset,
    # or the 1 / s weighted mean over several, read here from the bank directly.
    from pid.selection_report import render_selection_markdown

    bank = load_reference()
    entry = next(d for d in bank["datasets"] if d["name"] == "2S+R (seed 1)")
    report = _full_report(dict(entry["shares"]))
    alone = select(report, bank=bank, neighbors=1, top=10)
    assert alone.neighbors[0][0] == "2S+R (seed 1)"
    for rec in alone.recommendations:
        assert rec.reference_accuracy == pytest.approx(entry["models"][rec.model]["accuracy"])
    pooled = select(report, bank=bank, neighbors=3, top=10)
    gaps = {
        d["name"]: sum(abs(entry["shares"][t] - d["shares"][t]) for t in TERMS)
        for d in bank["datasets"]
    }
    nearest = sorted(bank["datasets"], key=lambda d: gaps[d["name"]])[:3]
    weights = np.array([1 / max(gaps[d["name"]], 0.01) for d in nearest])
    assert [name for name, _ in pooled.neighbors] == [d["name"] for d in nearest]
    for rec in pooled.recommendations:
        accuracies = np.array([d["models"][rec.model]["accuracy"] for d in nearest])
        assert rec.reference_accuracy == pytest.approx(weights @ accuracies / weights.sum())
    markdown = render_selection_markdown(pooled)
    for rank, rec in enumerate(pooled.recommendations, 1):
        share = f"{rec.expected_share:.1%}"
        assert f"| {rank} | {rec.model} | {share} |" in markdown
        low, high = rec.share_range
        row = f"| {rank} | {rec.model} | {share} | {low:.1%} to {high:.1%} | "
        accuracies = np.array([d["models"][rec.model]["accuracy"] for d in nearest])
        assert f"{row}{weights @ accuracies / weights.sum():.3f} |" in markdown
    # The hand-set bank: EF reached 0.85 and 0.8 on the two datasets, weighed 15/22 and 3.
    two = select(
        _full_report({"R": 0.4, "U1": 0.05, "U2": 0.05, "S": 0.1}), bank=_bank(), neighbors=2, top=4
    )
    ef = next(rec for rec in two.recommendations if rec.model == "EF")
    assert ef.reference_accuracy == pytest.approx((15 / 22 * 0.85 + 3 * 0.8) / (15 / 22 + 3))
