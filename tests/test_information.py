import numpy as np
import pytest
import scipy.stats

from pid import information


def test_entropy_matches_scipy(rng):
    for _ in range(20):
        p = rng.dirichlet(np.ones(7))
        assert information.entropy(p) == pytest.approx(scipy.stats.entropy(p, base=2), abs=1e-12)


def test_entropy_of_uniform_and_point_mass():
    assert information.entropy(np.full(8, 1 / 8)) == pytest.approx(3.0)
    assert information.entropy([1.0, 0.0, 0.0]) == 0.0


def test_mutual_information_is_kl_to_product(rng):
    for _ in range(20):
        p = rng.dirichlet(np.ones(12)).reshape(3, 4)
        product = np.outer(p.sum(1), p.sum(0))
        kl = scipy.stats.entropy(p.ravel(), product.ravel(), base=2)
        assert information.mutual_information(p) == pytest.approx(kl, abs=1e-12)


def test_conditional_mutual_information_chain_rule(rng):
    # I(X;Y|Z) = I(X;(Y,Z)) - I(X;Z)
    for _ in range(20):
        p = rng.dirichlet(np.ones(24)).reshape(2, 3, 4)
        joint = information.mutual_information(p.reshape(2, 12))
        marginal = information.mutual_information(p.sum(axis=1))
        assert information.conditional_mutual_information(p) == pytest.approx(
            joint - marginal, abs=1e-12
        )


def test_co_information_signs(xor):
    # XOR: I(X1;X2) = 0 and I(X1;X2|Y) = 1 -> -1; three copies of one bit -> +1.
    assert information.co_information(xor.table) == pytest.approx(-1.0)
    copies = np.zeros((2, 2, 2))
    copies[0, 0, 0] = copies[1, 1, 1] = 0.5
    assert information.co_information(copies) == pytest.approx(1.0)


def test_co_information_is_symmetric(rng):
    p = rng.dirichlet(np.ones(24)).reshape(2, 3, 4)
    values = [
        information.co_information(p.transpose(axes))
        for axes in [(0, 1, 2), (1, 2, 0), (2, 0, 1), (0, 2, 1)]
    ]
    assert np.ptp(values) < 1e-12


def test_conditional_entropy():
    p = np.array([[0.25, 0.25], [0.5, 0.0]])
    # H(Y|X) = 0.5 * 1 bit + 0.5 * 0 bits
    assert information.conditional_entropy(p) == pytest.approx(0.5)


def test_wrong_dimension_is_refused():
    with pytest.raises(ValueError, match="2-D joint distribution"):
        information.mutual_information(np.ones(4) / 4)


@pytest.mark.parametrize(
    ("call", "found"),
    [
        (lambda: information.mutual_information([[10, 0], [0, 10]]), "a total of 20"),
        (lambda: information.conditional_entropy([[1, 1], [1, 1]]), "a total of 4"),
        (lambda: information.entropy([2.0]), "a total of 2"),
        (lambda: information.entropy([0.5, np.nan, 0.5]), "a total of nan"),
        (lambda: information.entropy([-0.5, 1.5]), "negative entries"),
    ],
)
def test_what_is_not_a_distribution_is_refused_in_a_sentence(call, found):
    with pytest.raises(ValueError, match=f"^p holds {found}, not a probability distribution; "):
        call()


def test_rounding_below_zero_and_around_one_is_a_distribution():
    # 1 - a - b + c of a coupling can round to -1e-17; sums of many terms stray by ~1e-16.
    assert information.entropy([0.5, 0.5 + 1e-12, -1e-17]) == pytest.approx(1.0, abs=1e-9)
