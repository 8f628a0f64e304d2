"""The README's Python examples and the docstring examples run and print what they claim."""

import doctest
import importlib.util
import re
from pathlib import Path

import pid.api

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 2
    namespaces = []
    for block in blocks:  # each on its own, as a reader pastes it
        if "import torch" in block and importlib.util.find_spec("torch") is None:
            continue  # the quick start from a torch model needs torch
        namespaces.append({})
        exec(compile(block, str(README), "exec"), namespaces[-1])
    printed = capsys.readouterr().out
    claimed = re.search(r"# (PID \(cvx, bits\).*)", blocks[0]).group(1)
    assert claimed in printed
    if "torch" in namespaces[-1]:  # the model's image carries the label, its text nothing
        terms = namespaces[-1]["result"].terms()
        assert terms["U1"] > 0.85 and max(abs(terms[t]) for t in ("R", "U2", "S")) < 0.05


def test_docstring_examples():
    assert doctest.testmod(pid.api).failed == 0
