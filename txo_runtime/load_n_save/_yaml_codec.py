"""YAML with the same value rules as JSON where YAML has no native form.

PyYAML's ``safe_dump`` refuses ``Decimal``, ``UUID``, ``Path``, tuples and pandas
``Timestamp`` (a ``datetime`` subclass: safe representers match exact types). Values are
first turned into plain data; a ``Decimal`` is written as a YAML float with exactly its
digits, which ``decode_yaml(exact_decimals=True)`` reads back as an equal ``Decimal``.
YAML has ``.nan``/``.inf``, so NaN stays NaN here (unlike JSON).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from txo_runtime.extras import import_lazily
from txo_runtime.load_n_save._json_codec import as_plain

__all__ = ["decode_yaml", "encode_yaml"]

_FLOAT_TAG = "tag:yaml.org,2002:float"
_SPECIAL_FLOATS = frozenset({".inf", "-.inf", "+.inf", ".nan"})


def _plain(value: Any) -> Any:  # noqa: PLR0911 - one return per converted type
    if value is None or isinstance(value, (str, bool, int, float, Decimal)):
        return value
    if type(value).__name__ in {"NaTType", "NAType"}:
        return None
    if isinstance(value, Mapping):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dt.datetime):  # pandas Timestamp -> plain datetime
        return dt.datetime.fromisoformat(value.isoformat())
    if isinstance(value, dt.date):
        return dt.date.fromisoformat(value.isoformat())
    if isinstance(value, dt.time):
        return value.isoformat()  # YAML has no time-of-day type
    if isinstance(value, (uuid.UUID, PurePath)):
        return str(value)
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    return _plain(as_plain(value))


def _dumper(yaml: Any) -> Any:
    def represent_decimal(dumper: Any, value: Decimal) -> Any:
        if not value.is_finite():
            return dumper.represent_float(float(value))
        text = str(value)
        if text.lstrip("-").isdigit():  # integral: plain YAML int, reads back equal
            return dumper.represent_int(int(value))
        return dumper.represent_scalar(_FLOAT_TAG, text)

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(Decimal, represent_decimal)
    return Dumper


def encode_yaml(data: Any, *, sort_keys: bool = False, indent: int = 2) -> bytes:
    """UTF-8 YAML (block style, keys in insertion order unless ``sort_keys``)."""
    yaml = import_lazily("yaml", purpose="Saving .yaml files")
    text: str = yaml.dump(
        _plain(data),
        Dumper=_dumper(yaml),
        sort_keys=sort_keys,
        indent=indent,
        allow_unicode=True,
        default_flow_style=False,
    )
    return text.encode("utf-8")


def _loader(yaml: Any) -> Any:
    def construct_decimal(loader: Any, node: Any) -> Any:
        text = str(loader.construct_scalar(node)).replace("_", "")
        if text.lower() in _SPECIAL_FLOATS or ":" in text:  # .nan, .inf, sexagesimal
            return loader.construct_yaml_float(node)
        return Decimal(text)

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor(_FLOAT_TAG, construct_decimal)
    return Loader


def decode_yaml(text: str, *, exact_decimals: bool = False) -> Any:
    """``yaml.safe_load``; ``exact_decimals`` reads floats as ``Decimal``."""
    yaml = import_lazily("yaml", purpose="Reading .yaml files")
    loader = _loader(yaml) if exact_decimals else yaml.SafeLoader
    return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader or a subclass of it
