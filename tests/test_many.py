"""The PID of many modalities: every pair, each against the rest, missing samples, and the
bounds of pairs never observed together."""

import itertools
import json
from dataclasses import replace

import numpy as np
import pytest

import pid
from pid import Distribution, SamplingOptions, decompose, decompose_many
from pid.bounds.resampling import BoundsResampling
from pid.bounds.unpaired import unpaired_bounds, unpaired_bounds_from_samples
from pid.datasets.many import (
    FIVE_MODALITIES_STRUCTURE,
    FIVE_MODALITIES_WIDTHS,
    five_modalities,
    five_modalities_codes,
    five_modalities_pid,
)
from pid.report import many_report
from pid.sweep import SweepOptions
from tests.conftest import random_shape, random_table

#: The table itself: no correction, no null model.
PLAIN = SamplingOptions(correction="none", n_null=0)


@pytest.fixture(scope="module")
def exact_five():
    codes, y = five_modalities_codes()
    return decompose_many(codes, y, sampling=PLAIN)


def _terms(result):
    return np.array([result.R, result.U1, result.U2, result.S])


def test_every_pair_and_rest_matches_the_exact_solver(rng):
    codes = {f"m{k}": rng.integers(0, 3, 60) for k in range(4)}
    y = (codes["m0"] + codes["m1"] * codes["m2"]) % 3
    many = decompose_many(codes, y, sampling=PLAIN)
    assert list(many.pairs) == list(itertools.combinations(codes, 2))
    for (a, b), result in many.pairs.items():
        exact = pid.estimate(Distribution.from_samples(codes[a], codes[b], y))
        np.testing.assert_allclose(_terms(result), _terms(exact), atol=1e-6)
        assert many.count(a, b) == 60
    for name, result in many.rest.items():
        others = np.stack([codes[o] for o in codes if o != name], axis=1)
        joint = np.unique(others, axis=0, return_inverse=True)[1].ravel()
        exact = pid.estimate(Distribution.from_samples(codes[name], joint, y))
        np.testing.assert_allclose(_terms(result), _terms(exact), atol=1e-6)


def test_five_modalities_exact_structure(exact_five):
    exact = five_modalities_pid()
    for pair, (term, bits) in FIVE_MODALITIES_STRUCTURE.items():
        values = exact[pair].terms()
        if term is None:
            assert max(values.values()) == pytest.approx(0.0, abs=1e-6)
        else:
            assert values[term] == pytest.approx(bits, abs=1e-6)
            others = [v for t, v in values.items() if t != term]
            assert max(others) < bits
        assert exact_five.dominant(*pair) == term
        np.testing.assert_allclose(_terms(exact_five.pairs[pair]), _terms(exact[pair]), atol=1e-6)
    np.testing.assert_allclose(
        _terms(exact_five.rest["x3"]), [1.0, 0.0, 0.0, 2.0], atol=1e-6
    )  # x3 shares r with the others and makes the XOR with x4
    np.testing.assert_allclose(_terms(exact[("x5", "rest")]), [0.0, 0.0, 3.0, 0.0], atol=1e-6)


def test_matrices_ranking_and_summary(exact_five):
    names = exact_five.names
    U = exact_five.matrix("U")
    R, S = exact_five.matrix("R"), exact_five.matrix("S")
    assert np.isnan(np.diag(U)).all() and np.allclose(R, R.T, equal_nan=True)
    i, j = names.index("x1"), names.index("x4")
    assert U[i, j] == pytest.approx(1.0, abs=1e-6) and U[j, i] == pytest.approx(0.0, abs=1e-6)
    assert S[names.index("x3"), names.index("x4")] == pytest.approx(2.0, abs=1e-6)
    assert exact_five.dominant("x1", "x4") == "U1" and exact_five.dominant("x4", "x1") == "U2"
    ranking = exact_five.ranked_by_synergy()
    assert ranking[0] == ("x3", "x4")
    assert ranking[1:] == [pair for pair in exact_five.pairs if pair != ("x3", "x4")]
    summary = exact_five.summary()
    assert summary[:4] == [
        "x1 and x2 are largely redundant (R 1.00 of 1.00 bits).",
        "x1 and x3 are largely redundant (R 1.00 of 1.00 bits).",
        "x2 and x3 are largely redundant (R 1.00 of 1.00 bits).",
        "x3 and x4 are largely synergistic (S 2.00 of 3.00 bits).",
    ]
    assert "x4 carries no information about y on its own, only together with x3 " in summary[4]
    assert summary[5] == "x5 carries no information about y, alone or together with the others."
    # A bias-corrected S below 0 leaves R the larger share of the positive terms, not a
    # share above the whole.
    below = replace(exact_five.pairs[("x1", "x2")], S=-0.09)
    corrected = replace(exact_five, pairs={**exact_five.pairs, ("x1", "x2"): below})
    assert corrected.summary()[0] == "x1 and x2 are largely redundant (R 1.00 of 1.00 bits)."
    record = json.loads(exact_five.to_json())
    assert record["names"] == list(names) and record["matrices"]["U"][0][0] is None
    assert record["ranking"][0] == ["x3", "x4"] and record["counts"][0][0] == 32


