"""The closed-form posteriors of the latent generative datasets and their exact PID."""

import numpy as np
import pytest

from pid.datasets import (
    GENERATIVE,
    generative,
    generative_mixture,
    generative_pid,
    generative_posteriors,
)
from pid.datasets.latent import _dataset_channels, _Draw, _draw

TERMS = ("R", "U1", "U2", "S")
#: A mixture whose U2 and S channels both read all of z2: correlated unseen terms for x1.
MIXTURE = {"R": 0.5, "U2": 1.0, "S": 1.5}


def test_samples_are_those_drawn_before_the_posteriors_were_added():
    # Values drawn by the sampler as it stood before it shared its structure with
    # generative_posteriors; any change to the order of the random draws moves them.
    x1, x2, y = generative("z1_z2h_zch", 2000, latent_dim=4, dim=12, seed=3, structure_seed=2)
    np.testing.assert_allclose(
        x1[0, :3], [0.8392142629415225, -0.03314852359838355, -0.20245210321770948], rtol=1e-12
    )
    np.testing.assert_allclose(x2[-1, -2:], [-0.01215263314820153, 0.46910318614736946], rtol=1e-12)
    assert y[:12].tolist() == [0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0] and y.sum() == 980
    x1, x2, y = generative_mixture({"R": 1.0, "U2": 0.5, "S": 2.0}, 2000, seed=1, structure_seed=4)
    np.testing.assert_allclose(x1[5, :2], [-0.34361386008973865, 0.5673313948317853], rtol=1e-12)
    np.testing.assert_allclose(x2[7, :2], [-0.1722285247607341, -0.1735396837782642], rtol=1e-12)
    assert y[:12].tolist() == [1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0] and y.sum() == 990


@pytest.mark.parametrize(
    ("dataset", "sampler"),
    [("z1h_z2h_zc", generative), (MIXTURE, generative_mixture)],
)
def test_posteriors_come_with_the_samplers_labels(dataset, sampler):
    options = {"latent_dim": 4, "dim": 10, "seed": 7, "structure_seed": 3}
    _, _, y = generative_posteriors(dataset, 500, **options)
    np.testing.assert_array_equal(y, sampler(dataset, 500, **options)[2])


@pytest.mark.parametrize("dataset", [MIXTURE, "z1_z2h_zch"])
def test_posteriors_are_calibrated(dataset):
    p1, p2, y = generative_posteriors(dataset, 200_000, latent_dim=4, seed=2)
    for posterior in (p1, p2):
        bins = np.minimum((posterior * 10).astype(int), 9)
        filled = 0
        for b in range(10):
            inside = bins == b
            if inside.sum() < 100:
                continue
            filled += 1
            p = posterior[inside]
            # y - p(y=1|x) has mean 0 and variance mean(p (1 - p)) given the posteriors.
            standard_error = np.sqrt(np.mean(p * (1 - p)) / inside.sum())
            assert abs(y[inside].mean() - p.mean()) < 4 * standard_error + 1e-12, (b, dataset)
        assert filled == 10


@pytest.mark.parametrize("seen", ["z1", "z2"])
def test_posterior_matches_monte_carlo_over_the_unseen_latent(seen):
    # Fix what one modality sees, redraw the latent it does not, and count labels.
    channels = _dataset_channels(MIXTURE, 2)
    draw = _draw(channels, 6, 2, 8, seed=4, structure_seed=1)
    hidden = "z2" if seen == "z1" else "z1"
    posterior = draw.posterior(seen=seen)
    rng = np.random.default_rng(0)
    n_draws = 100_000
    for i in range(6):
        z = {k: np.repeat(draw.z[k][i : i + 1], n_draws, axis=0) for k in (seen, "zc")}
        z[hidden] = rng.standard_normal((n_draws, 2))
        redrawn = _Draw(draw.channels, draw.maps, draw.directions, z)
        p = posterior[i]
        standard_error = np.sqrt(p * (1 - p) / n_draws)
        assert abs(redrawn.label().mean() - p) < 4 * standard_error + 1e-12, (i, p)


def test_posteriors_see_what_each_modality_sees():
    # y = f(z2*, zc): x2 determines y, and x1 (zc alone) leaves it uncertain.
    p1, p2, y = generative_posteriors("z2h_zc", 20_000, seed=1)
    np.testing.assert_array_equal(p2, y)
    assert 0.2 < np.mean((p1 > 0.05) & (p1 < 0.95)) < 0.9
    # D_S: neither modality alone says anything.
    p1, p2, _ = generative_posteriors("S", 1000, seed=1)
    np.testing.assert_array_equal(np.concatenate([p1, p2]), 0.5)


