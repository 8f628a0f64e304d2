import numpy as np
import pytest

from pid import decompose
from pid.datasets import gmm, latent_bits, latent_bits_distribution, source_modalities
from pid.result import TERMS


def test_latent_bits_recover_their_construction():
    false_flags = []
    for bits in [(1, 1, 1, 1), (2, 0, 1, 0), (0, 1, 0, 2)]:
        redundant, unique1, unique2, synergistic = bits
        x1, x2, y = latent_bits(
            40_000,
            redundant=redundant,
            unique1=unique1,
            unique2=unique2,
            synergistic=synergistic,
            seed=1,
        )
        r = decompose(x1, x2, y)
        # Corrected estimates from 40k samples, within 0.02 bits of the construction.
        np.testing.assert_allclose((r.R, r.U1, r.U2, r.S), bits, atol=0.02)
        above = r.sampling["null"]["above_null"]
        assert all(above[t] for t, b in zip(TERMS, bits, strict=True) if b > 0)
        false_flags += [above[t] for t, b in zip(TERMS, bits, strict=True) if b == 0]
    # A term that is zero stands out (permutation p-value 1/21) at most 1/21 of the time: of
    # these four, two or more would happen by chance with probability at most 0.013.
    assert len(false_flags) == 4 and sum(false_flags) <= 1


def test_latent_bits_are_seeded():
    a, b = latent_bits(100, seed=3), latent_bits(100, seed=3)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_latent_bits_refuse_bad_sizes():
    with pytest.raises(ValueError, match="n_samples"):
        latent_bits(0)
    with pytest.raises(ValueError, match="unique1"):
        latent_bits(10, unique1=-1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: latent_bits(300.0), r"n_samples is 300\.0; pass a whole number of at least 1"),
        (lambda: latent_bits(300, redundant=1.5), r"redundant is 1\.5; pass a whole number"),
        (
            lambda: latent_bits_distribution(redundant=0, unique1=0, unique2=0, synergistic=0),
            "are all 0; pass at least one latent bit",
        ),
        (lambda: gmm(300.0), r"n_samples is 300\.0; pass a whole number of at least 1"),
        (lambda: gmm(300, norm=float("nan")), "norm is nan; pass a finite number >= 0"),
        (lambda: gmm(300, angle=float("inf")), "angle is inf; pass a finite angle"),
        (lambda: source_modalities(300.0), r"n_samples is 300\.0; pass a whole number"),
    ],
)
def test_generators_refuse_sizes_that_are_not_whole_numbers_in_a_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()