def test_missing_samples_use_the_rows_where_both_are_present(rng):
    n = 240
    a, b, c = (rng.integers(0, 2, n) for _ in range(3))
    y = a ^ b
    features = np.stack([c, 1 - c], axis=1).astype(float) + 0.01 * rng.standard_normal((n, 2))
    gaps = rng.random((n, 3)) < 0.3
    with_none = [None if gap else int(v) for v, gap in zip(a, gaps[:, 0], strict=True)]
    features[gaps[:, 2]] = np.nan
    modalities = {"a": with_none, "b": b, "c": features}
    settings = {"discretization": "kmeans", "n_clusters": 2}
    many = decompose_many(modalities, y, mask={"b": ~gaps[:, 1]}, **settings)
    present = ~gaps
    assert many.counts.tolist() == (present.T.astype(int) @ present.astype(int)).tolist()
    arrays = {"a": a, "b": b, "c": features}
    for (p, q), result in many.pairs.items():
        rows = present[:, "abc".index(p)] & present[:, "abc".index(q)]
        alone = decompose(arrays[p][rows], arrays[q][rows], y[rows], **settings)
        assert _terms(result).tolist() == _terms(alone).tolist()
        assert result.provenance["n_samples"] == rows.sum() == many.count(p, q)
    assert many.provenance["rest_samples"] == present.all(axis=1).sum()
    counts = [many.count(*pair) for pair in many.pairs]
    assert many.summary()[0] == (
        f"Each pair was decomposed on the samples where both modalities are present: from "
        f"{min(counts):,} to {max(counts):,} of the {n:,} samples."
    )


def test_rows_the_mask_marks_missing_are_not_checked(rng):
    n = 300
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    features = rng.normal(size=(n, 2))
    features[:10, 0], features[10:12] = np.nan, np.inf
    ragged = [[0.0]] * 12 + features[12:].tolist()  # masked rows of another width
    observed = np.arange(n) >= 12
    settings = {"discretization": "kmeans", "n_clusters": 2, "sampling": PLAIN}
    gaps = features.copy()
    gaps[~observed] = np.nan
    expected = decompose_many({"a": a, "b": b, "f": gaps}, a ^ b, **settings)
    for f in (features, ragged):
        many = decompose_many({"a": a, "b": b, "f": f}, a ^ b, mask={"f": observed}, **settings)
        assert many.count("a", "f") == n - 12
        for term in ("R", "U", "S"):
            np.testing.assert_array_equal(many.matrix(term), expected.matrix(term))
        assert [_terms(r).tolist() for r in many.rest.values()] == [
            _terms(r).tolist() for r in expected.rest.values()
        ]


def test_the_rest_of_features_is_learned_by_the_perceptron(rng):
    n = 100
    features = {f"x{k}": rng.standard_normal((n, 2)) for k in (1, 2, 3)}
    options = pid.PosteriorOptions(folds=2, learning_curve=False, hidden=(4,))
    many = decompose_many(features, rng.integers(0, 2, n), posterior=options)
    perceptron, logistic = "scikit-learn tanh perceptron [4]", "scikit-learn logistic regression"
    for result in many.pairs.values():
        assert result.provenance["discretization"]["classifiers"]["x2"] == logistic
    for result in many.rest.values():
        assert result.provenance["discretization"]["classifiers"]["x1"] == logistic
        assert result.provenance["discretization"]["classifiers"]["x2"] == perceptron
    with pytest.raises(ValueError, match=r"modality_classifiers is \('logistic', 'tree'\)"):
        pid.PosteriorOptions(modality_classifiers=("logistic", "tree"))


def test_parallel_pairs_give_the_same_results(exact_five):
    codes, y = five_modalities_codes()
    parallel = decompose_many(codes, y, sampling=PLAIN, sweep=SweepOptions(n_jobs=2))
    for pair, result in exact_five.pairs.items():
        assert _terms(parallel.pairs[pair]).tolist() == _terms(result).tolist()


