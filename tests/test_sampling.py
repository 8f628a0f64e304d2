"""The PID of samples: corrections against exact answers, the null model, intervals, and the
posterior encoding of features."""

import warnings

import numpy as np
import pytest

import pid
from pid.coding_loss import CodingLoss
from pid.datasets import canonical, generative, latent_bits_distribution
from pid.information import LN2
from pid.posterior import PosteriorOptions, encode_posteriors
from pid.result import TERMS
from pid.sampling import (
    CORRECTIONS,
    SampledPID,
    SamplingOptions,
    null_level,
    permutation_p_values,
    sample_pid,
    terms_of,
)

NOISY_BITS = latent_bits_distribution(flip=0.1)  # R = U1 = U2 = S = 0.531 bits


def _codes(dist, n, seed):
    return [np.unique(v, return_inverse=True)[1] for v in dist.sample(n, seed=seed)]


def _exact(dist):
    return np.array(list(pid.estimate(dist).terms().values()))


def test_terms_follow_from_the_four_informations():
    informations = np.array([0.7, 0.5, 1.4, 0.9])  # I1, I2, I12, Iu
    r, u1, u2, s = terms_of(informations)
    assert (r, u1, u2, s) == pytest.approx((0.3, 0.4, 0.2, 0.5))
    assert r + u1 == pytest.approx(0.7) and r + u2 == pytest.approx(0.5)
    assert r + u1 + u2 + s == pytest.approx(1.4)


@pytest.mark.parametrize("correction", ["quadratic", "quadratic-shuffle"])
def test_corrections_come_within_sampling_error_of_the_exact_pid(correction):
    exact = _exact(NOISY_BITS)
    errors = []
    for seed in range(4):
        codes = _codes(NOISY_BITS, 4000, seed)
        options = SamplingOptions(correction=correction, n_null=8)
        errors.append(sample_pid(*codes, options=options, seed=seed).terms - exact)
    plugin = sample_pid(*codes, options=SamplingOptions("none", 0)).terms - exact
    assert np.abs(np.mean(errors, axis=0)).max() <= 0.02
    assert plugin[3] >= 0.03  # the plug-in synergy of 4,000 samples is biased upwards


def test_every_correction_keeps_the_identities_and_records_its_bias():
    codes = _codes(NOISY_BITS, 1500, 0)
    for correction in CORRECTIONS:
        needs = correction in ("shuffle", "quadratic-shuffle")
        sampled = sample_pid(*codes, options=SamplingOptions(correction, 4 if needs else 0))
        record = sampled.to_dict()
        i1, _, i12, _ = sampled.informations
        r, u1, u2, s = sampled.terms
        assert r + u1 == pytest.approx(i1) and r + u1 + u2 + s == pytest.approx(i12)
        plugin = [record["plugin"][t] for t in TERMS]
        bias = [p - corrected for p, corrected in zip(plugin, sampled.terms, strict=True)]
        assert list(record["bias_bits"].values()) == pytest.approx(bias)
        if correction == "none":
            assert np.array_equal(sampled.terms, sampled.plugin_terms)


def test_miller_madow_removes_the_first_order_bias_of_the_shannon_terms():
    codes = _codes(NOISY_BITS, 800, 1)
    plain = sample_pid(*codes, options=SamplingOptions("none", 0))
    corrected = sample_pid(*codes, options=SamplingOptions("miller-madow", 0))
    n = len(codes[2])
    table = pid.Distribution.from_samples(*codes).table * n
    occupied = np.count_nonzero

    def bias(joint: np.ndarray) -> float:
        cells = occupied(joint) - occupied(joint.sum(axis=1)) - occupied(joint.sum(axis=0)) + 1
        return cells / (2 * n * LN2)

    b1, b2 = bias(table.sum(axis=1)), bias(table.sum(axis=0))
    b12 = bias(table.reshape(-1, table.shape[2]))
    # Iu = I1 + U2 = I2 + U1: the larger unimodal bias, so that R = I1 + I2 - Iu is not
    # pushed down by b1 + b2.
    expected = [b1, b2, b12, max(b1, b2)]
    assert plain.informations - corrected.informations == pytest.approx(expected)
    assert b1 != b2 and min(expected) > 0


