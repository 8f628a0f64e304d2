"""The Gaussian mixture, the latent generative datasets and digits, through discretize + CVX."""

import math

import numpy as np
import pytest

import pid
from pid.datasets import GENERATIVE, digits, generative, gmm
from pid.discretize import discretize

TERMS = ("R", "U1", "U2", "S")


def _terms(result):
    return dict(zip(TERMS, (result.R, result.U1, result.U2, result.S), strict=True))


def _pid(x1, x2, y, **options):
    codes = discretize(x1, x2, y, **options)
    return _terms(pid.estimate(pid.Distribution.from_samples(codes.x1, codes.x2, codes.y)))


# ---------------------------------------------------------------------- GMM
def test_gmm_components_are_centred_at_plus_minus_mu():
    x1, x2, y = gmm(40_000, angle=math.pi / 3, norm=2.0, seed=1)
    assert set(np.unique(y)) == {-1, 1} and abs(y.mean()) < 0.02
    centre = (y[:, None] * np.column_stack([x1, x2])).mean(axis=0)
    np.testing.assert_allclose(centre, [1.0, math.sqrt(3)], atol=0.02)


def test_gmm_polar_is_a_signed_radius_along_a_line_through_the_origin():
    a, b, y = gmm(1000, seed=4)
    r, theta, y_polar = gmm(1000, coords="polar", seed=4)
    np.testing.assert_array_equal(y, y_polar)
    assert theta.min() >= 0 and theta.max() < math.pi
    np.testing.assert_allclose(r * np.cos(theta), a, atol=1e-12)
    np.testing.assert_allclose(r * np.sin(theta), b, atol=1e-12)


@pytest.mark.parametrize(
    ("coords", "angle", "dominant", "small"),
    [
        # Centres on the x1 axis: x2 is noise, everything is unique to x1.
        ("cartesian", 0.0, {"U1"}, ("R", "U2", "S")),
        # At 45 degrees redundancy and synergy peak (thesis Figure 3.3b).
        ("cartesian", math.pi / 4, {"R", "S"}, ("U1", "U2")),
        # theta alone says nothing: no redundancy, no unique information in theta.
        ("polar", math.pi / 2, {"U1"}, ("R", "U2")),
        ("polar", 0.0, {"S"}, ("R", "U1", "U2")),
    ],
)
def test_gmm_pid_matches_the_thesis(coords, angle, dominant, small):
    x1, x2, y = gmm(20_000, angle=angle, norm=2.0, coords=coords, seed=1)
    terms = _pid(x1, x2, y, method="bins", n_clusters=20)
    for term in dominant:
        assert terms[term] > 0.15, terms
    for term in small:
        assert terms[term] < 0.02, terms


def test_gmm_refuses_bad_arguments():
    with pytest.raises(ValueError, match="coords 'spherical' is unknown"):
        gmm(10, coords="spherical")
    with pytest.raises(ValueError, match=r"norm is -1\.0; pass a finite number >= 0"):
        gmm(10, norm=-1.0)


# ---------------------------------------------------------------------- latent generative
SPECIALIZED = ("R", "U1", "U2", "S")
MIXTURES = [name for name in GENERATIVE if name not in SPECIALIZED]


def test_registry_holds_the_ten_datasets_of_table_3_2():
    assert len(GENERATIVE) == 10
    assert {name: GENERATIVE[name].dominant for name in SPECIALIZED} == {
        name: frozenset({name}) for name in SPECIALIZED
    }
    assert GENERATIVE["z1_z2h_zch"].dominant == {"U1", "S"}
    assert GENERATIVE["z2h_zc"].formula == "y = f(z2*, zc)"


@pytest.mark.parametrize("name", SPECIALIZED)
def test_specialized_dataset_shows_its_interaction(name):
    x1, x2, y = generative(name, 3000, seed=1)
    codes = discretize(x1, x2, y, n_clusters=12)
    terms = _terms(pid.estimate(pid.Distribution.from_samples(codes.x1, codes.x2, codes.y)))
    others = [v for k, v in terms.items() if k != name]
    assert terms[name] > 0.1 and terms[name] > 2 * max(others), terms
    # Not an artefact of the plug-in bias: shuffled labels leave a fraction of the term.
    shuffled = np.random.default_rng(0).permutation(codes.y)
    null = _terms(pid.estimate(pid.Distribution.from_samples(codes.x1, codes.x2, shuffled)))
    assert terms[name] > 3 * null[name], (terms, null)


