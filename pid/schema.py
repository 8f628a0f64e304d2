"""Reading and checking the records a user hands to pid: reports, reference banks, results.

Such files can be edited by anyone. :func:`read_json` and :func:`parse_json` read one within
bounds (:class:`JSONLimits`: its size, checked before it is read; how deep it nests; how many
digits its integers have); a :class:`Checker` then checks each field a consumer relies
on (types, finite numbers, ranges), and refuses a wrong one with one sentence naming the
file, the field by its path (``datasets[3].models.EF.accuracy``) and what to do.

Non-finite numbers (JSON's ``NaN`` and ``Infinity``, which pid writes where a figure does not
exist, such as the null model of a run without permutations) are read as floats; the checker
refuses them in every field that must hold a number.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pid.validation import check_regular_file

#: The most bits any information term can hold: the labels and the samples of a joint that
#: can be tabulated number fewer than 2**64, so no term exceeds 64 bits in size.
BITS_LIMIT = 64.0


@dataclass(frozen=True)
class JSONLimits:
    """What :func:`read_json` and :func:`parse_json` accept: files of at most ``max_bytes``,
    arrays and objects nested at most ``max_depth`` deep, integers of at most ``max_digits``
    digits (Python itself stops at 4300)."""

    max_bytes: int = 64 * 2**20
    max_depth: int = 64
    max_digits: int = 100


@dataclass(frozen=True)
class _LongInteger:
    """An integer literal longer than the limit, kept unconverted until its path is known."""

    digits: int


def read_json(
    path: str | os.PathLike,
    *,
    what: str,
    remedy: str,
    limits: JSONLimits | None = None,
) -> tuple[Any, str]:
    """Read the JSON file ``path`` within ``limits``; returns the data and the name the
    messages use for it, ``"{what} {file name}"``.

    ``what`` names the argument (``"REPORT file"``), ``remedy`` says how to get a good file.
    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file too large,
    not UTF-8 JSON, nested too deep or holding too long an integer.
    """
    limits = limits or JSONLimits()
    path = Path(path)
    check_regular_file(path, what)
    source = f"{what} {path.name}"
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ValueError(
            f"{source} holds {size} bytes, more than the {limits.max_bytes} pid reads; {remedy}."
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{source} is not JSON (it is not UTF-8 text); {remedy}.") from None
    return parse_json(text, source=source, remedy=remedy, limits=limits), source


def parse_json(text: str, *, source: str, remedy: str, limits: JSONLimits | None = None) -> Any:
    """Parse JSON ``text`` within ``limits`` (its size, nesting and integers); a failure is
    one sentence naming ``source`` (and the field, for too long an integer) and ``remedy``."""
    limits = limits or JSONLimits()
    if len(text) > limits.max_bytes:
        raise ValueError(
            f"{source} holds {len(text)} characters, more than the {limits.max_bytes} pid "
            f"reads; {remedy}."
        )

    def integer(literal: str) -> int | _LongInteger:
        digits = len(literal.lstrip("-"))
        return int(literal) if digits <= limits.max_digits else _LongInteger(digits)

    too_deep = (
        f"nests arrays and objects more than {limits.max_depth} levels deep, more than any "
        "file pid writes"
    )
    try:
        data = json.loads(text, parse_int=integer)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{source} is not JSON ({err.msg} at line {err.lineno}, column {err.colno}); {remedy}."
        ) from None
    except RecursionError:  # nested deeper than the parser goes, far beyond max_depth
        Checker(source, remedy).fail("", too_deep)
    for path, depth, value in _containers_and_long_integers(data):
        if depth > limits.max_depth:
            Checker(source, remedy).fail(path.partition("[")[0].partition(".")[0], too_deep)
        if isinstance(value, _LongInteger):
            Checker(source, remedy).fail(
                path,
                f"is an integer of {value.digits} digits, more than the {limits.max_digits} "
                "pid reads",
            )
    return data


def _containers_and_long_integers(data: Any) -> Iterator[tuple[str, int, Any]]:
    """``(path, depth, value)`` of each array and object of parsed JSON (the top one at depth
    1) and of each too-long integer, depth first."""
    stack: list[tuple[str, int, Any]] = [("", 0, data)]
    while stack:
        path, depth, value = stack.pop()
        if isinstance(value, _LongInteger):
            yield path, depth, value
        elif isinstance(value, dict | list):
            yield path, depth + 1, value
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack += [
                (join(path, k), depth + 1, v)
                for k, v in reversed(list(items))
                if isinstance(v, dict | list | _LongInteger)
            ]


def join(path: str, key: str | int) -> str:
    """The path of ``key`` under ``path``: ``terms.S``, ``datasets[3]``, ``information.H(Y)``,
    and a key that is empty or holds spaces, brackets, quotes or control characters quoted,
    as in ``intervals["a b"]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = str(key)
    if not key or not key.isprintable() or any(c in key for c in ' []"'):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def describe(value: Any) -> str:
    """A value as a message shows it: short, and saying what it is."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, numbers.Integral):
        digits = len(str(abs(int(value))))
        return f"an integer of {digits} digits" if digits > 20 else str(int(value))
    if isinstance(value, numbers.Real):
        if math.isnan(value):
            return "NaN"
        return f"{float(value):g}" if math.isfinite(value) else f"{'-' * (value < 0)}Infinity"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


#: Marks a key absent from its record.
_MISSING = object()


@dataclass(frozen=True)
class Checker:
    """Checks the fields of one record, refusing a wrong one with one sentence:
    ``"{source}: {path} {problem}; {remedy}."``.

    Each check takes the record holding the field, the field's key (a name, or an index in a
    list) and the record's own path (``""`` at the top), and returns the field's value, or
    None for an optional field that is absent or null.
    """

    source: str
    remedy: str

    def fail(self, path: str, problem: str) -> NoReturn:
        """Raise the ``ValueError`` naming ``path`` (the record itself when empty)."""
        where = f"{self.source}: {path}" if path else self.source
        raise ValueError(f"{where} {problem}; {self.remedy}.")

    def record(self, value: Any) -> dict[str, Any]:
        """The top-level record, which must be a JSON object."""
        if not isinstance(value, dict):
            self.fail("", f"is {describe(value)}, not a JSON object")
        return value

    def field(self, record: Any, key: str | int, where: str = "", *, required: bool = True) -> Any:
        """The value of a field, refusing it if absent (or null, when ``required``); None for
        an optional field that is absent."""
        if isinstance(record, dict):
            value = record.get(key, _MISSING)
        else:
            value = record[key] if 0 <= key < len(record) else _MISSING
        if value is _MISSING and required:
            self.fail(join(where, key), "is missing")
        if value is None and required:
            self.fail(join(where, key), "is null")
        return None if value is _MISSING else value

    def mapping(
        self, record: Any, key: str | int, where: str = "", *, required: bool = True
    ) -> dict[str, Any] | None:
        """An object."""
        value = self.field(record, key, where, required=required)
        if value is not None and not isinstance(value, dict):
            self.fail(join(where, key), f"is {describe(value)}, not an object")
        return value

    def sequence(
        self, record: Any, key: str | int, where: str = "", *, required: bool = True
    ) -> list[Any] | None:
        """An array."""
        value = self.field(record, key, where, required=required)
        if value is not None and not isinstance(value, list | tuple):
            self.fail(join(where, key), f"is {describe(value)}, not a list")
        return value

    def text(
        self,
        record: Any,
        key: str | int,
        where: str = "",
        *,
        required: bool = True,
        choices: Sequence[str] | None = None,
    ) -> str | None:
        """A string, one of ``choices`` if given."""
        value = self.field(record, key, where, required=required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(join(where, key), f"is {describe(value)}, not a string")
        if choices is not None and value not in choices:
            self.fail(join(where, key), f"is {describe(value)}, not one of {', '.join(choices)}")
        return value

    def texts(
        self, record: Any, key: str | int, where: str = "", *, required: bool = True
    ) -> list[str] | None:
        """A list of strings."""
        values = self.sequence(record, key, where, required=required)
        for index in range(len(values or ())):
            self.text(values, index, join(where, key))
        return values

    def number(
        self,
        record: Any,
        key: str | int,
        where: str = "",
        *,
        low: float = -math.inf,
        high: float = math.inf,
        required: bool = True,
        unit: str = "",
    ) -> float | None:
        """A finite number within ``[low, high]`` (``unit`` names its unit in messages)."""
        value = self.field(record, key, where, required=required)
        if value is None:
            return None
        path = join(where, key)
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            self.fail(path, f"is {describe(value)}, not a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.fail(path, f"is {describe(value)}, not a finite number")
        if not low <= number <= high:
            self.fail(path, f"is {describe(value)}, outside [{low:g}, {high:g}]{unit}")
        return number

    def integer(
        self,
        record: Any,
        key: str | int,
        where: str = "",
        *,
        low: int = 0,
        high: int | None = None,
        required: bool = True,
    ) -> int | None:
        """A whole number (not a boolean) within ``[low, high]``."""
        value = self.field(record, key, where, required=required)
        if value is None:
            return None
        path = join(where, key)
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            self.fail(path, f"is {describe(value)}, not a whole number")
        if value < low:
            self.fail(path, f"is {describe(value)}, below {low}")
        if high is not None and value > high:
            self.fail(path, f"is {describe(value)}, above {high}")
        return int(value)

    def numbers(
        self,
        record: Any,
        key: str | int,
        where: str = "",
        *,
        keys: Sequence[str] | None = None,
        low: float = -math.inf,
        high: float = math.inf,
        required: bool = True,
        unit: str = "",
    ) -> dict[str, float] | None:
        """An object of finite numbers within ``[low, high]``: those named ``keys`` (each
        required), or every value when ``keys`` is None."""
        values = self.mapping(record, key, where, required=required)
        if values is None:
            return None
        path = join(where, key)
        names = list(values) if keys is None else keys
        return {
            name: self.number(values, name, path, low=low, high=high, unit=unit) for name in names
        }

    def interval(
        self,
        record: Any,
        key: str | int,
        where: str = "",
        *,
        low: float = -math.inf,
        high: float = math.inf,
        required: bool = True,
        unit: str = "",
    ) -> tuple[float, float] | None:
        """A pair ``[lower, upper]`` of finite numbers within ``[low, high]``, in order."""
        value = self.field(record, key, where, required=required)
        if value is None:
            return None
        path = join(where, key)
        if not isinstance(value, list | tuple) or len(value) != 2:
            self.fail(path, f"is {describe(value)}, not a pair [lower, upper]")
        lower, upper = (
            self.number(value, i, path, low=low, high=high, unit=unit) for i in range(2)
        )
        if lower > upper:
            self.fail(path, f"has its lower end {lower:g} above its upper end {upper:g}")
        return lower, upper

    def model_results(
        self, record: Any, key: str | int, where: str = "", *, terms: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """A fusion zoo's models by name (:func:`pid.models.zoo.train_zoo`), at least one,
        each with its test accuracy in [0, 1] and, where present, its model PID (the four
        ``terms``, bits), agreement (bits) and accuracy interval over seeds."""
        models = self.mapping(record, key, where)
        path = join(where, key)
        if not models:
            self.fail(path, "holds no models")
        for name in models:
            self.mapping(models, name, path)
            entry = join(path, name)
            self.number(models[name], "accuracy", entry, low=0.0, high=1.0)
            self.bits(models[name], "pid", entry, keys=terms, required=False)
            self.bits(models[name], "agreement", entry, required=False)
            self.interval(models[name], "accuracy_interval", entry, required=False)
        return models

    def bits(
        self,
        record: Any,
        key: str | int,
        where: str = "",
        *,
        keys: Sequence[str] | None = None,
        required: bool = True,
    ) -> dict[str, float] | None:
        """An object of information figures in bits, each within ``[-BITS_LIMIT,
        BITS_LIMIT]``: those named ``keys``, or every value when ``keys`` is None."""
        return self.numbers(
            record,
            key,
            where,
            keys=keys,
            low=-BITS_LIMIT,
            high=BITS_LIMIT,
            required=required,
            unit=" bits",
        )