def test_the_null_model_of_a_label_without_information_is_zero():
    table = np.einsum(
        "ij,k->ijk", np.random.default_rng(6).dirichlet(np.ones(64)).reshape(8, 8), np.ones(3)
    )
    independent = pid.Distribution.from_table(table, normalize=True)
    terms, plugin = [], []
    for seed in range(6):
        sampled = sample_pid(*_codes(independent, 1500, seed), seed=seed)
        terms.append(sampled.terms)
        plugin.append(sampled.plugin_terms)
        record = sampled.to_dict()["null"]
        assert record["n_permutations"] == 20
        assert sum(record["above_null"].values()) <= 2
    assert np.abs(np.mean(terms, axis=0)).max() <= 0.02
    assert np.mean(plugin, axis=0)[3] >= 0.05  # what the plug-in calls synergy


def _sampled(null):
    """A SampledPID of terms R = U2 = S = 1/8, U1 = 3/8 (exact in binary) and ``null``."""
    informations = np.array([0.5, 0.25, 1.0, 0.625])  # I1, I2, I12, Iu
    return SampledPID(informations, informations, null, None, None, "shuffle", 50.0, 300, 0, 0.95)


def test_a_term_stands_out_where_its_permutation_p_value_is_at_most_five_percent():
    quiet = np.zeros(20)
    null = np.stack(
        [
            quiet,  # R: no permutation reaches it, p = 1/21
            np.r_[quiet[:19], 0.375],  # U1: one ties it, p = 2/21, though it exceeds q95
            np.full(20, 0.5),  # U2: every permutation exceeds it, p = 1
            np.r_[quiet[:18], 0.124, 0.124],  # S: all below it, p = 1/21
        ],
        axis=1,
    )
    record = _sampled(null).to_dict()["null"]
    # Eq. (3): p = (1 + #{null >= v}) / (n_null + 1).
    assert record["p_value"] == {"R": 1 / 21, "U1": 2 / 21, "U2": 1.0, "S": 1 / 21}
    assert record["level"] == 0.05
    assert record["above_null"] == {"R": True, "U1": False, "U2": False, "S": True}
    assert record["q95"]["U1"] == np.quantile(null[:, 1], 0.95) < 0.375
    assert record["n_permutations"] == 20 and record["mean"]["U2"] == 0.5
    np.testing.assert_array_equal(
        permutation_p_values(np.array([0.0, 1.0]), np.array([[0.0, 0.0], [1.0, 2.0]])),
        [1.0, 2 / 3],
    )


def test_fewer_than_19_permutations_test_at_one_over_their_count_plus_one():
    assert null_level(19) == null_level(20) == null_level(1000) == 0.05
    assert null_level(18) == 1 / 19 and null_level(6) == 1 / 7
    nineteen = _sampled(np.r_[np.zeros((18, 4)), [[0.0, 0.375, 0.0, 0.0]]]).to_dict()["null"]
    assert nineteen["p_value"]["R"] == 0.05 and nineteen["above_null"]["R"]
    assert nineteen["p_value"]["U1"] == 0.1 and not nineteen["above_null"]["U1"]
    # Six permutations: p = 1/7 at best, so a term stands out above every permutation.
    six = _sampled(np.r_[np.zeros((5, 4)), [[0.0, 0.375, 0.0, 0.0]]]).to_dict()["null"]
    assert six["level"] == 1 / 7 and six["p_value"]["R"] == 1 / 7
    assert six["above_null"] == {"R": True, "U1": False, "U2": True, "S": True}
    none = _sampled(np.empty((0, 4))).to_dict()["null"]
    assert none["level"] is None and set(none["p_value"].values()) == {None}
    assert set(none["above_null"].values()) == {None}