@pytest.mark.parametrize("name", MIXTURES)
def test_mixture_shows_its_interactions(name):
    dominant = GENERATIVE[name].dominant
    terms = _pid(*generative(name, 3000, seed=1), n_clusters=12)
    assert all(terms[t] > 0.1 for t in dominant), terms
    assert max(terms, key=terms.get) in dominant, terms


def test_synergy_survives_fitting_on_one_split_and_applying_to_another():
    fitted = discretize(*generative("S", 3000, seed=1), n_clusters=12)
    codes = fitted.transform(*generative("S", 3000, seed=2))
    r = pid.estimate(pid.Distribution.from_samples(*codes))
    assert r.S > 0.07 and max(r.R, r.U1, r.U2) < 0.01, r


def test_generative_is_seeded_and_shaped():
    x1, x2, y = generative("R", 50, latent_dim=4, dim=10, seed=3)
    again = generative("R", 50, latent_dim=4, dim=10, seed=3)
    for a, b in zip((x1, x2, y), again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert x1.shape == x2.shape == (50, 10) and set(np.unique(y)) <= {0, 1}
    assert np.abs(x1).max() < 1  # tanh


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "D_Q"}, "name 'D_Q' is unknown"),
        ({"latent_dim": 3}, "latent_dim is 3; pass an even whole number of at least 2"),
        ({"latent_dim": 2.0}, r"latent_dim is 2\.0; pass a whole number of at least 2"),
        ({"dim": 3}, r"dim=3 is below 2 \* latent_dim = 4"),
        ({"n_samples": 0}, "n_samples is 0; pass a whole number of at least 1"),
        ({"n_samples": 300.0}, r"n_samples is 300\.0; pass a whole number of at least 1"),
    ],
)
def test_generative_refuses_bad_arguments(kwargs, message):
    arguments = {"name": "R", "n_samples": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        generative(arguments.pop("name"), arguments.pop("n_samples"), **arguments)


# ---------------------------------------------------------------------- digits
def test_digits_halves():
    x1, x2, y = digits()
    assert x1.shape == x2.shape == (1797, 32)
    np.testing.assert_array_equal(np.bincount(y) > 170, True)
    image = np.concatenate([x1[0].reshape(8, 4), x2[0].reshape(8, 4)], axis=1)
    from sklearn.datasets import load_digits

    np.testing.assert_array_equal(image, load_digits().images[0])
    terms = _pid(x1, x2, y, n_clusters=8)
    assert sum(terms.values()) > 1.5 and min(terms.values()) > 0.1, terms


@pytest.mark.parametrize("norm", [1.0, 2.0])
def test_gmm_angle_sweep_matches_figure_3_3(norm):
    angles = np.linspace(0, math.pi / 2, 7)  # every 15 degrees
    sweep = {
        coords: [
            _pid(
                *gmm(20_000, angle=a, norm=norm, coords=coords, seed=2),
                method="bins",
                n_clusters=20,
            )
            for a in angles
        ]
        for coords in ("cartesian", "polar")
    }
    cartesian = sweep["cartesian"]
    # Uniqueness dominates at the ends: U1 at angle 0, U2 at pi/2.
    assert max(cartesian[0], key=cartesian[0].get) == "U1"
    assert max(cartesian[-1], key=cartesian[-1].get) == "U2"
    # Redundancy and synergy peak near pi/4 (within one 15-degree step).
    for term in ("R", "S"):
        peak = int(np.argmax([t[term] for t in cartesian]))
        assert abs(angles[peak] - math.pi / 4) <= math.pi / 12 + 1e-9, (term, peak)
    # In polar coordinates redundancy is about 0 and theta (x2) carries no unique information.
    for terms in sweep["polar"]:
        assert terms["R"] < 0.02 and terms["U2"] < 0.02, terms
