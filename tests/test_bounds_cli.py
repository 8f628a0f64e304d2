"""``pid bounds``: three datasets in, a bounds report out; refusals with exit status 2."""

import json

import numpy as np
import pytest

from pid.cli import main
from pid.datasets import generative


@pytest.fixture
def three_sets(tmp_path):
    x1, x2, y = generative("R", 3000, seed=0)
    paths = {
        "labeled1": tmp_path / "d1.npz",
        "labeled2": tmp_path / "d2.npz",
        "unlabeled": tmp_path / "dm.npz",
    }
    np.savez(paths["labeled1"], x1=x1[:1000], y=y[:1000])
    np.savez(paths["labeled2"], x2=x2[1000:2000], y=y[1000:2000])
    np.savez(paths["unlabeled"], x1=x1[2000:], x2=x2[2000:])
    return paths


def _args(paths, out, **overrides):
    paths = {**paths, **overrides}
    return [
        "bounds",
        *(f"--{k}={v}" for k, v in paths.items()),
        "--clusters",
        "8",
        "--out",
        str(out),
    ]


def test_bounds_report(three_sets, tmp_path, capsys):
    assert main([*_args(three_sets, tmp_path / "out"), "--bootstrap", "30"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    b, intervals = report["bounds"], report["intervals"]
    low, high = intervals["S"]
    assert (
        f"S  in [{b['S_lower']:.6f}, {b['S_upper']:.6f}]   (proven for them); "
        f"95% interval [{low:.6f}, {high:.6f}]"
    ) in printed
    assert report["bootstrap"]["n_resamples"] == 30
    others = {k: intervals[k] for k in ("R", "U1", "U2")}
    verdict = (
        "Synergy is the largest interaction (at 95% confidence)"
        if low > max(high for _, high in others.values())
        else "Synergy is not the largest interaction (at 95% confidence)"
        if high < max(low for low, _ in others.values())
        else "Whether synergy is the largest interaction is not determined"
    )
    assert report["guidance"][0].startswith(verdict)
    assert report["terms"]["R"] > 0.3  # the dataset is built around redundancy
    assert not any("certainly" in sentence for sentence in report["guidance"])
    assert b["S_lower"] == max(b["S_R"], b["S_U"], 0.0) <= b["S_upper"]
    assert low <= b["S_lower_corrected"] and b["S_upper_corrected"] <= high
    assert 0.0 <= report["accuracy"]["lower"] <= report["accuracy"]["upper"] <= 1.0
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "What this means" in markdown
    columns = (
        "| the samples' marginals | bias-corrected | 95% interval (30 resamples of each set) |"
    )
    assert columns in markdown
    assert f"| [{b['S_lower']:.4f}, {b['S_upper']:.4f}] (proven) | [" in markdown
    assert f"{b['S_upper_corrected']:.4f}] | [{low:.4f}, {high:.4f}] |" in markdown
    assert f"| {b['R']:.6f} (exact) | {report['terms']['R']:.6f} |" in markdown
    assert "share" not in markdown.split("## Information")[0]


def test_bounds_without_resampling_hold_for_the_samples_marginals(three_sets, tmp_path, capsys):
    assert main([*_args(three_sets, tmp_path / "out"), "--bootstrap", "0"]) == 0
    assert "95% interval" not in capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["intervals"] is None
    assert "(for these marginals)" in report["guidance"][0]
    assert "interval (none: run with --bootstrap N)" in (tmp_path / "out" / "report.md").read_text()


def test_one_feature_as_a_column_and_as_a_vector_is_one_code_space(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=600), rng.integers(0, 2, 600)
    paths = {name: tmp_path / f"{name}.npz" for name in ("labeled1", "labeled2", "unlabeled")}
    np.savez(paths["labeled1"], x1=x[:200, None], y=y[:200])  # (n, 1) beside (n,) below
    np.savez(paths["labeled2"], x2=x[200:400], y=y[200:400])
    np.savez(paths["unlabeled"], x1=x[400:], x2=x[400:])
    assert main(_args(paths, tmp_path / "column")) == 0
    np.savez(paths["labeled1"], x1=x[:200], y=y[:200])
    assert main(_args(paths, tmp_path / "vector")) == 0
    column, vector = (
        json.loads((tmp_path / name / "report.json").read_text())["terms"]
        for name in ("column", "vector")
    )
    assert column == vector


def test_bounds_refusals(three_sets, tmp_path, capsys):
    x1, x2, y = generative("R", 300, seed=1)
    disjoint = tmp_path / "disjoint.npz"
    np.savez(disjoint, x2=x2, y=y + 5)
    no_x2 = tmp_path / "no_x2.npz"
    np.savez(no_x2, x1=x1, other=x2)
    narrow = tmp_path / "narrow.npz"
    np.savez(narrow, x1=x1[:, :3], y=y)
    one_class = tmp_path / "one_class.npz"
    np.savez(one_class, x1=x1, y=np.zeros_like(y))
    one_class2 = tmp_path / "one_class2.npz"
    np.savez(one_class2, x2=x2, y=np.zeros_like(y))
    cases = [
        ({"labeled2": disjoint}, "share no label"),
        ({"labeled1": one_class, "labeled2": one_class2}, "single class"),
        ({"unlabeled": no_x2}, "no array named 'x2'"),
        ({"labeled1": narrow}, "encode x1 in one code space"),
        ({"bootstrap": 1}, "--bootstrap is 1; pass 0 (no resampling) or at least 2"),
    ]
    for override, message in cases:
        assert main(_args(three_sets, tmp_path / "bad", **override)) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert not (tmp_path / "bad").exists()
