"""Many modalities from files: ``load_modalities`` and ``pid compute`` with more than two."""

import json

import numpy as np
import pandas as pd
import pytest

from pid import SamplingOptions, decompose_many
from pid.cli import main
from pid.io import find_modalities, load_modalities
from pid.report import read_report
from tests.test_result import strict_json

#: The table itself: no correction, no null model.
PLAIN = ["--correction", "none", "--null", "0"]


def _xor_grid(repeats: int = 5) -> dict[str, np.ndarray]:
    """x1, x2 uniform bits, y their XOR, x3 a copy of x1 and x4 a constant, each input pair
    ``repeats`` times."""
    x1 = np.tile([0, 0, 1, 1], repeats)
    x2 = np.tile([0, 1, 0, 1], repeats)
    return {"x1": x1, "x2": x2, "x3": x1.copy(), "x4": np.zeros_like(x1), "y": x1 ^ x2}


def test_find_and_load_modalities_in_an_npz_file(tmp_path):
    arrays = {f"x{k}": np.arange(6) % k for k in (2, 10, 1)}
    path = tmp_path / "d.npz"
    np.savez(path, **arrays, y=np.arange(6) % 2, x_note=np.zeros(6), label=np.ones(6))
    assert find_modalities(path) == ["x1", "x2", "x10"]
    modalities, y = load_modalities(path)
    assert list(modalities) == ["x1", "x2", "x10"] and y.tolist() == [0, 1, 0, 1, 0, 1]
    named, labels = load_modalities(path, label="label", names=["x10", "x_note"])
    assert list(named) == ["x10", "x_note"] and labels.tolist() == [1.0] * 6
    with pytest.raises(ValueError, match="has no array named 'x7'"):
        load_modalities(path, names=["x1", "x7"])
    with pytest.raises(ValueError, match="holds 1 modality under the names given"):
        load_modalities(path, names=["x1"])


def test_load_modalities_from_a_folder_and_a_table_with_gaps(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, value in {
        "x1": np.eye(3),
        "x2": np.array([0.0, np.nan, 2.0]),
        "y": [0, 1, 0],
    }.items():
        np.save(folder / f"{name}.npy", np.asarray(value))
    modalities, y = load_modalities(folder)
    assert modalities["x2"].tolist() == [0, None, 2]  # whole numbers with a gap: codes
    assert modalities["x1"].shape == (3, 3) and y.tolist() == [0, 1, 0]
    table = pd.DataFrame(
        {"image_a": [0.5, np.nan, 1.5], "image_b": [1.0, np.nan, 0.0], "text": [3, 4, None]}
    )
    table["x3"] = [1.0, 2.0, 3.0]
    table["label"] = [0, 1, 1]
    table.to_csv(tmp_path / "t.csv", index=False)
    assert find_modalities(tmp_path / "t.csv", label="label") == ["x3"]
    named, labels = load_modalities(tmp_path / "t.csv", label="label", names=["image", "text"])
    assert named["image"].shape == (3, 2) and np.isnan(named["image"][1]).all()
    assert named["text"].tolist() == [3, 4, None] and labels.tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="holds 1 modality under keys x1, x2"):
        load_modalities(tmp_path / "t.csv", label="label")


def test_a_table_column_belongs_to_the_longest_name_only(tmp_path, capsys):
    grid = _xor_grid()
    table = pd.DataFrame(
        {
            "img": grid["x1"],
            "img_a": grid["x3"],
            "img_depth": grid["x2"],
            "img_depth_b": grid["x4"],
            "txt": grid["x4"],
            "img_label": grid["y"],
        }
    )
    table.to_csv(tmp_path / "t.csv", index=False)
    named, y = load_modalities(
        tmp_path / "t.csv", label="img_label", names=["img", "img_depth", "txt"]
    )
    assert named["img"].tolist() == np.stack([grid["x1"], grid["x3"]], axis=1).tolist()
    assert named["img_depth"].tolist() == np.stack([grid["x2"], grid["x4"]], axis=1).tolist()
    assert named["txt"].tolist() == grid["x4"].tolist() and y.tolist() == grid["y"].tolist()
    table[["img", "img_depth", "txt", "img_label"]].to_csv(tmp_path / "u.csv", index=False)
    names = ["--modalities", "img", "img_depth", "txt", "--columns", "y=img_label"]
    out = str(tmp_path / "out")
    assert main(["compute", str(tmp_path / "u.csv"), *names, *PLAIN, "--quiet", "--out", out]) == 0
    assert "img and img_depth are largely synergistic (S 1.00 of 1.00 bits)." in (
        capsys.readouterr().out
    )


