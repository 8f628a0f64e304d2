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
    namespace: dict = {}
    for block in blocks:
        if "import torch" in block and importlib.util.find_spec("torch") is None:
            continue  # the quick start from a torch model needs torch
        exec(compile(block, str(README), "exec"), namespace)
    printed = capsys.readouterr().out
    claimed = re.search(r"# (PID \(cvx, bits\).*)", blocks[0]).group(1)
    assert claimed in printed


def test_docstring_examples():
    assert doctest.testmod(pid.api).failed == 0
