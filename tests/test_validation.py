"""The boundary of the API: every entry point refuses bad input in one sentence naming the
argument, keeps the values it accepts exact, and checks sizes before allocating."""

import numpy as np
import pytest

from pid import Distribution, decompose
from pid.api import prepare
from pid.discretize import bin_labels
from pid.estimators import estimate
from pid.estimators.exact import NewtonOptions, cvx, cvx_batch
from pid.estimators.measures import imin
from pid.sampling import SamplingOptions
from pid.validation import as_array, check_features, check_table_size, unique_inverse

PLAIN = SamplingOptions(correction="none", n_null=0)
N = np.arange(300)


def _one_sentence(info: pytest.ExceptionInfo) -> str:
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    return message


def test_float_labels_beyond_int64_stay_distinct_classes():
    y = (N % 3 + 1) * 1e19
    dist = Distribution.from_samples(N % 4, N // 4 % 4, y)
    assert dist.shape == (4, 4, 3)
    np.testing.assert_array_equal(dist.values[2], [1e19, 2e19, 3e19])
    assert prepare(N % 4, N // 4 % 4, y).dist.shape == (4, 4, 3)


def test_uint64_codes_above_2_63_keep_their_values():
    codes = np.array([2**63, 2**63 + 1, 5, 2**63], dtype=np.uint64)
    dist = Distribution.from_samples(codes, [0, 1, 0, 1], [0, 1, 1, 0])
    assert dist.values[0].dtype == np.uint64
    assert dist.values[0].tolist() == [5, 2**63, 2**63 + 1]
    np.testing.assert_allclose(dist.p_x1_y.sum(axis=1), [0.25, 0.5, 0.25])


def test_whole_floats_within_2_53_become_int64_codes():
    dist = Distribution.from_samples([0.0, 3.0, 3.0], [1, 1, 2], [0, 1, 0])
    assert dist.values[0].dtype == np.int64 and dist.values[0].tolist() == [0, 3]


def test_the_joint_is_refused_from_the_distinct_counts_before_it_is_allocated():
    codes = np.arange(10**6)
    with pytest.raises(ValueError) as info:
        Distribution.from_samples(codes, codes[::-1], codes % 2)
    message = _one_sentence(info)
    assert message.startswith("x1 and x2 hold 1000000 and 1000000 distinct values")
    assert "16 TB" in message and "--discretization kmeans --clusters K" in message
    assert "y" not in message.split(";")[0].replace("p(x1, x2, y)", "")


def test_the_size_refusal_blames_the_labels_when_they_are_the_cause():
    with pytest.raises(ValueError, match=r"^y holds 200 distinct values") as info:
        Distribution.from_samples(N % 2, N % 3, N % 200, max_cells=1000)
    message = _one_sentence(info)
    assert "merge the classes of y" in message and "x1" not in message.split(";")[1]
    assert Distribution.from_samples(N % 2, N % 3, N % 200, max_cells=1200).shape == (2, 3, 200)


def test_the_solver_size_refusal_blames_the_labels_and_names_applicable_remedies(rng):
    dist = Distribution.from_table(rng.dirichlet(np.ones(800)).reshape(2, 2, 200))
    with pytest.raises(ValueError) as info:
        cvx(dist, options=NewtonOptions(max_numbers=1e5))
    message = _one_sentence(info)
    assert message.startswith("y holds 200 distinct values, so the newton solver would need")
    assert "merge the classes of y" in message
    assert "device='cuda'" not in message and "cvxpy" not in message


def test_the_blame_goes_to_every_large_alphabet_and_only_those():
    with pytest.raises(ValueError, match=r"^x1 and y hold 5000 and 4000 distinct values"):
        check_table_size((5000, 3, 4000), 6e7, 1e6, "the table")
    with pytest.raises(ValueError, match=r"^x2 holds 10000 distinct values"):
        check_table_size((20, 10000, 2), 4e5, 1e5, "the table")


def test_counts_near_the_float_limit_are_normalized_exactly():
    dist = Distribution.from_counts(np.full((2, 2, 2), 1e308))
    np.testing.assert_array_equal(dist.table, np.full((2, 2, 2), 0.125))
    assert dist.n_samples is None
    assert Distribution.from_counts(np.arange(8).reshape(2, 2, 2)).n_samples == 28
    scaled = Distribution.from_table(np.full((2, 2, 2), 1e308), normalize=True)
    np.testing.assert_array_equal(scaled.table, np.full((2, 2, 2), 0.125))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (np.full((2, 2, 2), 0.125).astype(complex), "table holds complex numbers"),
        (np.full((2, 2, 2, 2), 1 / 16), "three axes"),
        (np.array([[["0.5", "0.5"]]]), "values of type <U3"),
        (np.full((2, 2, 2), 0.2), "sums to 1.6, not 1"),
    ],
)
def test_the_constructor_and_from_table_refuse_what_is_not_a_table(table, message):
    for build in (Distribution, Distribution.from_table):
        with pytest.raises(ValueError, match=message) as info:
            build(table)
        _one_sentence(info)


