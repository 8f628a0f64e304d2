"""``pid heterogeneity`` on the command line, and reading M modalities from a file."""

import json

import numpy as np
import pytest

from pid.cli import main
from pid.datasets import source_modalities
from pid.io import load_modalities

FAST = ["--epochs", "12", "--patience", "4", "--hidden", "12", "--batch-size", "64"]


def test_load_modalities_reads_x1_to_xm_in_numeric_order(tmp_path):
    arrays = {f"x{m}": np.full((5, m), m, dtype=float) for m in (1, 2, 10, 3)}
    np.savez(tmp_path / "many.npz", **arrays, y=np.arange(5), notes=np.zeros(2))
    modalities, y = load_modalities(tmp_path / "many.npz")
    assert list(modalities) == ["x1", "x2", "x3", "x10"]
    assert modalities["x10"].shape == (5, 10)
    np.testing.assert_array_equal(y, np.arange(5))
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, array in {**arrays, "label": np.arange(5)}.items():
        np.save(folder / f"{name}.npy", array)
    modalities, y = load_modalities(folder, label="label")
    assert list(modalities) == ["x1", "x2", "x3", "x10"]
    with pytest.raises(ValueError, match="holds 1 modality under keys x1, x2"):
        np.savez(tmp_path / "one.npz", x1=np.zeros(3), y=np.zeros(3))
        load_modalities(tmp_path / "one.npz")


@pytest.fixture
def three_npz(tmp_path):
    xs, y = source_modalities(900, source_of=(0, 0, 1), widths=(8, 48, 16), seed=1)
    path = tmp_path / "three.npz"
    np.savez(path, x1=xs[0], x2=xs[1], x3=xs[2], y=y)
    return path


