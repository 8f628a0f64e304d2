"""Loading paired samples from every supported format, and refusing bad files in one sentence."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import save_file

from pid.io import load

X1 = np.array([[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]])
X2 = np.array([3, 1, 2])
Y = np.array([0, 1, 1])


def _check(arrays, x1=X1, x2=X2, y=Y):
    for got, want in zip(arrays, (x1, x2, y), strict=True):
        np.testing.assert_array_equal(got, want)
        assert got.shape == np.asarray(want).shape


def _table():
    return pd.DataFrame({"x1_a": X1[:, 0], "x1_b": X1[:, 1], "x2": X2, "y": Y, "note": list("abc")})


def test_npz(tmp_path):
    np.savez(tmp_path / "d.npz", x1=X1, x2=X2, y=Y)
    _check(load(tmp_path / "d.npz"))


def test_npz_with_other_names(tmp_path):
    np.savez(tmp_path / "d.npz", image=X1, text=X2, label=Y)
    _check(load(tmp_path / "d.npz", keys=("image", "text", "label")))


def test_columns_rename_the_arrays_of_an_array_file(tmp_path):
    np.savez(tmp_path / "d.npz", image=X1, x2=X2, label=Y)
    _check(load(tmp_path / "d.npz", columns={"x1": "image", "y": ["label"]}))
    with pytest.raises(ValueError, match=r"columns\['x1'\] names 2 arrays, .* save a table"):
        load(tmp_path / "d.npz", columns={"x1": ["image", "label"]})
    with pytest.raises(ValueError, match="columns has unknown key 'label'"):
        load(tmp_path / "d.npz", columns={"label": "y"})


def test_folder_of_npy_files(tmp_path):
    for name, array in (("x1", X1), ("x2", X2), ("y", Y)):
        np.save(tmp_path / f"{name}.npy", array)
    _check(load(tmp_path))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tables_group_prefixed_columns(tmp_path, suffix):
    path = tmp_path / f"d{suffix}"
    _table().to_csv(path, index=False) if suffix == ".csv" else _table().to_parquet(path)
    _check(load(path))


def test_table_with_explicit_columns(tmp_path):
    _table().to_csv(tmp_path / "d.csv", index=False)
    x1, x2, y = load(tmp_path / "d.csv", columns={"x1": "x1_b", "x2": ["x2", "x1_a"], "y": "note"})
    _check((x1, x2, y), X1[:, 1], np.column_stack([X2, X1[:, 0]]), np.array(list("abc")))


def test_torch_dict_of_tensors_and_arrays(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "d.pt"
    torch.save({"x1": torch.tensor(X1, dtype=torch.float16), "x2": X2, "y": torch.tensor(Y)}, path)
    x1, x2, y = load(path)
    _check((x1, x2, y))
    assert x1.dtype == np.float32  # half precision is widened


def test_safetensors(tmp_path):
    save_file({"x1": X1, "x2": X2, "y": Y}, str(tmp_path / "d.safetensors"))
    _check(load(tmp_path / "d.safetensors"))


def test_safetensors_bfloat16_goes_through_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file as save_torch

    tensors = {
        "x1": torch.tensor(X1, dtype=torch.bfloat16),
        "x2": torch.tensor(X2),
        "y": torch.tensor(Y),
    }
    save_torch(tensors, str(tmp_path / "d.safetensors"))
    x1, _, _ = load(tmp_path / "d.safetensors")
    assert x1.dtype == np.float32
    np.testing.assert_array_equal(x1, X1)  # these values are exact in bfloat16


def _write(path, content):
    path.write_text(content)
    return path


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda d: d / "none.npz", FileNotFoundError, "does not exist"),
        (lambda d: _write(d / "d.txt", "1"), ValueError, "unsupported suffix '.txt'"),
        (lambda d: np.save(d / "x1.npy", X1) or d / "x1.npy", ValueError, "holds a single array"),
        (lambda d: np.save(d / "x1.npy", X1) or d, FileNotFoundError, "has no x2.npy, y.npy"),
        (
            lambda d: np.savez(d / "d.npz", x1=X1, x2=X2) or d / "d.npz",
            ValueError,
            "has no array named 'y'",
        ),
        (
            lambda d: np.savez(d / "d.npz", x1=X1, x2=X2, y=Y[:2]) or d / "d.npz",
            ValueError,
            "lengths are 3, 3 and 2",
        ),
        (
            lambda d: np.savez(d / "d.npz", x1=X1[:, :, None], x2=X2, y=Y) or d / "d.npz",
            ValueError,
            "x1 must be 1-D or 2-D",
        ),
        (
            lambda d: np.savez(d / "d.npz", x1=X1, x2=X2, y=X1) or d / "d.npz",
            ValueError,
            "y must be 1-D",
        ),
        (
            lambda d: _table().drop(columns="y").to_csv(d / "d.csv", index=False) or d / "d.csv",
            ValueError,
            "has no column named 'y' for y",
        ),
        (
            lambda d: _table().drop(columns="x2").to_csv(d / "d.csv", index=False) or d / "d.csv",
            ValueError,
            "named 'x2' or starting with 'x2_'",
        ),
        (lambda d: _write(d / "d.parquet", "x"), ValueError, "could not be read as .parquet"),
        (lambda d: _write(d / "d.safetensors", "x"), ValueError, "not a valid safetensors file"),
    ],
)
def test_bad_input_is_refused_in_one_sentence(tmp_path, make, error, message):
    with pytest.raises(error, match=message) as info:
        load(make(tmp_path))
    assert "\n" not in str(info.value)


def test_unknown_column_key(tmp_path):
    _table().to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match="columns has unknown key 'label'"):
        load(tmp_path / "d.csv", columns={"label": "y"})


def test_bad_torch_files_are_refused_in_one_sentence(tmp_path):
    torch = pytest.importorskip("torch")
    _write(tmp_path / "text.pt", "x")
    torch.save([X1, X2, Y], tmp_path / "list.pt")
    for name, message in (
        ("text.pt", "not a file written by torch.save"),
        ("list.pt", "holds a list, not a dict"),
    ):
        with pytest.raises(ValueError, match=message) as info:
            load(tmp_path / name)
        assert "\n" not in str(info.value)


def test_pickled_objects_are_not_loaded(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"x1": X1, "x2": X2, "y": Y, "f": pd.DataFrame()}, tmp_path / "d.pt")
    with pytest.raises(ValueError, match="not loaded for safety"):
        load(tmp_path / "d.pt")


def test_heavy_libraries_load_only_when_needed():
    code = (
        "import sys, pid, pid.io, pid.discretize, pid.datasets, pid.backend, pid.report, "
        "pid.workflows, pid.bounds, pid.selection, pid.cli; "
        "heavy = ('torch', 'pandas', 'sklearn', 'safetensors'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