def test_compute_three_modalities_writes_heatmaps_and_summary(tmp_path, capsys):
    grid = _xor_grid()
    np.savez(tmp_path / "three.npz", **{k: grid[k] for k in ("x1", "x2", "x3", "y")})
    out = tmp_path / "out"
    assert main(["compute", str(tmp_path / "three.npz"), *PLAIN, "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "x1+x2 (20)" in printed and "1.000000" in printed
    assert "x1 and x2 are largely synergistic (S 1.00 of 1.00 bits)." in printed
    markdown = (out / "report.md").read_text()
    assert "## Pairs, most synergistic first (bits)" in markdown
    assert "| x1 + x2 | 20 | 0.000 | 0.000 | 0.000 | 1.000 | 1.000 | S |" in markdown
    assert "| x1 + x3 | 20 | 0.000 | 0.000 | 0.000 | 0.000 | 0.000 | none |" in markdown
    assert "- x2 and x3 are largely synergistic (S 1.00 of 1.00 bits)." in markdown
    page = (out / "report.html").read_text()
    assert '<img alt="pairs" src="data:image/png;base64,' in page
    assert "<li>x1 and x2 are largely synergistic (S 1.00 of 1.00 bits).</li>" in page
    report = read_report(out / "report.json")
    assert report.mode == "many" and report.modalities["ranking"][0] == ["x1", "x2"]
    result = strict_json((out / "result.json").read_text())
    assert result["matrices"]["S"][0][1] == pytest.approx(1.0, abs=1e-6)
    assert result["matrices"]["S"][0][0] is None  # the diagonal
    assert result["pairs"][0]["result"]["sampling"]["null"]["q95"]["S"] is None
    strict_json((out / "report.json").read_text())
    with pytest.raises(ValueError, match="holds the PID of 3 modalities"):
        from pid.selection import select

        select(report)


def test_names_with_pipes_and_dollars_are_text_in_tables_and_figures(tmp_path):
    grid = _xor_grid()
    names = ["a|b", "$x_$", "c"]  # "$x_$" is no valid mathtext
    arrays = dict(zip(names, (grid["x1"], grid["x2"], grid["x3"]), strict=True))
    np.savez(tmp_path / "odd.npz", y=grid["y"], **arrays)
    out = tmp_path / "out"
    command = ["compute", str(tmp_path / "odd.npz"), "--modalities", *names, *PLAIN]
    assert main([*command, "--quiet", "--out", str(out)]) == 0
    markdown = (out / "report.md").read_text()
    assert "| a\\|b + $x_$ | 20 | 0.000 | 0.000 | 0.000 | 1.000 | 1.000 | S |" in markdown
    assert "|  | a\\|b | $x_$ | c |\n|---|---|---|---|\n| a\\|b |  | 0.000 | 0.000 |" in markdown
    assert '<img alt="pairs" src="data:image/png;base64,' in (out / "report.html").read_text()


def test_compute_bounds_a_pair_never_observed_together(tmp_path, capsys):
    grid = _xor_grid(10)
    x1, x2 = grid["x1"].astype(float), grid["x2"].astype(float)
    x1[20:], x2[:20] = np.nan, np.nan
    np.savez(tmp_path / "gaps.npz", x1=x1, x2=x2, x3=grid["x3"], y=grid["y"])
    out = tmp_path / "out"
    assert main(["compute", str(tmp_path / "gaps.npz"), *PLAIN, "--quiet", "--out", str(out)]) == 0
    markdown = (out / "report.md").read_text()
    assert "x1 and x2 were never observed together: from each one's samples with labels" in (
        markdown
    )
    assert "## Pairs observed together too rarely: what their labeled samples fix (bits)" in (
        markdown
    )
    bounds = read_report(out / "report.json").modalities["bounds"][0]
    low, high = bounds["S_range"]
    assert bounds["modalities"] == ["x1", "x2"] and bounds["n_samples"] == 0
    assert low == 0.0 and high >= 1.0  # contains the XOR's 1 bit
    many = decompose_many(
        {"x1": x1, "x2": x2, "x3": grid["x3"]},
        grid["y"],
        sampling=SamplingOptions(correction="none", n_null=0),
    )
    assert high == pytest.approx(many.synergy_range("x1", "x2")[1])
    assert f"| x1 + x2 | 0 | {bounds['R']:.3f}".replace("-0.000", "0.000") in markdown


def test_two_modalities_keep_the_report_of_two(tmp_path):
    grid = _xor_grid()
    np.savez(tmp_path / "two.npz", x1=grid["x1"], x2=grid["x2"], y=grid["y"])
    np.savez(tmp_path / "four.npz", **grid)
    for data, extra in (("two.npz", []), ("four.npz", ["--modalities", "x1", "x2"])):
        out = tmp_path / f"out-{data}"
        assert main(["compute", str(tmp_path / data), *PLAIN, *extra, "--out", str(out)]) == 0
        report = read_report(out / "report.json")
        assert report.mode == "full" and report.modalities is None
        assert report.terms["S"] == pytest.approx(1.0, abs=1e-6)
        markdown = (out / "report.md").read_text()
        assert "## Information (bits)" in markdown and "Pairs" not in markdown


def test_columns_naming_the_label_keep_every_modality(tmp_path, capsys):
    grid = _xor_grid()
    np.savez(tmp_path / "four.npz", label=grid.pop("y"), **grid)
    data = str(tmp_path / "four.npz")
    out = tmp_path / "many"
    assert (
        main(["compute", data, "--columns", "y=label", *PLAIN, "--quiet", "--out", str(out)]) == 0
    )
    assert "x1 and x2 are largely synergistic (S 1.00 of 1.00 bits)." in capsys.readouterr().out
    assert read_report(out / "report.json").modalities["names"] == ["x1", "x2", "x3", "x4"]
    out = tmp_path / "two"
    pair = ["--columns", "x2=x3", "--columns", "y=label"]
    assert main(["compute", data, *pair, *PLAIN, "--quiet", "--out", str(out)]) == 0
    report = read_report(out / "report.json")
    assert report.mode == "full" and report.modalities is None
    assert report.terms["R"] == pytest.approx(0.0, abs=1e-6)
    assert report.terms["S"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--modalities", "x1", "x9"], "has no array named 'x9'"),
        (["--modalities", "x1"], "holds 1 modality under the names given"),
        (["--modalities", "x1", "x1"], "names (--modalities) holds 'x1' twice"),
        (
            ["--modalities", "x1", "x2", "x3", "--columns", "x1=x2"],
            "--columns renames x1, x2 and y of two modalities",
        ),
        (["--drop-nonfinite"], "--drop-nonfinite drops samples of two modalities"),
        (["--min-bins"], "unrecognized arguments"),
    ],
)
def test_bad_input_with_many_modalities_exits_2(tmp_path, capsys, extra, message):
    grid = _xor_grid()
    np.savez(tmp_path / "four.npz", **grid)
    with pytest.raises(SystemExit) if extra == ["--min-bins"] else _nothing():
        code = main(["compute", str(tmp_path / "four.npz"), *extra, "--out", str(tmp_path / "o")])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len([line for line in err.splitlines() if line.startswith("pid: error: ")]) == 1
    assert not (tmp_path / "o").exists()


def test_a_partly_missing_row_is_refused(tmp_path, capsys):
    grid = _xor_grid()
    features = np.stack([grid["x1"], grid["x2"]], axis=1).astype(float)
    features[3, 0] = np.nan
    np.savez(tmp_path / "bad.npz", x1=features, x2=grid["x2"], x3=grid["x3"], y=grid["y"])
    assert (
        main(["compute", str(tmp_path / "bad.npz"), "--quiet", "--out", str(tmp_path / "o")]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert err == (
        "pid: error: x1 has 1 row(s) with infinite values or only some values NaN; mark a "
        "missing sample by a row of NaN (or None) and clean the others."
    )


def test_infinite_values_among_codes_with_gaps_are_refused(tmp_path, capsys):
    grid = _xor_grid()
    x2 = grid["x2"].astype(float)
    x2[:2], x2[5] = np.inf, np.nan
    np.savez(tmp_path / "inf.npz", x1=grid["x1"], x2=x2, x3=grid["x3"], y=grid["y"])
    modalities, _ = load_modalities(tmp_path / "inf.npz")
    assert modalities["x2"].dtype == float  # not codes: inf is no whole number
    out = str(tmp_path / "o")
    assert main(["compute", str(tmp_path / "inf.npz"), "--quiet", "--out", out]) == 2
    assert capsys.readouterr().err.strip() == (
        "pid: error: x2 has 2 row(s) with infinite values or only some values NaN; mark a "
        "missing sample by a row of NaN (or None) and clean the others."
    )


def test_api_and_command_line_read_whole_numbers_with_gaps_alike(tmp_path, capsys):
    rng = np.random.default_rng(0)
    a, b, c = rng.integers(0, 2, 600), rng.integers(0, 2, 600), rng.integers(0, 3, 600)
    raw = {"x1": a, "x2": b, "x3": c, "x4": np.ones(600, int)}
    gaps = rng.random((600, 4)) < 0.3
    floats = {k: np.where(gaps[:, j], np.nan, v) for j, (k, v) in enumerate(raw.items())}
    y = (a ^ b) + 2 * (c == 0)
    np.savez(tmp_path / "gaps.npz", y=y, **floats)
    out = tmp_path / "o"
    assert main(["compute", str(tmp_path / "gaps.npz"), *PLAIN, "--quiet", "--out", str(out)]) == 0
    cli = json.loads((out / "result.json").read_text())
    api = json.loads(decompose_many(floats, y, sampling=SamplingOptions("none", 0)).to_json())
    assert cli["matrices"] == api["matrices"] and cli["ranking"] == api["ranking"]
    assert [_terms(r) for r in cli["rest"]] == [_terms(r) for r in api["rest"]]
    assert api["matrices"]["S"][0][1] == pytest.approx(1.0, abs=0.02)  # the XOR, as codes
    codes = {k: np.where(gaps[:, j], None, raw[k].astype(object)) for j, k in enumerate(raw)}
    same = decompose_many(codes, y, sampling=SamplingOptions("none", 0))
    assert json.loads(same.to_json())["matrices"] == api["matrices"]


def _terms(entry: dict) -> list[float]:
    return [entry["result"][term] for term in ("R", "U1", "U2", "S")]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_torch_and_safetensors_files_hold_many_modalities(tmp_path, capsys, suffix):
    torch = pytest.importorskip("torch")
    grid = {k: torch.as_tensor(v) for k, v in _xor_grid().items() if k != "x4"}
    path = tmp_path / f"three{suffix}"
    if suffix == ".pt":
        torch.save(grid, path)
    else:
        from safetensors.torch import save_file

        save_file(grid, str(path))
    assert find_modalities(path) == ["x1", "x2", "x3"]
    modalities, y = load_modalities(path)
    assert [m.tolist() for m in modalities.values()] == [
        grid[k].tolist() for k in ("x1", "x2", "x3")
    ]
    assert y.tolist() == grid["y"].tolist()
    out = tmp_path / "out"
    assert main(["compute", str(path), *PLAIN, "--quiet", "--out", str(out)]) == 0
    assert "x1 and x2 are largely synergistic (S 1.00 of 1.00 bits)." in capsys.readouterr().out
    assert read_report(out / "report.json").modalities["names"] == ["x1", "x2", "x3"]