def test_heterogeneity_writes_matrices_dendrogram_and_groups(tmp_path, three_npz, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "het"
    args = ["heterogeneity", str(three_npz), "--groups", "2", "--interaction-groups", "2"]
    assert main([*args, *FAST, "--quiet", "--out", str(out)]) == 0
    printed, progress = capsys.readouterr()
    assert progress == ""
    assert "3 modalities in 2 encoder groups: {x1, x2}; {x3}." in printed
    record = json.loads((out / "heterogeneity.json").read_text())
    assert record["kind"] == "pid-heterogeneity" and record["names"] == ["x1", "x2", "x3"]
    modality = record["modality"]
    assert modality["groups"] == [0, 0, 1]  # the constructed sources
    d = np.array(modality["distance_bits"])
    assert d[0, 1] < 0.5 * min(d[0, 2], d[1, 2])  # same source closer than the other
    interaction = record["interaction"]
    assert interaction["names"] == ["x1+x2", "x1+x3", "x2+x3"]
    assert interaction["groups"] == [0, 1, 1]  # {same source}, {both sources}
    assert record["settings"]["measured_pairs"] == {"modality": 3, "interaction": 3}
    markdown = (out / "heterogeneity.md").read_text()
    assert "| 1 | x1, x2 |" in markdown and "![modality heterogeneity](modality.png)" in markdown
    for figure in ("modality.png", "interaction.png"):
        assert (out / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (lambda p: p, ["--groups", "4"], "--groups is 4; pass a number between 1 and 3"),
        (lambda p: p, ["--groups", "2", "--interaction-groups", "0"], "--interaction-groups is 0"),
        (
            lambda p: p,
            ["--groups", "2", "--pairs-per-member", "0.5"],
            "--pairs-per-member is 0.5; pass a finite number of at least 1",
        ),
        (
            lambda p: p,
            ["--groups", "2", "--pairs-per-member", "inf"],
            "--pairs-per-member is inf; pass a finite number",
        ),
        (lambda p: p, ["--groups", "2", "--epochs", "0"], "--epochs is 0; pass a positive whole"),
        (lambda p: p, ["--groups", "2", "--batch-size", "0"], "--batch-size is 0; pass a"),
        (
            lambda p: _save(p.with_name("five.npz"), **_five()),
            ["--groups", "2", "--rank", "5", "--pairs-per-member", "1", "--no-interactions"],
            "rank is 5 (4 for 5 members), but 5 measured pairs of the modality matrix leave",
        ),
        (lambda p: p.with_name("missing.npz"), ["--groups", "2"], "does not exist"),
        (
            lambda p: _save(p.with_name("two.npz"), x1=np.zeros((30, 2)), y=np.zeros(30)),
            ["--groups", "1"],
            "holds 1 modality under keys x1, x2",
        ),
        (
            lambda p: _save(
                p.with_name("nan.npz"),
                x1=np.full((30, 2), np.nan),
                x2=np.ones((30, 2)),
                y=np.arange(30) % 2,
            ),
            ["--groups", "1"],
            "modality x1 is missing in some samples (None, NaN or infinite entries); drop or",
        ),
        (  # whole numbers with gaps are read as codes: an object array with None
            lambda p: _save(
                p.with_name("gaps.npz"),
                x1=np.ones((30, 2)),
                x2=np.where(np.arange(30) < 3, np.nan, np.arange(30) % 3),
                y=np.arange(30) % 2,
            ),
            ["--groups", "1"],
            "modality x2 is missing in some samples (None, NaN or infinite entries); drop or",
        ),
        (  # an empty label cell reads as NaN: no class of its own
            lambda p: _labels_csv(p.with_name("labels.csv")),
            ["--groups", "1"],
            "y is missing (NaN, infinite or None) for 2 sample(s); drop those samples",
        ),
        (
            lambda p: _save(
                p.with_name("ynan.npz"),
                x1=np.ones((30, 2)),
                x2=np.ones((30, 2)),
                y=np.where(np.arange(30) < 3, np.nan, np.arange(30) % 2),
            ),
            ["--groups", "1"],
            "y is missing (NaN, infinite or None) for 3 sample(s); drop those samples",
        ),
        (
            lambda p: p,
            ["--groups", "2", "--no-interactions", "--interaction-groups", "2"],
            "interaction_groups (--interaction-groups) is 2, but interactions is False (--no-",
        ),
        (
            lambda p: _save(
                p.with_name("pair.npz"),
                x1=np.ones((30, 2)),
                x2=np.ones((30, 2)),
                y=np.arange(30) % 2,
            ),
            ["--groups", "2", "--interaction-groups", "1"],
            "is 1, but pairs are grouped among three or more modalities only, and there are 2",
        ),
    ],
)
def test_bad_input_exits_2_with_one_sentence(tmp_path, three_npz, capsys, make, extra, message):
    pytest.importorskip("torch")
    data = make(three_npz)
    out = tmp_path / "out"
    assert main(["heterogeneity", str(data), *extra, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("pid: error: ")]
    assert len(lines) == 1 and message in lines[0]
    assert not out.exists()


def test_an_output_that_cannot_be_written_is_refused_before_training(
    tmp_path, three_npz, monkeypatch, capsys
):
    pytest.importorskip("torch")
    import pid.heterogeneity

    def trained(*args, **kwargs):
        raise AssertionError("a model was trained before the refusal")

    monkeypatch.setattr(pid.heterogeneity, "measure_heterogeneity", trained)
    taken = tmp_path / "taken"
    taken.write_text("kept")
    assert main(["heterogeneity", str(three_npz), "--groups", "2", "--out", str(taken)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert taken.read_text() == "kept"


def _five():
    xs, y = source_modalities(300, source_of=(0, 0, 1, 1, 2), widths=(8,) * 5, seed=0)
    return {f"x{m + 1}": x for m, x in enumerate(xs)} | {"y": y}


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


def _labels_csv(path):
    rows = [f"{k / 30},{(k * 7 % 30) / 30},{'' if k in (4, 17) else k % 2}" for k in range(30)]
    path.write_text("x1,x2,y\n" + "\n".join(rows) + "\n")
    return path