def test_intervals_are_centred_on_the_corrected_terms_and_hold_the_nulls_spread():
    codes = _codes(NOISY_BITS, 3000, 2)
    sampled = sample_pid(*codes, options=SamplingOptions(n_null=4, n_bootstrap=30), seed=2)
    low, high = sampled.intervals.T
    np.testing.assert_allclose((low + high) / 2, sampled.terms, atol=1e-12)
    # Eq. (2): the half width is at least z times the null's spread, and the resamples add
    assert np.all((high - low) / 2 > 1.959 * sampled.null.std(axis=0, ddof=1))
    assert np.all(high - low > 0.02)
    assert sampled.to_dict()["intervals"]["S"] == list(sampled.intervals[3])


def test_training_deficits_raise_the_joint_information_and_widen_the_intervals():
    codes = _codes(NOISY_BITS, 2000, 3)
    options = SamplingOptions(n_null=4, n_bootstrap=20)
    joint = np.full((2000, 16), 1 / 16)
    plain = sample_pid(*codes, options=options, joint_posteriors=joint, seed=3)
    deficits = np.array([0.01, 0.02, 0.05])
    trained = sample_pid(
        *codes, options=options, joint_posteriors=joint, training_deficits=deficits, seed=3
    )
    np.testing.assert_allclose(trained.informations - plain.informations, [0, 0, 0.05, 0])
    np.testing.assert_allclose(trained.terms - plain.terms, [0, 0, 0, 0.05], atol=1e-12)
    # Eq. (1): R + [0, d1 + d2], U1 + [-d2, d1], U2 + [-d1, d2], S + [-d1 - d2 - d12, d12]
    # and the interval of S moves with its estimate
    ranges = np.array([[0, 0.03], [-0.02, 0.01], [-0.01, 0.02], [-0.03, 0.10]])
    np.testing.assert_allclose(trained.intervals - plain.intervals, ranges, atol=1e-12)
    assert trained.to_dict()["training_deficit_bits"]["I(X1,X2;Y)"] == 0.05
    # The permutations train no classifier: the null test is of the terms before the deficit.
    np.testing.assert_allclose(trained.tested_terms, plain.terms, atol=1e-12)
    assert trained.to_dict()["null"]["p_value"] == plain.to_dict()["null"]["p_value"]


def test_the_coding_loss_moves_the_terms_halfway_through_the_room_it_leaves():
    # R 0.3, U1 0.7, U2 0.2, S 0.4; the classifiers hold 0.2 and 0.1 bits more than the codes.
    informations = np.array([1.0, 0.5, 1.6, 1.2])
    loss = CodingLoss.of(informations, np.array([[1.2, 0.01], [0.6, 0.01]]))
    np.testing.assert_allclose(loss.lost, [0.2, 0.1])
    # Eq. (1): room = min(l1 + l2, I1 + l1 - R, I2 + l2 - R) = min(0.3, 0.9, 0.3).
    assert loss.room == pytest.approx(0.3) and loss.delta == pytest.approx(0.15)
    assert loss.floor == 0  # l1 + l2 - S < 0
    np.testing.assert_allclose(loss.moved, [0.15, 0.05, -0.05, -0.15], atol=1e-12)
    np.testing.assert_allclose(
        terms_of(informations + loss.shift) - terms_of(informations), loss.moved, atol=1e-12
    )
    ranges = [[0, 0.3], [-0.1, 0.2], [-0.2, 0.1], [-0.3, 0]]
    np.testing.assert_allclose(loss.ranges(), ranges, atol=1e-12)
    # All of x2's information redundant already (U2 = 0): no room, the loss goes to U1.
    tight = CodingLoss.of(np.array([1.0, 0.3, 1.6, 1.0]), np.array([[1.2, 0.01], [0.25, 0.01]]))
    assert tight.floor == tight.room == tight.delta == 0
    np.testing.assert_allclose(tight.moved, [0, 0.2, 0, -0.2], atol=1e-12)
    # A gap within LOSS_STANDARD_ERRORS (2) standard errors is not a loss: 0.2 bits against
    # 0.11, and 0.1 against 0.04.
    noisy = CodingLoss.of(informations, np.array([[1.2, 0.11], [0.6, 0.04]]))
    np.testing.assert_allclose(noisy.lost, [0.0, 0.1], atol=1e-12)
    # Codes corrected to -0.02 bits hold 0, not 0.023 less than a classifier of 0.003 bits.
    nothing = CodingLoss.of(np.array([-0.02, 0.5, 0.6, 0.5]), np.array([[0.003, 0.002], [0.5, 0]]))
    np.testing.assert_allclose(nothing.lost, [0.0, 0.0], atol=1e-12)
    # A synergy of 0.1 bits leaves the features' synergy non-negative from delta = 0.2 on.
    floored = CodingLoss.of(np.array([1.0, 0.5, 1.3, 1.2]), np.array([[1.2, 0.0], [0.6, 0.0]]))
    assert floored.floor == pytest.approx(0.2) and floored.delta == pytest.approx(0.2)
    np.testing.assert_allclose(floored.moved, [0.2, 0, -0.1, -0.1], atol=1e-12)
    np.testing.assert_allclose(floored.ranges()[3], [-0.1, 0], atol=1e-12)


