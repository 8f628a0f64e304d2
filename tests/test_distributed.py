"""Data-parallel training under torchrun (pid.distributed): two CPU processes (gloo) train what
one process trains, within its seed-to-seed noise, return the same model on every process, and
write each file once.

The tests launch ``torchrun --standalone --nproc_per_node 2`` twice: on ``-m pid zoo train``
(the documented command), and on this file, whose ``__main__`` runs :func:`worker` (FactorCL
on the command line, the zoo's and BATCH's Python API) and has rank 0 write what it saw.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pid  # noqa: E402
from pid.cli import main  # noqa: E402
from pid.datasets import generative, latent_bits  # noqa: E402
from pid.distributed import Group, join_group, launched, main_process  # noqa: E402
from pid.factorcl import infonce, nce_club, shared_unique  # noqa: E402
from pid.factorcl.critics import Candidates  # noqa: E402
from pid.factorcl.estimators import other_of_class, same_class  # noqa: E402
from pid.factorcl.objectives import Condition, CrossModalObjective, supcon_loss  # noqa: E402
from pid.sweep import SweepOptions, run_sweep  # noqa: E402

TORCHRUN = Path(sys.executable).with_name("torchrun")
ROOT = Path(pid.__file__).parents[1]
launcher = pytest.mark.skipif(
    not TORCHRUN.exists() or not torch.distributed.is_available(),
    reason="needs torchrun and torch.distributed",
)

# Tolerances: three times the standard deviation of a difference of two runs, sqrt(2) times
# the seed-to-seed standard deviation of one process measured on these settings (seeds 0 to 9,
# 2026-12-06, the machine of docs/benchmarks.md). Zoo test accuracy on 120 samples: EF 0.935
# +- 0.0146, ELEM 0.944 +- 0.0167. FactorCL linear-probe accuracy on 200 samples:
# factorcl-sup (views equal to the inputs, the label as the condition) 0.894 +- 0.0267,
# factorcl-ssl 0.852 +- 0.0362. BATCH (seeds 0 to 5), bits:
# R 0.929 +- 0.037, U1 0.980 +- 0.050, U2 0.013 +- 0.020, S 0.025 +- 0.029. Measured with one
# process, then two: EF 0.942, 0.942; ELEM 0.950, 0.950; factorcl-sup 0.865, 0.865;
# factorcl-ssl 0.860, 0.850; BATCH R 0.892, U1 0.902, U2 0.027, S 0.069 both times.
NOISE = {
    "EF": 0.0146,
    "ELEM": 0.0167,
    "factorcl-sup": 0.0267,
    "factorcl-ssl": 0.0362,
    "R": 0.037,
    "U1": 0.050,
    "U2": 0.020,
    "S": 0.029,
}
TOLERANCE = {key: 3 * math.sqrt(2) * sd for key, sd in NOISE.items()}


# ------------------------------------------------------------------ settings both sides run
def zoo_arguments(data: Path, out: Path) -> list[str]:
    """``pid zoo train`` of two families, early fusion and gated element-wise fusion."""
    return [
        *("zoo", "train", str(data), "--models", "ef", "elem", "--epochs", "30"),
        *("--batch-size", "32", "--hidden", "16", "--clusters", "4", "--device", "cpu"),
        *("--quiet", "--out", str(out)),
    ]


def factorcl_arguments(data: Path, method: str, out: Path) -> list[str]:
    """``pid factorcl train`` of one method on small networks; the supervised one with views
    equal to the inputs (no masking, no noise), conditioned on the label alone and one critic
    step, so that nothing random differs between one process and two and rounding grows
    slowly enough to compare the losses of two epochs (with 5 critic steps the second epoch's
    loss moved by 3e-3 nats)."""
    fixed = ("--mask-prob", "0", "--noise", "0", "--label-condition-only", "--critic-steps", "1")
    return [
        *("factorcl", "train", str(data), "--method", method, "--epochs", "10"),
        *("--batch-size", "128", "--hidden", "64", "--embed-dim", "16", "--critic-hidden", "64"),
        *(fixed if method == "factorcl-sup" else ()),
        *("--device", "cpu", "--quiet", "--out", str(out)),
    ]


def zoo_data(folder: Path) -> Path:
    """600 samples of the planted synergy dataset, as ``pid zoo train`` reads them."""
    x1, x2, y = generative("S", 600, seed=5)
    np.savez(folder / "zoo.npz", x1=x1, x2=x2, y=y)
    return folder / "zoo.npz"


def factorcl_data(folder: Path) -> Path:
    x1, x2, y, _ = shared_unique(1000, 0.5, seed=0, latent_dim=6, dim=32, label_dim=4)
    np.savez(folder / "factorcl.npz", x1=x1, x2=x2, y=y)
    return folder / "factorcl.npz"


def trained_ef(data: Path, batch_size: int = 32) -> tuple[list[float], str]:
    """The zoo's Python API on EF: its training losses per epoch, and its weights' digest."""
    from pid.models import TrainConfig, split_indices, train_model

    with np.load(data) as arrays:
        x1, x2, y = arrays["x1"], arrays["x2"], arrays["y"]
    config = TrainConfig(hidden=16, batch_size=batch_size, max_epochs=8, device="cpu")
    trained = train_model("EF", x1, x2, y, split_indices(len(y)), config)
    return [record["train_loss"] for record in trained.history], digest(trained.model)


def batch_terms() -> dict[str, float]:
    """BATCH with its torch classifiers on 400 samples of known PID: two latent bits in the
    label, one seen by both modalities (R = 1 bit), one by the first alone (U1 = 1 bit), as
    noisy binary features."""
    from pid.estimators.neural import BatchConfig, batch
    from pid.posterior import PosteriorOptions

    x1, x2, y = latent_bits(400, redundant=1, unique1=1, unique2=0, synergistic=0, seed=0)
    rng = np.random.default_rng(0)
    f1, f2 = (
        ((codes[:, None] >> np.arange(bits)) & 1) + 0.1 * rng.normal(size=(len(codes), bits))
        for codes, bits in ((x1, 2), (x2, 1))
    )
    classifiers = PosteriorOptions(device="cpu", hidden=(32,), folds=2)
    result = batch(f1, f2, y, posterior=classifiers, config=BatchConfig(steps=100), seed=0)
    return result.terms()


def digest(module: torch.nn.Module) -> str:
    """A digest of a module's weights."""
    hasher = hashlib.sha256()
    for value in module.state_dict().values():
        hasher.update(value.detach().cpu().contiguous().numpy().tobytes())
    return hasher.hexdigest()