def test_a_pair_never_observed_together_is_bounded():
    # The XOR gate on its four equally likely inputs, ten times over; x3 copies x1.
    x1 = np.tile([0, 0, 1, 1], 10)
    x2 = np.tile([0, 1, 0, 1], 10)
    y = x1 ^ x2
    first = np.arange(40) < 20
    modalities = {"x1": x1, "x2": x2, "x3": x1.copy()}
    mask = {"x1": first, "x2": ~first}
    plain = BoundsResampling(n_bootstrap=0)
    many = decompose_many(modalities, y, mask=mask, sampling=PLAIN, bounds_sampling=plain)
    assert many.count("x1", "x2") == 0 and ("x1", "x2") not in many.pairs
    bound = many.bounds[("x1", "x2")]
    exact = pid.estimate(Distribution.from_samples(x1, x2, y))
    assert exact.S == pytest.approx(1.0)
    assert (bound.R, bound.U1, bound.U2) == pytest.approx((0.0, 0.0, 0.0), abs=1e-6)
    assert many.synergy_range("x1", "x2") == pytest.approx((0.0, 1.0), abs=1e-6)
    assert np.isnan(many.matrix("S")[0, 1]) and many.matrix("R")[0, 1] == pytest.approx(0.0)
    assert many.summary()[-1] == (
        "x1 and x2 were never observed together: from each one's samples with labels, their "
        "redundancy is 0.00 bits and their unique information 0.00 (x1) and 0.00 (x2), but "
        "their synergy is not determined: it lies between 0 and 1.00 bits for every joint "
        "consistent with those samples."
    )
    twenty = BoundsResampling(n_bootstrap=20)
    again = decompose_many(modalities, y, mask=mask, sampling=PLAIN, bounds_sampling=twenty)
    low, high = again.synergy_range("x1", "x2")
    assert low == 0.0 and high >= 1.0
    assert again.bounds[("x1", "x2")].sampling["n_resamples"] == 20


def test_unpaired_bounds_hold_for_every_joint(rng):
    for _ in range(20):
        dist = Distribution.from_table(random_table(rng, random_shape(rng, 4, 3)))
        exact = pid.estimate(dist)
        bound = unpaired_bounds(dist.p_x1_y, dist.p_x2_y)
        assert (bound.R, bound.U1, bound.U2) == pytest.approx(
            (exact.R, exact.U1, exact.U2), abs=1e-6
        )
        assert bound.lower <= exact.S <= bound.upper + 1e-9


def test_unpaired_bounds_from_samples_without_resampling_are_the_tables():
    x1, y1 = np.array([0, 1, 1, 0, 2, 2]), np.array([0, 1, 1, 0, 1, 0])
    x2, y2 = np.array([1, 0, 1, 0]), np.array([1, 0, 1, 0])
    plain = unpaired_bounds_from_samples((x1, y1), (x2, y2), options=BoundsResampling(0))
    p_y = np.array([5, 5]) / 10  # both sets' labels together
    p1 = np.array([[2, 0], [0, 2], [1, 1]]) / np.array([3, 3]) * p_y
    p2 = np.array([[2, 0], [0, 2]]) / np.array([2, 2]) * p_y
    table = unpaired_bounds(p1, p2)
    assert (plain.R, plain.U1, plain.S_upper) == (table.R, table.U1, table.S_upper)
    with pytest.raises(ValueError, match="label 1 never occurs in labeled2"):
        unpaired_bounds_from_samples((x1, y1), (x2[y2 == 0], y2[y2 == 0]))


def test_continuous_labels_are_binned_once():
    x = np.tile(np.arange(4), 25)
    target = np.linspace(0.0, 1.0, 100)
    many = decompose_many([x, x[::-1].copy(), x], target, label_bins=2, sampling=PLAIN)
    assert many.provenance["label_bins"]["n_bins"] == 2
    assert many.names == ("x1", "x2", "x3")
    assert many.entropy_y == pytest.approx(1.0)
    two = decompose_many([x, x[::-1].copy()], target, label_bins=2, sampling=PLAIN)
    assert list(two.pairs) == [("x1", "x2")] and two.rest == {}


