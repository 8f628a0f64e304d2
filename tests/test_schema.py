"""Reading the files a user hands to pid within bounds, and checking their fields by path."""

import functools
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pid.datasets import canonical
from pid.estimators import estimate
from pid.report import compute_report, read_report
from pid.result import TERMS
from pid.schema import Checker, JSONLimits, describe, parse_json, read_json

REMEDY = "make a new one"


def _parse(text, **limits):
    return parse_json(text, source="FILE", remedy=REMEDY, limits=JSONLimits(**limits))


def test_nesting_up_to_the_limit_is_read_and_deeper_is_refused_naming_the_field():
    assert _parse('{"a": [[1]]}', max_depth=3) == {"a": [[1]]}
    with pytest.raises(ValueError, match=r"^FILE: a nests arrays and objects more than 2 levels"):
        _parse('{"a": [[1]]}', max_depth=2)
    # Brackets inside strings do not count.
    assert _parse('{"a": "[[[[["}', max_depth=1) == {"a": "[[[[["}


def test_integers_up_to_the_limit_are_read_and_longer_ones_are_refused_by_path():
    assert _parse('{"a": [0, {"b": -12345}]}', max_digits=5) == {"a": [0, {"b": -12345}]}
    with pytest.raises(
        ValueError, match=r"^FILE: a\[1\]\.b is an integer of 6 digits, more than the 5 pid reads"
    ):
        _parse('{"a": [0, {"b": 123456}]}', max_digits=5)
    with pytest.raises(ValueError, match=r"^FILE is an integer of 4301 digits"):
        _parse("1" * 4301)  # beyond Python's own limit, refused before it is converted


def test_files_too_large_not_utf8_or_not_json_are_refused(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"a": 1}')
    assert read_json(path, what="FILE", remedy=REMEDY) == ({"a": 1}, "FILE f.json")
    with pytest.raises(ValueError, match=r"^FILE f\.json holds 8 bytes, more than the 7 pid"):
        read_json(path, what="FILE", remedy=REMEDY, limits=JSONLimits(max_bytes=7))
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ValueError, match=r"not JSON \(it is not UTF-8 text\); make a new one\.$"):
        read_json(path, what="FILE", remedy=REMEDY)
    path.write_text('{"a": 1,\n "b"}')
    with pytest.raises(ValueError, match=r"not JSON \(Expecting ':' delimiter at line 2, column"):
        read_json(path, what="FILE", remedy=REMEDY)
    with pytest.raises(FileNotFoundError, match=r"FILE 'missing\.json' does not exist"):
        read_json("missing.json", what="FILE", remedy=REMEDY)


def test_checker_checks_each_kind_of_field_and_names_it():
    check = Checker("FILE", REMEDY)
    record = {"n": 3, "x": 0.5, "s": "a", "pair": [0.1, 0.2], "none": None, "terms": {"R": 1}}
    assert check.number(record, "x", low=0, high=1) == 0.5
    assert check.integer(record, "n", low=1) == 3
    assert check.interval(record, "pair") == (0.1, 0.2)
    assert check.text(record, "s", choices=("a", "b")) == "a"
    assert check.number(record, "absent", required=False) is None
    assert check.mapping(record, "none", required=False) is None
    failures = [
        (lambda: check.number(record, "absent"), "FILE: absent is missing; make a new one."),
        (lambda: check.number(record, "none"), "FILE: none is null; make a new one."),
        (lambda: check.number(record, "s"), "FILE: s is 'a', not a number; make a new one."),
        (lambda: check.number(record, "x", high=0.25), "FILE: x is 0.5, outside [-inf, 0.25]"),
        (lambda: check.integer(record, "x"), "FILE: x is 0.5, not a whole number"),
        (lambda: check.integer(record, "n", high=2), "FILE: n is 3, above 2"),
        (lambda: check.text(record, "s", choices=("b",)), "FILE: s is 'a', not one of b"),
        (lambda: check.interval(record, "x"), "FILE: x is 0.5, not a pair [lower, upper]"),
        (lambda: check.bits(record, "terms", keys=TERMS), "FILE: terms.U1 is missing"),
        (lambda: check.record([1]), "FILE is a list of 1 item, not a JSON object"),
    ]
    for call, message in failures:
        with pytest.raises(ValueError) as refused:
            call()
        assert str(refused.value).startswith(message)
        assert str(refused.value).endswith("; make a new one.")
    with pytest.raises(ValueError, match=r"FILE: terms\.R is 100, outside \[-64, 64\] bits"):
        check.bits({"terms": {"R": 100}}, "terms")
    with pytest.raises(ValueError, match=r"FILE: pair has its lower end 0\.2 above its upper end"):
        check.interval({"pair": [0.2, 0.1]}, "pair")


def test_values_are_described_briefly():
    assert describe(None) == "null"
    assert describe(True) == "true"
    assert describe(math.nan) == "NaN"
    assert describe(-math.inf) == "-Infinity"
    assert describe(1e308) == "1e+308"
    assert describe(10**30) == "an integer of 31 digits"
    assert describe({"a": 1}) == "an object"
    assert describe("x" * 100) == "'" + "x" * 36 + "..."


#: Any JSON value.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)
#: A report's fields and those of its sections that pid select reads.
FIELDS = [
    ("terms",),
    ("terms", "S"),
    ("intervals",),
    ("intervals", "R"),
    ("shares", "U1"),
    ("information", "H(Y)"),
    ("bounds",),
    ("accuracy",),
    ("mode",),
    ("zoo",),
    ("provenance",),
    ("guidance",),
]


@functools.cache
def _report_text() -> str:
    dist = canonical("and")
    record = compute_report(estimate(dist), dist).to_dict()
    record["intervals"] = {t: [0.0, 0.5] for t in TERMS}
    record["bounds"] = {"S_lower": 0.1, "S_upper": 0.4}
    record["accuracy"] = {"lower": 0.75, "upper": 1.0}
    return json.dumps(record)


def _report_record() -> dict:
    """A report's JSON form with every section pid select reads."""
    return json.loads(_report_text())


@given(field=st.sampled_from(FIELDS), value=JSON)
def test_a_report_with_any_value_in_a_field_is_read_unchanged_or_refused(
    tmp_path_factory, field, value
):
    record = _report_record()
    target = record
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    path = tmp_path_factory.mktemp("fuzz") / "report.json"
    path.write_text(json.dumps(record))
    try:
        report = read_report(path)
    except ValueError as err:
        assert str(err).startswith("REPORT file report.json") and "\n" not in str(err)
        return
    assert json.dumps(report.to_dict()) == json.dumps(record)  # nothing changed on the way
    assert all(math.isfinite(report.terms[t]) for t in TERMS)
