"""JSON text with exact decimals, ISO dates and an explicit rule for NaN.

The standard ``json`` module can only emit a ``Decimal`` by turning it into a float
(losing digits: ``12345678901234567890.123456789`` becomes ``1.2345678901234567e+19``) or
a string (changing the type), and its C encoder calls ``float.__repr__`` directly.
With ``indent`` (the default here) ``json`` runs its pure-Python encoder,
``json.encoder._make_iterencode``; that function takes the ``float`` type it checks
against as a parameter, so given ``(float, Decimal)`` and a number formatter that writes a
Decimal's own digits it emits exact decimals at exactly ``json.dumps``'s speed, with
``json``'s own escaping and layout. It is private but unchanged since Python 2.7; if it
ever goes, or refuses the data (keys of other types, circular data), ``_Encoder`` below
writes the same text.

Rules (documented in docs/save-and-load.md):
- ``Decimal`` -> a JSON number with exactly its digits.
- NaN, +inf, -inf (float or Decimal) and pandas ``NaT``/``NA`` -> ``null``: they have no JSON
  form, and ``null`` is what pandas writes for missing values; never the invalid ``NaN``.
- ``datetime``/``date``/``time`` (and pandas ``Timestamp``) -> ISO 8601 strings.
- ``UUID``, ``Path``, ``Enum`` -> their string/value; ``set`` -> sorted list; ``tuple`` -> list;
  numpy scalars and arrays -> Python values; dataclasses -> objects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from txo_runtime.exceptions import HelpfulError

__all__ = ["as_plain", "decode_json", "encode_json"]

_MISSING_TYPE_NAMES = frozenset({"NaTType", "NAType"})  # pandas NaT and NA
_SUPPORTED = (
    "dict, list, tuple, str, int, float, bool, None, Decimal, datetime/date/time, UUID, "
    "Path, Enum, set, dataclass, numpy scalars/arrays, pandas Timestamp"
)


def _float_text(value: float) -> str:
    return float.__repr__(value) if math.isfinite(value) else "null"


def _decimal_text(value: Decimal) -> str:
    return str(value) if value.is_finite() else "null"


def _temporal_text(value: dt.date | dt.time, quote: Callable[[str], str]) -> str:
    if value != value:  # pandas NaT is a datetime that is not equal to itself
        return "null"
    return quote(value.isoformat())


def as_plain(value: Any) -> Any:
    """Convert a non-JSON object to plain data, or raise a HelpfulError."""
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:  # mixed types: order by text so the output is still stable
            return sorted(value, key=repr)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # pandas DataFrame
        return value.to_dict(orient="records")
    if hasattr(value, "tolist"):  # numpy arrays and pandas Series
        return value.tolist()
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalars
        return value.item()
    raise HelpfulError(
        what_went_wrong=f"Cannot write a {type(value).__name__} value as JSON",
        how_to_fix=f"Convert it to one of the supported types first: {_SUPPORTED}",
        example="data['when'] = value.isoformat()  # or str(value)",
    )


class _Encoder:
    """Appends JSON text to a list of parts; one instance per document."""

    def __init__(self, indent: int | str | None, sort_keys: bool, ensure_ascii: bool) -> None:
        self._indent = " " * indent if isinstance(indent, int) else indent
        self._sort_keys = sort_keys
        self._quote: Callable[[str], str] = (
            json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
        )
        self._parts: list[str] = []
        self._open: set[int] = set()  # ids of containers being written: cycle detection

    def encode(self, value: Any) -> str:
        self._value(value, 0)
        return "".join(self._parts)

    def _scalar(self, value: Any) -> str | None:  # noqa: PLR0911 - one return per JSON type
        if isinstance(value, str):
            return self._quote(value)
        if value is None or type(value).__name__ in _MISSING_TYPE_NAMES:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return int.__repr__(value)
        if isinstance(value, float):
            return _float_text(value)
        if isinstance(value, Decimal):
            return _decimal_text(value)
        if isinstance(value, (dt.date, dt.time)):
            return _temporal_text(value, self._quote)
        if isinstance(value, (uuid.UUID, PurePath)):
            return self._quote(str(value))
        return None

    def _value(self, value: Any, depth: int) -> None:
        text = self._scalar(value)
        if text is not None:
            self._parts.append(text)
        elif isinstance(value, Mapping):
            self._container(value, depth, "{", "}")
        elif isinstance(value, (list, tuple)):
            self._container(value, depth, "[", "]")
        else:
            self._value(as_plain(value), depth)

    def _container(self, value: Any, depth: int, opening: str, closing: str) -> None:
        if not value:
            self._parts.append(opening + closing)
            return
        if id(value) in self._open:
            raise HelpfulError(
                what_went_wrong="The data refers to itself (a circular reference)",
                how_to_fix="Save a copy without the loop, e.g. copy only the fields you need",
                example="data = {'a': 1}; data['self'] = data  # cannot be written as JSON",
            )
        self._open.add(id(value))
        if self._indent is None:
            inner, outer, separator = "", "", ", "
        else:
            inner = "\n" + self._indent * (depth + 1)
            outer = "\n" + self._indent * depth
            separator = "," + inner
        self._parts.append(opening + inner)
        if isinstance(value, Mapping):
            self._members(value, depth, separator)
        else:
            for index, item in enumerate(value):
                if index:
                    self._parts.append(separator)
                self._value(item, depth + 1)
        self._parts.append(outer + closing)
        self._open.discard(id(value))

    def _members(self, mapping: Mapping[Any, Any], depth: int, separator: str) -> None:
        pairs = list(mapping.items())
        if self._sort_keys:
            try:  # by the original keys, as json.dumps does (1, 2, 10 — not "1", "10", "2")
                pairs.sort(key=lambda pair: pair[0])
            except TypeError:  # keys of mixed types: by their JSON text
                pairs.sort(key=lambda pair: _key_text(pair[0]))
        items = [(_key_text(key), item) for key, item in pairs]
        for index, (key, item) in enumerate(items):
            if index:
                self._parts.append(separator)
            self._parts.append(self._quote(key) + ": ")
            self._value(item, depth + 1)


def _key_text(key: Any) -> str:
    """Object keys are strings in JSON; convert the key types ``json`` converts, and a few."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    if isinstance(key, (int, float, Decimal, uuid.UUID, PurePath)):
        return str(key)
    if isinstance(key, (dt.date, dt.time)):
        return key.isoformat()
    if isinstance(key, enum.Enum):
        return _key_text(key.value)
    raise HelpfulError(
        what_went_wrong=f"A dictionary key of type {type(key).__name__} cannot be a JSON key",
        how_to_fix="Use str, int, float, bool, None, Decimal, date/datetime or UUID keys",
        example="data = {str(key): value for key, value in data.items()}",
    )


