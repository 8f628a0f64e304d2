"""Writing a set of files into a folder as a whole: readers see the old set or the new one.

:func:`write_file_set` is how every report set is written (``report.json``, ``.md``,
``.html`` and their companions; ``selection.json``, ``.md``, ``.html``). The new files are
written into a temporary folder beside the target, and that folder is swapped into place in
one step:

- On Linux, ``renameat2(RENAME_EXCHANGE)`` swaps the two folders atomically: at every instant
  the target holds the whole previous set or the whole new one, even if the process is killed.
- Elsewhere (or on a file system without that call), the target is renamed aside and the new
  folder renamed into place. Between the two renames the target is missing, never mixed; if the
  process dies in that instant, the previous set waits beside it as ``.NAME.pid-old-*`` and the
  next write to the target puts it back before going on.

A set may hold subfolders (``layer_1/report.json``: the report of each input beside the
combined one), written and swapped with the rest. Other regular files in the target and in
the subfolders the set writes (a dataset, a model's checkpoint) are carried into the new
folder as hard links (copies where the file system has none), so nothing of the user's is
lost; a target holding another subfolder, a link or a special file, or an entry of a name the
new set writes that is not of its kind (a folder where a file goes, or the reverse), is
refused before anything is written, as is a target below a file, a write-protected one (or
one in a write-protected folder), and a name longer than the file system takes. A writer
may name the files of earlier sets of its kind (``replaces``): those the new set does not
write are dropped, not kept. Writers of one folder take
turns (an exclusive ``flock`` on the folder above it, where the platform has ``fcntl``), and a
failure (a full disk, a file too large, permissions) removes the temporary folder, leaves the
target as it was and raises :class:`WriteError` naming the path. Single files (a bank, a
checkpoint) are written whole by :func:`write_bytes_atomic` and :func:`write_text_atomic`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

#: The marker in the names of the temporary folders beside a target (``.NAME.pid-new-*``).
TEMPORARY_MARKER = ".pid-"


class WriteError(OSError):
    """A set of files could not be written; the target folder was left as it was.

    The message is one sentence naming the path and what to do.
    """


def write_file_set(
    folder: str | os.PathLike, files: Mapping[str, bytes], *, replaces: Collection[str] = ()
) -> dict[str, Path]:
    """Write ``files`` (file name to content) into ``folder`` as one whole; returns their paths.

    A name is a plain file name, or plain names joined by ``/`` for a file in a subfolder
    (``layer_1/report.json``). The folder (and those above it) is created where missing.
    Regular files already there (or in a subfolder the set writes) that are not in ``files``
    are kept, except those named in ``replaces``: files an earlier set of the same kind may
    have held (``result.json`` beside a report), which would otherwise outlive the run they
    came from. Raises :class:`WriteError` where the set cannot be written, with the folder
    unchanged, and ``ValueError`` for a name that is not a plain file name or path of them.
    """
    for name, data in files.items():
        if not isinstance(data, bytes):
            raise TypeError(f"files[{name!r}] is {type(data).__name__}; pass the content as bytes.")
        if any(
            part in ("", ".", "..") or os.sep in part or part.startswith(".")
            for part in name.split("/")
        ):
            raise ValueError(
                f"files holds the name {name!r}; pass plain file names (joined by / for a "
                "subfolder), without .. or a leading dot."
            )
    target = check_target(folder, files)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _write_error(target, err, target.parent) from None
    with _turn(target.parent):
        _recover(target)
        kept = [name for name in _kept_files(target, files) if name not in replaces]
        _write_and_swap(target, files, kept)
    return {name: target / name for name in files}


def check_target(folder: str | os.PathLike, names: Iterable[str]) -> Path:
    """Refuse, with a :class:`WriteError`, a folder that a set of files named ``names`` (plain
    names, or paths of them joined by ``/``) could not be written into (:func:`write_file_set`
    refuses the same); returns its resolved path.

    Commands call it before their work, so that a long run does not end in a refusal.
    """
    target = Path(folder).resolve()
    names = set(names)
    _refuse_working_folder(target)
    check_writable(target, names)
    # The new set is staged beside the target, then swapped with it whole.
    check_writable(target.parent, [target.name, f"{_prefix(target, 'new')}{'x' * 8}"])
    _kept_files(target, names)
    return target


def check_writable(folder: str | os.PathLike, names: Iterable[str] = ()) -> Path:
    """Refuse, with a :class:`WriteError`, a folder that files named ``names`` (plain names, or
    paths of them joined by ``/``) could not be written into: one below a file, a
    write-protected one (or, where it is missing, the folder above it that would hold it), or
    a name longer than the file system takes. Returns its resolved path.

    Commands that write single files (:func:`write_bytes_atomic`) call it before their work;
    :func:`check_target` calls it for a set of files.
    """
    target = Path(folder).resolve()
    existing = next(path for path in (target, *target.parents) if path.exists())
    if existing == target and not target.is_dir():
        raise WriteError(
            f"{target} is a file, not a folder; pass a folder for the output (one is created "
            "where missing)."
        )
    if not existing.is_dir():
        raise WriteError(
            f"{existing} is a file, so {target} cannot be a folder; pass a folder path for "
            "the output."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise WriteError(
            f"{existing} is write-protected, and the new files go there; make it writable "
            "(chmod u+w) or pass another folder."
        )
    try:
        longest = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    parts = [*target.relative_to(existing).parts]
    parts += [part for name in names for part in name.split("/")]
    too_long = max(parts, key=len, default="")
    if len(too_long) > longest:
        raise WriteError(
            f"the name {too_long[:40]}... has {len(too_long)} characters, and the file system "
            f"takes at most {longest}; pass a shorter folder (or shorter input names)."
        )
    return target


def _write_and_swap(target: Path, files: Mapping[str, bytes], kept: list[str]) -> None:
    """Write the new set into a temporary folder beside ``target`` and swap it into place."""
    try:
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=_prefix(target, "new")))
    except OSError as err:
        raise _write_error(target, err, target.parent) from None
    current = target
    try:
        mode = 0o666 & ~current_umask()
        for folder in _subfolders(files):
            current = target / folder
            (staging / folder).mkdir()
            if (target / folder).is_dir():
                os.chmod(staging / folder, stat.S_IMODE((target / folder).stat().st_mode))
        for name, data in files.items():
            current = target / name
            descriptor = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for name in kept:
            current = target / name
            _link_or_copy(target / name, staging / name)
        current = target
        folder_mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
        os.chmod(staging, 0o777 & ~current_umask() if folder_mode is None else folder_mode)
        for folder in [*_subfolders(files), ""]:
            _fsync_folder(staging / folder)
        previous = _swap(staging, target)
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, OSError) and not isinstance(err, WriteError):
            raise _write_error(target, err, current) from None
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    _fsync_folder(target.parent)


def _swap(staging: Path, target: Path) -> Path | None:
    """Put ``staging`` in place of ``target``; returns where the previous set now lies (to be
    removed), None where there was none."""
    if not target.exists():
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        return staging
    aside = target.parent / f"{_prefix(target, 'old')}{secrets.token_hex(8)}"
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically with Linux's ``renameat2(RENAME_EXCHANGE)``; False where
    the platform or the file system has no such call."""
    if not sys.platform.startswith("linux"):
        return False
    rename = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename is None:
        return False
    rename.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    here, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    if rename(here, os.fsencode(first), here, os.fsencode(second), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _kept_files(target: Path, files: Collection[str]) -> list[str]:
    """The regular files in ``target`` (and in the subfolders the new set writes) that the new
    set keeps, by path; refuses anything else that a swap of the folder would not carry over,
    before anything is written."""
    if not target.exists():
        return []
    return _kept_below(target, "", set(files), set(_subfolders(files)))


def _kept_below(target: Path, below: str, files: set[str], folders: set[str]) -> list[str]:
    """:func:`_kept_files` of the folder ``below`` inside ``target`` (``""`` or ``"NAME/"``)."""
    kept = []
    for entry in sorted(os.scandir(target / below), key=lambda e: e.name):
        name = f"{below}{entry.name}"
        regular = entry.is_file(follow_symlinks=False)
        if name in folders:
            if not entry.is_dir(follow_symlinks=False):
                what = "a file" if regular else _kind(entry)
                raise WriteError(
                    f"{target / name} is {what}, where the new folder {name} goes; move or "
                    "rename it, or write to another folder."
                )
            kept += _kept_below(target, f"{name}/", files, folders)
            continue
        if name in files and not regular:
            raise WriteError(
                f"{target / name} is {_kind(entry)}, where the new file {name} goes; "
                "move or rename it, or write to another folder."
            )
        if not regular:
            raise WriteError(
                f"{target} holds {_kind(entry)} {name!r}, which writing the new files "
                "there would not keep; move it elsewhere or write to another folder."
            )
        if name not in files:
            kept.append(name)
    return kept


def _subfolders(files: Iterable[str]) -> list[str]:
    """The subfolders that the names of a set (``a/b/report.json``) lie in, each after the
    folder holding it (``a``, ``a/b``)."""
    folders = {name.rsplit("/", k)[0] for name in files for k in range(1, name.count("/") + 1)}
    return sorted(folders, key=lambda folder: (folder.count("/"), folder))


def _link_or_copy(source: Path, destination: Path) -> None:
    """A hard link to ``source`` at ``destination``, or a copy where links are not supported."""
    try:
        os.link(source, destination, follow_symlinks=False)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EMLINK, errno.EXDEV, errno.EOPNOTSUPP):
            raise
        shutil.copy2(source, destination, follow_symlinks=False)


