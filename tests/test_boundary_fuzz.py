"""Property-based tests of the boundary: every entry point, given anything, either returns a
correct result that keeps the data as it was given or refuses it with one sentence.

The number of examples comes from the Hypothesis profile: ``ci`` (the default, registered in
``conftest.py``) keeps the suite within a minute; ``benchmarks/boundary_fuzz.py`` runs the
``thorough`` profile (10,000 examples an entry point).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pid
from pid import Distribution
from pid.cli import main
from pid.io import load
from pid.report.document import read_report
from pid.sampling import CORRECTIONS, SamplingOptions
from pid.selection import load_reference

# Temporary folders made per example are fine: each test makes its own.
PER_EXAMPLE_FOLDERS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

DTYPES = st.sampled_from(
    ["int8", "int64", "uint64", "float64", "float32", "bool", "complex128", "<U3", "<M8[D]"]
)


def assert_one_sentence(err: BaseException) -> None:
    """A refusal the caller can read: one line that ends a sentence, naming no internals."""
    event("refused")
    text = str(err)
    assert text and "\n" not in text, text
    assert text.rstrip().endswith((".", ")", "'")), text
    assert "Traceback" not in text


@st.composite
def sample_arrays(draw: st.DrawFn, n: int) -> np.ndarray:
    """An array of ``n`` samples (sometimes not ``n``, sometimes 2-D) of any dtype and values."""
    length = draw(st.one_of(st.just(n), st.integers(0, 8)))
    shape = draw(st.sampled_from([(length,), (length, 1), (length, 2)]))
    if draw(st.booleans()):
        return draw(hnp.arrays(draw(DTYPES), shape))
    values = draw(
        st.lists(
            st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=2), st.floats(), st.none()),
            min_size=1,
            max_size=3,
        )
    )
    return np.array([values[i % len(values)] for i in range(length)], dtype=object)


@given(data=st.data(), n=st.integers(1, 30))
def test_from_samples_counts_what_it_is_given_or_refuses(data, n):
    x1, x2, y = (data.draw(sample_arrays(n), label=name) for name in ("x1", "x2", "y"))
    try:
        dist = Distribution.from_samples(x1, x2, y)
    except ValueError as err:
        assert_one_sentence(err)
        return
    n = len(y)
    assert dist.n_samples == n and len(x1) == len(x2) == n
    for axis, original in enumerate((x1, x2, y)):
        # The values kept along each axis are the distinct values given, unchanged.
        kept = dist.values[axis]
        assert len(kept) == len(np.unique(original))
        assert all(a == b for a, b in zip(kept.tolist(), np.unique(original).tolist(), strict=True))
    # Each sample counted once, in the cell of its own values.
    index = [
        np.searchsorted(dist.values[axis], np.asarray(v).ravel())
        for axis, v in enumerate((x1, x2, y))
    ]
    counts = np.zeros(dist.shape)
    np.add.at(counts, tuple(index), 1)
    np.testing.assert_allclose(dist.table, counts / n, atol=1e-12)


TABLE_ENTRIES = st.one_of(
    st.floats(0, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1e-300, 1e308, -1e-12]),
)


@given(
    table=hnp.arrays(
        st.sampled_from(["float64", "int64", "bool", "complex128", "float16"]),
        hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
        elements=None,
    )
    | hnp.arrays(
        "float64", hnp.array_shapes(min_dims=3, max_dims=3, max_side=4), elements=TABLE_ENTRIES
    ),
    build=st.sampled_from(["counts", "normalize", "table"]),
)
def test_tables_are_decomposed_exactly_or_refused(table, build):
    try:
        if build == "counts":
            dist = Distribution.from_counts(table)
        else:
            dist = Distribution.from_table(table, normalize=build == "normalize")
        result = pid.estimate(dist)
    except ValueError as err:
        assert_one_sentence(err)
        return
    # Accepted: a real, finite, non-negative table, kept as given up to its total.
    assert table.ndim == 3 and np.isrealobj(table)
    weights = np.asarray(table, dtype=float)
    assert np.all(np.isfinite(weights)) and np.all(weights >= 0)
    scale = weights.max()
    np.testing.assert_allclose(dist.table, (weights / scale) / (weights / scale).sum(), atol=1e-12)
    terms = np.array([result.R, result.U1, result.U2, result.S])
    assert np.all(np.isfinite(terms)) and np.all(terms >= -1e-6)
    assert terms.sum() == pytest.approx(result.mi_x1x2_y, abs=1e-6)
    assert result.mi_x1x2_y <= math.log2(dist.shape[2]) + 1e-9


@given(
    data=st.data(),
    n=st.integers(1, 40),
    correction=st.sampled_from(CORRECTIONS),
    n_null=st.integers(0, 3),
    n_bootstrap=st.integers(0, 3),
)
def test_decompose_of_codes_is_consistent_or_refused(data, n, correction, n_null, n_bootstrap):
    def codes(name: str) -> np.ndarray:
        # Small codes, shifted as a whole (to the edges of int64 and uint64 and beyond), and
        # now and then one odd value among them.
        offset = data.draw(st.sampled_from([0, -3, 2**63, 10**19, -(2**63)]), label=name)
        values = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n), label=name)
        array = np.array([v + offset for v in values], dtype=object)
        if data.draw(st.integers(0, 9), label=name) == 0:
            array[0] = data.draw(st.sampled_from([2**64, 1.5, "a", None, True]), label=name)
        return array

    x1, x2, y = codes("x1"), codes("x2"), codes("y")
    try:
        sampling = SamplingOptions(correction=correction, n_null=n_null, n_bootstrap=n_bootstrap)
        result = pid.decompose(x1, x2, y, sampling=sampling)
    except ValueError as err:
        assert_one_sentence(err)
        return
    terms = [result.R, result.U1, result.U2, result.S]
    assert all(math.isfinite(t) for t in terms)
    assert sum(terms) == pytest.approx(result.mi_x1x2_y, abs=1e-6)
    assert result.provenance["n_samples"] == n


@given(
    n=st.integers(1, 30),
    x=hnp.arrays(
        "float64",
        st.tuples(st.just(30), st.integers(1, 3)),
        elements=st.floats(-1e6, 1e6) | st.floats(),
    ),
    y=hnp.arrays("int64", 30, elements=st.integers(0, 2)),
    discretization=st.sampled_from(["kmeans", "bins", "auto"]),
    clusters=st.none() | st.integers(-1, 5),
)
def test_decompose_of_features_is_consistent_or_refused(n, x, y, discretization, clusters):
    try:
        result = pid.decompose(
            x[:n],
            x[:n, ::-1],
            y[:n],
            discretization=discretization,
            n_clusters=clusters,
            sampling=SamplingOptions(n_null=2),
        )
    except ValueError as err:
        assert_one_sentence(err)
        return
    assert np.all(np.isfinite(x[:n]))  # non-finite features are refused unless dropped
    terms = [result.R, result.U1, result.U2, result.S]
    assert all(math.isfinite(t) for t in terms)
    assert sum(terms) == pytest.approx(result.mi_x1x2_y, abs=1e-6)


def _good_file(kind: str, folder: Path) -> tuple[Path, tuple[np.ndarray, ...]]:
    """A well-formed DATA file of ``kind`` with 12 samples, and the arrays it holds."""
    rng = np.random.default_rng(0)
    x1, x2, y = rng.integers(0, 3, 12), rng.normal(size=(12, 2)), rng.integers(0, 2, 12)
    if kind == "npz":
        path = folder / "data.npz"
        np.savez(path, x1=x1, x2=x2, y=y)
    elif kind == "npy":
        path = folder / "data"
        path.mkdir()
        for name, value in (("x1", x1), ("x2", x2), ("y", y)):
            np.save(path / f"{name}.npy", value)
    else:
        path = folder / "data.csv"
        rows = ["x1,x2_a,x2_b,y"] + [
            f"{a},{b:.17g},{c:.17g},{d}" for a, (b, c), d in zip(x1, x2, y, strict=True)
        ]
        path.write_text("\n".join(rows) + "\n")
    return path, (x1, x2, y)


@st.composite
def damage(draw: st.DrawFn, size: int) -> list[tuple[str, int, int]]:
    """Edits to a file of ``size`` bytes: truncations, byte changes and insertions."""
    edit = st.tuples(
        st.sampled_from(["truncate", "set", "insert"]),
        st.integers(0, max(size - 1, 0)),
        st.integers(0, 255),
    )
    return draw(st.just([]) | st.lists(edit, min_size=1, max_size=3))


def _damaged(data: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, at, byte in edits:
        at = min(at, len(buffer))
        if kind == "truncate":
            del buffer[at:]
        elif kind == "set" and at < len(buffer):
            buffer[at] = byte
        else:
            buffer[at:at] = bytes([byte])
    return bytes(buffer)


def _target(path: Path) -> Path:
    """The one file of a DATA path whose bytes are damaged (a folder's x2.npy)."""
    return path / "x2.npy" if path.is_dir() else path


@PER_EXAMPLE_FOLDERS
@given(kind=st.sampled_from(["npz", "npy", "csv"]), data=st.data())
def test_load_reads_a_file_whole_or_refuses_it(tmp_path_factory, kind, data):
    path, arrays = _good_file(kind, tmp_path_factory.mktemp("load"))
    target = _target(path)
    original = target.read_bytes()
    edits = data.draw(damage(len(original)), label="edits")
    target.write_bytes(_damaged(original, edits))
    try:
        loaded = load(path)
    except (ValueError, FileNotFoundError) as err:
        assert_one_sentence(err)
        return
    assert all(len(a) == len(loaded[0]) for a in loaded)
    if not edits:
        for got, saved in zip(loaded, arrays, strict=True):
            np.testing.assert_allclose(got, saved)


@PER_EXAMPLE_FOLDERS
@given(kind=st.sampled_from(["npz", "npy", "csv"]), data=st.data())
def test_pid_compute_exits_0_with_a_whole_report_or_2_with_a_sentence(
    tmp_path_factory, capsys, kind, data
):
    folder = tmp_path_factory.mktemp("compute")
    path, _ = _good_file(kind, folder)
    target = _target(path)
    target.write_bytes(_damaged(target.read_bytes(), data.draw(damage(target.stat().st_size))))
    out = folder / "report"
    status = main(
        [
            "compute",
            str(path),
            "--out",
            str(out),
            "--null",
            "2",
            "--quiet",
            "--discretization",
            "bins",
        ]
    )
    err = capsys.readouterr().err
    event(f"exit status {status}")
    if status == 0:
        report = read_report(out / "report.json")
        assert all(math.isfinite(report.terms[t]) for t in ("R", "U1", "U2", "S"))
        return
    assert status == 2
    assert err.startswith("pid: error: ") and err.count("\n") == 1, err
    assert not out.exists()  # nothing half-written


@pytest.fixture(scope="module")
def small_bank_text() -> str:
    bank = load_reference()
    return json.dumps({**bank, "datasets": bank["datasets"][:2]})


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@PER_EXAMPLE_FOLDERS
@given(data=st.data(), value=JSON_VALUES)
def test_a_bank_with_any_value_in_any_field_is_read_or_refused(
    tmp_path_factory, small_bank_text, data, value
):
    bank = json.loads(small_bank_text)
    # Walk down to a random field, at least one level, and replace it.
    path, node = [], bank
    while isinstance(node, dict | list) and node and (not path or data.draw(st.booleans())):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        path.append(data.draw(st.sampled_from(keys), label="key"))
        node = node[path[-1]]
    parent = bank
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    file = tmp_path_factory.mktemp("bank") / "bank.json"
    file.write_text(json.dumps(bank))
    try:
        read = load_reference(file)
    except ValueError as err:
        assert_one_sentence(err)
        return
    assert json.dumps(read, sort_keys=True) == json.dumps(bank, sort_keys=True)


def test_the_damage_strategy_reaches_every_kind_of_file(tmp_path):
    """The edits above reach the bytes that matter: a truncated archive is no longer one."""
    path, _ = _good_file("npz", tmp_path)
    data = path.read_bytes()
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert not zipfile.is_zipfile(io.BytesIO(_damaged(data, [("truncate", 40, 0)])))
