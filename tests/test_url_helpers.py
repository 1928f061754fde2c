"""build_url quoting, OData literals and filters, nextLink resolution, URL redaction."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum

import pytest

from txo_runtime.url_helpers import (
    build_odata_filter,
    build_url,
    join_url,
    odata_literal,
    redact_url,
    resolve_odata_link,
)


@pytest.mark.parametrize(
    ("base", "segments", "params", "expected"),
    [
        (
            "https://api.example.com",
            ("v2", "customers", 42),
            None,
            "https://api.example.com/v2/customers/42",
        ),
        ("https://api.example.com/", ("v2",), None, "https://api.example.com/v2"),
        ("https://api.example.com/base/", ("a b",), None, "https://api.example.com/base/a%20b"),
        ("https://h", ("a/b", "c?d#e"), None, "https://h/a%2Fb/c%3Fd%23e"),
        ("https://h", ("Customers('A')",), None, "https://h/Customers('A')"),
        ("https://h/x", (), {"a": 1, "b": None}, "https://h/x?a=1"),
        ("https://h", ("x",), {"id": [1, 2]}, "https://h/x?id=1&id=2"),
        ("https://h", (), {"$filter": "Name eq 'A B'"}, "https://h?$filter=Name%20eq%20'A%20B'"),
        ("https://h/x?k=1", ("y",), {"z": "&"}, "https://h/x/y?k=1&z=%26"),
    ],
)
def test_build_url(base: str, segments: tuple, params: dict | None, expected: str) -> None:
    assert build_url(base, *segments, query_params=params) == expected


def test_join_url_appends_to_base_path_and_keeps_absolute_urls() -> None:
    assert join_url("https://h/api/v2", "customers") == "https://h/api/v2/customers"
    assert join_url("https://h/api/v2/", "/customers") == "https://h/api/v2/customers"
    assert join_url("https://h/api", "https://other/x") == "https://other/x"
    with pytest.raises(ValueError, match="base_url"):
        join_url(None, "customers")


class Color(Enum):
    RED = "Red"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("O'Brien", "'O''Brien'"),
        ("''", "''''''"),
        ("", "''"),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-1.5, "-1.5"),
        (float("nan"), "NaN"),
        (float("inf"), "INF"),
        (float("-inf"), "-INF"),
        (Decimal("1E+2"), "100"),
        (Decimal("12.50"), "12.50"),
        (dt.date(2024, 1, 31), "2024-01-31"),
        (dt.datetime(2024, 1, 31, 12, 0, tzinfo=dt.timezone.utc), "2024-01-31T12:00:00Z"),
        (
            dt.datetime(2024, 1, 31, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2024-01-31T12:00:00+02:00",
        ),
        (dt.time(8, 30), "08:30:00"),
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), "12345678-1234-5678-1234-567812345678"),
        (Color.RED, "'Red'"),
    ],
)
def test_odata_literal(value: object, expected: str) -> None:
    assert odata_literal(value) == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [(dt.datetime(2024, 1, 1), ValueError), (object(), TypeError), (Decimal("NaN"), ValueError)],
)
def test_odata_literal_rejects_values_without_a_safe_literal(value: object, error: type) -> None:
    with pytest.raises(error):
        odata_literal(value)


def test_build_odata_filter_v21_mapping_form() -> None:
    text = build_odata_filter(
        {"status": "eq 'active'", "created": "gt 2024-01-01", "amount": "ge 100"}
    )
    assert text == "status eq 'active' and created gt 2024-01-01 and amount ge 100"


def test_build_odata_filter_triples_escape_values() -> None:
    text = build_odata_filter([("Name", "eq", "O'Brien"), ("Country", "in", ["DE", "FR"])])
    assert text == "Name eq 'O''Brien' and Country in ('DE','FR')"
    assert build_odata_filter([("A", "EQ", 1), ("B", "ne", None)], join="or") == (
        "A eq 1 or B ne null"
    )


@pytest.mark.parametrize(
    "conditions",
    [{}, [("Name", "like", "x")], {"Name) or (1 eq 1": "eq 1"}],
)
def test_build_odata_filter_rejects_bad_input(conditions: object) -> None:
    with pytest.raises(ValueError):
        build_odata_filter(conditions)  # type: ignore[arg-type]


def test_resolve_odata_link_prefers_context_url_over_request_url() -> None:
    request = "http://h/odata/Orders(1)/Items?$top=5"
    context = "http://h/odata/$metadata#Orders(1)/Items"
    assert resolve_odata_link("Customers?$skiptoken=100", context, "http://h/odata/Customers") == (
        "http://h/odata/Customers?$skiptoken=100"
    )
    assert resolve_odata_link("Orders(1)/Items?$skiptoken=5", context, request) == (
        "http://h/odata/Orders(1)/Items?$skiptoken=5"
    )
    # Without a context URL, the request URL is the base (and gives a different answer).
    assert resolve_odata_link("Orders(1)/Items?$skiptoken=5", None, request) == (
        "http://h/odata/Orders(1)/Orders(1)/Items?$skiptoken=5"
    )
    assert resolve_odata_link("https://x/y", context, request) == "https://x/y"


def test_resolve_odata_link_with_relative_context_url_like_cap() -> None:
    link = resolve_odata_link(
        "Customers?%24skiptoken=100", "$metadata#Customers", "http://h:4004/odata/v4/s/Customers"
    )
    assert link == "http://h:4004/odata/v4/s/Customers?%24skiptoken=100"


def test_redact_url_strips_secret_query_values_and_passwords() -> None:
    url = "https://user:pw@h/x?access_token=abc&$skiptoken=5&api-key=k&sig=s&q=1"
    redacted = redact_url(url)
    for secret in ("abc", "pw@", "=k", "=s&"):
        assert secret not in redacted
    assert "$skiptoken=5" in redacted
    assert "q=1" in redacted
    assert redact_url("https://h/x?q=1") == "https://h/x?q=1"


def _packaged_redaction_keys() -> list[str]:
    import json
    from pathlib import Path

    import txo_runtime

    patterns = Path(txo_runtime.__file__).parent / "data" / "log-redaction-patterns.json"
    return [str(key) for key in json.loads(patterns.read_text(encoding="utf-8"))["keys"]]


def _spellings(key: str) -> list[str]:
    words = key.split("_")
    camel = words[0] + "".join(word.capitalize() for word in words[1:])
    return sorted({key, key.replace("_", "-"), key.upper(), camel, f"x-{key.replace('_', '-')}"})


SECRET_VALUE = "hunter2Hunter2value"


@pytest.mark.parametrize(
    "key", [s for k in _packaged_redaction_keys() for s in _spellings(k)] + ["x-api-key"]
)
def test_every_log_redaction_key_is_redacted_in_urls_and_in_logs(key: str) -> None:
    from txo_runtime.logger import redact

    url = f"https://h.example.com/x?{key}={SECRET_VALUE}&q=1"
    assert SECRET_VALUE not in redact_url(url), "URL redaction missed it"
    assert SECRET_VALUE not in redact(url), "log redaction missed it"
    assert redact_url(url).endswith("&q=1")


@pytest.mark.parametrize(
    "key",
    ["subscription_key", "Ocp-Apim-Subscription-Key", "refresh_token", "client_assertion",
     "X-API-Key", "auth", "key", "sap-password", "ClientSecret"],
)  # fmt: skip
def test_reviewer_reported_and_url_only_keys_are_redacted(key: str) -> None:
    assert SECRET_VALUE not in redact_url(f"https://h/x?{key}={SECRET_VALUE}")


def test_client_assertion_jwt_is_redacted_by_both_layers() -> None:
    from txo_runtime.logger import redact

    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0eG8ifQ.c2lnbmF0dXJl"
    url = f"https://login.example.com/token?client_assertion={jwt}"
    assert jwt not in redact_url(url)
    assert jwt not in redact(url)


@pytest.mark.parametrize("key", ["$skiptoken", "%24skiptoken", "$deltatoken", "code", "monkey"])
def test_paging_cursors_and_data_keys_stay_readable_in_both_layers(key: str) -> None:
    from txo_runtime.logger import redact

    url = f"https://h/x?{key}=p2Value"
    assert "p2Value" in redact_url(url)
    assert "p2Value" in redact(url)
