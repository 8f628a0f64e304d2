"""Kill ``pid compute`` at random moments and fill its disk: is its report set ever mixed?

Run: ``.venv/bin/python benchmarks/report_atomicity.py [--kills 50] [--code DIR]``

A folder holds the report set (``report.json``, ``.md``, ``.html``, ``result.json``) of one
run; ``pid compute`` on other data then writes into it, and is killed with ``SIGKILL``: half
the kills at a uniformly random moment of the run (from start-up on), half at a random moment
of the writing itself (up to 20 ms after its first trace: a temporary file or folder, or a
file of the old set replaced). After each kill the folder must hold the old set byte for
byte, or the new one whole: every file present and complete, all four from one run (the run's
solve time, which differs from run to run, the same in each). Then the same command runs
with files limited to 20 kB (``RLIMIT_FSIZE``, ``SIGXFSZ`` ignored: writes fail with
``EFBIG``, as on a full disk), and must exit with status 2 and one sentence, the old set
untouched. ``--code DIR`` runs the commands
from another checkout (e.g. an older one, to compare).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import describe

from pid.file_set import write_file_set

REPORT_SET = ("report.json", "report.md", "report.html", "result.json")
WRITE_WINDOW_S = 0.02


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    print(f"machine: {describe()}\ncode: {args.code}")
    env = {**os.environ, "PYTHONPATH": str(args.code.resolve())}
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.chdir(tmp)  # so that `python -m pid` imports the code of --code, not of the folder
        out = tmp / "out"
        old_data, new_data = _codes(tmp / "old.npz", 0), _codes(tmp / "new.npz", 1)
        subprocess.run(_command(old_data, out), env=env, check=True, capture_output=True)
        old = {name: (out / name).read_bytes() for name in REPORT_SET}
        start = time.perf_counter()
        subprocess.run(_command(new_data, tmp / "timed"), env=env, check=True, capture_output=True)
        duration = time.perf_counter() - start
        print(f"one uninterrupted run: {duration:.2f} s\n")
        rows = []
        for moment in ("random moment of the run", "random moment of the writing"):
            counts = {"kills": 0, "during the writing": 0, "old": 0, "new": 0, "mixed": 0}
            for _ in range(args.kills // 2):
                _restore(out, old)
                stamps = _stamps(out)
                process = subprocess.Popen(
                    _command(new_data, out),
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                if moment.endswith("run"):
                    time.sleep(rng.uniform(0, duration))
                else:
                    while process.poll() is None and not _writing(out, stamps):
                        time.sleep(0.0005)
                    time.sleep(rng.uniform(0, WRITE_WINDOW_S))
                counts["during the writing"] += process.poll() is None and _writing(out, stamps)
                process.send_signal(signal.SIGKILL)
                process.wait()
                counts["kills"] += 1
                counts[_state(out, old)] += 1
            rows.append((moment, counts))
        print(
            "| kills at | kills | during the writing | old set whole | new set whole | "
            "mixed or partial |"
        )
        print("|---|---|---|---|---|---|")
        for moment, c in rows:
            print(
                f"| {moment} | {c['kills']} | {c['during the writing']} | {c['old']} | "
                f"{c['new']} | {c['mixed']} |"
            )
        _restore(out, old)
        status, message = _full_disk(_command(new_data, out), env)
        whole = {name: (out / name).read_bytes() for name in REPORT_SET} == old
        files = sorted(p.name for p in out.iterdir())
        print(
            f"\nfiles limited to 20 kB (EFBIG): exit status {status}; old set whole: {whole}; "
            f"files in the folder: {', '.join(files)}; left beside it: {_leftovers(out) or 'none'}"
            f"\nmessage: {message}"
        )


def _restore(out: Path, old: dict[str, bytes]) -> None:
    """The old set alone in ``out``, and what the last kill left beside it cleared."""
    shutil.rmtree(out, ignore_errors=True)
    write_file_set(out, old)


def _command(data: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "pid", "compute", str(data), "--out", str(out), "--quiet"]


def _codes(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.integers(0, 3, 300), rng.integers(0, 3, 300)
    np.savez(path, x1=x1, x2=x2, y=(x1 + x2 + (rng.random(300) < 0.1)) % 2)
    return path


def _leftovers(out: Path) -> list[str]:
    return [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.pid-")]


def _stamps(out: Path) -> dict[str, tuple[int, int]]:
    """The inode and modification time of each file in ``out``."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir()}


def _writing(out: Path, stamps: dict[str, tuple[int, int]]) -> bool:
    """Whether the set is being written: a writer's temporary files are there, or a file of
    the old set has been replaced and the writer has not finished."""
    try:
        return bool(_leftovers(out)) or _stamps(out) != stamps
    except FileNotFoundError:  # a file replaced while we looked
        return True


def _state(out: Path, old: dict[str, bytes]) -> str:
    """``old``, ``new`` (one whole set of one run) or ``mixed`` (anything else)."""
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} if out.is_dir() else {}
    if files == old:
        return "old"
    if sorted(files) != sorted(REPORT_SET) or any(files[n] == old[n] for n in REPORT_SET):
        return "mixed"
    try:
        report, result = json.loads(files["report.json"]), json.loads(files["result.json"])
        seconds = report["diagnostics"]["solve_time_s"]
    except (ValueError, KeyError):
        return "mixed"
    markdown, page = files["report.md"].decode(), files["report.html"].decode()
    one_run = (
        result["diagnostics"]["solve_time_s"] == seconds
        and f"diagnostics.solve_time_s: {seconds:.6g}\n" in markdown
        and f"<td>{seconds:.6g}</td>" in page
        and page.endswith("</html>\n")
    )
    return "new" if one_run else "mixed"


def _full_disk(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` with files limited to 20 kB; its exit status and what it said."""
    script = (
        "import resource, runpy, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_module('pid', run_name='__main__')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, *command[2:]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = run.stderr.strip().splitlines()
    return run.returncode, f"{lines[-1] if lines else ''} ({len(lines)} line(s) on stderr)"


if __name__ == "__main__":
    main()
