"""Reading paired samples from files or from a trained model, and writing outputs safely.

:func:`load` reads ``(x1, x2, y)`` from any supported file, :func:`load_modalities` any
number of modalities with gaps; :func:`collect_outputs` runs a trained torch model over a
``DataLoader`` and collects ``(x1, x2, y)``. torch, pandas
and safetensors are imported only by the functions that need them.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from pid.modalities import codes_with_gaps
from pid.table_files import Columns, as_names, read_table, table_header
from pid.validation import (
    DAMAGED_FILE_ERRORS,
    check_paired,
    check_regular_file,
    check_samples,
    first_line,
    format_bytes,
    preview,
)

if TYPE_CHECKING:
    import torch

#: Array names expected in a file, in the order x1, x2, y.
DEFAULT_KEYS = ("x1", "x2", "y")

#: File suffixes :func:`load` understands; a folder holds one ``.npy`` file per array.
SUFFIXES = (".npz", ".csv", ".parquet", ".pt", ".safetensors")

#: The first bytes of every file ``numpy.save`` writes.
NPY_MAGIC = b"\x93NUMPY"

#: The most a deflated zip member can expand, per byte of compressed data (deflate's limit).
DEFLATE_MAX_RATIO = 1032

#: The dtypes of ``.safetensors`` tensors that numpy holds; the others are read through torch.
NUMPY_SAFETENSORS_DTYPES = frozenset(
    ("BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64", "C64")
)

#: Files and folders :func:`load_modalities` reads.
MODALITY_SUFFIXES = (".npz", ".csv", ".parquet", ".pt", ".safetensors")

#: The key of an unnamed modality: ``x`` and its number.
MODALITY_KEY = re.compile(r"x([0-9]+)")

Keys = tuple[str, str, str]


def load(
    path: str | os.PathLike, *, keys: Keys = DEFAULT_KEYS, columns: Columns | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load paired samples ``(x1, x2, y)`` from a file or folder, chosen by its suffix.

    - ``.npz``: arrays named ``keys`` (default ``x1``, ``x2``, ``y``).
    - a folder: one ``.npy`` file per array, ``x1.npy``, ``x2.npy``, ``y.npy`` (or
      ``<key>.npy``).
    - ``.csv`` and ``.parquet``: a table with one row per sample. By default ``x1`` is every
      column named ``x1`` or starting with ``x1_`` (in file order), likewise ``x2``, and ``y``
      is the column ``y``; ``columns`` overrides any of them, e.g.
      ``columns={"x1": ["age", "bmi"], "x2": "scan_score", "y": "label"}``.
    - ``.pt``: a ``torch.save``'d dict of tensors or numpy arrays, read with
      ``weights_only=True`` so no code in the file runs (needs torch 2.5 or later).
    - ``.safetensors``: tensors named ``keys``; those of a dtype numpy lacks (bfloat16,
      float8) need torch.

    In the files of arrays (all but tables), ``columns`` may rename an array instead, one name
    a key: ``columns={"x1": "image", "x2": "text", "y": "label"}``.

    A modality comes back 1-D (one value per sample, e.g. integer codes) or 2-D (one feature
    vector per sample, e.g. embeddings); ``y`` is 1-D. Floats of less than single precision
    become float32 where torch reads them (``.pt`` files, and ``.safetensors`` files holding a
    dtype numpy lacks); other dtypes are kept. A sparse tensor is made dense.
    Raises ``FileNotFoundError`` for a missing path and ``ValueError`` for anything else amiss.
    """
    return check_paired(*_read_arrays(path, keys, columns or {}, keys[2]), names=keys)


