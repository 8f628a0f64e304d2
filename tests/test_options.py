"""Options reach the estimator that uses them, and a setting nothing uses is refused."""

import json

import numpy as np
import pytest

import pid
from pid.cli import main
from pid.datasets import canonical, generative
from pid.estimators import NewtonOptions, estimator_options


@pytest.fixture
def gate():
    x1 = np.array([0, 0, 1, 1] * 5)
    x2 = np.array([0, 1, 0, 1] * 5)
    return x1, x2, x1 & x2


PLUGIN = pid.SamplingOptions(correction="none", n_null=0)


def test_a_solver_option_given_to_decompose_reaches_cvx(gate):
    conic = pid.decompose(*gate, method="cvxpy", tol_bits=1e-6, sampling=PLUGIN)
    assert conic.diagnostics["method"] == "cvxpy" and conic.diagnostics["gap_bits"] <= 1e-6
    newton = pid.decompose(*gate, tol_bits=1e-9, sampling=PLUGIN)
    assert newton.diagnostics["method"] == "newton" and newton.diagnostics["gap_bits"] <= 1e-9
    for term, value in conic.terms().items():
        assert value == pytest.approx(newton.terms()[term], abs=2e-6)
    # Tunables travel in NewtonOptions: no Newton step allowed, so the path's certificate
    # misses 1e-7, and the conic program answers in its place.
    starved = pid.decompose(*gate, options=NewtonOptions(max_steps=0), sampling=PLUGIN)
    assert starved.diagnostics["algorithm"] == "conic program after the path"
    assert starved.diagnostics["newton_steps"] == 0
    assert starved.diagnostics["gap_bits"] <= 1e-7 < starved.diagnostics["path_gap_bits"]
    for term, value in starved.terms().items():
        assert value == pytest.approx(newton.terms()[term], abs=1e-7)
    # A table above conic_fallback_cells is refused at once (the conic program grows slow).
    with pytest.raises(pid.SolverError, match=r"8 cells are above options\.conic_fallback_cel"):
        pid.decompose(
            *gate, options=NewtonOptions(max_steps=0, conic_fallback_cells=7), sampling=PLUGIN
        )
    with pytest.raises(
        pid.SolverError,
        match=r"only to 0\.25 bits, above tol_bits=1e-15, after 0 steps, and in its place "
        r"solver CLARABEL returned status 'optimal' on the CVX problem, but its answer is only "
        r"certified to [0-9.e-]+ bits",
    ):
        pid.decompose(*gate, options=NewtonOptions(max_steps=0), tol_bits=1e-15, sampling=PLUGIN)


def test_the_discretizer_and_the_estimator_keep_their_own_settings():
    x1, x2, y = generative("U1", 600, seed=0)
    result = pid.decompose(
        x1, x2, y, discretization="bins", n_clusters=6, method="cvxpy", sampling=PLUGIN
    )
    assert result.provenance["discretization"]["x1"]["method"] == "bins"
    assert result.provenance["discretization"]["x1"]["n_codes"] == 6
    assert result.diagnostics["method"] == "cvxpy"
    with pytest.raises(ValueError, match="method='kmeans' names a discretization; pass "):
        pid.decompose(x1, x2, y, method="kmeans")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"estimator": "batch", "n_clusters": 5}, "n_clusters sets up the discretization"),
        ({"estimator": "batch", "sampling": PLUGIN}, "sampling sets up the discretization"),
        ({"estimator": "batch", "pca": 3, "n_clusters": 5}, "n_clusters and pca set up"),
        ({"estimator": "imin", "tol_bits": 1e-3}, "'imin' does not use 'tol_bits'; it takes"),
        ({"steps": 10}, "'cvx' does not use 'steps'; its options are method, tol_bits"),
        ({"estimator": "fancy"}, "estimator 'fancy' is unknown"),
        (
            {"discretization": "codes", "n_clusters": 3},
            r"^n_clusters \(--clusters\) sets up the encoding of features \(discretization "
            r"'kmeans', 'bins' or 'posterior'\), and discretization='codes' keeps the codes as "
            r"they are; drop it, or choose one of those discretizations\.$",
        ),
        (
            {"discretization": "codes", "pca": 2, "n_clusters": 3},
            r"^n_clusters \(--clusters\) and pca \(--pca\) set up the encoding .* drop them,",
        ),
    ],
)
def test_a_setting_the_estimator_does_not_use_is_refused(gate, settings, message):
    with pytest.raises(ValueError, match=message):
        pid.decompose(*gate, **settings)


def test_auto_applies_the_encoding_settings_where_the_samples_resolve_to_it(gate):
    # One set of settings serves codes and features alike: the codes keep their values.
    auto = pid.decompose(*gate, n_clusters=3, pca=1, sampling=PLUGIN)
    assert auto.provenance["discretization"]["x1"]["method"] == "codes"
    assert auto.terms() == pid.decompose(*gate, sampling=PLUGIN).terms()


def test_estimate_refuses_options_of_another_estimator():
    with pytest.raises(ValueError, match="'mmi' does not use 'device'"):
        pid.estimate(canonical("xor"), "mmi", device="cpu")
    assert estimator_options("cvx") == (
        "method",
        "tol_bits",
        "device",
        "options",
        "solver",
        "solver_options",
    )


def test_compute_passes_the_device_and_solver_options(gate, tmp_path, capsys):
    pytest.importorskip("torch")
    path = tmp_path / "gate.npz"
    np.savez(path, x1=gate[0], x2=gate[1], y=gate[2])
    plain = ["--correction", "none", "--null", "0", "--out"]
    assert main(["compute", str(path), "--device", "cpu", *plain, str(tmp_path / "a")]) == 0
    result = json.loads((tmp_path / "a" / "result.json").read_text())
    assert result["diagnostics"]["device"] == "cpu"
    assert result["S"] == pytest.approx(0.5, abs=1e-7)
    args = ["compute", str(path), "--method", "cvxpy", "--tol-bits", "1e-6", "--null", "0"]
    args += ["--correction", "none"]
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    result = json.loads((tmp_path / "b" / "result.json").read_text())
    assert result["diagnostics"]["method"] == "cvxpy"
    mmi = ["compute", str(path), "--estimator", "mmi", "--device", "cpu"]
    assert main([*mmi, "--out", str(tmp_path / "c")]) == 2
    assert "'mmi' does not use 'device'" in capsys.readouterr().err


def test_newton_options_take_numpy_numbers_and_refuse_a_zero_that_leaves_no_step():
    options = NewtonOptions(max_steps=np.int64(200), centering=np.float32(0.03))
    assert type(options.max_steps) is int and type(options.centering) is float
    assert options.max_steps == 200 and options.centering == pytest.approx(0.03)
    for name in ("step_cap", "ridge_attempts", "damping_ease"):
        with pytest.raises(ValueError, match=rf"NewtonOptions.{name} is 0; pass a positive number"):
            NewtonOptions(**{name: 0})
    with pytest.raises(ValueError, match=r"NewtonOptions.crawl is -1; pass a non-negative number"):
        NewtonOptions(crawl=-1)
    with pytest.raises(ValueError, match=r"NewtonOptions.max_steps is 2.5; pass a whole number"):
        NewtonOptions(max_steps=2.5)