def _recover(target: Path) -> None:
    """Clear what an interrupted writer left beside ``target``: a previous set renamed aside
    goes back where the target is missing; temporary folders are removed."""
    prefix = f".{target.name}{TEMPORARY_MARKER}"
    leftovers = sorted(p for p in target.parent.iterdir() if p.name.startswith(prefix))
    for path in leftovers:
        if path.name.startswith(_prefix(target, "old")) and not target.exists():
            os.rename(path, target)
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _turn(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (the one above the target) while writing, so two
    writers take turns; no lock where the platform has no ``fcntl``."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as err:
        raise _write_error(folder, err, folder) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _refuse_working_folder(target: Path) -> None:
    """Refuse a target that is, or holds, the working folder: swapping it would leave this
    process (and the shell it runs in) in the removed copy."""
    here = Path.cwd().resolve()
    if here == target or target in here.parents:
        raise WriteError(
            f"{target} is the working folder or holds it, and writing a set of files swaps the "
            "whole folder; pass a folder inside it (e.g. pid-report) or change folder first."
        )


def _write_error(target: Path, err: OSError, where: Path) -> WriteError:
    reason = err.strerror or str(err) or type(err).__name__
    return WriteError(
        f"cannot write the files into {target} ({reason}: {where}); nothing there was changed, "
        "so free some space, fix the permissions or pass another folder and run it again."
    )


def _prefix(target: Path, role: str) -> str:
    return f".{target.name}{TEMPORARY_MARKER}{role}-"


def _kind(entry: os.DirEntry) -> str:
    if entry.is_symlink():
        return "a symbolic link"
    return "a folder" if entry.is_dir() else "a special file"


def _fsync_folder(folder: Path) -> None:
    """Make the names in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so readers never see half a file."""
    write_bytes_atomic(path, text.encode("utf-8"))


def check_file_target(path: str | os.PathLike) -> Path:
    """Refuse, with a :class:`WriteError`, a path :func:`write_bytes_atomic` could not write
    (:func:`check_writable` of its folder, its temporary file's name included, and a folder
    in its place); returns it resolved. Commands call it before their work."""
    path = Path(path).resolve()
    if path.is_dir():
        raise WriteError(f"{path} is a folder; pass the path of a file, e.g. {path / 'out.json'}.")
    prefix, suffix = _temporary_affixes(path)
    check_writable(path.parent, [path.name, f"{prefix}{'x' * 8}{suffix}"])
    return path


def _temporary_affixes(path: Path) -> tuple[str, str]:
    """The prefix and suffix of the temporary file :func:`write_bytes_atomic` writes first."""
    return f".{path.name}.", ".tmp"


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file moved into place in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = _temporary_affixes(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
