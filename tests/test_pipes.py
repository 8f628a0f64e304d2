"""A closed pipe (``pid compute DATA | head -1``) ends a command quietly, its files in place."""

import os
import subprocess
import sys

import numpy as np
import pytest

from pid.cli import main


def closed_pipe():
    """A line-buffered text stream whose reader has gone away: writing to it fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    return open(write, "w", buffering=1)


@pytest.fixture
def codes(tmp_path):
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 3, 300), rng.integers(0, 3, 300)
    path = tmp_path / "codes.npz"
    np.savez(path, x1=x1, x2=x2, y=(x1 + x2) % 2)
    return path


def command_line(command, tmp_path, codes):
    """The arguments of a command that prints, and files it must leave."""
    if command == "compute":
        return ["compute", str(codes)], ["report.html", "report.json", "report.md"]
    if command == "bounds":
        rng = np.random.default_rng(1)
        x1, x2 = rng.integers(0, 3, 400), rng.integers(0, 3, 400)
        y = (x1 + x2) % 2
        np.savez(tmp_path / "d1.npz", x1=x1[:200], y=y[:200])
        np.savez(tmp_path / "d2.npz", x2=x2[:200], y=y[:200])
        np.savez(tmp_path / "dm.npz", x1=x1[200:], x2=x2[200:])
        sets = [f"--{k}={tmp_path / f'{f}.npz'}" for k, f in LABELS.items()]
        return ["bounds", *sets, "--bootstrap", "0"], ["report.json", "report.html"]
    report = tmp_path / "first" / "report.json"
    assert main(["compute", str(codes), "--out", str(report.parent), "--quiet"]) == 0
    return ["select", str(report)], ["selection.html", "selection.json"]


LABELS = {"labeled1": "d1", "labeled2": "d2", "unlabeled": "dm"}


@pytest.mark.parametrize("command", ["compute", "bounds", "select"])
@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_a_closed_pipe_ends_quietly_with_the_files_in_place(
    tmp_path, codes, capsys, monkeypatch, command, closed
):
    args, files = command_line(command, tmp_path, codes)
    out = tmp_path / "out"
    capsys.readouterr()
    with closed_pipe() as stream:
        monkeypatch.setattr(sys, closed, stream)
        assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    still_open = printed.err if closed == "stdout" else printed.out
    assert "Traceback" not in still_open and "error" not in still_open
    assert all((out / name).is_file() for name in files)


def test_pid_compute_into_head_writes_its_reports_and_says_nothing(tmp_path, codes):
    out = tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "pid", "compute", str(codes), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run.stdout.close()  # as `| head -c0` does
    progress = run.stderr.read()
    assert run.wait() == 0
    assert progress.startswith("pid: encoding the samples...\n")
    assert "Traceback" not in progress and "Broken pipe" not in progress
    assert "Exception ignored" not in progress
    assert sorted(p.name for p in out.iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
        "result.json",
    ]
