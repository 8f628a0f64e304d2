"""BATCH: Sinkhorn scaling, thesis Table 3.1, agreement with CVX, diagnostics, bad input."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pid import (  # noqa: E402
    PIDResult,
    PosteriorOptions,
    SamplingOptions,
    SolverError,
    decompose,
    estimate,
)
from pid.datasets import canonical  # noqa: E402
from pid.distribution import Distribution  # noqa: E402
from pid.estimators import BatchConfig, batch  # noqa: E402
from pid.estimators.neural import empirical_posteriors  # noqa: E402
from pid.estimators.neural.sinkhorn import sinkhorn, sinkhorn_implicit  # noqa: E402

#: The plug-in CVX estimate, against which BATCH is compared on the same codes.
PLUGIN = SamplingOptions(correction="none", n_null=0)

#: Small, fast settings; the defaults train longer.
FAST = BatchConfig(steps=100, batch_size=128)


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _gate_samples(name: str, repeats: int = 128):
    """Each input pair of a gate equally often, as integer codes (one-hot inside BATCH)."""
    x1 = np.repeat([0, 0, 1, 1], repeats)
    x2 = np.repeat([0, 1, 0, 1], repeats)
    y = {"and": x1 & x2, "or": x1 | x2, "xor": x1 ^ x2}[name]
    return x1, x2, y


def _shared_and_parity(n: int, seed: int = 0, shared: int = 4, private: int = 5):
    """``shared * private`` codes per modality: a shared part r and private parts a, b;
    y = (r mod 2, a+b mod 2).

    ``y`` mixes redundancy (r is in both) and synergy (the parity needs both), with 10% of the
    labels replaced at random.
    """
    rng = np.random.default_rng(seed)
    r = rng.integers(0, shared, n)
    a, b = rng.integers(0, private, n), rng.integers(0, private, n)
    y = 2 * (r % 2) + (a + b) % 2
    y = np.where(rng.random(n) < 0.1, rng.integers(0, 4, n), y)
    return private * r + a, private * b + r, y


def _terms(result: PIDResult) -> np.ndarray:
    return np.array(list(result.terms().values()))


# ---------------------------------------------------------------------- Sinkhorn
def _random_problem(rng, m=40, k=3):
    log_kernel = torch.tensor(rng.normal(scale=3.0, size=(m, m, k)), requires_grad=True)
    t = rng.dirichlet(np.ones(k))
    a = rng.dirichlet(np.ones(m), size=k).T * t
    b = rng.dirichlet(np.ones(m), size=k).T * t
    return log_kernel, torch.tensor(np.log(a)), torch.tensor(np.log(b))


def test_sinkhorn_meets_both_marginals_to_the_relative_tolerance(rng):
    log_kernel, log_a, log_b = _random_problem(rng)
    log_q, info = sinkhorn(log_kernel, log_a, log_b, tol=1e-9, max_iter=10_000, grad_iters=3)
    q = log_q.exp()
    assert info.converged and info.error <= 1e-9 and info.iterations > 1
    np.testing.assert_allclose(q.sum(1).detach(), log_a.exp(), atol=1e-9)
    np.testing.assert_allclose(q.sum(0).detach(), log_b.exp(), atol=1e-12)
    # Differentiable: the gradient of an objective exists and is finite.
    (q * log_q).sum().backward()
    assert torch.isfinite(log_kernel.grad).all()


def test_sinkhorn_returns_the_same_scalings_however_often_the_host_reads_its_error(rng):
    # Reading the errors once every few sweeps (as on a GPU) keeps the first sweep within tol.
    log_kernel, log_a, log_b = _random_problem(rng)
    cases = ((1e-6, 500, True), (1e-12, 7, False), (1e-12, 1, False), (1e-12, 0, False))
    for tol, max_iter, converged in cases:
        every_sweep, info = sinkhorn(
            log_kernel, log_a, log_b, tol=tol, max_iter=max_iter, sweeps_per_check=1
        )
        assert info.converged == converged
        assert info.iterations < max_iter if converged else info.iterations == max_iter
        if max_iter == 0:  # no sweep: the kernel itself, its row error measured
            assert torch.equal(every_sweep, log_kernel) and info.error > 0.01
        for sweeps in (2, 3, 8, 1000):
            log_q, other = sinkhorn(
                log_kernel, log_a, log_b, tol=tol, max_iter=max_iter, sweeps_per_check=sweeps
            )
            assert torch.equal(log_q, every_sweep)
            assert (other.iterations, other.error, other.converged) == (
                info.iterations,
                info.error,
                info.converged,
            )


def test_sinkhorn_reads_the_host_once_a_round_of_sweeps(rng, monkeypatch):
    # What a GPU waits on: every float() or tolist() of a device tensor.
    reads = []
    for name in ("tolist", "__float__", "item"):
        original = getattr(torch.Tensor, name)
        monkeypatch.setattr(
            torch.Tensor,
            name,
            lambda self, *args, _original=original, _name=name: (
                reads.append(_name),
                _original(self, *args),
            )[1],
        )
    log_kernel, log_a, log_b = _random_problem(rng)
    sweeps = []
    for tol in (0.3, 1e-2, 1e-9):
        reads.clear()
        _, info = sinkhorn(log_kernel, log_a, log_b, tol=tol, max_iter=100, sweeps_per_check=4)
        assert info.converged
        assert reads == ["tolist"] * -(-info.iterations // 4)  # one a round of four sweeps
        sweeps.append(info.iterations)
    assert sweeps[0] <= 4 < sweeps[1] < sweeps[2]


def test_sinkhorn_refuses_a_cap_or_a_reading_interval_that_is_not_a_whole_number(rng):
    log_kernel, log_a, log_b = _random_problem(rng)
    refusals = [
        ({"max_iter": 2.5}, "max_iter is 2.5; pass a whole number of at least 0"),
        ({"max_iter": -1}, "max_iter is -1; pass a whole number of at least 0"),
        ({"max_iter": 5, "sweeps_per_check": 0}, "sweeps_per_check is 0; pass a whole number"),
    ]
    for settings, message in refusals:
        with pytest.raises(ValueError, match=message):
            sinkhorn(log_kernel, log_a, log_b, tol=1e-6, **settings)


def test_sinkhorn_reports_when_it_stops_at_the_cap(rng):
    log_kernel, log_a, log_b = _random_problem(rng)
    _, info = sinkhorn(log_kernel, log_a, log_b, tol=1e-12, max_iter=2)
    assert info.iterations == 2 and not info.converged and info.error > 1e-12


def test_sinkhorn_handles_peaked_kernels_without_overflow(rng):
    # Logits up to about 40 * 3 * 3: exp() of them overflows float32, their logsumexp does not.
    log_kernel, log_a, log_b = (t.detach().float() for t in _random_problem(rng))
    log_q, info = sinkhorn(40 * log_kernel, log_a, log_b, tol=1e-4, max_iter=5000)
    assert torch.isinf((40 * log_kernel).exp()).any()
    assert torch.isfinite(log_q).all() and info.converged


def test_implicit_gradient_matches_finite_differences(rng):
    log_kernel, log_a, log_b = _random_problem(rng, m=6, k=2)
    weights = torch.tensor(rng.normal(size=log_kernel.shape))

    def objective(log_q):
        return (log_q.exp() * (log_q + weights)).sum()

    log_q, _ = sinkhorn_implicit(log_kernel, log_a, log_b, tol=1e-13, max_iter=100_000)
    objective(log_q).backward()
    direction = torch.tensor(rng.normal(size=log_kernel.shape))
    eps = 1e-6
    with torch.no_grad():
        values = [
            objective(
                sinkhorn(
                    log_kernel + s * eps * direction, log_a, log_b, tol=1e-14, max_iter=100_000
                )[0]
            )
            for s in (1, -1)
        ]
    numeric = float(values[0] - values[1]) / (2 * eps)
    assert float((log_kernel.grad * direction).sum()) == pytest.approx(numeric, rel=1e-5)


# ---------------------------------------------------------------------- accuracy
@pytest.mark.parametrize("name", ["and", "or", "xor"])
def test_bitwise_gates_of_table_3_1(name):
    # One-hot codes with no posteriors given: the empirical posteriors are used.
    x1, x2, y = _gate_samples(name)
    result = batch(x1, x2, y, config=FAST)
    exact = estimate(canonical(name))
    np.testing.assert_allclose(_terms(result), _terms(exact), atol=0.02)
    assert result.provenance["posteriors"] == "empirical"
    assert "classifiers" not in result.diagnostics


def test_agrees_with_cvx_on_twenty_values_per_modality():
    x1, x2, y = _shared_and_parity(512)
    assert len(np.unique(x1)) == len(np.unique(x2)) == 20
    result = batch(x1, x2, y, posteriors=empirical_posteriors(x1, x2, y), config=FAST)
    reference = decompose(x1, x2, y, sampling=PLUGIN)
    np.testing.assert_allclose(_terms(result), _terms(reference), atol=0.05)


def test_agrees_with_cvx_on_fifty_values_per_modality():
    # Codes fewer than batch_size: each step projects the whole support, CVX's own Delta_p.
    x1, x2, y = _shared_and_parity(1024, shared=5, private=10)
    assert len(np.unique(x1)) == len(np.unique(x2)) == 50
    result = batch(x1, x2, y, config=BatchConfig(steps=300))
    assert result.diagnostics["full_support"] and result.diagnostics["eval_batches"] == 1
    reference = decompose(x1, x2, y, sampling=PLUGIN)
    np.testing.assert_allclose(_terms(result), _terms(reference), atol=0.05)


def test_terms_are_never_negative_on_independent_features():
    # Every term is 0 in truth; estimation noise used to leave some slightly below zero.
    rng = np.random.default_rng(1)
    x1, x2, y = rng.normal(size=(400, 2)), rng.normal(size=400), rng.integers(0, 2, 400)
    result = batch(x1, x2, y, config=BatchConfig(steps=20, batch_size=64))
    assert min(result.terms().values()) >= 0.0
    assert result.total == pytest.approx(result.mi_x1x2_y, abs=1e-12)


def test_posteriors_that_break_data_processing_give_zero_synergy_and_a_warning():
    # p(y|x1) is informative but the given p(y|x1,x2) is not: I_p(X1,X2;Y) < I(X1;Y).
    x1, x2, y = _gate_samples("and", repeats=32)
    post = empirical_posteriors(x1, x2, y)
    post["joint"] = np.full_like(post["joint"], 0.5)
    with pytest.warns(UserWarning, match="data processing"):
        result = batch(x1, x2, y, posteriors=post, config=BatchConfig(steps=20))
    assert result.diagnostics["joint_information_deficit_bits"] == pytest.approx(
        result.mi_x1_y, abs=1e-9
    )
    assert result.S == 0.0 and min(result.terms().values()) >= 0.0
    assert result.mi_x1x2_y == pytest.approx(max(result.mi_x1_y, result.mi_x2_y), abs=1e-12)


def test_minibatches_when_the_codes_outnumber_the_batch():
    x1, x2, y = _shared_and_parity(512)
    result = batch(x1, x2, y, config=BatchConfig(steps=5, batch_size=16, eval_batch_size=128))
    assert not result.diagnostics["full_support"] and result.diagnostics["eval_batches"] == 4
    assert min(result.terms().values()) >= 0.0
    assert result.diagnostics["batch_size"] == 16
    # 300 samples of features, 30 held out: the batch is the 270 left, and the record says so.
    x1, x2, y = _shared_and_parity(300)
    post = empirical_posteriors(x1, x2, y)
    config = BatchConfig(steps=2, batch_size=4096, held_out=0.1)
    held = batch(x1.astype(float), x2.astype(float), y, posteriors=post, config=config)
    assert not held.diagnostics["full_support"] and held.diagnostics["batch_size"] == 270


# ---------------------------------------------------------------------- result
def test_result_identities_diagnostics_and_json():
    x1, x2, y = _gate_samples("and", repeats=32)
    result = batch(
        x1, x2, y, posteriors=empirical_posteriors(x1, x2, y), config=BatchConfig(steps=20)
    )
    assert result.estimator == "batch"
    assert result.R + result.U1 == pytest.approx(result.mi_x1_y, abs=1e-12)
    assert result.R + result.U2 == pytest.approx(result.mi_x2_y, abs=1e-12)
    assert result.total == pytest.approx(result.mi_x1x2_y, abs=1e-12)
    d = result.diagnostics
    assert len(d["loss_curve_bits"]) == 20 and d["device"] == "cpu"
    assert d["eval_sinkhorn"]["converged"] and d["eval_sinkhorn"]["error_max"] <= 1e-4
    assert {"iterations_mean", "iterations_max", "error_max"} <= set(d["train_sinkhorn"])
    assert PIDResult.from_json(result.to_json()) == result


def test_same_seed_same_result_on_cpu():
    x1, x2, y = _gate_samples("or", repeats=32)
    post = empirical_posteriors(x1, x2, y)
    first, second = (
        batch(x1, x2, y, posteriors=post, config=BatchConfig(steps=10), seed=3) for _ in range(2)
    )
    assert first.terms() == second.terms()
    assert first.diagnostics["loss_curve_bits"] == second.diagnostics["loss_curve_bits"]
    # Through pid.decompose, a numpy integer seed is the same seed, and the provenance has it.
    through = decompose(
        x1, x2, y, estimator="batch", config=BatchConfig(steps=10), seed=np.int64(3)
    )
    assert through.terms() == first.terms() and through.provenance["seed"] == 3


def test_continuous_features_use_the_cross_fitted_posteriors_and_stop_early():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    x1 = rng.normal(size=(600, 3)) + y[:, None]
    x2 = rng.normal(size=600) - y
    result = batch(x1, x2, y, config=BatchConfig(steps=400, batch_size=64, check_every=10))
    assert result.provenance["features"] == {"x1": "continuous (d=3)", "x2": "continuous (d=1)"}
    assert result.provenance["posteriors"] == "cross-fitted"
    assert result.diagnostics["classifiers"]["folds"] == 5
    sinkhorn = result.diagnostics["train_sinkhorn"]
    assert sinkhorn["steps_run"] < 400  # the held-out objective stopped falling
    assert sinkhorn["best_step"] <= sinkhorn["steps_run"]
    assert len(result.diagnostics["loss_curve_bits"]) == sinkhorn["steps_run"]
    assert all(np.isfinite(_terms(result)))
    # pid.decompose hands its posterior options to BATCH's classifiers.
    options = PosteriorOptions(folds=3)
    given = decompose(x1, x2, y, estimator="batch", config=BatchConfig(steps=2), posterior=options)
    assert given.diagnostics["classifiers"]["folds"] == 3


def test_diverging_training_raises():
    x1, x2, y = _gate_samples("and", repeats=16)
    with pytest.raises(SolverError, match="diverged"):
        config = BatchConfig(steps=20, learning_rate=1e30)
        batch(x1, x2, y, posteriors=empirical_posteriors(x1, x2, y), config=config)


def test_few_samples_of_features_are_refused_with_batch_advice():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 60, 3))
    with pytest.raises(ValueError, match="too few for BATCH to cross-fit"):
        batch(x1, x2, rng.integers(0, 2, 60))


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x1": np.zeros(10, dtype=int)}, "x1 has 10 samples"),
        ({"x2": np.array(["a"] * 64)}, "x2 must be 1-D integer codes"),
        ({"x1": np.full(64, np.nan)}, "x1 contains NaN"),
        ({"y": np.zeros(64, dtype=int)}, "y takes the single value"),
        ({"posteriors": {"x1": np.ones((64, 2))}}, "posteriors must be a mapping"),
        ({"posteriors": {k: np.ones((64, 3)) / 3 for k in ("x1", "x2", "joint")}}, "shape"),
        ({"posteriors": {k: np.ones((64, 2)) for k in ("x1", "x2", "joint")}}, "sum to 1"),
        ({"device": "tpu"}, "device 'tpu'"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(change, message):
    x1, x2, y = _gate_samples("xor", repeats=16)
    arguments = {"x1": x1, "x2": x2, "y": y, **change}
    with pytest.raises(ValueError, match=message):
        batch(arguments.pop("x1"), arguments.pop("x2"), arguments.pop("y"), **arguments)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"steps": 0}, "steps is 0; pass a whole number of at least 1"),
        ({"sinkhorn_max_iter": 2.5}, "sinkhorn_max_iter is 2.5; pass a whole number"),
        ({"held_out": 1.5}, r"held_out must be a number in \(0, 1\), got 1.5; pass e.g. 0.2"),
        ({"held_out": "0.5"}, r"held_out must be a number in \(0, 1\), got '0.5'"),
        ({"learning_rate": 0.0}, "learning_rate must be a finite positive number, got 0.0"),
        ({"learning_rate": np.inf}, "learning_rate must be a finite positive number, got inf"),
        ({"learning_rate": "0.01"}, "learning_rate must be a finite positive number, got '0.01'"),
        ({"max_logit": None}, "max_logit must be a finite positive number, got None; pass e.g."),
        ({"max_logit": True}, "max_logit must be a finite positive number, got True"),
        ({"eval_tol": np.nan}, "eval_tol must be a finite positive number, got nan"),
        ({"amp": "no"}, "amp must be True or False, got 'no'"),
        ({"amp": None}, "amp must be True or False, got None"),
        ({"grad_iters": 0}, "grad_iters is 0; pass a whole number of at least 1"),
        ({"sinkhorn_sweeps_per_check": -2}, "sinkhorn_sweeps_per_check is -2; pass a whole"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(settings, message):
    with pytest.raises(ValueError, match=message):
        BatchConfig(**settings)
    assert type(BatchConfig(steps=np.int64(20), grad_iters=None).steps) is int


def test_estimate_points_sample_estimators_to_their_function():
    with pytest.raises(ValueError, match="works on samples"):
        estimate(canonical("and"), "batch")


def test_progress_shows_a_bar_for_every_phase_of_batch(capsys):
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    y = (x1[:, 0] * x2[:, 0] > 0).astype(int)
    config = BatchConfig(steps=50, check_every=25, eval_batch_size=100, max_eval_batches=2)
    for progress in (False, True):
        batch(x1, x2, y, config=config, progress=progress)
        shown = capsys.readouterr().err
        phases = ["posteriors", "BATCH training", "BATCH read-off"]
        assert [phase in shown for phase in phases] == [progress] * 3


# ---------------------------------------------------------------------- read-off and inputs
def _conditional_product_bits(x1, x2, y) -> float:
    """``I(X1,X2;Y)`` in bits of the conditional product ``p(x1,y) p(x2,y) / p(y)``."""
    from pid.distribution import Distribution

    p = Distribution.from_samples(x1, x2, y).table
    p_y = p.sum(axis=(0, 1))
    q = p.sum(axis=1)[:, None, :] * p.sum(axis=0)[None, :, :] / p_y
    q_pair = q.sum(axis=2, keepdims=True)
    inside = q > 0
    return float(np.sum(q[inside] * np.log2((q / (q_pair * p_y))[inside])))


def test_an_unconverged_read_off_falls_back_to_the_conditional_product():
    from pid.datasets.synthetic import latent_bits

    x1, x2, y = latent_bits(
        1500, redundant=1, unique1=1, unique2=0, synergistic=1, flip=0.05, seed=3
    )
    with pytest.warns(UserWarning, match="in 1 of 1 read-off batches the Sinkhorn scaling did"):
        result = batch(x1, x2, y, config=BatchConfig(steps=100, eval_max_iter=2))
    diagnostics = result.diagnostics
    assert not diagnostics["eval_sinkhorn"]["converged"]
    assert diagnostics["read_off"] == "conditional_product"
    assert diagnostics["unconverged_eval_batches"] == 1
    product = _conditional_product_bits(x1, x2, y)
    assert result.R == pytest.approx(result.mi_x1_y + result.mi_x2_y - product, abs=1e-6)
    assert result.U1 == pytest.approx(product - result.mi_x2_y, abs=1e-6)


def test_the_read_off_covers_every_sample_in_batches_of_nearly_equal_size():
    rng = np.random.default_rng(1)
    x1, x2 = rng.integers(0, 300, 2000), rng.integers(0, 2, 2000)
    y = (x1 % 2) ^ x2
    exact = estimate(Distribution.from_samples(x1, x2, y))
    result = batch(x1, x2, y, config=BatchConfig(steps=25))
    assert result.diagnostics["eval_batches"] == 2  # 1000 samples each
    assert result.mi_x1_y == pytest.approx(exact.mi_x1_y, abs=1e-3)
    assert result.mi_x1x2_y == pytest.approx(exact.mi_x1x2_y, abs=1e-3)
    capped = batch(x1, x2, y, config=BatchConfig(steps=25, eval_batch_size=500, max_eval_batches=3))
    assert capped.diagnostics["eval_batches"] == 3


def test_string_labels_are_read_in_sorted_order():
    x1, x2, codes = _gate_samples("and", repeats=32)
    names = np.array(["no", "yes"])[codes]
    config = BatchConfig(steps=30)
    assert _terms(decompose(x1, x2, names, estimator="batch", config=config)) == pytest.approx(
        _terms(batch(x1, x2, codes, config=config)), abs=1e-12
    )
    assert empirical_posteriors(x1, x2, names)["joint"] == pytest.approx(
        empirical_posteriors(x1, x2, codes)["joint"]
    )


def test_dropped_rows_are_dropped_from_the_given_posteriors_too():
    x1, x2, y = _gate_samples("and", repeats=32)
    posteriors = empirical_posteriors(x1, x2, y)
    holed = x1.astype(float)
    holed[[3, 70]] = np.nan
    keep = np.isfinite(holed)
    config = BatchConfig(steps=30)
    result = decompose(
        holed, x2, y, estimator="batch", drop_nonfinite=True, posteriors=posteriors, config=config
    )
    kept = {key: p[keep] for key, p in posteriors.items()}
    clean = batch(x1[keep], x2[keep], y[keep], posteriors=kept, config=config)
    assert result.provenance["dropped_nonfinite"] == 2
    assert _terms(result) == pytest.approx(_terms(clean), abs=1e-12)


def test_the_posterior_floor_moves_no_information_term_by_a_micro_bit():
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 256, 5120), rng.integers(0, 2, 5120)
    exact = estimate(Distribution.from_samples(x1, x2, x1))
    result = batch(x1, x2, x1, config=BatchConfig(steps=25))
    assert result.mi_x1_y == pytest.approx(exact.mi_x1_y, abs=1e-6)
    assert result.mi_x1x2_y == pytest.approx(exact.mi_x1x2_y, abs=1e-6)


def test_too_few_samples_of_features_are_refused_whatever_held_out_is():
    x = np.array([0.0, 1.0, 2.0])
    y = np.array([0, 1, 1])
    posteriors = {key: np.eye(2)[y] for key in ("x1", "x2", "joint")}
    for held_out in (0.2, 1e-6):
        with pytest.raises(ValueError, match=r"at least 4 samples .* got 3; pass more samples"):
            batch(x, x, y, posteriors=posteriors, config=BatchConfig(held_out=held_out))


def test_a_config_that_is_not_a_batch_config_is_refused():
    x1, x2, y = _gate_samples("xor", repeats=16)
    with pytest.raises(ValueError, match="config is of type dict; pass a BatchConfig"):
        batch(x1, x2, y, config={"steps": 30})
