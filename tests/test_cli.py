"""The ``pid`` command: output, written files, and refusals with exit status 2."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import pid
from pid import PIDResult
from pid.cli import main


@pytest.fixture
def and_npz(tmp_path):
    x1 = np.array([0, 0, 1, 1] * 5)
    x2 = np.array([0, 1, 0, 1] * 5)
    path = tmp_path / "and.npz"
    np.savez(path, x1=x1, x2=x2, y=x1 & x2)
    return path


def test_compute_prints_terms_and_writes_result(and_npz, tmp_path, capsys):
    out = tmp_path / "out"
    plugin = ["--correction", "none", "--null", "0"]  # the table itself, not a sample of it
    assert main(["compute", str(and_npz), *plugin, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "0.311278" in printed and "0.500000" in printed
    result = PIDResult.from_json((out / "result.json").read_text())
    assert result.R == pytest.approx(0.311278, abs=1e-6)
    assert result.provenance["n_samples"] == 20


def test_columns_name_where_the_data_lies(tmp_path, capsys):
    x1 = np.array([0, 0, 1, 1] * 5)
    x2 = np.array([0, 1, 0, 1] * 5)
    table = pd.DataFrame({"a": x1, "b": x2, "gate": x1 & x2})
    table.to_csv(tmp_path / "t.csv", index=False)
    args = ["compute", str(tmp_path / "t.csv"), "--correction", "none", "--null", "0"]
    args += ["--out", str(tmp_path / "o")]
    assert main(args) == 2  # no x1_* columns
    assert "--columns x1=NAME" in capsys.readouterr().err
    assert main([*args, "--columns", "x1=a", "--columns", "x2=b", "--columns", "y=gate"]) == 0
    result = json.loads((tmp_path / "o" / "result.json").read_text())
    assert result["S"] == pytest.approx(0.5, abs=1e-7)  # the AND gate
    assert main([*args, "--columns", "x1"]) == 2
    assert "--columns 'x1' is not KEY=NAMES" in capsys.readouterr().err


def test_compute_with_another_estimator(and_npz, tmp_path):
    assert main(["compute", str(and_npz), "--estimator", "mmi", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "result.json").read_text())["estimator"] == "mmi"


def test_compute_writes_a_report_from_continuous_features(tmp_path, capsys):
    from pid.datasets import generative

    x1, x2, y = generative("U1", 1500, seed=0)
    path = tmp_path / "features.npz"
    np.savez(path, x1=x1, x2=x2, y=y)
    out = tmp_path / "report"
    code = main(["compute", str(path), "--clusters", "8", "--bootstrap", "5", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert max(report["terms"], key=report["terms"].get) == "U1"
    assert report["bootstrap"]["n_resamples"] == 5
    assert report["provenance"]["discretization"]["method"] == "posterior"
    assert report["provenance"]["discretization"]["n_codes"] == 8
    assert report["sampling"]["null"]["above_null"]["U1"]
    assert not report["sampling"]["null"]["above_null"]["U2"]
    for term, (low, high) in report["intervals"].items():
        assert low <= report["terms"][term] <= high
    assert {p.name for p in out.iterdir()} == {
        "report.json",
        "report.md",
        "report.html",
        "result.json",
    }
    assert "encoding the samples" in capsys.readouterr().err
    markdown = (out / "report.md").read_text()
    assert "| term | bits | plug-in | null mean / 95% | share |" in markdown
    assert "Null model: the terms over 20 permutations of the labels" in markdown


def test_compute_chooses_each_modalitys_classifier_by_fold_when_asked(tmp_path):
    from pid.datasets import generative

    x1, x2, y = generative("U1", 1500, seed=0)
    path = tmp_path / "features.npz"
    np.savez(path, x1=x1, x2=x2, y=y)
    out = tmp_path / "report"
    flags = ["--modality-classifiers", "auto", "--null", "4", "--quiet"]
    assert main(["compute", str(path), *flags, "--out", str(out)]) == 0
    encoding = json.loads((out / "report.json").read_text())["provenance"]["discretization"]
    assert encoding["options"]["modality_classifiers"] == ["auto", "auto"]
    assert encoding["classifiers"]["x1"] == (
        "scikit-learn logistic regression or scikit-learn tanh perceptron [128, 128, 128], "
        "chosen by fold"
    )
    for key in ("x1", "x2"):
        assert len(encoding["classifier_chosen"][key]) == 5
        assert set(encoding["classifier_chosen"][key]) <= {"logistic", "perceptron"}
    assert encoding["classifier_chosen"]["joint"] == ["perceptron"] * 5
    # The report's terms are those of the library call with the same options.
    options = pid.PosteriorOptions(modality_classifiers=("auto", "auto"))
    library = pid.decompose(x1, x2, y, posterior=options, sampling=pid.SamplingOptions(n_null=4))
    terms = json.loads((out / "report.json").read_text())["terms"]
    assert terms == pytest.approx(library.terms(), abs=1e-9)


def test_quiet_leaves_stderr_empty_and_the_results_printed(tmp_path, capsys):
    from pid.datasets import generative

    x1, x2, y = generative("U1", 500, seed=0)
    path = tmp_path / "features.npz"
    np.savez(path, x1=x1, x2=x2, y=y)
    args = ["compute", str(path), "--null", "5", "--out", str(tmp_path / "r")]
    assert main(args) == 0
    assert "encoding the samples" in capsys.readouterr().err
    assert main([*args, "--quiet"]) == 0
    printed, progress = capsys.readouterr()
    assert progress == "" and "I(X1,X2;Y)" in printed


def test_demo_writes_reports(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--bootstrap", "2"]) == 0
    printed = capsys.readouterr().out
    assert "reduced_or" in printed and "Plug-in values (before the correction)" in printed
    assert "synergy: The redundancy, information unique to X1 and information unique to X2" in (
        printed
    )
    canonical = json.loads((tmp_path / "canonical.json").read_text())
    assert canonical["xor"]["S"] == pytest.approx(1.0, abs=1e-7)
    digits = json.loads((tmp_path / "digits" / "report.json").read_text())
    assert digits["provenance"]["n_samples"] == 1797
    synergy = json.loads((tmp_path / "synergy" / "report.json").read_text())
    assert max(synergy["terms"], key=synergy["terms"].get) == "S"
    assert synergy["sampling"]["null"]["above_null"]["S"]
    assert "cannot be told from zero" in (tmp_path / "synergy" / "report.md").read_text()
    # The plug-in row holds the plug-in terms and the plug-in I(X1,X2;Y), which they sum to.
    plugin_table = printed.split("Plug-in values (before the correction):")[1]
    row = next(line for line in plugin_table.splitlines() if line.startswith("synergy"))
    values = [float(v) for v in row.split()[1:]]
    sampling = synergy["sampling"]
    expected = [*sampling["plugin"].values(), sampling["plugin_informations"]["I(X1,X2;Y)"]]
    assert values == pytest.approx(expected, abs=1e-6)
    assert sum(values[:4]) == pytest.approx(values[4], abs=1e-5)


def test_demo_refuses_its_settings_before_writing_anything(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--bootstrap", "1"]) == 2
    assert "--bootstrap is 1; pass 0 (no intervals) or at least 2." in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "digits").write_text("a file where a report folder goes")
    assert main(["demo", "--out", str(tmp_path / "taken"), "--bootstrap", "0"]) == 2
    assert not out.exists() and sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["digits"]


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


_FEATURES = np.arange(20.0).reshape(10, 2)
_LABELS = np.array([0, 1] * 5)
_CODES = np.arange(10**6)


@pytest.mark.parametrize(
    ("make_data", "extra", "message"),
    [
        (lambda d: _save(d / "k.npz", a=[0, 1]), [], "no array named 'x1', 'x2', 'y'"),
        (lambda d: d / "missing.npz", [], "does not exist"),
        (lambda d: _save(d / "n.npz", x1=[0, 1], x2=[0, 1], y=[0]), [], "lengths are 2, 2 and 1"),
        (lambda d: _save(d / "e.npz", x1=[], x2=[], y=[]), [], "is empty"),
        (
            lambda d: _save(
                d / "nan.npz",
                x1=np.where(_FEATURES == 3, np.nan, _FEATURES),
                x2=_FEATURES,
                y=_LABELS,
            ),
            [],
            "--drop-nonfinite",
        ),
        (
            lambda d: _save(d / "fy.npz", x1=_FEATURES, x2=_FEATURES, y=_LABELS + 0.5),
            [],
            "a continuous target, not class labels",
        ),
        (
            lambda d: _save(d / "few.npz", x1=_FEATURES, x2=_FEATURES, y=_LABELS),
            ["--clusters", "50"],
            "there are 10 samples",
        ),
        (
            lambda d: _save(d / "one.npz", x1=_FEATURES, x2=_FEATURES, y=np.zeros(10, int)),
            [],
            "single class",
        ),
        (
            lambda d: _save(d / "cont.npz", x1=_FEATURES, x2=_FEATURES, y=np.linspace(0, 1, 10)),
            [],
            "a continuous target, not class labels; cut it into K classes of equal frequency",
        ),
        (
            lambda d: _save(d / "cont.npz", x1=_FEATURES, x2=_FEATURES, y=np.linspace(0, 1, 10)),
            ["--label-bins", "20"],
            "n_bins (--label-bins) is 20 for 10 samples",
        ),
        (
            lambda d: _save(d / "ok.npz", x1=_FEATURES, x2=_FEATURES, y=_LABELS),
            ["--bootstrap", "1"],
            "--bootstrap is 1",
        ),
        (
            lambda d: _save(d / "ok.npz", x1=_FEATURES, x2=_FEATURES, y=_LABELS),
            ["--null", "1"],
            "--null is 1; pass a whole number of at least 2",
        ),
        (
            lambda d: _save(d / "ok.npz", x1=_FEATURES, x2=_FEATURES, y=_LABELS),
            ["--tol-bits", "-1"],
            "--tol-bits is -1.0; pass a positive number of bits, e.g. 1e-7.",
        ),
        (
            lambda d: _save(d / "big.npz", x1=_CODES, x2=_CODES[::-1], y=_CODES % 2),
            [],
            "x1 and x2 hold 1000000 and 1000000 distinct values, so the joint table",
        ),
        (
            lambda d: _save(d / "ok.npz", x1=_FEATURES, x2=_FEATURES, y=_LABELS),
            ["--discretization", "kmeans", "--seed", "-5"],
            "seed (--seed) is -5; pass a whole number from 0 to 4294967295.",
        ),
        (
            lambda d: _save(d / "text.npz", x1=_FEATURES, x2=_FEATURES, y=np.array(["a", "b"] * 5)),
            ["--label-bins", "2"],
            "labels that are classes already; drop label_bins (--label-bins)",
        ),
        (
            lambda d: _save(d / "ok.npz", x1=_FEATURES, x2=_FEATURES, y=_LABELS),
            ["--modality-classifiers", "auto", "--device", "cpu"],
            "--modality-classifiers sets the scikit-learn classifiers of the posterior encoding,"
            " which --device does not use: drop one of them.",
        ),
        (
            lambda d: _save(d / "ok.npz", x1=_FEATURES, x2=_FEATURES, y=_LABELS),
            ["--modality-classifiers", "perceptron", "--discretization", "kmeans"],
            "which --discretization kmeans does not use: drop one of them.",
        ),
    ],
)
def test_bad_input_exits_2_with_one_sentence(tmp_path, capsys, make_data, extra, message):
    data = make_data(tmp_path)
    assert main(["compute", str(data), "--out", str(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err
    lines = [line for line in err.splitlines() if line.startswith("pid: error: ")]
    assert len(lines) == 1
    assert not (tmp_path / "out").exists()


def test_drop_nonfinite_drops_and_records(tmp_path):
    x1 = np.where(_FEATURES == 3, np.nan, _FEATURES)
    path = _save(tmp_path / "nan.npz", x1=x1, x2=_FEATURES, y=_LABELS)
    assert main(["compute", str(path), "--drop-nonfinite", "--out", str(tmp_path / "o")]) == 0
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["provenance"]["dropped_nonfinite"] == 1
    assert report["provenance"]["n_samples"] == 9


def test_no_traceback_from_the_installed_command(tmp_path):
    (tmp_path / "text.npz").write_text("not an archive")
    out = str(tmp_path / "out")  # not ./pid-report, which a demo run may have filled
    run = subprocess.run(
        [sys.executable, "-m", "pid", "compute", str(tmp_path / "text.npz"), "--out", out],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "not an .npz archive" in run.stderr


def test_unknown_estimator_is_a_usage_error(and_npz):
    with pytest.raises(SystemExit) as exit_info:
        main(["compute", str(and_npz), "--estimator", "nope"])
    assert exit_info.value.code == 2


def test_batch_cross_fits_features_with_the_modality_classifiers_asked(
    tmp_path, capsys, monkeypatch
):
    # BATCH codes features through the posterior encoding's classifiers: the flag reaches them.
    import pid.posterior

    asked = []

    def encode(*args, options, **kwargs):
        asked.append(options.modality_classifiers)
        raise ValueError("stopped before training")

    monkeypatch.setattr(pid.posterior, "encode_posteriors", encode)
    features = np.random.default_rng(0).normal(size=(120, 3))
    path = _save(tmp_path / "f.npz", x1=features, x2=features, y=np.arange(120) % 2)
    argv = ["compute", str(path), "--estimator", "batch", "--modality-classifiers", "perceptron"]
    assert main([*argv, "--quiet", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == "pid: error: stopped before training\n"
    assert asked == [("perceptron", "perceptron")]


def test_compute_with_the_batch_estimator(tmp_path, capsys):
    pytest.importorskip("torch")
    x1 = np.array([0, 0, 1, 1] * 64)
    x2 = np.array([0, 1, 0, 1] * 64)
    path = _save(tmp_path / "xor.npz", x1=x1, x2=x2, y=x1 ^ x2)
    assert main(["compute", str(path), "--estimator", "batch", "--out", str(tmp_path / "o")]) == 0
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["estimator"] == "batch" and report["alphabets"] is None
    assert report["terms"]["S"] == pytest.approx(1.0, abs=0.02)
    # The table's header suggests what this estimator takes: seeds, not --bootstrap.
    markdown = (tmp_path / "o" / "report.md").read_text()
    assert "interval (none: rerun with other --seed values for the spread)" in markdown
    assert main(["compute", str(path), "--estimator", "batch", "--bootstrap", "3"]) == 2
    assert "--bootstrap correct and qualify the estimate" in capsys.readouterr().err
    assert main(["compute", str(path), "--estimator", "batch", "--null", "5"]) == 2
    assert "--null correct and qualify" in capsys.readouterr().err


def test_io_failures_exit_2(and_npz, tmp_path, capsys):
    occupied = tmp_path / "a_file"
    occupied.write_text("x")
    assert main(["compute", str(and_npz), "--out", str(occupied)]) == 2
    assert f"{occupied} is a file, not a folder" in capsys.readouterr().err
    damaged = tmp_path / "damaged.npz"
    data = bytearray(and_npz.read_bytes())
    data[100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert main(["compute", str(damaged), "--out", str(tmp_path / "o")]) == 2
    assert "is damaged" in capsys.readouterr().err


def test_missing_cells_in_a_text_label_column(tmp_path, capsys):
    import pandas as pd

    table = pd.DataFrame(
        {
            "x1_a": [0.1, 0.2, 0.3, 0.4] * 5,
            "x2_a": [1.0, 2, 3, 4] * 5,
            "y": ["a", "b", None, "b"] * 5,
        }
    )
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["compute", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "5 sample(s) hold NaN" in capsys.readouterr().err
    args = ["compute", str(tmp_path / "t.csv"), "--drop-nonfinite", "--out", str(tmp_path / "o")]
    assert main(args) == 0


def test_running_out_of_memory_exits_2_with_one_sentence(and_npz, tmp_path, capsys, monkeypatch):
    import pid.workflows.compute

    def too_large(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.28 TiB for an array")

    monkeypatch.setattr(pid.workflows.compute, "analyze", too_large)
    assert main(["compute", str(and_npz), "--out", str(tmp_path / "o")]) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err.splitlines() == [
        "pid: error: this machine ran out of memory; pass fewer samples or fewer distinct "
        "values per variable, or free memory and run it again."
    ]
    assert not (tmp_path / "o").exists()


def test_an_npz_with_a_damaged_directory_is_one_sentence(tmp_path, capsys):
    path = tmp_path / "damaged.npz"
    np.savez(path, x1=np.arange(20) % 2, x2=np.arange(20) % 3, y=np.arange(20) % 2)
    raw = bytearray(path.read_bytes())
    start = raw.rfind(b"PK\x01\x02")  # the last entry of the central directory
    raw[start : start + 4] = b"XXXX"
    path.write_bytes(bytes(raw))
    assert main(["compute", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "damaged.npz is damaged or not an .npz archive" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
