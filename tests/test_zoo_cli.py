"""``pid zoo train``, ``pid zoo build-reference`` and ``pid select`` on the command line."""

import html
import json

import numpy as np
import pandas as pd
import pytest

from pid.cli import main
from pid.datasets import generative
from pid.models import split_indices
from pid.report import read_report
from pid.selection import agreement

pytest.importorskip("torch")


@pytest.fixture
def synergy_npz(tmp_path):
    x1, x2, y = generative("S", 2000, seed=5)
    path = tmp_path / "synergy.npz"
    np.savez(path, x1=x1, x2=x2, y=y)
    return path


def test_zoo_train_writes_accuracies_model_pids_and_agreements(tmp_path, capsys):
    x1, x2, y = generative("U1", 300, seed=2)
    data = tmp_path / "u1.npz"
    np.savez(data, x1=x1, x2=x2, y=y + 5)  # labels need not start at 0
    out = tmp_path / "zoo"
    args = ["zoo", "train", str(data), "--models", "additive", "TENSOR", "--epochs", "6"]
    args += ["--batch-size", "32", "--hidden", "16", "--clusters", "6", "--checkpoints"]
    assert main([*args, "--quiet", "--out", str(out)]) == 0
    printed, progress = capsys.readouterr()
    assert progress == ""  # --quiet: no progress bars
    assert "ADDITIVE" in printed and "TENSOR" in printed
    report = read_report(out / "report.json")
    zoo = report.zoo
    assert list(zoo["models"]) == ["ADDITIVE", "TENSOR"]
    assert zoo["config"]["max_epochs"] == 6
    saved = np.load(out / "predictions.npz")
    np.testing.assert_array_equal(saved["y"], y[saved["test_index"]] + 5)
    assert len(saved["test_index"]) == 60
    for name, result in zoo["models"].items():
        assert result["accuracy"] == pytest.approx(np.mean(saved[name] == saved["y"]))
        assert result["agreement"] == pytest.approx(agreement(report.terms, result["pid"]))
        assert result["epochs"] <= 6
        assert result["accuracy"] > 0.8  # y reads x1 alone: the predictions carry U1
        assert result["pid"]["U1"] > 0.1
        assert (out / f"{name}.pt").is_file()
    # The rendered reports hold the zoo's table, best model first, and its figure.
    best = max(zoo["models"], key=lambda name: zoo["models"][name]["accuracy"])
    m = zoo["models"][best]
    row = f"| {best} | {m['accuracy']:.3f} | 100.0% | {m['pid']['R']:.3f} |"
    markdown = (out / "report.md").read_text()
    assert "## Fusion models" in markdown and row in markdown
    # The caption: accuracy on the test split, the best model chosen on validation accuracy,
    # the model PID on all samples.
    test_size = len(split_indices(300)["test"])
    assert zoo["n_test"] == len(saved["test_index"]) == test_size == 60
    chosen = max(zoo["models"], key=lambda name: zoo["models"][name]["val_accuracy"])
    assert zoo["best_model"] == chosen and zoo["best_chosen_on"] == "validation"
    caption = (
        f"2 models, each trained once (seed 0), tested on {test_size} held-out samples; the best "
        f"on validation accuracy is {chosen} ({zoo['models'][chosen]['accuracy']:.3f} on the "
        "test samples). Model PID: the PID of the model's predictions in place of the labels, on "
        "all samples, training rows included; agreement: thesis Eq. 3.6."
    )
    assert caption in markdown.splitlines()
    assert f"<p>{html.escape(caption)}</p>" in (out / "report.html").read_text()
    assert "interval (none) |" in markdown  # pid zoo train has no --bootstrap to suggest
    assert markdown.index(row) < markdown.index("## Information")
    page = (out / "report.html").read_text()
    assert '<table class="zoo">' in page and f"<td>{best}</td><td>{m['accuracy']:.3f}</td>" in page
    assert '<img alt="zoo" src="data:image/png;base64,' in page


