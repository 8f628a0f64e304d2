"""Discretization: pass-through codes, k-means, fixed-width bins, settings, and refusals."""

import json

import numpy as np
import pytest

from pid.discretize import Discretizer, bin_labels, default_clusters, discretize, rice_bins


@pytest.fixture
def blobs(rng):
    """Four well-separated clusters in 5 dimensions, 100 points each, and their labels."""
    centres = 10 * np.eye(4, 5)
    labels = np.repeat(np.arange(4), 100)
    return centres[labels] + rng.normal(size=(400, 5)), labels


def _same_partition(a, b):
    """Codes that agree up to renaming."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_rice_rule():
    assert [rice_bins(n) for n in (1, 8, 27, 1000, 1001, 125_000)] == [2, 4, 6, 20, 21, 100]
    assert default_clusters(1000) == 20 and default_clusters(10**6) == 20
    assert default_clusters(100) == 10  # ceil(2 * 4.64)


def test_codes_pass_through_and_relabel():
    d = Discretizer(name="y").fit(np.array([7, 3, 3, 9]))
    np.testing.assert_array_equal(d.transform([9, 3, 7]), [2, 0, 1])
    assert d.settings()["method"] == "codes" and d.n_codes == 3
    strings = Discretizer().fit_transform(np.array(["dog", "cat", "dog"]))
    np.testing.assert_array_equal(strings, [1, 0, 1])
    floats = Discretizer("codes").fit_transform(np.array([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(floats, [1, 0, 1])


def test_unseen_codes_error_or_share_one_extra_code():
    with pytest.raises(
        ValueError, match=r"y holds 2 value\(s\) not seen at fit time \(e.g. 4, 5\)"
    ):
        Discretizer(name="y").fit([1, 2, 3]).transform([1, 4, 5])
    other = Discretizer(unseen="other").fit([1, 2, 3])
    np.testing.assert_array_equal(other.transform([1, 4, 3, 0]), [0, 3, 2, 3])
    assert other.n_codes == 4


def test_kmeans_finds_separated_clusters_and_applies_to_new_data(blobs, rng):
    x, labels = blobs
    d = Discretizer(n_clusters=4, seed=1, name="x1").fit(x)
    assert _same_partition(d.transform(x), labels)
    fresh = 10 * np.eye(4, 5)[labels] + rng.normal(size=(400, 5))
    assert _same_partition(d.transform(fresh), labels)
    s = d.settings()
    assert s["method"] == "kmeans" and s["n_codes"] == 4 and s["n_clusters_rule"] == "given"
    assert s["n_fit_samples"] == 400 and s["n_features"] == 5 and s["seed"] == 1
    # Standardized, each of the four centre columns has total variance 100 * 3/16 + 1 = 19.75
    # of which 1 is within-cluster; the fifth column is all noise: 4 / 19.75 + 1 per sample.
    assert s["inertia_per_sample"] == pytest.approx(4 / 19.75 + 1, rel=0.05)


def test_kmeans_is_seeded_and_defaults_to_the_rice_rule(rng):
    x = rng.normal(size=(300, 3))
    a = Discretizer(seed=5).fit_transform(x)
    b = Discretizer(seed=5).fit_transform(x)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == rice_bins(300) == 14


def test_kmeans_never_asks_for_more_clusters_than_distinct_points():
    x = np.repeat([[0.0, 1.0], [2.0, 3.0], [4.0, 0.0]], 10, axis=0)
    d = Discretizer(n_clusters=8).fit(x)
    assert d.n_codes == 3 and "capped at the 3 distinct points" in d.settings()["n_clusters_rule"]


def test_pca_before_kmeans(blobs):
    x, labels = blobs
    d = Discretizer(n_clusters=4, pca=3).fit(x)
    s = d.settings()
    # The four centres span three directions holding 4 * 18.75 / 19.75 of the 5 units.
    assert s["pca_components"] == 3
    assert s["pca_explained_variance"] == pytest.approx(4 * 18.75 / 19.75 / 5, abs=0.05)
    assert _same_partition(d.transform(x), labels)


def test_minibatch_kmeans_above_the_threshold(blobs):
    x, labels = blobs
    d = Discretizer(n_clusters=4, minibatch_above=100).fit(x)
    assert d.settings()["method"] == "minibatch_kmeans"
    assert _same_partition(d.transform(x), labels)


def test_fixed_width_bins_with_open_ends():
    x = np.arange(10.0)
    d = Discretizer("bins", n_clusters=3).fit(x)
    # Edges at 3 and 6; a value on an edge goes to the upper bin.
    np.testing.assert_array_equal(d.transform(x), [0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    np.testing.assert_array_equal(d.transform([-100.0, 4.4, 100.0]), [0, 1, 2])
    assert d.settings()["empty_bin_fraction"] == 0.0
    gap = Discretizer("bins", n_clusters=4).fit([0.0, 0.1, 9.9, 10.0])
    assert gap.settings()["empty_bin_fraction"] == 0.5


def test_bins_of_a_multi_column_feature_use_its_first_principal_component(rng):
    t = rng.normal(size=500)
    x = np.column_stack([t, 3 - 2 * t])
    d = Discretizer("bins", n_clusters=5).fit(x)
    reference = Discretizer("bins", n_clusters=5).fit_transform(t)
    s = d.settings()
    assert s["pca_components"] == 1 and s["pca_explained_variance"] == pytest.approx(1.0)
    codes = d.transform(x)
    assert _same_partition(codes, reference)
    assert s["n_clusters_rule"] == "given" and len(np.unique(codes)) == 5


def test_discretize_fits_each_modality_and_reports_settings(blobs, rng):
    x, labels = blobs
    out = discretize(x, x[:, :2], labels, n_clusters=4, seed=2)
    assert _same_partition(out.x1, labels)
    settings = out.settings()
    json.dumps(settings)  # JSON-ready
    assert [settings[k]["name"] for k in ("x1", "x2", "y")] == ["x1", "x2", "y"]
    assert settings["y"]["method"] == "codes" and settings["y"]["n_codes"] == 4
    assert settings["joint"]["cells"] == len(set(zip(out.x1, out.x2, out.y, strict=True)))
    test = out.transform(x[:10], x[:10, :2], labels[:10])
    np.testing.assert_array_equal(test[0], out.x1[:10])


def test_joint_occupancy():
    # Every one of the 3 x 3 x 2 cells once.
    x1, x2, y = (a.ravel() for a in np.indices((3, 3, 2)))
    joint = discretize(x1, x2, y).settings()["joint"]
    assert joint == {"cells": 18, "samples_per_cell": 1.0}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Discretizer("cluster"), "method 'cluster' is unknown"),
        (
            lambda: Discretizer(n_clusters=1),
            r"n_clusters \(--clusters\) is 1; pass a whole number of at least 2",
        ),
        (lambda: Discretizer(pca=2.5), r"pca \(--pca\) is 2.5; pass a whole number of at least 1"),
        (lambda: Discretizer(unseen="drop"), "unseen 'drop' is unknown"),
        (
            lambda: Discretizer(minibatch_above="x"),
            "minibatch_above is 'x'; pass a whole number of at least 1",
        ),
        (lambda: Discretizer("bins", pca=3), "pca=3 does not apply to method='bins'"),
        (lambda: Discretizer("codes").fit([0.5, 1.0]), "holds non-integer or non-finite values"),
        (lambda: Discretizer("codes").fit(np.zeros((3, 2))), "discrete codes must be 1-D"),
        (lambda: Discretizer().fit(np.zeros((3, 2, 2))), "pass a 1-D array or a 2-D array"),
        (lambda: Discretizer().fit([[0.0, np.nan], [1.0, 2.0]]), "NaN or infinite values in 1"),
        (
            lambda: Discretizer("kmeans").fit(np.array(["a", "b"])),
            "cannot be clustered; pass numeric features",
        ),
        (lambda: Discretizer(pca=4).fit(np.zeros((10, 3))), "pca=4 exceeds"),
        (lambda: Discretizer().transform([1]), "is not fitted; call fit first"),
        (lambda: Discretizer().fit([]), r"has shape \(0,\); pass at least one sample"),
        (
            lambda: Discretizer(n_clusters=2).fit(np.eye(3)).transform(np.eye(2)),
            "has 2 feature",
        ),
        (lambda: discretize([0.1, 0.2], [0, 1], [0.5, 1.5]), "y holds non-integer"),
        (lambda: discretize([0, 1], [0, 1], [0]), "lengths are 2, 2 and 1"),
    ],
)
def test_refusals_name_the_problem(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bin_labels_cuts_a_continuous_target_at_its_quantiles(rng):
    y = rng.standard_normal(1000)
    classes, edges = bin_labels(y, 4)
    np.testing.assert_array_equal(np.bincount(classes), [250, 250, 250, 250])
    np.testing.assert_array_equal(edges, np.sort(y)[[249, 499, 749]])
    assert classes[np.argmax(y)] == 3 and classes[np.argmin(y)] == 0
    with pytest.raises(ValueError, match=r"n_bins \(--label-bins\) is 1 for 6 samples"):
        bin_labels(np.arange(6.0), 1)


@pytest.mark.parametrize(
    "y, n_bins, counts, edges",
    [
        # The median is the largest value: it must not pull the top class down.
        ([0] * 40 + [1] * 60, 2, [40, 60], [0]),
        ([0] * 60 + [1] * 40, 2, [60, 40], [0]),
        # Quantiles 3, 4, 5 are distinct, yet cutting at them leaves three classes.
        ([1] * 10 + [2] * 10 + [3] * 20 + [4] * 20 + [5] * 40, 4, [20, 20, 20, 40], [2, 3, 4]),
        ([1.0, 1, 1, 1, 2, 3], 3, [4, 1, 1], [1, 2]),
        # Each cut splits what is left: not [90, 1, 1, 8].
        ([0] * 90 + list(range(1, 11)), 4, [90, 3, 3, 4], [0, 3, 6]),
        # Fewer distinct values than bins: one class per value.
        ([5, 5, 5, 1], 3, [1, 3], [1]),
    ],
)
def test_bin_labels_keeps_tied_values_in_one_class(y, n_bins, counts, edges):
    classes, cut = bin_labels(np.array(y), n_bins)
    np.testing.assert_array_equal(np.bincount(classes), counts)
    np.testing.assert_array_equal(cut, edges)
    # Eq. (1): each value lies above the edges below it, and tied values share a class.
    np.testing.assert_array_equal(classes, (np.array(y)[:, None] > cut).sum(axis=1))


def test_bin_labels_keeps_whole_numbers_beyond_the_float_mantissa_apart():
    # As floats, 2**53 and 2**53 + 1 are one value, and 2**62 + k four times the same.
    classes, edges = bin_labels(np.array([0, 0, 2**53, 2**53 + 1, 2**53, 2**53 + 1]), 3)
    np.testing.assert_array_equal(classes, [0, 0, 1, 2, 1, 2])
    np.testing.assert_array_equal(edges, [0, 2**53])
    classes, _ = bin_labels(np.array([2**62, 2**62 + 1, 2**62 + 2, 2**62 + 3] * 2), 2)
    np.testing.assert_array_equal(classes, [0, 0, 1, 1] * 2)


def test_transforming_no_samples_is_refused_in_a_sentence():
    fitted = Discretizer("kmeans", 3, name="x1").fit(np.random.default_rng(0).normal(size=(50, 3)))
    with pytest.raises(ValueError, match=r"^x1 is empty; pass at least one sample"):
        fitted.transform(np.empty((0, 3)))


def test_binned_ties_keep_two_classes_for_the_decomposition():
    import pid

    x1, x2 = np.repeat([0, 1], 50), np.tile([0, 1], 50)
    y = np.array([0] * 40 + [1] * 60)
    result = pid.decompose(x1, x2, y, label_bins=2, sampling=pid.SamplingOptions("none", 0))
    direct = pid.decompose(x1, x2, y, sampling=pid.SamplingOptions("none", 0))
    assert result.terms() == direct.terms()
    assert result.provenance["label_bins"] == {"n_bins": 2, "edges": [0.0]}
    with pytest.raises(ValueError, match="y holds the single value 3, which no bins can split"):
        bin_labels(np.full(10, 3.0), 2)


def test_a_continuous_target_is_refused_unless_it_is_binned(rng):
    import pid

    x1, x2 = rng.standard_normal((2, 400, 3))
    y = x1[:, 0] + x2[:, 0]
    with pytest.raises(ValueError, match="y holds 400 distinct values, some not whole numbers"):
        pid.decompose(x1, x2, y)
    binned = pid.decompose(x1, x2, y, label_bins=4, discretization="kmeans", n_clusters=4)
    classes = bin_labels(y, 4)[0]
    by_hand = pid.decompose(x1, x2, classes, discretization="kmeans", n_clusters=4)
    assert binned.terms() == by_hand.terms()
    assert binned.provenance["label_bins"]["n_bins"] == 4
    # Whole numbers stored as floats are class labels as they are.
    assert pid.decompose(x1, x2, classes.astype(float), discretization="kmeans", n_clusters=4)