def worker(folder: Path) -> None:
    """Run under torchrun: FactorCL's command line, EF and BATCH; rank 0 writes
    ``worker.json`` with what every process returned."""
    import torch.distributed as dist

    for method in ("factorcl-sup", "factorcl-ssl"):
        main(factorcl_arguments(folder / "factorcl.npz", method, folder / method))
    losses, ef = trained_ef(folder / "zoo.npz")
    terms = batch_terms()
    seen = [None] * dist.get_world_size()
    dist.all_gather_object(seen, {"ef": ef, "terms": terms})
    try:  # one sample a minibatch cannot be shared by two processes
        trained_ef(folder / "zoo.npz", batch_size=1)
    except ValueError as error:
        refusal = str(error)
    if main_process():
        record = {"ef_losses": losses, "terms": terms, "processes": seen, "refusal": refusal}
        (folder / "worker.json").write_text(json.dumps(record))


def torchrun(*arguments: str) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node 2 ...`` on this tree, one thread a process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2", *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


# ------------------------------------------------------------------ two processes
@launcher
def test_zoo_under_torchrun_trains_as_one_process_and_writes_the_report_once(tmp_path):
    data = zoo_data(tmp_path)
    assert main(zoo_arguments(data, tmp_path / "one")) == 0
    run = torchrun("-m", "pid", *zoo_arguments(data, tmp_path / "two"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count("wrote ") == 1  # rank 0 alone prints
    files = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "one").iterdir())
    assert "predictions.npz" in files and not any(name.startswith(".") for name in files)
    one, two = (
        json.loads((tmp_path / name / "report.json").read_text())["zoo"]["models"]
        for name in ("one", "two")
    )
    for name in ("EF", "ELEM"):
        assert one[name]["accuracy"] > 0.85  # both families learn the synergy
        assert abs(two[name]["accuracy"] - one[name]["accuracy"]) <= TOLERANCE[name]


@pytest.fixture(scope="module")
def worker_run(tmp_path_factory):
    """The worker under torchrun, and the same work in this process."""
    folder = tmp_path_factory.mktemp("distributed")
    zoo_data(folder)
    factorcl_data(folder)
    run = torchrun(__file__, str(folder))
    assert run.returncode == 0, run.stderr[-3000:]
    for method in ("factorcl-sup", "factorcl-ssl"):
        arguments = factorcl_arguments(folder / "factorcl.npz", method, folder / f"one-{method}")
        assert main(arguments) == 0
    losses, ef = trained_ef(folder / "zoo.npz")
    alone = {"ef_losses": losses, "ef": ef, "terms": batch_terms()}
    return folder, json.loads((folder / "worker.json").read_text()), alone


