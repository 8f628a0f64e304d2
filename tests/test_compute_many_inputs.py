"""``pid compute`` over many inputs: a folder of data files, a pattern or several paths, each
input decomposed as alone, and one report across them."""

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from pid.cli import main
from pid.datasets import latent_bits
from pid.inputs import input_names, natural_key, resolve_inputs
from pid.report import read_report
from pid.selection import report_terms

#: Three inputs of known PID (one bit of one term each), named so that natural order differs
#: from the order of the names as text.
KNOWN = {
    "layer_1": ("R", {"redundant": 1, "unique1": 0, "unique2": 0, "synergistic": 0}),
    "layer_2": ("U1", {"redundant": 0, "unique1": 1, "unique2": 0, "synergistic": 0}),
    "layer_10": ("S", {"redundant": 0, "unique1": 0, "unique2": 0, "synergistic": 1}),
}
#: Few resamples and permutations: enough for intervals and a null model, and quick.
SETTINGS = ["--bootstrap", "8", "--null", "6", "--seed", "3", "--quiet"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def emb(tmp_path_factory) -> Path:
    """A folder of one .npz file per layer, and a note that is not an input."""
    folder = tmp_path_factory.mktemp("emb")
    for seed, (name, (_, counts)) in enumerate(KNOWN.items()):
        x1, x2, y = latent_bits(400, seed=seed, **counts)
        np.savez(folder / f"{name}.npz", x1=x1, x2=x2, y=y)
    (folder / "notes.txt").write_text("layers of a network")
    return folder


@pytest.fixture(scope="module")
def alone(emb, tmp_path_factory) -> dict[str, dict]:
    """The result of ``pid compute`` of each input alone, by name."""
    results = {}
    for name in KNOWN:
        out = tmp_path_factory.mktemp(name)
        assert main(["compute", str(emb / f"{name}.npz"), *SETTINGS, "--out", str(out)]) == 0
        results[name] = json.loads((out / "result.json").read_text())
    return results


def _arguments(emb: Path, form: str) -> list[str]:
    if form == "folder":
        return [str(emb)]
    if form == "pattern":
        return [str(emb / "layer_*.npz")]
    return [str(emb / f"{name}.npz") for name in sorted(KNOWN)]  # as a shell lists them


@pytest.mark.parametrize("form", ["folder", "pattern", "paths"])
def test_each_input_as_alone_and_a_report_across_them(emb, alone, tmp_path, capsys, form):
    out = tmp_path / "out"
    assert main(["compute", *_arguments(emb, form), *SETTINGS, "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed[2:5]] == ["layer_1", "layer_2", "layer_10"]
    report = read_report(out / "report.json")
    assert report.mode == "inputs"
    assert report.inputs["names"] == ["layer_1", "layer_2", "layer_10"]
    for entry in report.inputs["entries"]:
        name, own = entry["name"], alone[entry["name"]]
        assert entry["terms"] == {t: own[t] for t in ("R", "U1", "U2", "S")}
        assert entry["intervals"] == {t: list(v) for t, v in own["sampling"]["intervals"].items()}
        assert entry["null"]["q95"] == own["sampling"]["null"]["q95"]
        assert entry["information"]["I(X1,X2;Y)"] == own["mi_x1x2_y"]
        assert entry["report"] == f"{name}/report.json" and entry["n_samples"] == 400
        planted = KNOWN[name][0]
        assert entry["terms"][planted] == pytest.approx(1.0, abs=0.02)
        assert entry["null"]["above_null"][planted]
        for term in {"R", "U1", "U2", "S"} - {planted}:
            assert abs(entry["terms"][term]) < 0.02
        assert json.loads((out / name / "result.json").read_text())["R"] == own["R"]
        assert read_report(out / name / "report.json").terms == entry["terms"]
        assert (out / name / "report.html").exists() and (out / name / "report.md").exists()
    assert (out / "terms_by_input.png").read_bytes().startswith(PNG)
    markdown = (out / "report.md").read_text()
    rows = [line.split(" | ")[0] for line in markdown.splitlines() if line.startswith("| layer")]
    assert rows[:3] == ["| layer_1", "| layer_2", "| layer_10"]
    assert (
        "Among the inputs where each term stands out from its null model and its interval "
        "lies above 0, the most redundancy is at layer_1"
    ) in report.summary
    assert "the most synergy at layer_10" in report.summary
    assert "![terms by input](terms_by_input.png)" in markdown
    assert "layer_10/report.html" in (out / "report.html").read_text()
    assert sorted(p.name for p in out.iterdir()) == [
        "layer_1",
        "layer_10",
        "layer_2",
        "report.html",
        "report.json",
        "report.md",
        "terms_by_input.png",
    ]
    with pytest.raises(ValueError, match="PIDs of 3 inputs side by side"):
        report_terms(report)


def test_two_processes_give_what_the_serial_run_gives(emb, tmp_path):
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        assert main(["compute", str(emb), *SETTINGS, "--jobs", jobs, "--out", str(out)]) == 0
        entries = json.loads((out / "report.json").read_text())["inputs"]["entries"]
        results = {name: json.loads((out / name / "result.json").read_text()) for name in KNOWN}
        for result in results.values():
            del result["diagnostics"]["solve_time_s"]
        runs[jobs] = entries, results
    assert runs["2"] == runs["1"]


def test_a_rerun_replaces_the_whole_set_and_keeps_the_users_files(emb, tmp_path):
    out = tmp_path / "out"
    assert main(["compute", str(emb), *SETTINGS, "--out", str(out)]) == 0
    (out / "layer_2" / "notes.txt").write_text("mine")
    plain = ["--correction", "none", "--null", "0", "--quiet"]
    assert main(["compute", str(emb), *plain, "--out", str(out)]) == 0
    assert (out / "layer_2" / "notes.txt").read_text() == "mine"
    report = read_report(out / "report.json")
    assert all(
        entry["null"] is None and entry["intervals"] is None for entry in report.inputs["entries"]
    )
    assert read_report(out / "layer_2" / "report.json").intervals is None


def test_a_folder_of_npy_files_is_still_one_dataset(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    x1, x2, y = latent_bits(300, redundant=0, unique1=0, unique2=0, synergistic=1)
    for name, array in {"x1": x1, "x2": x2, "y": y}.items():
        np.save(folder / f"{name}.npy", array)
    assert resolve_inputs([str(folder)]) is None
    out = tmp_path / "out"
    assert main(["compute", str(folder), "--quiet", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
        "result.json",
    ]
    report = read_report(out / "report.json")
    assert report.mode == "full" and report.terms["S"] == pytest.approx(1.0, abs=0.03)


def _save(path: Path, **arrays) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


def _npy_beside(folder: Path) -> None:
    np.save(folder / "x1.npy", np.zeros(4))


@pytest.mark.parametrize(
    ("arguments", "prepare", "message"),
    [
        (["{d}/emb/none_*.npz"], None, "DATA pattern '{d}/emb/none_*.npz' matches no file"),
        (["{d}/emb"], _npy_beside, "holds both .npy files (x1.npy: one dataset) and 3 data"),
        (["{d}/emb/layer_1.npz", "{d}/emb/layer_1.npz"], None, "twice"),
        (["{d}/runs"], None, "holds folders, but no data file and no .npy file; pass the"),
        (["{d}/emb", "{d}/other.npz"], None, "cannot be one of several inputs; pass its files"),
        (["{d}/emb/layer_1.npz", "{d}/missing.npz"], None, "'{d}/missing.npz' does not exist"),
        (["{d}/emb/layer_*.npz", "{d}/damaged.npz"], None, "{d}/damaged.npz: DATA file"),
        (["{d}/emb/layer_*.npz", "{d}/three.npz"], None, "holds 3 modalities (x1, x2, x3)"),
        (["{d}/labelled_*.npz", "--columns", "y=label"], None, "holds 3 modalities (x1, x2"),
        (["{d}/emb/layer_*.npz", "{d}/nan.npz"], None, "{d}/nan.npz: 1 sample(s) hold NaN"),
        (["{d}/emb/layer_*.npz", "--modalities", "x1", "x2"], None, "--modalities names"),
    ],
)
def test_bad_inputs_exit_2_with_one_sentence_before_any_work(
    emb, tmp_path, capsys, arguments, prepare, message
):
    data = tmp_path / "d"
    (data / "emb").mkdir(parents=True)
    for name in KNOWN:
        (data / "emb" / f"{name}.npz").write_bytes((emb / f"{name}.npz").read_bytes())
    if prepare is not None:
        prepare(data / "emb")
    codes = np.arange(40) % 2
    _save(data / "other.npz", x1=codes, x2=codes, y=codes)
    _save(data / "three.npz", x1=codes, x2=codes, x3=codes, y=codes)
    for k in (1, 2):  # the label under another name, for --columns y=label
        _save(data / f"labelled_{k}.npz", x1=codes, x2=codes, x3=codes, label=codes)
    with_nan = codes.astype(float)
    with_nan[0] = np.nan
    _save(data / "nan.npz", x1=with_nan, x2=codes, y=codes)
    (data / "damaged.npz").write_text("not an archive")
    (data / "runs" / "ckpt_1").mkdir(parents=True)
    out = tmp_path / "out"
    command = ["compute", *(a.format(d=data) for a in arguments), "--quiet", "--out", str(out)]
    assert main(command) == 2
    err = capsys.readouterr().err
    assert message.format(d=data) in err
    assert len([line for line in err.splitlines() if line.startswith("pid: error: ")]) == 1
    assert "Traceback" not in err and not out.exists()


def test_names_tell_inputs_apart_in_natural_order(tmp_path):
    assert sorted(["layer_10", "Layer_2", "layer_1"], key=natural_key) == [
        "layer_1",
        "Layer_2",
        "layer_10",
    ]
    runs = [tmp_path / "runs" / f"ckpt_{step}" / "emb.npz" for step in (200, 1000, 50)]
    assert input_names(runs) == ["ckpt_200", "ckpt_1000", "ckpt_50"]
    assert input_names([tmp_path / "a.npz", tmp_path / "a.pt"]) == ["a.npz", "a.pt"]
    assert input_names([tmp_path / "x" / "emb.npz", tmp_path / "emb.npz"]) == ["x-emb", "emb"]
    codes = np.arange(40) % 2
    for path in runs:
        _save(path, x1=codes, x2=codes, y=codes)
    inputs = resolve_inputs([str(tmp_path / "runs" / "*" / "emb.npz")])
    assert [(i.name, i.path) for i in inputs] == [
        ("ckpt_50", runs[2]),
        ("ckpt_200", runs[0]),
        ("ckpt_1000", runs[1]),
    ]
    one = resolve_inputs([str(tmp_path / "runs" / "ckpt_5*" / "emb.npz")])
    assert [i.name for i in one] == ["emb"]  # a pattern is many inputs, even of one match
    assert resolve_inputs([str(runs[0])]) is None
    with pytest.raises(ValueError, match=r"would be reported as 'report\.json'"):
        _save(tmp_path / "r" / "report.json.npz", x1=codes)
        resolve_inputs([str(tmp_path / "r" / "*.npz")], reserved=["report.json"])


def test_a_rerun_over_fewer_inputs_is_refused_before_any_work(emb, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compute", str(emb), *SETTINGS, "--out", str(out)]) == 0
    before = (out / "report.json").read_bytes()
    pattern = str(emb / "layer_?.npz")
    assert main(["compute", pattern, *SETTINGS, "--out", str(out)]) == 2
    assert "holds a folder 'layer_10', which writing the new files" in capsys.readouterr().err
    assert (out / "report.json").read_bytes() == before


def test_links_to_each_input_report_are_paths_in_the_folder_whatever_the_name(tmp_path):
    # A name is percent-encoded in a link: never a scheme ("javascript:"), a fragment ("#")
    # or a space that ends the target; each link leads to the input's own report.
    encoded = {
        "javascript:alert(1)": "./javascript%3Aalert%281%29",
        "layer#2": "./layer%232",
        "layer 3": "./layer%203",
    }
    codes = np.arange(40) % 2
    for name in encoded:
        _save(tmp_path / "data" / f"{name}.npz", x1=codes, x2=codes, y=codes)
    out = tmp_path / "out"
    plain = ["--correction", "none", "--null", "0", "--quiet", "--out", str(out)]
    assert main(["compute", str(tmp_path / "data"), *plain]) == 0
    names = read_report(out / "report.json").inputs["names"]
    assert sorted(names) == sorted(encoded)
    page = (out / "report.html").read_text()
    hrefs = re.findall(r'<li><a href="([^"]*)">', page)
    assert hrefs == [f"{encoded[name]}/report.html" for name in names]
    markdown = (out / "report.md").read_text()
    links = re.findall(r"^- \[.*\]\((.*)\): ", markdown, flags=re.MULTILINE)
    assert links == [f"{encoded[name]}/report.md" for name in names]
    assert f"- [layer#2](./layer%232/report.md): {tmp_path}/data/layer#2.npz" in markdown
    for link in hrefs + links:
        parts = urlsplit(link)
        assert (parts.scheme, parts.fragment) == ("", "")
        assert (out / unquote(parts.path)).is_file()
