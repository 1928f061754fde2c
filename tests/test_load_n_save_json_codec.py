"""Exact decimals go through json's own encoder: same text as json.dumps, no slow path."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from txo_runtime.load_n_save import _json_codec
from txo_runtime.load_n_save._json_codec import encode_json

RECORDS: list[dict[str, Any]] = [
    {"id": 1, "name": 'Anna "A" Ö\n', "rate": 0.1, "tags": ["x"], "empty": {}, "none": None},
    {"id": 2, "name": "Ben", "rate": 1e16, "tags": [], "flag": True, "neg": -0.0},
]


@pytest.mark.parametrize("indent", [2, 4, "\t", None])
@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_text_is_exactly_what_json_dumps_writes(indent: Any, ensure_ascii: bool) -> None:
    expected = json.dumps(RECORDS, indent=indent, ensure_ascii=ensure_ascii) + "\n"

    assert encode_json(RECORDS, indent=indent, ensure_ascii=ensure_ascii) == expected


def test_decimals_are_written_by_the_stdlib_encoder_not_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_fallback(*args: Any) -> None:
        raise AssertionError("the slow fallback encoder ran")

    monkeypatch.setattr(_json_codec, "_Encoder", no_fallback)
    data = [{"amount": Decimal("12345678901234567890.123456789"), "at": dt.date(2025, 1, 2),
             "nan": Decimal("NaN"), "inf": float("inf"), Decimal("1.5"): "key"}]  # fmt: skip

    text = encode_json(data, indent=2, sort_keys=False)

    assert json.loads(text, parse_float=Decimal) == [
        {"amount": Decimal("12345678901234567890.123456789"), "at": "2025-01-02",
         "nan": None, "inf": None, "1.5": "key"}
    ]  # fmt: skip
    assert '"amount": 12345678901234567890.123456789,' in text


def test_keys_json_refuses_still_get_the_fallback_text() -> None:
    assert encode_json({dt.date(2025, 1, 2): Decimal("1.10")}, indent=None) == (
        '{"2025-01-02": 1.10}\n'
    )
