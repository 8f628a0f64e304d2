"""The ``pid`` command: output, written files, and refusals with exit status 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

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
    assert main(["compute", str(and_npz), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "0.311278" in printed and "0.500000" in printed
    result = PIDResult.from_json((out / "result.json").read_text())
    assert result.R == pytest.approx(0.311278, abs=1e-6)
    assert result.provenance["n_samples"] == 20


def test_compute_with_another_estimator(and_npz, tmp_path):
    assert main(["compute", str(and_npz), "--estimator", "mmi", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "result.json").read_text())["estimator"] == "mmi"


def test_demo_writes_all_examples(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    assert "reduced_or" in capsys.readouterr().out
    results = json.loads((tmp_path / "demo.json").read_text())
    assert results["xor"]["S"] == pytest.approx(1.0, abs=1e-7)
    assert len(results) == 12


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("make_data", "message"),
    [
        (lambda d: _save(d / "k.npz", a=[0, 1]), "no array named 'x1', 'x2', 'y'"),
        (lambda d: d / "missing.npz", "does not exist"),
        (lambda d: _save(d / "n.npz", x1=[0, 1], x2=[0, 1], y=[0]), "lengths are 2, 2 and 1"),
        (lambda d: _save(d / "f.npz", x1=[0.5, 1], x2=[0, 1], y=[0, 1]), "integer codes"),
        (lambda d: _save(d / "e.npz", x1=[], x2=[], y=[]), "is empty"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(tmp_path, capsys, make_data, message):
    data = make_data(tmp_path)
    assert main(["compute", str(data), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("pid: error: ") and err.count("\n") == 1
    assert not (tmp_path / "out" / "result.json").exists()


def test_no_traceback_from_the_installed_command(tmp_path):
    (tmp_path / "text.npz").write_text("not an archive")
    run = subprocess.run(
        [sys.executable, "-m", "pid", "compute", str(tmp_path / "text.npz")],
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