class _NeedsExactEncoder(Exception):
    """The data holds a Decimal, whose digits the C encoder cannot write."""


def _number_text(value: float | Decimal) -> str:
    """A float's shortest repr or a Decimal's exact digits; ``null`` when not finite."""
    if isinstance(value, Decimal):
        return _decimal_text(value)
    return _float_text(value)


def _for_stdlib_json(value: Any) -> Any:
    """``default`` hook: the same conversions as ``_Encoder`` for what ``json`` refuses."""
    if isinstance(value, Decimal):
        raise _NeedsExactEncoder
    if type(value).__name__ in _MISSING_TYPE_NAMES:
        return None
    if isinstance(value, (dt.date, dt.time)):
        return None if value != value else value.isoformat()
    if isinstance(value, (uuid.UUID, PurePath)):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    return as_plain(value)


def _stdlib_text(data: Any, indent: int | str | None, sort_keys: bool, ensure_ascii: bool) -> str:
    """``json``'s pure-Python encoder with Decimal counted as a number (module docstring)."""
    quote = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    spaces = " " * indent if isinstance(indent, int) else indent
    chunks = json.encoder._make_iterencode(  # type: ignore[attr-defined]
        {},
        _for_stdlib_json,
        quote,
        spaces,
        _number_text,
        ": ",
        ", " if indent is None else ",",
        sort_keys,
        False,  # skipkeys
        True,  # one shot
        float=(float, Decimal),
    )
    return "".join(chunks(data, 0))


def encode_json(
    data: Any, *, indent: int | str | None = 2, sort_keys: bool = False, ensure_ascii: bool = False
) -> str:
    """The JSON document for ``data`` under the module's rules, with a final newline.

    Without indent the C encoder runs first (a Decimal stops it); then ``json``'s
    Python encoder with exact decimals; data both refuse — keys of other types, circular
    data — goes to ``_Encoder``, which writes the same text for everything they accept.
    """
    if indent is None:
        try:
            text = json.dumps(data, ensure_ascii=ensure_ascii, allow_nan=False,
                              sort_keys=sort_keys, default=_for_stdlib_json)  # fmt: skip
            return text + "\n"
        except (_NeedsExactEncoder, ValueError, TypeError):
            pass
    try:
        text = _stdlib_text(data, indent, sort_keys, ensure_ascii)
    except (_NeedsExactEncoder, ValueError, TypeError, AttributeError):
        text = _Encoder(indent, sort_keys, ensure_ascii).encode(data)
    return text + "\n"


def decode_json(text: str, *, exact_decimals: bool = False) -> Any:
    """Parse JSON; ``exact_decimals`` reads numbers with a fraction/exponent as ``Decimal``."""
    return json.loads(text, parse_float=Decimal if exact_decimals else None)
