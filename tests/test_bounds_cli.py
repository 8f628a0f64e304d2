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
    assert main(_args(three_sets, tmp_path / "out")) == 0
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    b = report["bounds"]
    assert f"S  in [{b['S_lower']:.6f}, {b['S_upper']:.6f}]" in printed
    largest_other = max(report["terms"][k] for k in ("R", "U1", "U2"))
    verdict = (
        "is certainly the largest"
        if b["S_lower"] > largest_other
        else "is certainly not the largest"
        if b["S_upper"] < largest_other
        else "may or may not be the largest"
    )
    assert report["guidance"][0].startswith(f"Synergy {verdict}")
    assert report["mode"] == "bounds"
    assert b["S_lower"] == max(b["S_R"], b["S_U"], 0.0) <= b["S_upper"]
    assert 0.0 <= report["accuracy"]["lower"] <= report["accuracy"]["upper"] <= 1.0
    assert report["terms"]["R"] > 0.3  # the dataset is built around redundancy
    assert len(report["guidance"]) == 3
    assert "What this means" in (tmp_path / "out" / "report.md").read_text()


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
    ]
    for override, message in cases:
        assert main(_args(three_sets, tmp_path / "bad", **override)) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert not (tmp_path / "bad").exists()
