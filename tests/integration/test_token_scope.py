"""Which hosts get the bearer token: the caller's URLs always, server-supplied follow-up
URLs (nextLink, 202 Location / Operation-Location / Azure-AsyncOperation, 303) only on the
caller's origin or a trusted one. Two real LocalApiServer instances = two origins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from txo_runtime.api_common import RetryPolicy
from txo_runtime.exceptions import ApiError
from txo_runtime.rest_api_helpers import MinimalRestAPI
from txo_runtime.testing import LocalApiServer

TOKEN = "tok-ABCDEF1234567890-scope"
BEARER = f"Bearer {TOKEN}"


@pytest.fixture
def home(txo_api_server: LocalApiServer) -> LocalApiServer:
    return txo_api_server


@pytest.fixture
def other() -> Iterator[LocalApiServer]:
    with LocalApiServer() as server:
        yield server


def client(home: LocalApiServer, **kwargs: object) -> MinimalRestAPI:
    policy = RetryPolicy(max_retries=1, backoff_factor=0)
    return MinimalRestAPI(
        TOKEN, base_url=home.url, retry_policy=policy, sleep=lambda _: None, **kwargs
    )  # type: ignore[arg-type]


def authorizations(server: LocalApiServer) -> list[str | None]:
    return [request.headers.get("Authorization") for request in server.requests]


def page(rows: list[int], next_link: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"value": [{"ID": row} for row in rows]}
    if next_link:
        body["@odata.nextLink"] = next_link
    return body


def test_odata_next_link_to_another_host_gets_no_token(
    home: LocalApiServer, other: LocalApiServer
) -> None:
    home.add_fault("/odata/Customers", status=200, body=page([1], f"{other.url}/odata/P2"))
    other.add_fault("/odata/P2", status=200, body=page([2], f"{other.url}/odata/P3"))
    other.add_fault("/odata/P3", status=200, body=page([3]))
    with client(home) as api:
        rows = api.get_odata_entities(home.odata_url, "Customers")
    assert [row["ID"] for row in rows] == [1, 2, 3]
    assert authorizations(home) == [BEARER]
    assert authorizations(other) == [None, None]  # also not for the other host's own links


def test_odata_next_link_on_the_same_origin_keeps_the_token(home: LocalApiServer) -> None:
    home.add_entity_set("Customers", [{"ID": i} for i in range(250)], next_link="absolute")
    with client(home) as api:
        assert len(api.get_odata_entities(None, "odata/Customers")) == 250
    assert authorizations(home) == [BEARER] * 3


def test_trusted_origins_opt_in_sends_the_token_to_that_host(
    home: LocalApiServer, other: LocalApiServer
) -> None:
    home.add_fault("/odata/Customers", status=200, body=page([1], f"{other.url}/odata/P2"))
    other.add_fault("/odata/P2", status=200, body=page([2]))
    with client(home, trusted_origins=[other.url]) as api:
        assert len(api.get_odata_entities(home.odata_url, "Customers")) == 2
    assert authorizations(other) == [BEARER]


def test_a_401_from_a_foreign_next_link_explains_why_no_token_was_sent(
    home: LocalApiServer, other: LocalApiServer
) -> None:
    home.add_fault("/odata/Customers", status=200, body=page([1], f"{other.url}/odata/P2"))
    other.require_auth = True
    with client(home) as api, pytest.raises(ApiError) as info:
        api.get_odata_entities(home.odata_url, "Customers")
    assert "trusted_origins" in str(info.value)
    assert authorizations(other) == [None]


@pytest.mark.parametrize("header", ["Location", "Operation-Location", "Azure-AsyncOperation"])
def test_202_monitor_url_on_another_host_gets_no_token(
    home: LocalApiServer, other: LocalApiServer, header: str
) -> None:
    monitor = f"{other.url}/operations/op-9"
    home.add_fault("/api/jobs", method="POST", status=202, times=1, headers={header: monitor})
    other.add_fault("/operations/op-9", status=200, body={"status": "Succeeded", "rows": 3})
    with client(home, async_poll_interval=0) as api:
        assert api.post("api/jobs", json={})["rows"] == 3
    assert authorizations(home) == [BEARER]
    assert authorizations(other) == [None]


def test_303_after_polling_to_another_host_gets_no_token(
    home: LocalApiServer, other: LocalApiServer
) -> None:
    home.add_fault("/api/jobs", method="POST", status=202, times=1,
                   headers={"Location": "/operations/op-1"})  # fmt: skip
    home.add_fault("/operations/op-1", status=303, headers={"Location": f"{other.url}/result"})
    other.add_fault("/result", status=200, body={"rows": 7})
    with client(home, async_poll_interval=0) as api:
        assert api.post("api/jobs", json={}) == {"rows": 7}
    assert authorizations(home) == [BEARER, BEARER]  # the POST and the same-origin poll
    assert authorizations(other) == [None]


def test_an_absolute_url_the_caller_passes_still_gets_the_token(
    home: LocalApiServer, other: LocalApiServer
) -> None:
    other.add_collection("orders", [{"id": 1}])
    with client(home) as api:
        assert api.get(f"{other.url}/api/orders") == [{"id": 1}]
    assert authorizations(other) == [BEARER]


def test_an_http_redirect_to_another_host_is_stripped_by_requests(
    home: LocalApiServer, other: LocalApiServer
) -> None:
    other.add_collection("orders", [{"id": 1}])
    home.add_fault("/api/orders", status=302, headers={"Location": f"{other.url}/api/orders"})
    with client(home) as api:
        assert api.get("api/orders") == [{"id": 1}]
    assert authorizations(home) == [BEARER]
    assert authorizations(other) == [None]


def test_default_authorization_header_is_not_sent_to_a_foreign_next_link(
    home: LocalApiServer, other: LocalApiServer
) -> None:
    home.add_fault("/odata/Customers", status=200, body=page([1], f"{other.url}/odata/P2"))
    other.add_fault("/odata/P2", status=200, body=page([2]))
    basic = "Basic dXNlcjpodW50ZXIy"
    policy = RetryPolicy(max_retries=0)
    headers = {"Authorization": basic}
    with MinimalRestAPI(base_url=home.url, retry_policy=policy, default_headers=headers) as api:
        assert len(api.get_odata_entities(home.odata_url, "Customers")) == 2
    assert authorizations(home) == [basic]
    assert authorizations(other) == [None]
