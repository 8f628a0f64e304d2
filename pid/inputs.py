"""What ``pid compute DATA ...`` decomposes: one dataset, or many inputs (one a layer of a
network or a training checkpoint), each with the name of its report.

The rule (:func:`resolve_inputs`), which leaves every single dataset read as before:

- One path that is a file, or a folder holding ``.npy`` files (``x1.npy``, ``x2.npy``,
  ``y.npy``, or ``x1.npy`` ... ``xM.npy`` of more modalities), is one dataset.
- One folder holding data files (:data:`pid.io.SUFFIXES`: ``.npz``, ``.csv``, ``.parquet``,
  ``.pt``, ``.safetensors``) and no ``.npy`` file is many inputs, one a data file; its other
  files (notes, logs), subfolders and hidden files are not inputs. A folder holding both
  kinds is refused as ambiguous, and so is one holding neither but folders (a pattern names
  the inputs in them).
- A glob pattern (``*``, ``?`` or ``[...]``; quoted, so that pid expands it rather than the
  shell) that is not itself an existing path, or several paths (or patterns), are many
  inputs, even where a pattern matches one file. Each is a data file or a folder of ``.npy``
  files; a pattern matching nothing, a path named twice or a folder of many inputs among
  several paths are refused.

Inputs are ordered by their names in natural order (``layer_2`` before ``layer_10``). A name
is what tells an input's path from the others': the file name without its suffix
(``emb/layer_2.npz`` is ``layer_2``), or the folders that differ (``runs/ckpt_100/emb.npz`` and
``runs/ckpt_200/emb.npz`` are ``ckpt_100`` and ``ckpt_200``).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pid.io import SUFFIXES

#: The characters that make a DATA argument a glob pattern.
PATTERN_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class DataInput:
    """One input of a run over many: its name (the folder of its report) and its path."""

    name: str
    path: Path


def resolve_inputs(
    arguments: Sequence[str], *, reserved: Sequence[str] = ()
) -> list[DataInput] | None:
    """The inputs the DATA ``arguments`` name, in natural order of their names, or None where
    they name one dataset (one file, or one folder of ``.npy`` files), read as before.

    ``reserved`` are names an input may not take (the files of the combined report). Refuses
    with one sentence (``ValueError``; ``FileNotFoundError`` for a path that does not exist) a
    pattern matching nothing, an ambiguous folder, a path named twice, a folder of many inputs
    among several paths, and two inputs that would share a name.
    """
    if not arguments:
        raise ValueError("DATA is missing; pass a data file, a folder or a quoted pattern.")
    if len(arguments) == 1 and not _is_pattern(arguments[0]):
        path = Path(arguments[0])
        if not path.is_dir():
            return None
        files = _data_files(path)
        if not files:
            return None
        return _named(files, reserved)
    paths = []
    for argument in arguments:
        if _is_pattern(argument):
            matches = sorted(glob.glob(argument))
            if not matches:
                raise ValueError(
                    f"DATA pattern {argument!r} matches no file or folder; check the pattern "
                    "and its folder (quote it, so that pid rather than the shell expands it)."
                )
            paths += [Path(match) for match in matches]
        elif not Path(argument).exists():
            raise FileNotFoundError(f"DATA file {argument!r} does not exist; check the path.")
        else:
            paths.append(Path(argument))
    for path in paths:
        files = _data_files(path) if path.is_dir() else []
        if files:
            raise ValueError(
                f"DATA folder {str(path)!r} holds data files, each an input of its own, so it "
                f"cannot be one of several inputs; pass its files ('{_pattern(path, files)}') "
                "or the folder alone."
            )
    seen: dict[str, Path] = {}
    for path in paths:
        key = os.path.realpath(path)
        if key in seen:
            raise ValueError(
                f"DATA names {str(path)!r} twice (also as {str(seen[key])!r}); pass each input "
                "once."
            )
        seen[key] = path
    return _named(paths, reserved)


def natural_key(text: str) -> list[str | int]:
    """The sort key of ``text`` in natural order: its runs of digits compared as numbers
    (``layer_2`` before ``layer_10``), the rest without regard to case."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def input_names(paths: Sequence[Path]) -> list[str]:
    """The name of each input: the parts of its path (the data file's suffix dropped) that
    are not common to all, leading or trailing, joined by ``-``; the last part at least.

    Where two names would be the same (``a.npz`` and ``a.pt``), the suffixes are kept. A
    leading dot is dropped, so that no name is hidden.
    """
    for keep_suffix in (False, True):
        parts = [_parts(path, keep_suffix) for path in paths]
        while all(len(p) > 1 for p in parts) and len({p[0] for p in parts}) == 1:
            parts = [p[1:] for p in parts]
        while (
            len(paths) > 1 and all(len(p) > 1 for p in parts) and len({p[-1] for p in parts}) == 1
        ):
            parts = [p[:-1] for p in parts]
        names = ["-".join(p).lstrip(".") or "input" for p in parts]
        if len(set(names)) == len(names):
            break
    return names