def test_five_modalities_features():
    features, y = five_modalities(50, seed=3)
    assert {k: v.shape[1] for k, v in features.items()} == FIVE_MODALITIES_WIDTHS
    assert set(np.unique(y)) <= set(range(8)) and len(y) == 50
    again, _ = five_modalities(50, seed=3)
    assert all(np.array_equal(features[k], again[k]) for k in features)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: decompose_many({"a": [0, 1]}, [0, 1]), "modalities holds 1 entry; pass at least"),
        (lambda: decompose_many([[0, 1], [0, 1, 1]], [0, 1]), "x2 has 3 rows but y has 2 labels"),
        (lambda: decompose_many([[0, 1], [0, 1]], [0, np.nan]), "y is missing (NaN, infinite"),
        (
            lambda: decompose_many([np.array([[0.0, np.nan], [1.0, 1.0]]), [0, 1]], [0, 1]),
            "x1 has 1 row(s) with infinite values or only some values NaN",
        ),
        (
            lambda: decompose_many([[0, 1], [0, 1]], [0, 1], mask={"z": [True, True]}),
            "mask names 'z', which is no modality",
        ),
        (
            lambda: decompose_many([[0, 1], [0, 1]], [0, 1], mask=np.ones((2, 3), bool)),
            "mask has shape (2, 3); pass one column per modality",
        ),
        (
            lambda: decompose_many([[None, None], [0, 1]], [0, 1]),
            "x1 is missing in every sample; drop it",
        ),
        (
            lambda: decompose_many([[0, 1], [0, 1]], [0, 1], min_pair_samples=0),
            "min_pair_samples is 0",
        ),
        (
            lambda: decompose_many([[0, 1, 0], [[0, 1], [0], None]], [0, 1, 0]),
            "x2 holds entries of different shapes",
        ),
        (
            lambda: decompose_many([np.zeros(8), np.arange(8)], np.arange(8) % 2, pca=0),
            "pca (--pca) is 0; pass a whole number of at least 1",
        ),
        (
            lambda: decompose_many([[0, 1], [0, 1]], [0, 1], sweep="x"),
            "sweep is of type str; pass a SweepOptions (e.g. SweepOptions()) or None.",
        ),
        (
            lambda: decompose_many([[0, 1], [0, 1]], [0, 1], bounds_sampling=5),
            "bounds_sampling is of type int; pass a BoundsResampling (e.g. BoundsResampling()) "
            "or None.",
        ),
    ],
)
def test_bad_input_is_refused_in_one_sentence(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)
    assert str(error.value).count(". ") == 0 or "e.g." in str(error.value)


def test_an_error_in_one_pair_names_the_pair(rng):
    x = np.tile([0, 1], 20)
    features = rng.standard_normal((40, 2))
    with pytest.raises(ValueError) as error:
        decompose_many([x, x, features], x, discretization="codes", sampling=PLAIN)
    assert str(error.value).startswith(
        "the pair x1, x3 (40 samples): x2 has shape (40, 2), but discrete codes must be 1-D"
    )


def test_a_pair_observed_together_on_one_label_only_is_not_decomposed(rng):
    a, b, c = (rng.integers(0, 2, 400) for _ in range(3))
    y = a ^ b
    never = c.astype(object)
    never[y == 1] = None  # c is never observed with the label 1
    many = decompose_many({"a": a, "b": b, "c": never}, y, sampling=PLAIN)
    assert list(many.pairs) == [("a", "b")] and many.rest == {} and many.bounds == {}
    assert many.pairs[("a", "b")].S == pytest.approx(1.0, abs=0.02)
    assert many.unbounded == many.one_class == (("a", "c"), ("b", "c"))
    count = int((y == 0).sum())
    assert many.summary()[-1] == (
        f"b and c were observed together only on samples of one label ({count} samples), and "
        "some label is never observed with one of them, so nothing about the pair can be bounded."
    )
    assert many_report(many).summary.endswith(
        " 2 pairs were not decomposed (2 only on samples of one label): in each, some label is "
        "never observed with one of the two modalities, so nothing about them can be bounded."
    )
    assert not any(line.startswith("c carries") for line in many.summary())
    # Each observed with both labels, but together only where y is 0: bounded.
    half = np.arange(400) % 2 == 0
    mask = {"b": (y == 0) | half, "c": (y == 0) | ~half}
    plain = BoundsResampling(n_bootstrap=0)
    many = decompose_many(
        {"a": a, "b": b, "c": c}, y, mask=mask, sampling=PLAIN, bounds_sampling=plain
    )
    assert list(many.pairs) == [("a", "b"), ("a", "c")] and many.one_class == (("b", "c"),)
    assert list(many.bounds) == [("b", "c")] and many.unbounded == ()
    assert many.summary()[-1].startswith(
        f"b and c were observed together only on samples of one label ({count} samples): from "
        "each one's samples with labels, their redundancy is"
    )
    assert many.to_dict()["one_class"] == [["b", "c"]]
    assert many_report(many).summary.endswith(
        "1 pair was not decomposed (1 only on samples of one label) and is bounded from each "
        "modality's labeled samples instead, where every label is observed with both."
    )


