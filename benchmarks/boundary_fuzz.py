"""The boundary's property tests at 10,000 examples an entry point, as one table.

Runs ``tests/test_boundary_fuzz.py`` and the report reader's property test
(``tests/test_schema.py``) under the Hypothesis profile ``thorough`` (registered in
``tests/conftest.py``) and prints, per entry point, the examples run, how many were refused
with a sentence or accepted, the failures and the time.

    .venv/bin/python benchmarks/boundary_fuzz.py [--profile thorough]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/test_boundary_fuzz.py", "tests/test_schema.py"]


def run(profile: str) -> tuple[int, str, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *TESTS,
            f"--hypothesis-profile={profile}",
            "--hypothesis-show-statistics",
            "-k",
            "fuzz or any_value",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - start


def table(output: str) -> list[str]:
    """One row per property test from Hypothesis's statistics, its phases summed."""
    rows = []
    for block in re.split(r"\n(?=tests/\S+::\S+:\n)", output):
        head = re.match(r"tests/(\S+)::(\S+):\n", block)
        counts = re.findall(r"(\d+) passing, (\d+) failing, and (\d+) invalid", block)
        if not head or not counts:
            continue
        passing, failing, invalid = (sum(int(c[k]) for c in counts) for k in range(3))
        seconds = sum(float(s) for s in re.findall(r"phase \(([\d.]+) seconds\)", block))
        events = "; ".join(
            f"{name.strip()} {share}%"
            for share, name in re.findall(r"\* ([\d.]+)%, (refused|exit status \d+)", block)
        )
        rows.append(f"|{head.group(2)}|{passing}|{failing}|{invalid}|{events}|{seconds:.0f}|")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="thorough", help="Hypothesis profile (ci, thorough)")
    args = parser.parse_args()
    status, output, seconds = run(args.profile)
    print("|property test|passing|failing|invalid|outcomes|time (s)|")
    print("|---|---|---|---|---|---|")
    print("\n".join(table(output)))
    print(f"\npytest exit status {status}, {seconds:.0f} s")
    if status != 0:
        print(output[-5000:])


if __name__ == "__main__":
    main()
