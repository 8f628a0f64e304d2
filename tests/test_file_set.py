"""Report sets written as a whole: the old set or the new one, never a mix, whatever fails."""

import errno
import hashlib
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pid.cli import main
from pid.file_set import WriteError, check_file_target, check_target, write_file_set
from pid.report import read_report, write_report

REPORT_SET = ["report.html", "report.json", "report.md", "result.json"]


def digests(folder: Path) -> dict[str, str]:
    """The SHA-256 of each file in ``folder``, by name."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    """The temporary folders a writer left beside ``folder``."""
    return [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.pid-")]


def save_codes(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.integers(0, 3, 300), rng.integers(0, 3, 300)
    np.savez(path, x1=x1, x2=x2, y=(x1 + x2 + (rng.random(300) < 0.1)) % 2)
    return path


@pytest.fixture
def old_set(tmp_path):
    """A folder holding the report set of one ``pid compute`` run, and its digests."""
    out = tmp_path / "out"
    assert main(["compute", str(save_codes(tmp_path / "old.npz", 0)), "--out", str(out)]) == 0
    return out, digests(out)


def test_a_folder_where_a_report_file_goes_leaves_the_old_set(tmp_path, old_set, capsys):
    out, _ = old_set
    (out / "report.html").unlink()
    (out / "report.html").mkdir()
    before = {n: d for n, d in digests(out).items() if n != "report.html"}
    capsys.readouterr()
    new = save_codes(tmp_path / "new.npz", 1)
    assert main(["compute", str(new), "--out", str(out), "--quiet"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.strip().splitlines() == [
        f"pid: error: {out / 'report.html'} is a folder, where the new file report.html goes; "
        "move or rename it, or write to another folder."
    ]
    assert {n: d for n, d in digests(out).items() if n != "report.html"} == before
    assert (out / "report.html").is_dir() and leftovers(out) == []


def test_a_full_disk_leaves_the_old_set_untouched(tmp_path, old_set, capsys, monkeypatch):
    out, before = old_set
    synced = []

    def fsync_on_a_full_disk(descriptor):
        synced.append(descriptor)
        if len(synced) == 3:  # the third file of the new set
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync_on_a_full_disk)
    capsys.readouterr()
    new = save_codes(tmp_path / "new.npz", 1)
    assert main(["compute", str(new), "--out", str(out), "--quiet"]) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and len(printed.err.strip().splitlines()) == 1
    assert f"cannot write the files into {out} (No space left on device: {out}/report." in (
        printed.err
    )
    assert digests(out) == before and leftovers(out) == []


def test_a_file_size_limit_fails_with_one_sentence_and_the_old_set(tmp_path, old_set):
    out, before = old_set
    new = save_codes(tmp_path / "new.npz", 1)
    script = (  # files above 20 kB fail with EFBIG: report.html, with its figures, is larger
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))\n"
        "from pid.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, "compute", str(new), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        f"pid: error: cannot write the files into {out} (File too large: {out / 'report.html'}); "
        "nothing there was changed, so free some space, fix the permissions or pass another "
        "folder and run it again."
    ]
    assert digests(out) == before and leftovers(out) == []


def test_other_files_are_kept_and_replaced_files_swap_whole(tmp_path):
    out = tmp_path / "out"
    write_file_set(out, {"report.json": b"old", "result.json": b"old"})
    (out / "data.npz").write_bytes(b"the user's")
    inode = (out / "data.npz").stat().st_ino
    paths = write_file_set(out, {"report.json": b"new"})
    assert paths == {"report.json": out.resolve() / "report.json"}
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        "report.json": b"new",
        "result.json": b"old",
        "data.npz": b"the user's",
    }
    assert (out / "data.npz").stat().st_ino == inode and leftovers(out) == []


def test_files_an_earlier_set_of_the_kind_held_go_and_the_users_stay(tmp_path, old_set):
    out, _ = old_set
    (out / "data.npz").write_bytes(b"the user's")
    write_file_set(out, {"report.json": b"bounds"}, replaces=["result.json", "report.md"])
    assert sorted(p.name for p in out.iterdir()) == ["data.npz", "report.html", "report.json"]
    # A report written alone drops the result.json of the earlier pid compute.
    assert main(["compute", str(save_codes(tmp_path / "new.npz", 1)), "--out", str(out)]) == 0
    write_report(read_report(out / "report.json"), out)
    assert sorted(p.name for p in out.iterdir()) == [
        "data.npz",
        "report.html",
        "report.json",
        "report.md",
    ]


def test_folders_that_cannot_be_written_are_refused_before_any_work(tmp_path, monkeypatch):
    (tmp_path / "data.npz").write_bytes(b"x")
    with pytest.raises(WriteError, match=r"data\.npz is a file, so .*sub cannot be a folder"):
        check_target(tmp_path / "data.npz" / "sub", ["report.json"])
    with pytest.raises(WriteError, match="has 300 characters, and the file system takes at most"):
        check_target(tmp_path / "out", ["a" * 300 + "/report.json"])
    with pytest.raises(WriteError, match="characters, and the file system takes at most 255"):
        check_target(tmp_path / ("n" * 240), ["report.json"])  # with .pid-new-XXXXXXXX
    with pytest.raises(WriteError, match="characters, and the file system takes at most 255"):
        check_file_target(tmp_path / ("n" * 245))  # its temporary file adds 14 characters
    with pytest.raises(WriteError, match="is a folder; pass the path of a file"):
        check_file_target(tmp_path)
    (tmp_path / "out").mkdir()
    protected = {tmp_path / "out"}
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) not in protected)
    with pytest.raises(WriteError, match="out is write-protected, and the new files go there"):
        check_target(tmp_path / "out", ["report.json"])
    protected = {tmp_path}
    with pytest.raises(WriteError, match="is write-protected, and the new files go there"):
        write_file_set(tmp_path / "new" / "out", {"report.json": b"{}"})
    assert not (tmp_path / "new").exists()


def test_a_set_with_subfolders_swaps_whole_and_keeps_the_users_files(tmp_path):
    out = tmp_path / "out"
    first = {"report.json": b"1", "a/report.json": b"a1", "a/b/result.json": b"ab1"}
    paths = write_file_set(out, first)
    assert paths["a/b/result.json"] == out.resolve() / "a" / "b" / "result.json"
    (out / "a" / "mine.txt").write_bytes(b"the user's")
    inode = (out / "a" / "mine.txt").stat().st_ino
    second = {"report.json": b"2", "a/report.json": b"a2", "a/b/x.json": b"x", "c/r.json": b"c"}
    write_file_set(out, second)
    written = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert written == {**second, "a/b/result.json": b"ab1", "a/mine.txt": b"the user's"}
    assert (out / "a" / "mine.txt").stat().st_ino == inode and leftovers(out) == []


def test_a_set_with_subfolders_refuses_what_it_cannot_carry(tmp_path):
    out = tmp_path / "out"
    write_file_set(out, {"report.json": b"1", "a/report.json": b"a1"})
    with pytest.raises(WriteError, match="holds a folder 'a', which writing the new files"):
        check_target(out, ["report.json", "b/report.json"])
    (out / "c").write_bytes(b"a file")
    with pytest.raises(WriteError, match="is a file, where the new folder c goes"):
        write_file_set(out, {"a/report.json": b"a2", "c/report.json": b"c2"})
    (out / "a" / "link").symlink_to(out / "report.json")
    with pytest.raises(WriteError, match="holds a symbolic link 'a/link'"):
        check_target(out, ["a/report.json", "c"])
    assert (out / "a" / "report.json").read_bytes() == b"a1"
    for name in ("a//report.json", "a/../report.json", "a/.hidden", "/report.json"):
        with pytest.raises(ValueError, match="pass plain file names"):
            write_file_set(out, {name: b"{}"})


def test_folders_that_cannot_be_swapped_are_refused_before_any_work(tmp_path, monkeypatch):
    (tmp_path / "out" / "mine").mkdir(parents=True)
    with pytest.raises(WriteError, match="holds a folder 'mine', which writing the new files"):
        check_target(tmp_path / "out", ["report.json"])
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(WriteError, match="a_file is a file, not a folder"):
        write_file_set(tmp_path / "a_file", {"report.json": b"{}"})
    monkeypatch.chdir(tmp_path / "out" / "mine")
    with pytest.raises(WriteError, match="is the working folder or holds it"):
        write_file_set(".", {"report.json": b"{}"})
    with pytest.raises(ValueError, match="pass plain file names"):
        write_file_set(tmp_path / "elsewhere", {"../report.json": b"{}"})


def test_without_an_atomic_exchange_the_swap_still_leaves_a_whole_set(tmp_path, monkeypatch):
    import pid.file_set

    monkeypatch.setattr(pid.file_set, "_exchange", lambda first, second: False)
    out = tmp_path / "out"
    write_file_set(out, {"report.json": b"old", "report.md": b"old"})
    write_file_set(out, {"report.json": b"new", "report.md": b"new"})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        "report.json": b"new",
        "report.md": b"new",
    }
    # A writer killed between its two renames leaves the target missing and the old set
    # aside; the next writer puts it back, then replaces it whole.
    aside = tmp_path / ".out.pid-old-0123456789abcdef"
    os.rename(out, aside)
    (out.parent / ".out.pid-new-fedcba9876543210").mkdir()
    (aside / "data.npz").write_bytes(b"the user's")
    write_file_set(out, {"report.json": b"newer", "report.md": b"newer"})
    assert (out / "data.npz").read_bytes() == b"the user's"
    assert (out / "report.md").read_bytes() == b"newer" and leftovers(out) == []


def snapshot(folder: Path) -> dict[str, bytes]:
    """The files of ``folder`` as they are read through one descriptor of it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except FileNotFoundError:
        return {}
    contents = {}
    try:
        for name in os.listdir(descriptor):
            try:
                handle = os.open(name, os.O_RDONLY, dir_fd=descriptor)
            except FileNotFoundError:
                continue
            with os.fdopen(handle, "rb") as file:
                contents[name] = file.read()
    finally:
        os.close(descriptor)
    return contents