def test_estimators_refuse_bare_arrays_with_the_way_to_wrap_them():
    table = np.full((2, 2, 2), 0.125)
    for call in (lambda: cvx(table), lambda: imin(table), lambda: estimate(table, "mmi")):
        with pytest.raises(ValueError, match="wrap a probability table with") as info:
            call()
        _one_sentence(info)
    with pytest.raises(ValueError, match="pass a list of them"):
        cvx_batch(Distribution.from_table(table))


X = np.array([0, 0, 1, 1] * 10)
Y = X ^ np.array([0, 1, 0, 1] * 10)


@pytest.mark.parametrize(
    ("x1", "y", "options", "message"),
    [
        (X, [10**5000] * 40, {}, "y holds integers beyond 64 bits; map them to smaller codes"),
        (np.array([1, "a", 2.5] * 13 + [1], dtype=object), Y, {}, "x1 mixes text and numbers"),
        (X + 0.5, Y, {"n_clusters": "3"}, "n_clusters (--clusters) is '3'"),
        (X + 0.5, Y, {"pca": 1.5}, "pca (--pca) is 1.5"),
        (X, Y, {"seed": -1}, "seed (--seed) is -1; pass a whole number from 0 to 4294967295"),
        (X, Y, {"seed": 2**32}, "seed (--seed) is 4294967296"),
        (X.astype(complex), Y, {}, "x1 holds complex numbers"),
        (np.arange(40).astype("datetime64[D]"), Y, {}, "x1.astype('int64')"),
        (np.array(3), Y, {}, "x1 is a single value, not samples"),
        ([[1, 2], [3]], Y[:2], {}, "x1 is ragged"),
        (np.zeros((40, 0)), Y, {}, "no feature per sample"),
    ],
)
def test_decompose_refuses_bad_input_in_one_sentence(x1, y, options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        decompose(x1, X[: len(np.atleast_1d(y))], y, sampling=PLAIN, **options)
    _one_sentence(info)


def test_text_labels_bools_and_object_numbers_work_as_they_are():
    xor = decompose(X.astype(bool), Y, X ^ Y, sampling=PLAIN)
    assert xor.S == pytest.approx(1.0, abs=1e-6)
    labels = np.array(["cat", "dog"])[X ^ Y]
    assert decompose(X, Y, labels, sampling=PLAIN).S == pytest.approx(1.0, abs=1e-6)
    objects = np.array((X ^ Y).tolist(), dtype=object)
    assert decompose(X, Y, objects, sampling=PLAIN).S == pytest.approx(1.0, abs=1e-6)


def test_object_arrays_become_exact_typed_arrays():
    assert as_array(np.array([1, 2**63], dtype=object), "x").dtype == np.uint64
    assert as_array(np.array([1, -2], dtype=object), "x").dtype == np.int64
    assert as_array(np.array([1, 2.5], dtype=object), "x").tolist() == [1.0, 2.5]
    assert as_array(np.array([True, False], dtype=object), "x").dtype == bool
    text = as_array(np.array(["a", None], dtype=object), "x")
    assert text.dtype == object and text[1] is None  # missing cells stay for finite_rows
    with pytest.raises(ValueError, match="fractions with integers beyond 2\\*\\*53"):
        as_array(np.array([2**60 + 1, 0.5], dtype=object), "x")
    with pytest.raises(ValueError, match="a value of type dict"):
        as_array(np.array([{}, 1], dtype=object), "x")


def test_bin_labels_refuses_text_labels_in_a_sentence():
    with pytest.raises(ValueError, match="labels that are classes already; drop label_bins"):
        bin_labels(np.array(["a", "b"] * 5), 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SamplingOptions(confidence="x"), "confidence is 'x'; pass a number strictly"),
        (lambda: decompose(X, Y, X ^ Y, estimator=["cvx"]), r"estimator \['cvx'\] is unknown"),
        (
            lambda: decompose(X, Y, X ^ Y, sampling="none"),
            "sampling is of type str; pass a Sampling",
        ),
        (lambda: decompose(X, Y, X ^ Y, posterior=1), "posterior is of type int; pass a Posterior"),
        (lambda: cvx_batch([], options={}), "options is of type dict; pass a NewtonOptions"),
        (
            lambda: Distribution.from_table(np.full((2, 2, 2), 0.125)).sample(2**70),
            "n_samples is 1180591620717411303424; pass a whole number from 1 to",
        ),
        (lambda: Distribution.from_samples([0], [0], [0], max_cells="x"), "max_cells is 'x'"),
    ],
)
def test_settings_of_the_wrong_type_are_refused_in_a_sentence(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    _one_sentence(info)


def test_index_codes_beyond_int64_are_refused_not_wrapped():
    from pid.validation import check_codes

    for codes in (np.array([1e19, 0.0]), np.array([2**63, 1], dtype=np.uint64)):
        with pytest.raises(ValueError, match="beyond the range of int64 indices") as info:
            check_codes(codes, "c1")
        _one_sentence(info)
    assert check_codes(np.array([3.0, 0.0]), "c1").tolist() == [3, 0]


@pytest.mark.parametrize(
    "values",
    [
        np.array([3, 0, 2, 2, 0]),  # codes 0..k-1 with one missing (1)
        np.array([0, 1, 2, 1, 0]),  # dense codes: returned as they are
        np.array([-5, 7, -5, 100]),  # negative and sparse, small span
        np.array([2**40, 3, 2**40]),  # a span too wide for counting: sorted instead
        np.array([2**63 + 5, 2**63 + 1], dtype=np.uint64),
        np.array([4, 4, 1], dtype=np.int32),
        np.array([0, -128], dtype=np.int8),  # a span past int8's largest value
        np.array([127, -128, 5], dtype=np.int8),
        np.array([2.0, -1.0, 2.0]),
        np.array(["b", "a", "b"]),
    ],
)
def test_unique_inverse_is_numpys_unique_with_inverse(values):
    distinct, inverse = unique_inverse(values)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    assert distinct.dtype == expected.dtype
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())
    np.testing.assert_array_equal(distinct[inverse], values)


