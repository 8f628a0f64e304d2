"""Reading paired samples from files and writing outputs safely."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

#: Array names expected in an ``.npz`` file, in the order x1, x2, y.
DEFAULT_KEYS = ("x1", "x2", "y")


def load_npz(
    path: str | os.PathLike, keys: tuple[str, str, str] = DEFAULT_KEYS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load the arrays ``x1``, ``x2`` and ``y`` (or the names in ``keys``) from an ``.npz`` file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"DATA file {str(path)!r} does not exist; check the path.")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"DATA file {path.name} is not an .npz archive; save it with numpy.savez.")
    with np.load(path, allow_pickle=False) as archive:
        missing = [k for k in keys if k not in archive.files]
        if missing:
            raise ValueError(
                f"{path.name} has no array named {', '.join(map(repr, missing))} "
                f"(it holds {', '.join(map(repr, archive.files)) or 'nothing'}); "
                f"save the modalities and labels as {', '.join(keys)}."
            )
        return tuple(archive[k] for k in keys)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
