"""Loading paired samples from every supported format, and refusing bad files in one sentence."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import save_file

from pid.io import find_modalities, load

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
    with pytest.raises(ValueError, match=r"columns \(--columns\) has unknown key 'label'"):
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
            r"^DATA file d.npz has no array named 'y' \(it holds 'x1', 'x2'\); save the "
            r"modalities and labels as x1, x2, y\.$",
        ),
        (
            lambda d: np.save(d / "d.npy", X1) or (d / "d.npy").rename(d / "d.npz"),
            ValueError,
            r"^DATA file d.npz is a single \.npy array; save it with numpy\.savez\.$",
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
    with pytest.raises(ValueError, match=r"columns \(--columns\) has unknown key 'label'"):
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


def _npy_header(shape, descr="<f8"):
    """The bytes of a .npy header claiming an array of ``shape``."""
    import io as bytes_io

    buffer = bytes_io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def test_an_npz_whose_header_claims_more_than_it_holds_is_refused_unread(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as archive:
        for key in ("x1", "x2", "y"):
            archive.writestr(f"{key}.npy", _npy_header((10**11,)) + bytes(64))
    assert (tmp_path / "lie.npz").stat().st_size < 1000
    with pytest.raises(
        ValueError, match=r"^array 'x1' in DATA file lie.npz claims 100000000000 values"
    ) as info:
        load(tmp_path / "lie.npz")
    assert "800 GB" in str(info.value) and "holds 64 bytes" in str(info.value)


def test_a_deflated_member_cannot_claim_more_than_its_bytes_expand_to(tmp_path):
    import zipfile

    # The zip directory may declare any size: the compressed bytes bound what a member yields.
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in ("x1", "x2", "y"):
            archive.writestr(f"{key}.npy", _npy_header((10**8,)) + bytes(4096))
    data = path.read_bytes()
    for name in (b"x1.npy", b"x2.npy", b"y.npy"):  # central directory: uncompressed size
        at = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
        data = data[: at + 24] + (2**32 - 1).to_bytes(4, "little") + data[at + 28 :]
    path.write_bytes(data)
    # 800 MB claimed, within the declared 4 GB but beyond what some 60 deflated bytes expand to
    with pytest.raises(ValueError, match=r"claims 100000000 values .* truncated or damaged"):
        load(path)


def test_a_folder_array_whose_header_claims_more_than_the_file_is_refused(tmp_path):
    (tmp_path / "x1.npy").write_bytes(_npy_header((10**11,)) + bytes(8))
    np.save(tmp_path / "x2.npy", X2)
    np.save(tmp_path / "y.npy", Y)
    with pytest.raises(ValueError, match=r"x1.npy claims 100000000000 values .* holds 8 bytes"):
        load(tmp_path)


def test_arrays_of_python_objects_are_refused_unread(tmp_path):
    np.savez(tmp_path / "d.npz", x1=np.array([1, "a", None], dtype=object), x2=X2, y=Y)
    with pytest.raises(ValueError, match="holds Python objects, which are not loaded for safety"):
        load(tmp_path / "d.npz")


def test_a_fifo_or_a_device_is_named_for_what_it_is(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.npz")
    with pytest.raises(ValueError, match=r"'.*pipe.npz' is a FIFO \(named pipe\), not a regular"):
        load(tmp_path / "pipe.npz")
    with pytest.raises(ValueError, match="is a character device, not a regular file"):
        load("/dev/null")
    # Looking for the modalities a file holds opens it too (pid compute, pid heterogeneity).
    os.mkfifo(tmp_path / "pipe.csv")
    for suffix in ("npz", "csv"):
        with pytest.raises(ValueError, match=rf"pipe.{suffix}' is a FIFO \(named pipe\)"):
            find_modalities(tmp_path / f"pipe.{suffix}")
    os.mkfifo(tmp_path / "x1.npy")
    np.save(tmp_path / "x2.npy", X2)
    np.save(tmp_path / "y.npy", Y)
    with pytest.raises(ValueError, match=r"x1\.npy' is a FIFO"):
        load(tmp_path)


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("x1_b", "abc", r"column 'x1_b' of d.csv holds 'abc' in row 2, text among numbers"),
        ("x2", "9" * 5000, r"x2' of d.csv holds '9{20}\.\.\.' in row 2, a number beyond the"),
    ],
)
def test_a_table_column_mixing_numbers_and_text_is_refused(tmp_path, column, cell, message):
    table = _table().astype({column: object})
    table.loc[1, column] = cell
    table.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match=message) as info:
        load(tmp_path / "d.csv")
    assert "--drop-nonfinite" in str(info.value) and len(str(info.value)) < 300


def test_text_columns_stay_labels_and_empty_cells_stay_missing(tmp_path):
    table = _table()
    table["y"] = ["cat", None, "dog"]
    table.to_csv(tmp_path / "d.csv", index=False)
    _, _, y = load(tmp_path / "d.csv")
    assert y[0] == "cat" and y[2] == "dog" and y[1] != y[1]  # NaN marks the empty cell


@pytest.mark.parametrize("suffix", [".npz", ".parquet", ".pt", ".safetensors"])
def test_every_damaged_byte_is_refused_in_a_sentence_or_read(tmp_path, suffix):
    x1, x2, y = np.linspace(0, 1, 40).reshape(20, 2), np.arange(20), np.arange(20) % 2
    path = tmp_path / f"d{suffix}"
    if suffix == ".npz":
        np.savez_compressed(path, x1=x1, x2=x2, y=y)
    elif suffix == ".parquet":
        pd.DataFrame({"x1_a": x1[:, 0], "x1_b": x1[:, 1], "x2": x2, "y": y}).to_parquet(path)
    elif suffix == ".pt":
        torch = pytest.importorskip("torch")
        torch.save({"x1": torch.tensor(x1), "x2": torch.tensor(x2), "y": torch.tensor(y)}, path)
    else:
        save_file({"x1": x1, "x2": x2, "y": y}, str(path))
    original = path.read_bytes()
    damaged = tmp_path / f"damaged{suffix}"
    for position in range(0, len(original), max(1, len(original) // 150)):
        data = bytearray(original)
        data[position] ^= 0x5A
        damaged.write_bytes(bytes(data))
        try:
            load(damaged)
        except ValueError as error:
            assert "\n" not in str(error) and str(error).endswith(".")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_header_naming_a_column_twice_is_refused(tmp_path, suffix):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / f"d{suffix}"
    names, columns = ["x1", "x1", "x2", "y", "y"], [X1[:, 0], X1[:, 1], X2, Y, Y]
    if suffix == ".csv":
        pd.DataFrame(np.column_stack(columns), columns=names).to_csv(path, index=False)
    else:
        pq.write_table(pa.table(columns, names=names), path)
    message = f"DATA file d{suffix} names more than one column 'x1', 'y'; give each column"
    for read in (load, find_modalities):
        with pytest.raises(ValueError, match=message) as info:
            read(path)
        assert "\n" not in str(info.value)


def test_empty_cells_of_nullable_columns_are_missing_as_in_a_csv(tmp_path):
    from pid.io import load_modalities

    table = pd.DataFrame(
        {
            "x1": ["a", None, "b", "a"],
            "x2": [1, 2, None, 3],
            "x3": [True, None, False, True],
            "y": [0, 1, 1, 0],
        }
    ).convert_dtypes()
    assert str(table["x2"].dtype) == "Int64" and str(table["x3"].dtype) == "boolean"
    table.to_parquet(tmp_path / "d.parquet")
    table.to_csv(tmp_path / "d.csv", index=False)
    x1, x2, y = load(tmp_path / "d.parquet")
    assert x1.dtype == object and x1[[0, 2, 3]].tolist() == ["a", "b", "a"] and x1[1] != x1[1]
    np.testing.assert_array_equal(x2, [1.0, 2.0, np.nan, 3.0])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    modalities, _ = load_modalities(tmp_path / "d.parquet")
    assert modalities["x1"][1] != modalities["x1"][1]
    assert modalities["x2"].tolist() == [1, 2, None, 3]
    assert modalities["x3"].tolist() == [1, None, 0, 1]
    from_csv, _ = load_modalities(tmp_path / "d.csv")
    assert modalities["x2"].tolist() == from_csv["x2"].tolist()


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2"])
def test_safetensors_float8_goes_through_torch(tmp_path, dtype):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file as save_torch

    tensors = {"x1": torch.tensor(X1).to(getattr(torch, dtype)), "x2": torch.tensor(X2)}
    save_torch({**tensors, "y": torch.tensor(Y)}, str(tmp_path / "d.safetensors"))
    x1, _, _ = load(tmp_path / "d.safetensors")
    assert x1.dtype == np.float32
    np.testing.assert_array_equal(x1, X1)  # these values are exact in both float8 formats


def test_safetensors_of_a_dtype_numpy_lacks_is_refused_without_torch(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file as save_torch

    tensors = {"x1": torch.tensor(X1).to(torch.float8_e5m2), "x2": torch.tensor(X2)}
    save_torch({**tensors, "y": torch.tensor(Y)}, str(tmp_path / "d.safetensors"))
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)  # as if torch were missing
    with pytest.raises(ValueError, match=r"holds tensors of dtype F8_E5M2, which numpy lacks"):
        load(tmp_path / "d.safetensors")


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_tensors_are_made_dense_and_meta_tensors_refused(tmp_path):
    torch = pytest.importorskip("torch")
    x1 = torch.tensor(X1)
    for sparse in (x1.to_sparse(), x1.to_sparse_csr()):
        torch.save({"x1": sparse, "x2": torch.tensor(X2).to_sparse(), "y": Y}, tmp_path / "d.pt")
        _check(load(tmp_path / "d.pt"))
    torch.save({"x1": x1.to("meta"), "x2": X2, "y": Y}, tmp_path / "d.pt")
    with pytest.raises(ValueError, match=r"^tensor 'x1' in d\.pt is on the meta device, "):
        load(tmp_path / "d.pt")


def test_collect_outputs_restores_each_module_mode_and_widens_numpy_halves():
    torch = pytest.importorskip("torch")
    from pid.io import collect_outputs

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    model.train()
    model[0].eval()  # e.g. a frozen backbone
    batches = [torch.tensor(X1[:, :2], dtype=torch.float32)]

    def step(net, batch):
        assert not any(m.training for m in net.modules())
        return {"x1": batch.numpy().astype(np.float16), "x2": X2, "y": Y}

    x1, _, _ = collect_outputs(model, batches, step, device="cpu")
    assert [m.training for m in model.modules()] == [True, False, True]
    assert x1.dtype == np.float32
    np.testing.assert_array_equal(x1, X1)


def test_a_float_torch_cannot_widen_is_refused_naming_its_dtype(tmp_path):
    torch = pytest.importorskip("torch")
    if not hasattr(torch, "float4_e2m1fn_x2"):
        pytest.skip("this torch has no float4")
    from safetensors.torch import save_file as save_torch

    packed = torch.zeros(3, 1, dtype=torch.uint8).view(torch.float4_e2m1fn_x2)
    save_torch({"x1": packed, "x2": torch.tensor(X2), "y": torch.tensor(Y)}, str(tmp_path / "d.st"))
    (tmp_path / "d.st").rename(tmp_path / "d.safetensors")
    with pytest.raises(ValueError, match=r"^tensor 'x1' in d\.safetensors holds torch\.float4"):
        load(tmp_path / "d.safetensors")