def test_coding_losses_move_the_terms_and_widen_the_intervals():
    codes = _codes(NOISY_BITS, 2000, 3)
    options = SamplingOptions(n_null=4, n_bootstrap=20)
    # The exact p(y | x1, x2) of each sample: the codes' synergy is that of the bits, 0.53.
    joint = NOISY_BITS.table[codes[0], codes[1]]
    joint /= joint.sum(axis=1, keepdims=True)
    plain = sample_pid(*codes, options=options, joint_posteriors=joint, seed=3)
    held = np.stack([plain.informations[:2] + np.array([0.04, 0.0]), [0.01, 0.01]], axis=1)
    coded = sample_pid(
        *codes, options=options, joint_posteriors=joint, classifier_informations=held, seed=3
    )
    loss = CodingLoss.of(plain.informations, held)
    np.testing.assert_allclose(loss.lost, [0.04, 0.0], atol=1e-12)
    np.testing.assert_allclose(coded.terms - plain.terms, loss.moved, atol=1e-12)
    np.testing.assert_allclose(coded.informations[:2], held[:, 0])
    np.testing.assert_allclose(coded.intervals - plain.intervals, loss.ranges(), atol=1e-12)
    # The null test is of the moved terms (the permutations lose nothing to their codes).
    np.testing.assert_allclose(coded.tested_terms, coded.terms, atol=1e-12)
    record = coded.to_dict()["coding_loss_bits"]
    assert record["x1"] == pytest.approx(0.04) and record["x2"] == 0.0
    assert record["ranges"]["S"] == pytest.approx(plain.terms[3] + loss.ranges()[3])
    assert coded.to_dict()["bias_bits"] == pytest.approx(plain.to_dict()["bias_bits"])
    # A range of synergy wider than CODING_LOSS_BITS is warned of.
    assert loss.room - loss.floor == pytest.approx(0.04)
    low, high = record["ranges"]["S"]
    assert any(
        f"hold 0.040 and 0.000 bits less about y than their classifiers, which leaves the "
        f"features' synergy anywhere from {low:.3f} to {high:.3f} bits" in note
        for note in coded.warnings()
    )
    assert not any("classifiers" in note for note in plain.warnings())
    # Training deficits widen the intervals by Eq. (1) of pid.sampling beside the coding range,
    # and move S's centre by d12; the loss is measured against the classifiers as they are.
    deficits = np.array([0.01, 0.02, 0.05])
    trained = sample_pid(
        *codes,
        options=options,
        joint_posteriors=joint,
        training_deficits=deficits,
        classifier_informations=held,
        seed=3,
    )
    np.testing.assert_allclose(trained.coding_loss.lost, [0.04, 0.0], atol=1e-12)
    training = np.array([[0, 0.03], [-0.02, 0.01], [-0.01, 0.02], [-0.03, 0.10]])
    widened = trained.coding_loss.ranges() + training
    np.testing.assert_allclose(trained.intervals - plain.intervals, widened, atol=1e-12)
    # The null test is of the terms without the joint deficit: the codes' moved by the loss.
    np.testing.assert_allclose(trained.tested_terms, coded.terms, atol=1e-12)
    # correction="none" keeps the plug-in terms: no move, no record.
    none = SamplingOptions(correction="none", n_null=4)
    plugin = sample_pid(
        *codes, options=none, joint_posteriors=joint, classifier_informations=held, seed=3
    )
    assert plugin.coding_loss is None and plugin.to_dict()["coding_loss_bits"] is None
    np.testing.assert_allclose(plugin.terms, plugin.plugin_terms, atol=1e-12)


