"""Sweeps: the same results in this process, in processes, and on local Ray and Dask clusters."""

from __future__ import annotations

import numpy as np
import pytest

import pid
from pid.cli import main
from pid.sampling import SamplingOptions
from pid.sweep import SweepOptions, run_sweep


def _square_plus(value: int, offset: int) -> int:
    return value * value + offset


@pytest.fixture(scope="module")
def ray_runtime():
    """A local Ray runtime with two workers, started inside the test run."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def dask_address():
    """A local Dask cluster of two worker processes, started inside the test run."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def codes():
    rng = np.random.default_rng(3)
    x1, x2 = rng.integers(0, 4, 600), rng.integers(0, 4, 600)
    return x1, x2, (x1 + x2 + (rng.random(600) < 0.1)) % 3


def _bootstrap(codes, sweep: SweepOptions) -> tuple[dict, list]:
    options = SamplingOptions(n_null=4, n_bootstrap=30, sweep=sweep)
    result = pid.decompose(*codes, sampling=options, seed=5)
    return result.terms(), result.sampling["intervals"]


def test_run_sweep_keeps_the_order_of_the_jobs():
    jobs = [(k, 10 * k) for k in range(9)]
    expected = [k * k + 10 * k for k in range(9)]
    assert run_sweep(_square_plus, jobs) == expected
    assert run_sweep(_square_plus, jobs, SweepOptions(n_jobs=2)) == expected
    assert SweepOptions(n_jobs=np.int64(2)).n_jobs == 2  # a numpy integer is a count too


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"backend": "spark"}, "backend 'spark' is unknown"),
        ({"n_jobs": 0}, "n_jobs is 0"),
        ({"n_jobs": 1.5}, "n_jobs is 1.5"),
        ({"address": "tcp://h:8786"}, "address is given for the processes backend"),
        ({"backend": "dask", "address": 5}, "address is 5; pass the address of a running"),
        ({"backend": "ray", "address": ""}, "address is ''; pass the address of a running"),
    ],
)
def test_sweep_options_refuse_bad_settings_in_one_sentence(settings, message):
    with pytest.raises(ValueError, match=message):
        SweepOptions(**settings)


def test_bootstrap_on_processes_ray_and_dask_equals_the_serial_run(
    codes, ray_runtime, dask_address
):
    serial = _bootstrap(codes, SweepOptions())
    assert serial[1] is not None  # intervals were computed
    assert _bootstrap(codes, SweepOptions(n_jobs=2)) == serial
    assert _bootstrap(codes, SweepOptions(backend="ray", n_jobs=2)) == serial
    # The runtime already started here would be used, not a cluster at another address.
    elsewhere = SweepOptions(backend="ray", address="ray://elsewhere:10001")
    with pytest.raises(ValueError, match="already runs a Ray runtime, which the sweep would use"):
        _bootstrap(codes, elsewhere)
    assert _bootstrap(codes, SweepOptions(backend="dask", address=dask_address)) == serial


def test_many_inputs_on_processes_ray_and_dask_equal_the_serial_run(
    codes, tmp_path, ray_runtime, dask_address
):
    from pid.inputs import resolve_inputs
    from pid.workflows.inputs import analyze_inputs

    for k in (1, 2, 10):
        np.savez(tmp_path / f"layer_{k}.npz", x1=codes[0], x2=codes[1], y=(codes[2] + k) % 3)
    inputs = resolve_inputs([str(tmp_path)])
    sampling = SamplingOptions(n_null=4, n_bootstrap=10)

    def run(sweep: SweepOptions) -> list:
        _, report = analyze_inputs(inputs, sweep=sweep, sampling=sampling, seed=5)
        return report.inputs["entries"]

    serial = run(SweepOptions())
    assert [entry["name"] for entry in serial] == ["layer_1", "layer_2", "layer_10"]
    assert all(entry["intervals"] for entry in serial)
    assert run(SweepOptions(n_jobs=2)) == serial
    assert run(SweepOptions(backend="ray", n_jobs=2)) == serial
    assert run(SweepOptions(backend="dask", address=dask_address)) == serial


def test_zoo_seeds_on_two_processes_equal_the_serial_run():
    pytest.importorskip("torch")
    from pid.models import TrainConfig
    from pid.models.zoo import train_zoo

    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    y = (x1[:, 0] > 0).astype(int) + (x2[:, 0] > 0)
    config = TrainConfig(max_epochs=3, hidden=8)

    def run(sweep: SweepOptions):
        zoo = train_zoo(x1, x2, y, models=["EF", "ADDITIVE"], config=config, n_seeds=2, sweep=sweep)
        return {name: (m["accuracy_by_seed"], m["pid"]) for name, m in zoo.models.items()}, {
            name: p.tolist() for name, p in zoo.predictions.items()
        }

    assert run(SweepOptions(n_jobs=2)) == run(SweepOptions())


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--jobs", "0"], "--jobs is 0"),
        (
            ["--address", "tcp://h:8786"],
            "--address is given for the processes backend (--backend), which runs on this "
            "machine; pass backend 'ray' or 'dask' with it, or no address.",
        ),
    ],
)
def test_cli_refuses_bad_sweep_flags(tmp_path, capsys, flags, message):
    path = tmp_path / "codes.npz"
    np.savez(path, x1=np.arange(40) % 3, x2=np.arange(40) % 2, y=np.arange(40) % 2)
    assert main(["compute", str(path), "--out", str(tmp_path / "r"), "--quiet", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