def load_pair(
    path: str | os.PathLike,
    keys: tuple[str, str],
    *,
    label: str | None = None,
    columns: Columns | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two paired arrays named ``keys`` (e.g. ``("x1", "y")``) from any file :func:`load` reads.

    ``label`` names the key that is a single label column in tables. Used for the labeled
    unimodal and the unlabeled multimodal datasets of ``pid bounds``.
    """
    arrays = _read_arrays(path, keys, columns or {}, label)
    names = tuple(f"{key} in {Path(path).name}" for key in keys)
    labels = tuple(n for key, n in zip(keys, names, strict=True) if key == label)
    return check_samples(arrays, names, labels=labels)


def find_modalities(path: str | os.PathLike, *, label: str = "y") -> list[str]:
    """The unnamed modalities a file or folder holds: its keys ``x`` and a number (``x1``,
    ``x2``, ..., ``x12``), ordered by number.

    In a folder the keys are the names of its ``.npy`` files, in an ``.npz`` file its arrays,
    in a table (``.csv``, ``.parquet``) the columns named ``xN`` or starting with ``xN_``,
    and in ``.safetensors`` and ``.pt`` files their tensors' names (a ``.pt`` file is read
    whole for them). ``label`` is never a modality.
    """
    keys = [key for key in _stored_keys(Path(path)) if key != label]
    numbers = {int(m.group(1)) for key in keys if (m := MODALITY_KEY.fullmatch(key))}
    return [f"x{number}" for number in sorted(numbers)]


def load_modalities(
    path: str | os.PathLike,
    *,
    label: str = "y",
    names: Sequence[str] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Any number of modalities and their labels from an ``.npz`` file, a folder of ``.npy``
    files, a table (``.csv``, ``.parquet``), or a ``.pt`` or ``.safetensors`` file.

    The modalities are those named ``names`` or, by default, every key ``x`` and a number
    (:func:`find_modalities`), at least two; in a table a modality is the column of its name
    or every column starting with ``<name>_``. ``label`` names the labels. A modality named
    but absent is refused. A sample may lack some modalities: a row of NaN marks one missing
    (an empty cell of a table does), and a 1-D modality of whole numbers with gaps is read as
    codes, an object array with None where missing (as the column would read without them).

    Returns ``({name: array}, y)``, each array with one row per sample, for
    :func:`pid.decompose_many`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"DATA file {str(path)!r} does not exist; check the path.")
    if not path.is_dir() and path.suffix.lower() not in MODALITY_SUFFIXES:
        raise ValueError(
            f"DATA file {path.name} cannot hold more than two modalities here; save them in "
            f"one of {', '.join(MODALITY_SUFFIXES)}, or as a folder of .npy files."
        )
    if names is None:
        names = find_modalities(path, label=label)
        found = "keys x1, x2, ... (x and a number)"
    else:
        names = list(names)
        found = "the names given"
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated or label in names:
            clash = repeated[0] if repeated else label
            raise ValueError(
                f"names (--modalities) holds {clash!r} "
                f"{'twice' if repeated else 'which is the label'}; "
                "name each modality once, and not as the label."
            )
    if len(names) < 2:
        raise ValueError(
            f"{path.name} holds {len(names)} modalit{'y' if len(names) == 1 else 'ies'} under "
            f"{found}; save at least two (x1, x2, ...) or name them (names=[...], --modalities on "
            "pid compute)."
        )
    arrays = [np.asarray(a) for a in _read_arrays(path, [*names, label], {}, label)]
    lengths = {len(a) if a.ndim else 0 for a in arrays}
    if len(lengths) != 1:
        sizes = ", ".join(
            f"{k} {len(a) if a.ndim else 0}" for k, a in zip(names, arrays[:-1], strict=True)
        )
        raise ValueError(
            f"{path.name} holds arrays of different lengths ({sizes}, {label} "
            f"{len(arrays[-1]) if arrays[-1].ndim else 0}); pass one row per sample in each, "
            "with a row of NaN where a modality is missing."
        )
    modalities = {name: codes_with_gaps(a) for name, a in zip(names, arrays[:-1], strict=True)}
    return modalities, arrays[-1]


def _stored_keys(path: Path) -> list[str]:
    """The names of the arrays (or table columns) a file or folder holds; none for files
    that keep no list of names."""
    suffix = path.suffix.lower()
    if path.is_dir():
        return sorted(f.stem for f in path.glob("*.npy"))
    check_regular_file(path, "DATA file")  # before opening it: reading a FIFO would wait forever
    if suffix == ".npz":
        try:  # the names of its members, read without the arrays
            with zipfile.ZipFile(path) as archive:
                return [name.removesuffix(".npy") for name in archive.namelist()]
        except (zipfile.BadZipFile, OSError) as err:
            why = f"is damaged or not an .npz archive ({first_line(err)})"
            raise ValueError(f"DATA file {path.name} {why}; save it with numpy.savez.") from None
    if suffix in (".csv", ".parquet"):
        columns = table_header(path)
        prefixes = [c.split("_", 1)[0] for c in columns]
        return list(dict.fromkeys(prefixes))
    if suffix == ".safetensors":
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="np") as archive:
                return list(archive.keys())
        except SafetensorError as err:
            raise ValueError(
                f"DATA file {path.name} is not a valid safetensors file ({first_line(err)}); "
                "write it with safetensors' save_file."
            ) from None
    if suffix == ".pt":
        data = _torch_data(path)
        return [str(key) for key in data] if isinstance(data, Mapping) else []
    return []


def _read_arrays(
    path: str | os.PathLike, keys: Sequence[str], columns: Columns, label: str | None
) -> list:
    """The arrays named ``keys`` from a file or folder, the reader chosen by its suffix."""
    unknown = sorted(set(columns) - set(keys))
    if unknown:
        raise ValueError(
            f"columns (--columns) has unknown key {', '.join(map(repr, unknown))}; use the keys "
            f"{', '.join(map(repr, keys))}."
        )
    path = Path(path)
    if path.is_dir():
        return _load_npy_folder(path, _array_names(keys, columns))
    check_regular_file(path, "DATA file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        raise ValueError(
            f"{path.name} holds a single array; put {', '.join(f'{k}.npy' for k in keys)} "
            "in one folder and pass the folder."
        )
    if suffix not in SUFFIXES:
        raise ValueError(
            f"DATA file {path.name} has an unsupported suffix {path.suffix!r}; save it as one of "
            f"{', '.join(SUFFIXES)}, or as a folder of .npy files."
        )
    if suffix in (".csv", ".parquet"):
        return read_table(path, keys, columns, label)
    readers = {".npz": load_npz, ".pt": _load_torch, ".safetensors": _load_safetensors}
    return list(readers[suffix](path, _array_names(keys, columns)))


def _array_names(keys: Sequence[str], columns: Columns) -> list[str]:
    """The array each key is read from in a file of arrays: the one name ``columns`` gives
    it, or the key itself."""
    names = []
    for key in keys:
        given = as_names(columns.get(key, key))
        if len(given) != 1:
            raise ValueError(
                f"columns[{key!r}] names {len(given)} arrays, but a file of arrays holds each "
                "of x1, x2 and y as one array; name one, or save a table (.csv, .parquet) to "
                "combine columns."
            )
        names.append(given[0])
    return names


def load_npz(path: str | os.PathLike, keys: Sequence[str] = DEFAULT_KEYS) -> tuple[np.ndarray, ...]:
    """Load the arrays ``x1``, ``x2`` and ``y`` (or the names in ``keys``) from an ``.npz`` file,
    read as :func:`read_npz` reads them."""
    arrays = read_npz(path, keys)
    return tuple(arrays[key] for key in keys)


def read_npz(
    path: str | os.PathLike,
    keys: Sequence[str] | None = None,
    *,
    label: str = "DATA file",
    remedy: str = "save it with numpy.savez",
) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive by name: those named ``keys``, or every one it holds
    (at least one) when ``keys`` is None.

    The archive is opened once. Each array's header is checked against the bytes its member
    holds before the array is allocated, so a damaged or hostile file is refused instead of
    exhausting memory. Every refusal names the file as ``label`` and its name (``"DATA file
    d.npz"``, ``"latents (--latents) w.npz"``) in one sentence; those about the archive as a
    whole (not a regular file, not an archive, a single ``.npy`` array, damaged, empty) end
    with ``remedy``.
    """
    path = Path(path)
    check_regular_file(path, label)
    source = f"{label} {path.name}"
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            npy = handle.read(6) == NPY_MAGIC
        raise ValueError(
            f"{source} is {'a single .npy array' if npy else 'not an .npz archive'}; {remedy}."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = {n.removesuffix(".npy"): archive.getinfo(n) for n in archive.namelist()}
            if keys is None and not members:
                raise ValueError(f"{source} holds no arrays; {remedy}.")
            wanted = list(members) if keys is None else list(keys)
            _require_keys(source, members, wanted)
            arrays = {}
            for key in dict.fromkeys(wanted):
                info = members[key]
                with archive.open(info) as handle:
                    limit = _member_bytes(info, path.stat().st_size)
                    arrays[key] = _read_npy(handle, limit, f"array {key!r} in {source}")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as err:
        raise ValueError(f"{source} is damaged ({first_line(err)}); {remedy}.") from None
    return arrays


def _member_bytes(info: zipfile.ZipInfo, archive_size: int) -> int:
    """The most bytes a zip member can yield: its declared size, and no more than its
    compressed bytes (within the archive) can expand to."""
    compressed = min(info.compress_size, archive_size)
    if info.compress_type == zipfile.ZIP_STORED:
        return min(info.file_size, compressed)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return min(info.file_size, compressed * DEFLATE_MAX_RATIO)
    return info.file_size


def _read_npy(handle: IO[bytes], size: int, label: str) -> np.ndarray:
    """One ``.npy`` array from a seekable ``handle`` of at most ``size`` bytes.

    The header is read first (numpy's format versions 1.0 and 2.0) and the bytes its shape
    and dtype claim are compared with ``size`` before the array is allocated; arrays of Python
    objects are refused unread.
    """
    try:
        version = np.lib.format.read_magic(handle)
        readers = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }
        if version not in readers:
            raise ValueError(f"format version {version[0]}.{version[1]}")
        shape, _, dtype = readers[version](handle)
    except DAMAGED_FILE_ERRORS as err:
        raise ValueError(
            f"{label} is not a plain .npy array ({first_line(err)}); save it with numpy.save "
            "or numpy.savez."
        ) from None
    if dtype.hasobject:
        raise ValueError(
            f"{label} holds Python objects, which are not loaded for safety; save it as an "
            "array of numbers or text."
        )
    if dtype.itemsize == 0:
        raise ValueError(f"{label} holds values of type {dtype}, which are empty; save data.")
    count = math.prod(shape)
    needed, available = count * dtype.itemsize, size - handle.tell()
    if needed > available:
        raise ValueError(
            f"{label} claims {count} values of type {dtype} ({format_bytes(needed)}) but holds "
            f"{format_bytes(max(available, 0))}: it is truncated or damaged; save it again with "
            "numpy.save or numpy.savez."
        )
    handle.seek(0)
    try:
        return np.lib.format.read_array(handle, allow_pickle=False)
    except DAMAGED_FILE_ERRORS as err:
        raise ValueError(
            f"{label} is damaged ({first_line(err)}); save it again with numpy.save or numpy.savez."
        ) from None