@pytest.mark.parametrize("refined", [0, 1])
def test_refining_a_modality_moves_the_terms_within_the_training_ranges(refined):
    # Eq. (1) of pid.sampling: x_refined of a random 6 x 6 x 3 table garbled to 3 codes moves
    # R by [0, d], its own U by [0, d] and the other U by [-d, 0], d its gain in I(X;Y).
    rng = np.random.default_rng(refined)
    for _ in range(5):
        fine = rng.dirichlet(np.full(108, 0.5)).reshape(6, 6, 3)
        merge = rng.permutation(np.arange(6) % 3)
        coarse = np.zeros((3, 6, 3) if refined == 0 else (6, 3, 3))
        for code in range(6):
            index = (merge[code], slice(None)) if refined == 0 else (slice(None), merge[code])
            coarse[index] += fine[code] if refined == 0 else fine[:, code]
        exact = [pid.estimate(pid.Distribution.from_table(t)) for t in (fine, coarse)]
        gain = [r.mi_x1_y if refined == 0 else r.mi_x2_y for r in exact]
        d = gain[0] - gain[1]
        own, other = ("U1", "U2") if refined == 0 else ("U2", "U1")
        moved = {t: exact[0].terms()[t] - exact[1].terms()[t] for t in TERMS}
        assert -1e-6 <= moved["R"] <= d + 1e-6
        assert -1e-6 <= moved[own] <= d + 1e-6
        assert -d - 1e-6 <= moved[other] <= 1e-6


def test_sparse_tables_are_warned_of():
    codes = _codes(NOISY_BITS, 300, 0)  # 8 x 8 x 16 cells
    with pytest.warns(UserWarning, match="samples per occupied cell"):
        pid.decompose(*codes, sampling=SamplingOptions(n_null=2))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"correction": "jackknife"}, "correction 'jackknife' is unknown"),
        (
            {"correction": "shuffle", "n_null": 1},
            "n_null is 1; pass a whole number of at least 2 for correction='shuffle', which",
        ),
        ({"n_null": 5.0}, r"n_null is 5.0; pass a whole number of at least 0\."),
        ({"n_bootstrap": True}, r"n_bootstrap is True; pass a whole number of at least 0\."),
        ({"n_null": np.int64(-1)}, r"n_null is -1; pass a whole number of at least 0\."),
        ({"n_bootstrap": 1}, "n_bootstrap is 1"),
        ({"confidence": 1.0}, "confidence is 1.0"),
        ({"tol_bits": 0.0}, "tol_bits is 0.0"),
    ],
)
def test_bad_sampling_options_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        SamplingOptions(**settings)