def test_check_features_keeps_vectors_and_sequences_and_makes_a_column_of_1d():
    column = check_features(np.array([1, 2, 3]), "x1")
    assert column.dtype == np.int64 and column.tolist() == [[1], [2], [3]]
    sequences = check_features(np.arange(12.0).reshape(2, 3, 2), "x2", np.float32)
    assert sequences.dtype == np.float32 and sequences.shape == (2, 3, 2)
    assert sequences[1, 2].tolist() == [10.0, 11.0]
    flags = check_features([True, False], "x1", np.float32)
    assert flags.dtype == np.float32 and flags.tolist() == [[1.0], [0.0]]
    objects = check_features(np.array([[1, 2.5]], dtype=object), "x1")
    assert objects.dtype == np.float64 and objects.tolist() == [[1.0, 2.5]]


@pytest.mark.parametrize(
    ("x", "dtype", "message"),
    [
        (
            np.ones((4, 2, 2, 2)),
            None,
            "x1 has shape (4, 2, 2, 2); pass vectors (n, d) or sequences (n, T, d), samples "
            "along the first axis.",
        ),
        (
            np.ones(3, dtype=complex),
            None,
            "x1 holds complex numbers; pass real values (x1.real where the imaginary parts are "
            "zero, or the real and imaginary parts as separate features).",
        ),
        (
            np.array(["a", "b"]),
            None,
            "x1 holds values of type <U1; pass real numbers (integers, floats or booleans).",
        ),
        (
            np.array([1.0, None], dtype=object),
            None,
            "x1 has missing values (None or NaN); drop or impute those samples.",
        ),
        (
            np.zeros((0, 3)),
            None,
            "x1 has shape (0, 3), no values; pass at least one sample and one feature.",
        ),
        (
            np.array([[0.0, np.inf]]),
            None,
            "x1 holds NaN or infinite values; drop or impute those samples.",
        ),
        (
            np.array([[1.0, -1e39]]),
            np.float32,
            "x1 holds values up to 1e+39 in magnitude, beyond the range of float32; rescale "
            "them (e.g. standardize each feature).",
        ),
    ],
    ids=["4d", "complex", "text", "missing", "empty", "infinite", "beyond-float32"],
)
def test_check_features_refuses_bad_features_in_one_sentence(x, dtype, message):
    with pytest.raises(ValueError) as info:
        check_features(x, "x1", dtype)
    assert _one_sentence(info) == message
