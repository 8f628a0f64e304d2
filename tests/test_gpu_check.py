"""The GPU check's CPU rows: every device path runs and agrees with itself run again."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import gpu_check
from conftest import mentions_cuda


def test_every_device_path_runs_on_the_cpu_and_repeats_its_answer(capsys):
    # The CPU stands in for the second device: each path runs twice and must agree within
    # its tolerance (CPU runs are repeatable, so the difference is 0), BATCH against exact.
    assert gpu_check.main(["--quick", "--devices", "cpu"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")][2:]
    assert len(rows) == 2 * len(gpu_check.CHECKS)
    names = {row.split("|")[1] for row in rows}
    assert {"collect_outputs", "CVX, one large table", "zoo MULT (test accuracy)"} <= names
    assert sum("FactorCL" in name for name in names) == 7
    assert sum(name.startswith("zoo ") for name in names) == 10
    assert all(row.split("|")[-2] == "yes" for row in rows)


def test_a_path_that_fails_on_a_device_is_a_row_and_the_exit_status(capsys):
    assert gpu_check.main(["--quick", "--only", "collect_outputs", "--devices", "tpu"]) == 1
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert rows[-1].startswith("|collect_outputs|tpu|") and rows[-1].endswith("|NO|")
    assert "ValueError" in rows[-1]


def test_parameters_naming_a_cuda_device_are_marked():
    assert mentions_cuda("cuda") and mentions_cuda(("options", "cuda:1"))
    assert not mentions_cuda(None) and not mentions_cuda(("options", "cpu"))