def test_numpy_integers_are_whole_numbers_of_sampling_options():
    options = SamplingOptions(n_null=np.int64(5), n_bootstrap=np.int32(3))
    assert (options.n_null, options.n_bootstrap) == (5, 3)
    assert type(options.n_null) is int and type(options.n_bootstrap) is int


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"c1": np.arange(10) - 1}, "c1 has negative codes"),
        ({"y": np.zeros(9, dtype=int)}, "c1, c2 and y have 10, 10 and 9 samples"),
        ({"joint_posteriors": np.full((10, 3), 1 / 3)}, r"joint_posteriors has shape \(10, 3\)"),
        ({"joint_posteriors": np.full((10, 2), np.nan)}, "joint_posteriors holds negative, NaN"),
        ({"joint_posteriors": np.full((10, 2), -0.5)}, "joint_posteriors holds negative, NaN"),
        ({"options": {"correction": "none"}}, "options is of type dict; pass a SamplingOptions"),
        ({"seed": -3}, "seed is -3; pass a whole number from 0"),
        ({"seed": None}, "seed is None; pass a whole number"),
        ({"training_deficits": np.ones(2)}, r"training_deficits is \[1.0, 1.0\]; pass 3 non-neg"),
        ({"training_deficits": -np.ones(3)}, "training_deficits is .*; pass 3 non-negative"),
        ({"whole": np.ones(3)}, r"whole is \[1.0, 1.0, 1.0\]; pass 4 finite numbers"),
        ({"classifier_informations": np.ones(2)}, "classifier_informations is .*; pass 2 rows"),
        ({"classifier_informations": [[np.nan, 0.1], [1.0, 0.1]]}, r"informations is \[\[nan"),
        ({"classifier_informations": [[1.0, -0.1], [1.0, 0.1]]}, "non-negative standard error"),
        # The table of (x2, x1, y): the right total, but not the codes' shape (3, 2, 2).
        ({"table": np.ones((2, 3, 2)) * 10 / 12}, r"table has shape \(2, 3, 2\) .* \(3, 2, 2\)"),
    ],
)
def test_bad_samples_are_refused(change, message):
    arguments = {"c1": np.arange(10) % 3, "c2": np.arange(10) % 2, "y": np.arange(10) % 2}
    arguments["options"] = SamplingOptions(n_null=2)
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        sample_pid(**arguments)


def test_uncorrected_intervals_warn_that_they_leave_the_bias_out():
    codes = _codes(NOISY_BITS, 3000, 0)  # 11 samples per occupied cell: not sparse
    plain = SamplingOptions("none", n_null=0, n_bootstrap=4)
    sampled = sample_pid(*codes, options=plain)
    assert sampled.samples_per_cell > 10
    (note,) = sampled.warnings()
    assert "hold the sampling spread, not that bias" in note
    truth_table = sample_pid(*codes, options=SamplingOptions("none", n_null=0))
    assert truth_table.warnings() == []
    sparse = sample_pid(*_codes(NOISY_BITS, 300, 0), options=plain)
    assert [note.split(":")[0] for note in sparse.warnings()] == [
        f"only {sparse.samples_per_cell:.1f} samples per occupied cell (fewer than 10)",
        "correction='none' keeps the plug-in terms, which the sample's sparsity biases upwards "
        "(synergy most)",
    ]


def test_too_few_samples_for_a_correction_are_refused():
    codes = [np.array([0, 1, 0]), np.array([1, 0, 0]), np.array([0, 1, 1])]
    with pytest.raises(ValueError, match="3 samples are too few for correction='quadratic'"):
        sample_pid(*codes, options=SamplingOptions("quadratic", 0))
    assert sample_pid(*codes, options=SamplingOptions("none", 0)).n_samples == 3