def collect_outputs(
    model: torch.nn.Module,
    loader: Iterable[Any],
    step: Callable[[torch.nn.Module, Any], Mapping[str, Any]] | None = None,
    *,
    keys: Keys = DEFAULT_KEYS,
    device: str | torch.device = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run a trained torch model over a data loader and collect ``(x1, x2, y)`` as numpy arrays.

    For each batch (moved to ``device``; tensors inside tuples, lists and dicts included),
    ``step(model, batch)`` returns a mapping from each name in ``keys`` to a tensor whose first
    axis is the batch: the two modalities' embeddings (or logits) and the label (the true
    class, or the model's prediction ``logits.argmax(1)``). Without ``step`` the model itself
    is called, ``model(batch)``, and must return such a mapping. For example::

        def step(model, batch):
            image, text, label = batch
            return {"x1": model.image_encoder(image), "x2": model.text_encoder(text),
                    "y": label}

    The model is moved to ``device`` (``"auto"``: CUDA when available, else the CPU), where it
    stays, and run in eval mode under ``torch.no_grad()``; the train/eval mode of each of its
    modules is restored afterwards.
    Outputs are concatenated in loader order; half-precision outputs (tensors or numpy arrays)
    become float32.
    """
    import torch

    from pid.backend import resolve_device

    target = resolve_device(device)
    caller = "step" if step is not None else "the model"
    collected: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    modes = [(module, module.training) for module in model.modules()]
    model.to(target)
    model.eval()
    try:
        with torch.no_grad():
            for batch in loader:
                batch = _to_device(batch, target)
                outputs = step(model, batch) if step is not None else model(batch)
                if not isinstance(outputs, Mapping):
                    raise ValueError(
                        f"{caller} returned {type(outputs).__name__}, not a mapping; return a "
                        f"dict with the keys {', '.join(map(repr, keys))}."
                    )
                _require_keys(f"the output of {caller}", outputs, keys, verb="return")
                for k in keys:
                    value = _to_numpy(outputs[k], f"{k!r} returned by {caller}")
                    if value.ndim == 0:
                        raise ValueError(
                            f"{caller} returned a scalar for {k!r}; return one row per sample "
                            "in the batch."
                        )
                    collected[k].append(value)
    finally:
        for module, training in modes:  # each its own: model.train(...) would set them all
            module.training = training
    if not collected[keys[0]]:
        raise ValueError("loader yielded no batches; pass a DataLoader over at least one sample.")
    return check_paired(*(np.concatenate(collected[k]) for k in keys), names=keys)


# ---------------------------------------------------------------------- readers
def _load_npy_folder(folder: Path, keys: Sequence[str]) -> list[np.ndarray]:
    files = [folder / f"{k}.npy" for k in keys]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise FileNotFoundError(
            f"folder {str(folder)!r} has no {', '.join(missing)}; save each array there with "
            f"numpy.save as {', '.join(f.name for f in files)}."
        )
    arrays = []
    for f in files:
        check_regular_file(f, "array file")
        with f.open("rb") as handle:
            arrays.append(_read_npy(handle, f.stat().st_size, f.name))
    return arrays


def load_torch_file(
    path: str | os.PathLike,
    *,
    source: str,
    remedy: str,
    allowed: Sequence[Any] = (),
    kinds: str = "tensors and plain containers",
) -> Any:
    """What ``torch.save`` wrote to ``path``, read with ``weights_only=True``: tensors, plain
    containers and the ``allowed`` classes and functions only (``kinds`` says which in
    messages), so no code from the file runs.

    ``source`` names the file in messages (``"DATA file x.pt"``) and ``remedy`` says how to
    get a good one; a missing file raises ``FileNotFoundError``, a file that is truncated or
    not written by ``torch.save`` or that holds other objects ``ValueError`` (a file that
    needs unpickling is never loaded).
    """
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{source} does not exist or is not a file; check the path.")
    not_torch = (
        f"{source} is truncated or not a file written by torch.save (a zip archive); {remedy}."
    )
    if not zipfile.is_zipfile(path):
        raise ValueError(not_torch)
    try:
        with torch.serialization.safe_globals(list(allowed)):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError(
            f"{source} holds objects other than {kinds}, which are not loaded for safety; {remedy}."
        ) from None
    except DAMAGED_FILE_ERRORS as err:
        raise ValueError(
            f"{source} is damaged or not written by torch.save ({first_line(err)}); {remedy}."
        ) from None


def _torch_data(path: Path) -> Any:
    """What a ``.pt`` DATA file holds, read safely (tensors, numpy arrays, plain containers)."""
    # numpy arrays need their rebuilders allowed.
    core = np._core if hasattr(np, "_core") else np.core
    dtypes = [getattr(np.dtypes, n) for n in np.dtypes.__all__] if hasattr(np, "dtypes") else []
    return load_torch_file(
        path,
        source=f"DATA file {path.name}",
        remedy="save a dict of tensors or arrays with torch.save",
        allowed=[core.multiarray._reconstruct, np.ndarray, np.dtype, *dtypes],
        kinds="tensors, arrays and plain containers",
    )


def _load_torch(path: Path, keys: Sequence[str]) -> list[np.ndarray]:
    data = _torch_data(path)
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{path.name} holds a {type(data).__name__}, not a dict; save a dict of tensors "
            f"with the keys {', '.join(map(repr, keys))}."
        )
    _require_keys(path.name, data, keys)
    return [_to_numpy(data[k], f"{k!r} in {path.name}") for k in keys]


def _load_safetensors(path: Path, keys: Sequence[str]) -> list[np.ndarray]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="np") as archive:
            _require_keys(path.name, list(archive.keys()), keys)
            dtypes = {archive.get_slice(k).get_dtype() for k in keys}
            foreign = sorted(dtypes - NUMPY_SAFETENSORS_DTYPES)
            if not foreign:
                return [archive.get_tensor(k) for k in keys]
    except SafetensorError as err:
        raise ValueError(
            f"DATA file {path.name} is not a valid safetensors file ({err}); "
            "write it with safetensors' save_file."
        ) from None
    # numpy lacks these dtypes (bfloat16, float8, ...): read through torch and widen to float32.
    try:
        from safetensors.torch import load_file
    except ImportError:
        raise ValueError(
            f"{path.name} holds tensors of dtype {', '.join(foreign)}, which numpy lacks and "
            "only torch reads; install torch or save them as float32."
        ) from None
    data = load_file(str(path))
    return [_to_numpy(data[k], f"{k!r} in {path.name}") for k in keys]


# ---------------------------------------------------------------------- helpers
def _require_keys(
    source: str, available: Iterable[str], keys: Sequence[str], verb: str = "save"
) -> None:
    available = list(available)
    missing = [k for k in keys if k not in available]
    if missing:
        raise ValueError(
            f"{source} has no array named {', '.join(map(repr, missing))} "
            f"(it holds {preview(list(map(repr, available))) or 'nothing'}); "
            f"{verb} the modalities and labels as {', '.join(keys)}."
        )


def _to_numpy(value: Any, name: str) -> np.ndarray:
    """A tensor (detached, dense, on the CPU) or an array-like as a numpy array, floats of less
    than single precision widened to float32; ``name`` names it in messages."""
    if not type(value).__module__.startswith("torch"):
        array = np.asarray(value)
        return array.astype(np.float32) if array.dtype == np.float16 else array
    import torch

    if value.is_meta:
        raise ValueError(
            f"tensor {name} is on the meta device, which keeps its shape but no values; save it "
            "after its values are loaded or computed."
        )
    value = value.detach().cpu()
    if value.layout != torch.strided:  # sparse layouts
        value = value.to_dense()
    if value.is_floating_point() and value.element_size() < 4:
        try:
            value = value.float()
        except NotImplementedError:  # e.g. packed float4
            raise ValueError(
                f"tensor {name} holds {value.dtype} values, which torch cannot widen to "
                "float32; save them as float32."
            ) from None
    return value.numpy()


def _to_device(batch: Any, device: Any) -> Any:
    """The batch with every tensor in it (inside tuples, lists and dicts) moved to ``device``."""
    if hasattr(batch, "to") and type(batch).__module__.startswith("torch"):
        return batch.to(device)
    if isinstance(batch, Mapping):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        moved = [_to_device(v, device) for v in batch]
        return type(batch)(*moved) if hasattr(batch, "_fields") else type(batch)(moved)
    return batch