@pytest.mark.parametrize("name", TERMS)
def test_specialized_datasets_are_pure(name):
    result = generative_pid(name, n_samples=20_000, bins=16, seed=1)
    terms = result.terms()
    assert result.mi_x1x2_y > 0.99
    assert terms[name] == pytest.approx(result.mi_x1x2_y, abs=1e-3)
    assert all(terms[t] < 1e-3 for t in TERMS if t != name), terms
    assert result.total == pytest.approx(result.mi_x1x2_y, abs=1e-12)
    assert result.diagnostics["gap_bits"] <= 1e-7


def test_label_function_of_x2_has_redundancy_equal_to_what_x1_tells():
    # y = f(x2), so U1 = S = 0 and R = I(X1;Y), which the unbinned posterior gives as
    # H(Y) - mean h(p(y=1|x1)).
    n_samples, seed = 400_000, 3
    result = generative_pid("z2h_zc", n_samples=n_samples, bins=64, seed=seed)
    p1, _, y = generative_posteriors("z2h_zc", n_samples, seed=seed)
    p_y = y.mean()
    inside = (p1 > 0) & (p1 < 1)
    h = np.zeros_like(p1)
    h[inside] = -(p1 * np.log2(p1) + (1 - p1) * np.log2(1 - p1))[inside]
    entropy_y = -(p_y * np.log2(p_y) + (1 - p_y) * np.log2(1 - p_y))
    assert result.U1 < 1e-3 and result.S < 1e-3, result
    assert result.R == pytest.approx(entropy_y - h.mean(), abs=3e-3)
    assert result.U2 == pytest.approx(entropy_y - result.R, abs=1e-3)


def test_reference_matches_the_construction_on_a_mixture():
    # z1h_z2h_zc reads zc (both see it) and an XOR of z1*, z2*: only R and S.
    terms = generative_pid("z1h_z2h_zc", n_samples=100_000, bins=32, seed=0).terms()
    assert terms["R"] > 0.3 and terms["S"] > 0.3 and max(terms["U1"], terms["U2"]) < 0.01


def test_the_reference_solves_to_the_tolerance_it_is_given():
    settings = {"n_samples": 100_000, "bins": 32, "seed": 0}
    tight = generative_pid("z1h_z2h_zc", **settings)
    loose = generative_pid("z1h_z2h_zc", tol_bits=1e-3, **settings)
    # The loose solve stops at its own tolerance, well before the default's.
    assert tight.diagnostics["gap_bits"] <= 1e-7 < 1e-5 < loose.diagnostics["gap_bits"] <= 1e-3
    for term, value in tight.terms().items():
        assert loose.terms()[term] == pytest.approx(value, abs=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset": "D_Q"}, "dataset 'D_Q' is unknown"),
        ({"dataset": {"Q": 1.0}}, r"dataset has unknown interaction\(s\) \['Q'\]"),
        ({"dataset": 3}, "dataset must be a name of GENERATIVE or a weights dict"),
        ({"bins": 1}, r"bins must be an integer >= 2"),
        ({"bins": 2.5}, r"bins must be an integer >= 2"),
        ({"n_samples": 10}, "n_samples must be an integer of at least bins=16"),
        ({"n_samples": 100.0}, "n_samples must be an integer of at least bins=16"),
    ],
)
def test_generative_pid_refuses_bad_arguments(kwargs, message):
    arguments = {"dataset": "R", "n_samples": 100, "bins": 16, **kwargs}
    with pytest.raises(ValueError, match=message):
        generative_pid(arguments.pop("dataset"), **arguments)


def test_generative_posteriors_refuses_bad_arguments():
    with pytest.raises(ValueError, match="dataset 'D_Q' is unknown"):
        generative_posteriors("D_Q", 10)
    with pytest.raises(ValueError, match="n_samples is 0; pass a whole number of at least 1"):
        generative_posteriors("R", 0)


def test_every_table_dataset_has_a_reference():
    for name in GENERATIVE:
        result = generative_pid(name, n_samples=2000, bins=8)
        assert result.provenance["dataset"] == name
        assert result.total == pytest.approx(result.mi_x1x2_y, abs=1e-12)
