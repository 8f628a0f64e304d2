import json
import re

import numpy as np
import pytest

from pid import PIDResult, SamplingOptions, decompose, estimate
from pid.cli import main
from pid.datasets import canonical
from pid.report import read_report


def test_json_round_trip():
    result = estimate(canonical("and"))
    text = result.to_json()
    data = json.loads(text)
    assert data["schema_version"] == 2 and data["units"] == "bits"
    assert PIDResult.from_json(text) == result


def test_results_of_the_first_layout_are_read():
    data = estimate(canonical("and")).to_dict()
    del data["sampling"]
    data["schema_version"] = 1
    assert PIDResult.from_dict(data).sampling == {}


def test_a_sampled_result_round_trips_with_its_corrections():
    x1 = np.array([0, 0, 1, 1] * 30)
    x2 = np.array([0, 1, 0, 1] * 30)
    result = decompose(x1, x2, x1 ^ x2)
    assert result.sampling["correction"] == "quadratic-shuffle"
    assert PIDResult.from_json(result.to_json()) == result


def test_schema_version_is_checked():
    data = estimate(canonical("xor"), "mmi").to_dict()
    data["schema_version"] = 99
    with pytest.raises(ValueError, match="schema_version 99"):
        PIDResult.from_dict(data)


def test_shares_and_total():
    result = estimate(canonical("rdn_xor"))
    assert result.total == pytest.approx(2.0, abs=1e-7)
    shares = result.shares()
    assert shares["R"] == pytest.approx(0.5, abs=1e-7)
    assert shares["S"] == pytest.approx(0.5, abs=1e-7)
    assert sum(shares.values()) == pytest.approx(1.0)


def test_shares_of_zero_information_are_zero():
    zero = PIDResult(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "mmi")
    assert zero.shares() == {"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 0.0}


def test_numpy_scalars_serialize():
    import numpy as np

    import pid

    result = pid.decompose([0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0], seed=np.int64(3))
    assert json.loads(result.to_json())["provenance"]["seed"] == 3


def test_no_term_is_negative_even_by_rounding():
    for name in ("imperfect_rdn", "copy", "unq", "diff"):
        assert min(estimate(canonical(name)).terms().values()) >= 0.0


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"R": [0-9.e+-]+', '"R": NaN', "R is NaN, not a finite number"),
        (
            '"mi_x1_y": [0-9.e+-]+',
            '"mi_x1_y": ' + "1" * 5000,
            "mi_x1_y is an integer of 5000 digits",
        ),
        ('"estimator": "cvx"', '"estimator": 3', "estimator is 3, not a string"),
        ('"units": "bits"', '"units": "nats"', "units is 'nats', but the terms are read in bits"),
        ('"units": "bits"', '"units": "bits", "extra": 1', "extra is no field of a PID result"),
        (
            '"diagnostics": [{]',
            '"diagnostics": {"deep": ' + "[" * 80 + "]" * 80 + ", ",
            "diagnostics nests arrays and objects more than 64 levels deep",
        ),
    ],
)
def test_from_json_names_the_wrong_field(old, new, message):
    # ``old`` is a pattern of one field with its whole value (R is 1 within a few ulps).
    good = estimate(canonical("rdn_xor")).to_json(indent=None)
    bad, replaced = re.subn(old, new, good, count=1)
    assert replaced == 1
    with pytest.raises(ValueError, match=f"^text: {message}.*; regenerate the result"):
        PIDResult.from_json(bad)


def test_a_boolean_schema_version_is_refused():
    good = estimate(canonical("rdn_xor")).to_json(indent=None)
    boolean = good.replace('"schema_version": 2', '"schema_version": true')
    with pytest.raises(ValueError, match=r"^text has schema_version true, but this version"):
        PIDResult.from_json(boolean)


def strict_json(text):
    """JSON ``text`` parsed as the standard has it: NaN and Infinity are refused."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_json_holds_no_nan_without_a_null_model(tmp_path):
    x1 = np.array([0, 0, 1, 1] * 30)
    x2 = np.array([0, 1, 0, 1] * 30)
    result = decompose(x1, x2, x1 ^ x2, sampling=SamplingOptions(correction="none", n_null=0))
    assert np.isnan(result.sampling["null"]["q95"]["S"])
    null = strict_json(result.to_json())["sampling"]["null"]
    assert null["mean"] == null["q95"] == {"R": None, "U1": None, "U2": None, "S": None}
    assert PIDResult.from_json(result.to_json()).sampling["null"]["q95"]["S"] is None
    np.savez(tmp_path / "xor.npz", x1=x1, x2=x2, y=x1 ^ x2)
    out = tmp_path / "out"
    plain = ["--correction", "none", "--null", "0", "--quiet", "--out", str(out)]
    assert main(["compute", str(tmp_path / "xor.npz"), *plain]) == 0
    for name in ("report.json", "result.json"):
        record = strict_json((out / name).read_text())
        assert record["sampling"]["null"]["mean"]["S"] is None
    assert read_report(out / "report.json").terms["S"] == pytest.approx(1.0, abs=1e-6)