def test_the_union_correction_of_a_classifier_keeps_the_tables_union_information():
    codes = _codes(NOISY_BITS, 2000, 3)
    y = codes[2]
    frequencies = np.bincount(y) / len(y)
    posteriors = np.tile(frequencies, (len(y), 1))  # a classifier that learned nothing
    options = SamplingOptions("union", 0)
    tables = sample_pid(*codes, options=options, seed=3)
    classifier = sample_pid(*codes, options=options, joint_posteriors=posteriors, seed=3)
    assert classifier.plugin[:2] == pytest.approx(tables.plugin[:2], abs=1e-12)
    # Both solve the sample's table among other views to a certified gap of tol_bits.
    assert classifier.plugin[3] == pytest.approx(tables.plugin[3], abs=options.tol_bits)
    # The classifier's views are drawn row by row, the tables' from their counts: the same
    # distribution, other draws, so the corrected values agree within the correction's spread.
    assert classifier.informations[[0, 1, 3]] == pytest.approx(
        tables.informations[[0, 1, 3]], abs=0.05
    )
    assert classifier.plugin[2] == pytest.approx(0.0, abs=1e-12)
    assert abs(classifier.informations[2]) <= 0.01 < tables.plugin[2] - tables.plugin[3]


@pytest.fixture(scope="module")
def unique_features():
    return generative("U1", 2000, seed=0)


def test_the_posterior_encoding_keeps_the_unique_information(unique_features):
    result = pid.decompose(*unique_features)
    assert result.provenance["discretization"]["method"] == "posterior"
    exact = pid.datasets.generative_pid("U1", n_samples=100_000, bins=64)
    assert result.U1 == pytest.approx(exact.U1, abs=0.1)
    assert max(abs(result.R), abs(result.U2), abs(result.S)) <= 0.05
    above = result.sampling["null"]["above_null"]
    assert above["U1"] and not above["U2"]
    kmeans = pid.decompose(*unique_features, discretization="kmeans")
    assert result.U1 > kmeans.U1 + 0.2  # clusters of the features lose most of it


def test_posteriors_are_cross_fitted_and_calibrated(unique_features):
    x1, x2, y = unique_features
    shuffled = np.random.default_rng(0).permutation(y)
    encoding = encode_posteriors(x1, x2, shuffled, n_codes=8)
    assert encoding.diagnostics["folds"] == 5
    # Held out, a label the features do not predict costs at least its entropy.
    assert min(encoding.diagnostics["cross_entropy_bits"].values()) >= 0.99
    # Half the samples overfit noise more: Eq. (1)'s deficits are what all of them still
    # lose to H(Y), so that I(X1,X2;Y) = H(Y) - CE + d stays near zero.
    losses, half = (
        encoding.diagnostics[k] for k in ("cross_entropy_bits", "cross_entropy_half_bits")
    )
    for key, deficit in zip(("x1", "x2", "joint"), encoding.training_deficits, strict=True):
        loss = losses["chosen" if key == "joint" else key]  # the joint posterior chosen
        assert deficit == pytest.approx(max(half[key] - loss, 0.0))
        assert deficit <= 0.03
    result = pid.decompose(x1, x2, shuffled)
    assert max(abs(v) for v in result.terms().values()) <= 0.05
    assert np.allclose(encoding.posteriors["x1"].sum(axis=1), 1.0)