@launcher
@pytest.mark.parametrize("method", ["factorcl-sup", "factorcl-ssl"])
def test_factorcl_under_torchrun_probes_as_one_process_and_writes_once(worker_run, method):
    folder, _, _ = worker_run
    assert sorted(p.name for p in (folder / method).iterdir()) == ["factorcl.json", "factorcl.pt"]
    one, two = (
        json.loads((folder / name / "factorcl.json").read_text())
        for name in (f"one-{method}", method)
    )
    assert one["linear_probe_accuracy"] > 0.75
    gap = abs(two["linear_probe_accuracy"] - one["linear_probe_accuracy"])
    assert gap <= TOLERANCE[method]
    if method == "factorcl-sup":
        # Views equal to the inputs: the same batches and, the gathering handing every
        # gradient back to its process, the same steps. Measured: the first two epochs' losses
        # (0.1612, -0.3378 nats) agree to 3e-6; rounding then grows through the steps.
        losses = ([h["loss"] for h in summary["history"][:2]] for summary in (two, one))
        np.testing.assert_allclose(*losses, atol=1e-4)


@launcher
def test_every_process_returns_the_same_model_and_the_steps_of_one_process(worker_run):
    _, record, alone = worker_run
    first, second = record["processes"]
    assert first == second  # the same weights and the same BATCH terms on both processes
    # Each process computes half of every minibatch; the averaged gradient is the
    # minibatch's, so the losses follow one process's to rounding (measured: 5e-8 relative).
    np.testing.assert_allclose(record["ef_losses"], alone["ef_losses"], rtol=1e-5)
    assert record["refusal"] == (
        "batch_size is 1, but the 2 processes torchrun started share each minibatch, a sample "
        "or more each; pass batch_size of at least 2, or start fewer processes."
    )


@launcher
def test_batch_classifiers_under_torchrun_give_the_terms_of_one_process(worker_run):
    _, record, alone = worker_run
    for term, known in {"R": 1.0, "U1": 1.0, "U2": 0.0, "S": 0.0}.items():
        assert abs(record["terms"][term] - alone["terms"][term]) <= TOLERANCE[term]
        assert abs(alone["terms"][term] - known) < 0.15  # measured: 0.11 at most (R)


# ------------------------------------------------------------------ one process
def test_one_process_is_a_group_that_changes_nothing():
    group = join_group("cpu")
    assert group == Group(torch.device("cpu")) and group.main and not group.distributed
    batch = torch.arange(7)
    assert group.shard(batch) is batch and group.gather(batch) is batch
    assert group.mean({"loss": 0.25}) == {"loss": 0.25} and group.seed(3) == 3
    weight = torch.nn.Parameter(torch.tensor([2.0]))
    assert group.backward((weight**2).sum(), [weight], share=0.5) == 4.0
    assert weight.grad.tolist() == [4.0]


def test_the_launch_is_read_from_torchrun_variables(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert not launched() and main_process()
    monkeypatch.setenv("RANK", "1")  # without WORLD_SIZE, a process alone (join_group agrees)
    assert main_process() and join_group("cpu").main
    monkeypatch.delenv("RANK")
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not launched()
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert launched()
    with pytest.raises(ValueError, match="WORLD_SIZE is set but RANK is not; launch with"):
        join_group("cpu")
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "0")
    with pytest.raises(ValueError, match="RANK is 2 but WORLD_SIZE is 2"):
        join_group("cpu")
    monkeypatch.setenv("RANK", "1")
    assert not main_process()
    with pytest.raises(ValueError, match="WORLD_SIZE is set but MASTER_ADDR is not"):
        join_group("cpu")
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE is 'two', not a whole number; launch"):
        launched()


def test_a_classifier_batch_smaller_than_the_processes_is_refused_before_training():
    # Each minibatch of one sample was skipped by both processes: nothing was trained.
    from pid.nn import train_classifier

    features, labels = torch.zeros(20, 3), torch.zeros(20, dtype=torch.long)
    with pytest.raises(ValueError, match="batch_size is 1, but the 2 processes torchrun started"):
        train_classifier(
            features,
            labels,
            2,
            train=torch.arange(16),
            valid=torch.arange(16, 20),
            hidden=4,
            batch_size=1,
            learning_rate=1e-3,
            max_epochs=2,
            patience=1,
            generator=torch.Generator(),
            group=Group(torch.device("cpu"), rank=0, world_size=2),
        )


def test_only_rank_0_shows_the_progress_of_a_command(tmp_path, monkeypatch, capsys):
    codes = np.arange(200) % 3
    np.savez(tmp_path / "data.npz", x1=codes, x2=codes % 2, y=codes % 2)
    monkeypatch.setenv("WORLD_SIZE", "2")
    shown = {}
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        argv = ["compute", str(tmp_path / "data.npz"), "--null", "2", "--out"]
        assert main([*argv, str(tmp_path / f"out{rank}")]) == 0
        shown[rank] = capsys.readouterr().err
    assert "pid: decomposing" in shown["0"] and shown["1"] == ""