def _write_many(folder: str, tag: str, rounds: int) -> None:
    for k in range(rounds):
        stamp = f"{tag}{k}".encode()
        write_file_set(folder, {name: stamp * 2000 for name in REPORT_SET})


def test_two_writers_at_once_leave_one_whole_set_at_every_instant(tmp_path):
    out = tmp_path / "out"
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_many, args=(str(out), tag, 25)) for tag in ("a", "b")]
    for writer in writers:
        writer.start()
    seen = set()
    while any(w.is_alive() for w in writers):
        # A snapshot: the folder that is the target now, read through its descriptor (the
        # writer that swaps it out then removes its files, so a snapshot may come out short).
        contents = snapshot(out)
        assert len(set(contents.values())) <= 1, "a mix of two sets"
        if sorted(contents) == REPORT_SET:
            seen.add(contents["report.json"][:3])
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    final = {name: (out / name).read_bytes() for name in REPORT_SET}
    assert len(set(final.values())) == 1 and leftovers(out) == []
    assert len(seen) > 2  # the reader saw the set change several times


def _new_set_is_whole(out: Path) -> bool:
    """Whether ``out`` holds one whole report set of one run: every file present and complete,
    and the run's solve time, which differs from run to run, the same in all four."""
    if sorted(p.name for p in out.iterdir()) != REPORT_SET:
        return False
    report = json.loads((out / "report.json").read_text())
    result = json.loads((out / "result.json").read_text())
    seconds = report["diagnostics"]["solve_time_s"]
    markdown, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    return (
        result["diagnostics"]["solve_time_s"] == seconds
        and f"diagnostics.solve_time_s: {seconds:.6g}\n" in markdown
        and f"<td>{seconds:.6g}</td>" in page
        and page.endswith("</html>\n")
    )


def test_sigkill_during_pid_compute_leaves_the_old_or_the_new_set_whole(tmp_path, old_set):
    out, before = old_set
    new = save_codes(tmp_path / "new.npz", 1)
    command = [sys.executable, "-m", "pid", "compute", str(new), "--out", str(out), "--quiet"]
    old = {name: (out / name).read_bytes() for name in REPORT_SET}
    rng = random.Random(0)
    for _ in range(3):
        write_file_set(out, old)  # the old set back, and what the last kill left cleared
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Kill while the set is being written: once its temporary folder appears.
        while process.poll() is None and not leftovers(out):
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.03))  # the files are written and swapped within ~30 ms
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert digests(out) == before or _new_set_is_whole(out)
    write_file_set(out, old)  # the next writer clears what the kills left
    assert digests(out) == before and leftovers(out) == []