def test_summary_of_a_three_way_xor_says_what_was_and_was_not_measured():
    rng = np.random.default_rng(0)
    a, b, c = (rng.integers(0, 2, 2000) for _ in range(3))
    codes = {"a": a, "b": b, "c": c}
    many = decompose_many(codes, a ^ b ^ c, sampling=PLAIN)
    assert many.summary() == [
        f"{name} carries no information about y on its own nor with any one other modality, "
        "only together with all the others (synergy 1.00 bits)."
        for name in codes
    ]
    pairs_only = decompose_many(codes, a ^ b ^ c, sampling=PLAIN, against_rest=False)
    assert pairs_only.summary()[0] == (
        "a carries no information about y, alone or with any one other modality (it was not "
        "decomposed against all the others together)."
    )
    copy = decompose_many(codes, a, sampling=PLAIN, against_rest=False)
    assert copy.summary()[0] == (
        "a carries information about y on its own (up to 1.00 bits of R or its own U in a "
        "pair); what it adds to all the others together was not measured (it was not "
        "decomposed against them)."
    )


def test_the_dominant_term_of_a_pair_asked_the_other_way_round_keeps_its_null_test():
    # a carries about half a bit about y, b nothing: a's unique information dominates the
    # pair either way round, as U1 of (a, b) and U2 of (b, a); the swapped result's null test
    # and intervals go with their terms.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    a = np.where(rng.random(2000) < 0.9, y, 1 - y)
    many = decompose_many({"a": a, "b": rng.integers(0, 2, 2000)}, y)
    assert many.dominant("a", "b") == "U1" and many.dominant("b", "a") == "U2"


def test_whole_numbers_with_gaps_are_codes_for_decompose_as_for_decompose_many():
    # Integer codes with one missing cell, as floats with NaN (or pandas' nullable integers):
    # dropped, the rest are the codes they were, not features to encode.
    import pandas as pd

    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 3, (2, 400))
    y = (x1 + x2) % 2
    floats = x1.astype(float)
    floats[0] = np.nan
    nullable = pd.Series(x1, dtype="Int64")
    nullable[0] = pd.NA
    by_hand = decompose(x1[1:], x2[1:], y[1:])
    for gapped in (floats, nullable):
        dropped = decompose(gapped, x2, y, drop_nonfinite=True)
        assert dropped.provenance["discretization"]["x1"]["method"] == "codes"
        assert dropped.terms() == pytest.approx(by_hand.terms(), abs=1e-12)
    pair = decompose_many({"a": floats, "b": x2}, y).pairs[("a", "b")]
    assert pair.terms() == pytest.approx(by_hand.terms(), abs=1e-12)


def test_entries_and_labels_decompose_refuses_are_refused_in_its_sentence():
    import pandas as pd

    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 3, (2, 300))
    y = (a + b) % 2
    sampling = SamplingOptions(n_bootstrap=0)
    # pandas' NA marks a missing entry, as None does.
    with_na, with_none = b.astype(object), b.astype(object)
    with_na[::7], with_none[::7] = pd.NA, None
    gapped = decompose_many([a, with_na], y, sampling=sampling)
    expected = decompose_many([a, with_none], y, sampling=sampling)
    assert gapped.count("x1", "x2") == expected.count("x1", "x2") == 300 - len(b[::7])
    assert _terms(gapped.pairs["x1", "x2"]).tolist() == _terms(expected.pairs["x1", "x2"]).tolist()
    labels_na = y.astype(object)
    labels_na[3] = pd.NA
    with pytest.raises(ValueError, match=r"^y is missing \(NaN, infinite or None\) for 1 sample"):
        decompose_many([a, b], labels_na)
    # Values of no kind decompose takes: its sentence, for a modality and for the labels.
    odd = np.array([{"k": int(v)} for v in b], dtype=object)
    for x2, labels, name in ((odd, y, "x2"), (b, odd, "y")):
        with pytest.raises(ValueError) as many_error:
            decompose_many([a, x2], labels, sampling=sampling)
        with pytest.raises(ValueError) as one_error:
            decompose(a, x2, labels, sampling=sampling)
        assert str(many_error.value) == str(one_error.value)
        assert str(many_error.value) == f"{name} holds a value of type dict; pass numbers or text."