def test_zoo_train_with_several_seeds_reports_their_interval(tmp_path, capsys):
    x1, x2, y = generative("U1", 300, seed=2)
    data = tmp_path / "u1.npz"
    np.savez(data, x1=x1, x2=x2, y=y)
    out = tmp_path / "zoo"
    args = ["zoo", "train", str(data), "--models", "EF", "--epochs", "4", "--seeds", "3"]
    assert main([*args, "--batch-size", "32", "--hidden", "8", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    zoo = read_report(out / "report.json").zoo
    result = zoo["models"]["EF"]
    assert "95% interval" in printed
    assert zoo["seeds"] == [0, 1, 2]
    accuracies = result["accuracy_by_seed"]
    assert len(accuracies) == 3 and result["accuracy"] == pytest.approx(np.mean(accuracies))
    low, high = result["accuracy_interval"]
    # Student's t with 2 degrees of freedom: 4.303 standard errors either side of the mean.
    half = 4.303 * np.std(accuracies, ddof=1) / np.sqrt(3)
    assert (low, high) == pytest.approx(
        (np.mean(accuracies) - half, np.mean(accuracies) + half), abs=1e-3
    )
    markdown = (out / "report.md").read_text()
    assert "each trained with 3 seeds" in markdown
    assert f"| EF | {result['accuracy']:.3f} | [{low:.3f}, {high:.3f}] | 100.0% |" in markdown


def test_select_reads_a_compute_report(synergy_npz, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["compute", str(synergy_npz), "--clusters", "8", "--out", str(out)]) == 0
    capsys.readouterr()
    chosen = tmp_path / "selection"
    assert main(["select", str(out / "report.json"), "--out", str(chosen)]) == 0
    printed = capsys.readouterr().out
    assert "Synergy is" in printed and "models that multiply modalities" in printed
    selection = json.loads((chosen / "selection.json").read_text())
    assert selection["source"] == str(out / "report.json")
    assert len(selection["recommendations"]) == 3
    # The same recommendations, rendered: a table row per model, best first, and the reasons.
    first = selection["recommendations"][0]
    row = f"| 1 | {first['model']} | {first['expected_share']:.1%} |"
    assert row in (chosen / "selection.md").read_text()
    page = (chosen / "selection.html").read_text()
    assert f"<td>1</td><td>{first['model']}</td>" in page and first["reason"] in page
    assert selection["shares"]["S"] == max(selection["shares"].values())
    # On the synergy reference datasets the additive family is far from the best model.
    assert "ADDITIVE" not in [r["model"] for r in selection["recommendations"]]


def test_select_validate_trains_the_picks_and_a_baseline(synergy_npz, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["compute", str(synergy_npz), "--out", str(out), "--quiet"]) == 0
    chosen = tmp_path / "selection"
    args = ["select", str(out / "report.json"), "--top", "1", "--out", str(chosen)]
    assert main([*args, "--validate", str(synergy_npz), "--quiet"]) == 0
    printed = capsys.readouterr().out
    selection = json.loads((chosen / "selection.json").read_text())
    first = selection["recommendations"][0]["model"]
    validation = selection["validation"]
    baseline = validation["baseline"]
    assert baseline == ("EF" if first != "EF" else "ADDITIVE")
    assert set(validation["models"]) == {first, baseline}
    assert (
        validation["models"][first]["rank"] == 1 and validation["models"][baseline]["rank"] is None
    )
    best = max(m["accuracy"] for m in validation["models"].values())
    for name, m in validation["models"].items():
        assert m["share_of_best"] == pytest.approx(m["accuracy"] / best)
        assert f"{name:<9} accuracy {m['accuracy']:.3f}" in printed
    markdown = (chosen / "selection.md").read_text()
    row = f"| {baseline} | baseline | {validation['models'][baseline]['accuracy']:.3f} |"
    assert "## Trained on the data" in markdown and row in markdown


def test_select_validates_on_the_reports_modalities_and_label_bins(tmp_path, monkeypatch, capsys):
    import pid.workflows.zoo

    rng = np.random.default_rng(0)
    x1, x2, x3 = (rng.integers(0, 2, 300) for _ in range(3))
    target = x2 + x3 + rng.normal(scale=0.1, size=300)  # binned into 2 classes by the report
    np.savez(tmp_path / "three.npz", x1=x1, x2=x2, x3=x3, target=target)
    flags = ["--modalities", "x2", "x3", "--columns", "y=target", "--label-bins", "2"]
    flags += ["--null", "4", "--quiet"]
    report = tmp_path / "report"
    assert main(["compute", str(tmp_path / "three.npz"), *flags, "--out", str(report)]) == 0
    given = []

    def validate(selection, a, b, y, **kwargs):
        given.append((a, b, y))
        raise ValueError("stopped before training")

    monkeypatch.setattr(pid.workflows.zoo, "validate_selection", validate)
    args = ["select", str(report / "report.json"), "--validate", str(tmp_path / "three.npz")]
    assert main([*args, "--quiet", "--out", str(tmp_path / "chosen")]) == 2
    ((a, b, y),) = given  # x2 and x3, as the report decomposed them, and its two classes
    np.testing.assert_array_equal(a, x2)
    np.testing.assert_array_equal(b, x3)
    edges = json.loads((report / "report.json").read_text())["provenance"]["label_bins"]["edges"]
    np.testing.assert_array_equal(y, (target > edges[0]).astype(int))
    # Columns renamed on the command line are read again under their names.
    np.savez(tmp_path / "named.npz", image=x2, text=x3, label=x2 ^ x3)
    renamed = ["--columns", "x1=image", "--columns", "x2=text", "--columns", "y=label"]
    named = tmp_path / "named"
    argv = ["compute", str(tmp_path / "named.npz"), *renamed, "--null", "4", "--quiet"]
    assert main([*argv, "--out", str(named)]) == 0
    args = ["select", str(named / "report.json"), "--validate", str(tmp_path / "named.npz")]
    assert main([*args, "--quiet", "--out", str(tmp_path / "chosen")]) == 2
    (a, b, y) = given[-1]
    np.testing.assert_array_equal(a, x2)
    np.testing.assert_array_equal(y, x2 ^ x3)
    # A report that names no modalities cannot say which two of three to train on.
    plain = tmp_path / "plain"
    np.savez(tmp_path / "two.npz", x1=x2, x2=x3, y=x2 ^ x3)
    assert (
        main(["compute", str(tmp_path / "two.npz"), "--null", "4", "--quiet", "--out", str(plain)])
        == 0
    )
    capsys.readouterr()
    args = ["select", str(plain / "report.json"), "--validate", str(tmp_path / "three.npz")]
    assert main([*args, "--quiet", "--out", str(tmp_path / "chosen")]) == 2
    err = capsys.readouterr().err
    three = str(tmp_path / "three.npz")
    assert err.startswith(
        f"pid: error: DATA {three!r} holds 3 modalities (x1, x2, x3), but two are read here "
        "and none is named; name the two with --columns x1=NAME"
    )
    assert err.count("\n") == 1


def test_select_reads_a_bounds_report(tmp_path, capsys):
    x1, x2, y = generative("R", 3000, seed=0)
    files = {name: tmp_path / f"{name}.npz" for name in ("d1", "d2", "dm")}
    np.savez(files["d1"], x1=x1[:1000], y=y[:1000])
    np.savez(files["d2"], x2=x2[1000:2000], y=y[1000:2000])
    np.savez(files["dm"], x1=x1[2000:], x2=x2[2000:])
    out = tmp_path / "bounds"
    args = ["bounds", f"--labeled1={files['d1']}", f"--labeled2={files['d2']}"]
    assert main([*args, f"--unlabeled={files['dm']}", "--clusters", "8", "--out", str(out)]) == 0
    capsys.readouterr()
    chosen = ["--out", str(tmp_path / "selection")]
    assert main(["select", str(out / "report.json"), "--top", "2", *chosen]) == 0
    printed = capsys.readouterr().out
    assert printed.count("predicted accuracy") == 2
    assert "Redundancy is" in printed


def test_refusals_exit_2_with_one_sentence(synergy_npz, tmp_path, capsys):
    def refused(args, message):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.startswith("pid: error: ") and message in err
        assert "Traceback" not in err and err.count("\n") == 1

    no_pid = tmp_path / "report.json"
    no_pid.write_text(json.dumps({"kind": "pid-report", "schema_version": 2, "mode": "full"}))
    refused(["select", str(no_pid)], "report.json: terms is missing")
    refused(["select", str(tmp_path / "nothing.json")], "does not exist")
    refused(["select", str(tmp_path)], f"REPORT file {str(tmp_path)!r} is a folder, not a regular")
    refused(["zoo", "train", str(synergy_npz), "--models", "FOO"], "model 'FOO' is unknown")
    refused(
        ["zoo", "train", str(synergy_npz), "--models", "EF", "ef", "--out", str(tmp_path / "z")],
        "pid: error: models (--models) names the model EF more than once ('EF', 'ef'); name each "
        "model once.\n",
    )
    assert not (tmp_path / "z").exists()
    small = tmp_path / "small.npz"
    x1, x2, y = generative("S", 12, seed=0)
    np.savez(small, x1=x1, x2=x2, y=y)
    refused(["zoo", "train", str(small)], "holds 12 samples, too few to split")
    refused(["zoo", "build-reference", "--samples", "50"], "--samples is 50")
    refused(["zoo", "train", str(synergy_npz), "--patience", "0"], "--patience is 0; pass a")
    refused(["zoo", "train", str(synergy_npz), "--seeds", "0"], "--seeds is 0; pass a whole")
    refused(["zoo", "build-reference", "--threads", "0"], "--threads is 0")
    # Before the build, which trains for minutes to hours: a folder, or a path below a file.
    refused(["zoo", "build-reference", "--out", str(tmp_path)], "is a folder; pass the path of")
    below = str(small / "bank.json")
    refused(["zoo", "build-reference", "--out", below], "small.npz is a file, not a folder")


@pytest.mark.parametrize(
    ("seeds", "message"),
    [
        (["--seed", "-1"], "seed (--seed) is -1; pass a whole number from 0 to 4294967295."),
        (
            ["--seed", "18446744073709551615", "--seeds", "2"],
            "seed (--seed) is 18446744073709551615; pass a whole number from 0 to 4294967295.",
        ),
        (
            ["--seed", "4294967295", "--seeds", "2"],
            "seed + n_seeds - 1 (--seed + --seeds - 1) is 4294967296; pass a whole number from 0 "
            "to 4294967295.",
        ),
    ],
    ids=["negative", "beyond-64-bits", "last-beyond-32-bits"],
)
def test_zoo_train_refuses_seeds_numpy_cannot_take(synergy_npz, tmp_path, capsys, seeds, message):
    args = ["zoo", "train", str(synergy_npz), "--models", "EF", "--epochs", "1", *seeds]
    assert main([*args, "--quiet", "--out", str(tmp_path / "zoo")]) == 2
    assert capsys.readouterr().err == f"pid: error: {message}\n"
    assert not (tmp_path / "zoo").exists()


def test_validation_trains_no_extra_baseline_where_every_baseline_is_recommended():
    from pid.models.trainer import TrainConfig
    from pid.selection import Recommendation, Selection
    from pid.selection_report import render_selection_markdown
    from pid.workflows.zoo import BASELINES, validate_selection

    picks = [
        Recommendation(name, 1.0 - 0.1 * k, (0.8, 1.0), 0.9, None, "a reason")
        for k, name in enumerate(BASELINES)
    ]
    selection = Selection({"R": 1.0, "U1": 0.0, "U2": 0.0, "S": 0.0}, [], picks, "a summary")
    x1, x2, y = generative("R", 300, seed=1)
    validation = validate_selection(selection, x1, x2, y, config=TrainConfig(max_epochs=2))
    assert validation["baseline"] is None
    assert set(validation["models"]) == set(BASELINES)
    assert [validation["models"][name]["rank"] for name in BASELINES] == [1, 2]
    markdown = render_selection_markdown(selection, None, validation)
    assert "The recommended models, the baselines among them, trained on the data" in markdown


def test_an_interval_of_mean_accuracy_stays_within_0_and_1():
    from pid.models.zoo import mean_interval

    low, high = mean_interval([0.8, 1.0, 1.0, 0.9])
    assert high > 1.0  # Student's t knows nothing of an accuracy's range
    clipped = mean_interval([0.8, 1.0, 1.0, 0.9], within=(0.0, 1.0))
    assert clipped == (pytest.approx(low), 1.0)


def test_predictions_of_text_labels_load_without_unpickling(tmp_path):
    # Labels read from a table as text are saved as text, which np.load reads by default.
    x1, x2, y = generative("U1", 200, seed=0)
    table = pd.DataFrame({"x1": x1[:, 0], "x2": x2[:, 0], "y": np.array(["cat", "dog"])[y]})
    table.to_csv(tmp_path / "text.csv", index=False)
    out = tmp_path / "zoo"
    args = ["zoo", "train", str(tmp_path / "text.csv"), "--models", "EF", "--epochs", "2"]
    assert main([*args, "--quiet", "--out", str(out)]) == 0
    with np.load(out / "predictions.npz") as saved:
        assert saved["y"].dtype.kind == "U" and saved["EF"].dtype.kind == "U"
        assert set(saved["y"]) <= {"cat", "dog"}