def test_a_sweep_of_several_workers_is_refused_under_torchrun(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match=r"pass n_jobs=1 \(--jobs 1\) under torchrun"):
        run_sweep(abs, [(-1,), (-2,)], SweepOptions(n_jobs=2))
    assert run_sweep(abs, [(-1,), (-2,)]) == [1, 2]  # one after the other, as ever


def test_contrastive_estimators_over_two_halves_average_to_the_whole_batch():
    # A process holding rows m.. of a batch scores them against every column, its pairs
    # starting at column m: the two halves' means average to the whole batch's.
    torch.manual_seed(0)
    scores, labels, m = torch.randn(8, 8), torch.tensor([0, 1, 0, 1, 1, 0, 0, 1]), 4
    halves = [(slice(0, m), 0), (slice(m, 2 * m), m)]
    for estimator, weights in (
        (infonce, None),
        (nce_club, None),
        (infonce, lambda rows, at: same_class(labels[rows], labels)),
        (nce_club, lambda rows, at: other_of_class(labels[rows], labels, at)),
    ):
        whole = estimator(scores, None if weights is None else weights(slice(None), 0))
        parts = [
            estimator(scores[rows], None if weights is None else weights(rows, at), at)
            for rows, at in halves
        ]
        assert float(sum(parts) / 2) == pytest.approx(float(whole), abs=1e-6)


@pytest.mark.parametrize("method", ["simclr", "cross-self"])
def test_cross_modal_objectives_over_two_halves_average_to_the_whole_batch(method):
    # Each half gathers the other half's projections (here looked up from the whole batch's),
    # so it sees the negatives of the whole batch, and the halves' losses average to its loss.
    torch.manual_seed(0)
    objective = CrossModalObjective(method, 6, 0.5)
    z, z_aug = ({name: torch.randn(8, 6) for name in ("z1", "z2")} for _ in range(2))
    whole, _ = objective(z, z_aug, None)
    with torch.no_grad():
        projected = [
            torch.nn.functional.normalize(projection(views[name]), dim=1)
            for views in (z, z_aug)
            for projection, name in zip(objective.projections, ("z1", "z2"), strict=True)
        ]
    parts = []
    for index, rows in enumerate((slice(0, 4), slice(4, 8))):

        def gather(tensor, rows=rows):
            return next(p for p in projected if torch.allclose(p[rows], tensor))

        halves = ({name: value[rows] for name, value in views.items()} for views in (z, z_aug))
        parts.append(objective(*halves, None, Candidates(gather, index))[0])
    assert float(sum(parts).detach() / 2) == pytest.approx(float(whole.detach()), abs=1e-5)


def test_label_and_view_condition_of_each_half_is_its_rows_of_the_whole_batch():
    # Supervised FactorCL's default condition: each process's anchors weigh the global batch
    # by the source posterior restricted to their class; a half's rows must be the whole's.
    torch.manual_seed(0)
    sources = torch.softmax(torch.randn(8, 8), dim=1)
    labels = torch.tensor([0, 1, 0, 1, 1, 0, 0, 1])
    whole = Condition.of_views({}, sources, labels=labels).weights[0]
    assert whole.shape == (8, 8)
    assert torch.all(whole[labels[:, None] != labels[None, :]] == 0)
    torch.testing.assert_close(whole.sum(dim=1), torch.ones(8))
    for index, rows in enumerate((slice(0, 4), slice(4, 8))):
        half = Condition.of_views(
            {}, sources[rows], Candidates(lambda t: labels, index), labels=labels[rows]
        )
        for weights in half.weights:
            assert weights.shape == (4, 8)
            torch.testing.assert_close(weights, whole[rows])


def test_supervised_contrastive_loss_over_two_halves_averages_to_the_whole_batch():
    torch.manual_seed(0)
    features = torch.nn.functional.normalize(torch.randn(8, 5), dim=1)
    labels = torch.tensor([0, 1, 0, 1, 1, 0, 0, 1])
    whole = supcon_loss(features, labels, 0.5)
    parts = [
        supcon_loss(
            features[rows],
            labels[rows],
            0.5,
            Candidates(lambda t: features if t.is_floating_point() else labels, index),
        )
        for index, rows in enumerate((slice(0, 4), slice(4, 8)))
    ]
    assert float(sum(parts) / 2) == pytest.approx(float(whole), abs=1e-6)


if __name__ == "__main__":
    worker(Path(sys.argv[1]))