def test_a_modality_whose_bounded_pairs_show_information_is_said_to_carry_it():
    # c is y with a tenth of the labels flipped, then y itself, observed on 18 samples only:
    # its pairs are bounded, and their U of c, not 0, is what the summary says of it.
    rng = np.random.default_rng(0)
    a, b, y = rng.integers(0, 2, (3, 400))
    flipped = (y ^ (rng.random(400) < 0.1)).astype(float)
    for c in (flipped, y.astype(float)):
        c[18:] = np.nan
        many = decompose_many({"a": a, "b": b, "c": c}, y, sampling=PLAIN)
        assert list(many.bounds) == [("a", "c"), ("b", "c")] and many.pairs.keys() == {("a", "b")}
        own = [bound.U2 for bound in many.bounds.values()]
        assert min(own) > 0.4
        assert all(bound.sampling["intervals"]["U2"][0] > 0 for bound in many.bounds.values())
        summary = many.summary()
        assert (
            f"c carries information about y on its own (up to {max(own):.2f} bits of R or its "
            "own U in a pair bounded from each modality's labeled samples); what it adds to all "
            "the others together was not measured (it was not decomposed against them)."
        ) in summary
        assert not any(line.startswith("c carries no information") for line in summary)


def test_pca_caps_the_components_of_the_bounds_codes_under_the_posterior_encoding(rng):
    # Under "auto" pca=2 is at most two components a modality: b, of one feature, is coded
    # from its one feature when its pairs with c (observed on 10 samples) are bounded.
    a, c = rng.normal(size=(300, 3)), rng.normal(size=(300, 2))
    b = rng.normal(size=300)
    y = (a[:, 0] + b > 0).astype(int)
    c[10:] = np.nan
    posterior = pid.PosteriorOptions(learning_curve=False)
    many = decompose_many({"a": a, "b": b, "c": c}, y, pca=2, sampling=PLAIN, posterior=posterior)
    assert list(many.pairs) == [("a", "b")] and list(many.bounds) == [("a", "c"), ("b", "c")]
    coding = many.provenance["bounds_coding"]
    assert {name: coding[name]["pca_components"] for name in coding} == {"a": 2, "b": 1, "c": 2}


def test_dominant_of_a_pair_not_decomposed_is_refused_in_one_sentence():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2, (2, 200))
    c = rng.integers(0, 2, 200).astype(object)
    c[5:] = None  # c is observed with a and b on 5 samples: bounded
    many = decompose_many({"a": a, "b": b, "c": c}, a ^ b, sampling=PLAIN)
    assert list(many.bounds) == [("a", "c"), ("b", "c")]
    assert many.dominant("a", "b") == "S"
    with pytest.raises(ValueError) as error:
        many.dominant("c", "a")
    assert str(error.value) == (
        "the pair c, a was bounded, not decomposed, so no term of it is known to dominate; "
        "read its R, U and synergy range from the result's bounds[('a', 'c')]."
    )
    never = c.copy()
    never[:] = None
    never[(a ^ b) == 0] = 0  # c is never observed with the label 1: neither decomposed nor bounded
    many = decompose_many({"a": a, "b": b, "c": never}, a ^ b, sampling=PLAIN)
    assert many.unbounded == (("a", "c"), ("b", "c"))
    with pytest.raises(ValueError, match=r"^the pair a, c was neither decomposed nor bounded"):
        many.dominant("a", "c")


def test_exchanging_the_modalities_exchanges_their_coding_losses_and_ranges():
    from pid.many import _swapped

    ranges = {"R": [0.0, 0.1], "U1": [0.2, 0.3], "U2": [1.0, 1.4], "S": [0.0, 0.1]}
    sampling = {"coding_loss_bits": {"x1": 0.1, "x2": 0.4, "ranges": ranges}}
    result = pid.PIDResult(0.05, 0.25, 1.2, 0.05, 0.3, 1.25, 1.55, "cvx", {}, {}, sampling)
    assert _swapped(result).sampling["coding_loss_bits"] == {
        "x1": 0.4,
        "x2": 0.1,
        "ranges": {"R": [0.0, 0.1], "U1": [1.0, 1.4], "U2": [0.2, 0.3], "S": [0.0, 0.1]},
    }