def test_uninformative_features_fall_back_on_the_label_frequencies():
    # An overfitted classifier of noise does worse held out than the label frequencies; the
    # frequencies are kept, so I(X1,X2;Y) and the synergy stay at zero instead of below it.
    rng = np.random.default_rng(3)
    x1, x2 = rng.standard_normal((2, 600, 20))
    y = rng.choice(6, size=600, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
    encoding = encode_posteriors(x1, x2, y, n_codes=4)
    losses = encoding.diagnostics["cross_entropy_bits"]
    assert encoding.diagnostics["joint_from"].count("prior") >= 3  # of five folds
    assert losses["joint"] > losses["prior"]
    result = pid.decompose(x1, x2, y, sampling=SamplingOptions(n_null=10))
    assert result.mi_x1x2_y == pytest.approx(0.0, abs=0.02)
    assert abs(result.S) <= 0.03


@pytest.mark.parametrize("gate", ["xor", "and"])
def test_a_label_that_is_a_function_of_both_modalities_keeps_its_whole_information(gate):
    # Held out, the joint classifier of a logic gate is right but soft; its temperature
    # sharpens it until I(X1,X2;Y) is the label's entropy (the 1e-3 uniform share aside).
    x1, x2 = np.repeat([0, 0, 1, 1], 128), np.repeat([0, 1, 0, 1], 128)
    y = x1 ^ x2 if gate == "xor" else x1 & x2
    result = pid.decompose(x1.astype(float), x2.astype(float), y)
    exact = pid.estimate(canonical(gate))
    assert result.mi_x1x2_y == pytest.approx(exact.mi_x1x2_y, abs=0.005)
    assert result.S == pytest.approx(exact.S, abs=0.03)


def test_posteriors_of_few_samples_fit_without_warnings(unique_features):
    # 200 samples leave each fold's perceptron fewer than a batch of 256.
    x1, x2, y = (v[:200] for v in unique_features)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoding = encode_posteriors(x1, x2, y)
    assert encoding.diagnostics["cross_entropy_bits"]["x1"] < 0.5


def test_posterior_settings_are_checked(unique_features):
    x1, x2, y = unique_features
    with pytest.raises(ValueError, match="too few to cross-fit"):
        encode_posteriors(x1[:50], x2[:50], y[:50])
    with pytest.raises(ValueError, match="folds is 1"):
        PosteriorOptions(folds=1)
    with pytest.raises(ValueError, match="posterior sets up the posterior encoding"):
        pid.decompose(x1, x2, y, discretization="kmeans", posterior=PosteriorOptions())


def test_below_the_posteriors_samples_a_discrete_modality_keeps_its_codes():
    # 60 samples: text for x1 (which k-means cannot cluster) beside features for x2.
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 3, 60)
    features = rng.normal(size=(60, 2)) + 3 * (rng.integers(0, 2, 60))[:, None]
    y = (colour == 0) ^ (features[:, 0] > 1.5)
    text = np.array(["red", "green", "blue"])[colour]
    plain = SamplingOptions(correction="none", n_null=0)
    result = pid.decompose(text, features, y, sampling=plain, n_clusters=4)
    coding = result.provenance["discretization"]
    assert coding["x1"]["method"] == "codes" and coding["x1"]["n_codes"] == 3
    assert coding["x2"]["method"] == "kmeans" and coding["x2"]["n_codes"] == 4
    # The same PID as the codes of x1 given as integers (k-means then clusters x2 alike).
    coded = pid.decompose(colour, features, y, sampling=plain, n_clusters=4)
    assert result.terms() == pytest.approx(coded.terms(), abs=1e-9)
    # n_clusters goes unused where both modalities are codes, whatever its value.
    both = pid.decompose(colour[:8], colour[:8] % 2, y[:8], sampling=plain, n_clusters=10)
    assert both.provenance["discretization"]["x1"]["method"] == "codes"


def test_posteriors_on_a_torch_device_agree(unique_features):
    pytest.importorskip("torch")
    options = PosteriorOptions(device="cpu", folds=2)
    result = pid.decompose(*unique_features, posterior=options, sampling=SamplingOptions(n_null=4))
    assert result.provenance["discretization"]["classifiers"]["joint"].startswith("torch")
    assert result.U1 >= 0.6 and max(abs(result.R), abs(result.U2)) <= 0.05


def test_samples_per_cell_is_that_of_the_sample_under_every_correction():
    # x2 a copy of x1: 16 occupied cells of 400 samples. Under "union" the first table
    # planned is that of x2 permuted within each label, whose cells are many more.
    rng = np.random.default_rng(0)
    x1 = rng.integers(0, 8, 400)
    y = (x1 + (rng.random(400) < 0.1)) % 2
    occupied = np.count_nonzero(pid.Distribution.from_samples(x1, x1, y).table)
    for correction in ("quadratic", "union"):
        options = SamplingOptions(correction=correction, n_null=0)
        sampled = sample_pid(x1, x1.copy(), y, options=options)
        assert sampled.samples_per_cell == pytest.approx(400 / occupied)
        assert sampled.warnings() == []