def _named(paths: Sequence[Path], reserved: Sequence[str]) -> list[DataInput]:
    """The inputs of ``paths`` with their names, in natural order; refuses two inputs of one
    name, or an input named as a file of the combined report."""
    names = input_names(paths)
    by_name: dict[str, Path] = {}
    for name, path in zip(names, paths, strict=True):
        if name in by_name or name in reserved:
            other = f"input {str(by_name[name])!r}" if name in by_name else "a combined report file"
            raise ValueError(
                f"DATA {str(path)!r} would be reported as {name!r}, like {other}; rename one of "
                "them."
            )
        by_name[name] = path
    order = sorted(by_name, key=lambda name: (natural_key(name), name))
    return [DataInput(name, by_name[name]) for name in order]


def _is_pattern(argument: str) -> bool:
    """Whether a DATA argument is a glob pattern: it holds a pattern character and is not the
    name of an existing path."""
    return bool(PATTERN_CHARACTERS & set(argument)) and not os.path.lexists(argument)


def _data_files(folder: Path) -> list[Path]:
    """The data files of a folder of many inputs; none where it holds ``.npy`` files (one
    dataset). Refuses a folder holding both, and one holding neither but folders."""
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    arrays = sorted(entry.name for entry in entries if entry.suffix.lower() == ".npy")
    files = [e for e in entries if e.suffix.lower() in SUFFIXES and e.is_file()]
    if not arrays and not files and any(entry.is_dir() for entry in entries):
        raise ValueError(
            f"DATA folder {str(folder)!r} holds folders, but no data file and no .npy file; "
            f"pass the inputs in them as a quoted pattern ('{folder / '*'}' for folders of .npy "
            f"files, '{folder / '*' / 'NAME.npz'}' for a file in each)."
        )
    if arrays and files:
        raise ValueError(
            f"DATA folder {str(folder)!r} holds both .npy files ({', '.join(arrays[:3])}: one "
            f"dataset) and {len(files)} data file{'s' * (len(files) > 1)} (one input each); "
            "move one kind to another folder, or pass the inputs as a quoted pattern "
            f"('{_pattern(folder, files)}')."
        )
    return [] if arrays else sorted(files)


def _pattern(folder: Path, files: Sequence[Path]) -> Path:
    """A pattern matching the data files of a folder with the suffix of the first."""
    return folder / f"*{sorted(files)[0].suffix}"


def _parts(path: Path, keep_suffix: bool) -> list[str]:
    """The parts of the absolute path, the last without its data suffix unless
    ``keep_suffix``."""
    parts = list(Path(os.path.abspath(path)).parts)
    if not keep_suffix and path.suffix.lower() in SUFFIXES and not path.is_dir():
        parts[-1] = path.stem
    return parts
