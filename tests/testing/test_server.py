"""LocalApiServer against raw ``requests``: the contract other tests and the demo rely on."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from txo_runtime.testing import LocalApiServer, demo_customers

ROWS = [
    {"ID": i, "Name": "O'Brien" if i % 10 == 0 else f"Name {i}", "City": f"C{i % 3}", "N": i % 5}
    for i in range(1, 251)
]


@pytest.fixture
def server(txo_api_server: LocalApiServer) -> LocalApiServer:
    txo_api_server.add_entity_set("Customers", ROWS, page_size=50)
    return txo_api_server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def follow(session: requests.Session, url: str, **kwargs: Any) -> tuple[list[dict], list[dict]]:
    """All rows and every page document, following nextLinks the way the spec says."""
    rows: list[dict] = []
    pages: list[dict] = []
    next_url: str | None = url
    while next_url:
        response = session.get(next_url, **kwargs)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        rows.extend(page["value"])
        link = page.get("@odata.nextLink") or page.get("odata.nextLink")
        next_url = urljoin(page["@odata.context"], link) if link else None
        kwargs.pop("params", None)  # the link carries the query
    return rows, pages


# -- OData paging -----------------------------------------------------------------------------
def test_relative_next_links_page_through_all_rows_like_cap(server, session):
    rows, pages = follow(session, f"{server.url}/odata/Customers")
    assert [r["ID"] for r in rows] == list(range(1, 251))
    assert len(pages) == 5
    assert pages[0]["@odata.nextLink"] == "Customers?$skiptoken=50"
    assert pages[0]["@odata.context"] == f"{server.url}/odata/$metadata#Customers"
    assert "@odata.nextLink" not in pages[-1]
    assert server.hits("/odata/Customers") == 5


@pytest.mark.parametrize(
    ("mode", "key", "absolute"),
    [("absolute", "@odata.nextLink", True), ("odata3", "odata.nextLink", True)],
)
def test_absolute_and_v3_next_links(txo_api_server, session, mode, key, absolute):
    txo_api_server.add_entity_set("Customers", ROWS, page_size=100, next_link=mode)
    rows, pages = follow(session, f"{txo_api_server.url}/odata/Customers")
    assert len(rows) == 250
    assert pages[0][key].startswith(f"{txo_api_server.url}/odata/Customers?") is absolute
    assert len(pages) == 3


def test_without_next_links_clients_page_with_top_and_skip(txo_api_server, session):
    txo_api_server.add_entity_set("Customers", ROWS, page_size=100, next_link="none")
    first = session.get(f"{txo_api_server.url}/odata/Customers").json()
    assert len(first["value"]) == 100 and "@odata.nextLink" not in first
    rows: list[dict] = []
    for skip in range(0, 300, 60):
        params = {"$top": "60", "$skip": str(skip)}
        rows += session.get(f"{txo_api_server.url}/odata/Customers", params=params).json()["value"]
    assert [r["ID"] for r in rows] == list(range(1, 251))


def test_next_link_keeps_the_filter_and_select(server, session):
    params = {"$filter": "City eq 'C1'", "$select": "ID,City"}
    rows, pages = follow(session, f"{server.url}/odata/Customers", params=params)
    assert [r["ID"] for r in rows] == [r["ID"] for r in ROWS if r["City"] == "C1"]
    assert all(set(r) == {"ID", "City"} for r in rows)
    assert "%24filter" not in pages[0]["@odata.nextLink"]
    assert "$filter=City%20eq%20'C1'" in pages[0]["@odata.nextLink"]


def test_top_stops_paging_at_top(server, session):
    rows, pages = follow(session, f"{server.url}/odata/Customers", params={"$top": "120"})
    assert [r["ID"] for r in rows] == list(range(1, 121))
    assert [len(p["value"]) for p in pages] == [50, 50, 20]


def test_cap_quirks_top_caps_each_page_and_links_run_past_it(txo_api_server, session):
    txo_api_server.add_entity_set(
        "Customers",
        ROWS,
        page_size=50,
        ignore_top_in_paging=True,
        trailing_empty_page=True,
        relative_context=True,
    )
    url = f"{txo_api_server.url}/odata/Customers"
    first = session.get(url, params={"$top": "120"}).json()
    assert first["@odata.nextLink"] == "Customers?$top=120&$skiptoken=50"  # as CAP 8 sends
    assert first["@odata.context"] == "$metadata#Customers"
    rows: list[dict] = []
    next_url: str | None = f"{url}?$top=120"
    while next_url:
        page = session.get(next_url).json()
        rows += page["value"]
        link = page.get("@odata.nextLink")
        next_url = urljoin(next_url, link) if link else None
    assert len(rows) == 250  # a client must enforce its own $top
    small = session.get(url, params={"$top": "10"}).json()
    assert len(small["value"]) == 10 and "@odata.nextLink" not in small


def test_plus_as_space_false_rejects_plus_encoded_filters_like_cap(session):
    with LocalApiServer(plus_as_space=False) as strict:
        strict.add_entity_set("Customers", ROWS)
        url = f"{strict.url}/odata/Customers"
        assert session.get(url, params={"$filter": "ID eq 1"}).status_code == 400  # '+'
        ok = session.get(f"{url}?$filter=ID%20eq%201")
        assert [r["ID"] for r in ok.json()["value"]] == [1]


def test_trailing_empty_page_like_cap_when_count_is_a_multiple_of_page_size(
    txo_api_server, session
):
    txo_api_server.add_entity_set("Customers", ROWS, page_size=50, trailing_empty_page=True)
    rows, pages = follow(session, f"{txo_api_server.url}/odata/Customers")
    assert len(rows) == 250
    assert [len(p["value"]) for p in pages] == [50, 50, 50, 50, 50, 0]


def test_prefer_maxpagesize_is_capped_by_the_server_page_size(server, session):
    url = f"{server.url}/odata/Customers"
    small = session.get(url, headers={"Prefer": "odata.maxpagesize=20"})
    assert len(small.json()["value"]) == 20
    assert small.headers["Preference-Applied"] == "odata.maxpagesize=20"
    large = session.get(url, headers={"Prefer": "odata.maxpagesize=1000"})
    assert len(large.json()["value"]) == 50
    assert large.headers["Preference-Applied"] == "odata.maxpagesize=50"
    assert "Preference-Applied" not in session.get(url).headers
    rows, _ = follow(session, url, headers={"Prefer": "odata.maxpagesize=20"})
    assert len(rows) == 250


def test_prefer_return_representation_on_get_is_rejected_like_cap(server, session):
    response = session.get(
        f"{server.url}/odata/Customers", headers={"Prefer": "return=representation"}
    )
    assert response.status_code == 400
    assert "return=representation" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("odata_filter", "expected_ids"),
    [
        ("Name eq 'O''Brien'", [i for i in range(1, 251) if i % 10 == 0]),
        ("Name eq 'O''Brien' and N ne 0", []),
        ("City eq 'C2' and N eq 3", [r["ID"] for r in ROWS if r["City"] == "C2" and r["N"] == 3]),
        ("ID eq 7", [7]),
        ("ID le 3", [1, 2, 3]),
        ("Name ne 'O''Brien' and ID gt 247", [248, 249]),
    ],
)
def test_filter(server, session, odata_filter, expected_ids):
    params = {"$filter": odata_filter}
    rows, _ = follow(session, f"{server.url}/odata/Customers", params=params)
    assert [r["ID"] for r in rows] == expected_ids


@pytest.mark.parametrize(
    ("odata_filter", "message"),
    [
        ("Name eq 'O'Brien'", "unterminated string"),
        ("Nme eq 'x'", "unknown property 'Nme'"),
        ("Name eq", "expected 'Field eq value'"),
        ("Name eq 'a' or ID eq 1", "expected 'and'"),
    ],
)
def test_bad_filter_is_a_400_with_an_odata_error(server, session, odata_filter, message):
    response = session.get(f"{server.url}/odata/Customers", params={"$filter": odata_filter})
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_select_orderby_count_and_skip(server, session):
    params = {"$select": "ID", "$orderby": "ID desc", "$count": "true", "$top": "3", "$skip": "1"}
    page = session.get(f"{server.url}/odata/Customers", params=params).json()
    assert page["value"] == [{"ID": 249}, {"ID": 248}, {"ID": 247}]
    assert page["@odata.count"] == 250
    assert page["@odata.context"].endswith("$metadata#Customers(ID)")
    bad = session.get(f"{server.url}/odata/Customers", params={"$top": "-1"})
    assert bad.status_code == 400


def test_single_entity_by_key_and_missing_key(server, session):
    assert session.get(f"{server.url}/odata/Customers(7)").json()["Name"] == "Name 7"
    assert session.get(f"{server.url}/odata/Customers('10')").json()["Name"] == "O'Brien"
    missing = session.get(f"{server.url}/odata/Customers(9999)")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "404"
    assert session.get(f"{server.url}/odata/Nope").status_code == 404
    assert session.get(f"{server.url}/odata/Customers/$count").text == "250"


def test_service_document_and_metadata(server, session):
    service = session.get(f"{server.url}/odata/").json()
    assert service["value"][0]["url"] == "Customers"
    metadata = session.get(f"{server.url}/odata/$metadata")
    assert '<EntitySet Name="Customers"' in metadata.text


# -- OAuth and auth -----------------------------------------------------------------------
def _token(session: requests.Session, server: LocalApiServer, **form: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "scope": "api://x/.default", **form}
    return session.post(f"{server.url}/oauth2/token", data=data)


def test_client_credentials_issue_a_bearer_token(txo_api_server, session):
    txo_api_server.add_client("client-id", "client-secret")
    response = _token(session, txo_api_server, client_id="client-id", client_secret="client-secret")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2  # JWT-shaped
    basic = session.post(
        f"{txo_api_server.url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("client-id", "client-secret"),
    )
    assert basic.status_code == 200
    assert txo_api_server.tokens_issued == 2


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_id": "client-id", "client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "other", "client_secret": "client-secret"}, 401, "invalid_client"),
        ({}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_bad_token_requests_are_rejected(txo_api_server, session, form, status, error):
    txo_api_server.add_client("client-id", "client-secret")
    response = _token(session, txo_api_server, **form)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert "client-secret" not in response.text


def test_azure_style_token_path_is_accepted(txo_api_server, session):
    txo_api_server.add_client("c", "s")
    url = f"{txo_api_server.url}/my-tenant/oauth2/v2.0/token"
    data = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    assert session.post(url, data=data).status_code == 200


def test_require_auth_needs_an_issued_unexpired_token(txo_api_server, session):
    now = [1000.0]
    server = LocalApiServer(require_auth=True, token_lifetime=60, clock=lambda: now[0])
    with server:
        server.add_client("c", "s")
        server.add_collection("items", [{"id": 1}])
        assert session.get(f"{server.url}/api/items").status_code == 401
        assert session.get(f"{server.url}/odata/").status_code == 401
        token = _token(session, server, client_id="c", client_secret="s").json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert session.get(f"{server.url}/api/items", headers=auth).status_code == 200
        bad = session.get(f"{server.url}/api/items", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and "invalid_token" in bad.headers["WWW-Authenticate"]
        now[0] += 61
        assert session.get(f"{server.url}/api/items", headers=auth).status_code == 401
        token = _token(session, server, client_id="c", client_secret="s").json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert session.get(f"{server.url}/api/items", headers=auth).status_code == 200
        server.expire_tokens()
        assert session.get(f"{server.url}/api/items", headers=auth).status_code == 401
        assert session.get(f"{server.url}/health").status_code == 200  # not protected


# -- REST CRUD -----------------------------------------------------------------------------
def test_rest_crud_cycle(txo_api_server, session):
    api = f"{txo_api_server.url}/api/orders"
    txo_api_server.add_collection("orders", [{"id": 1, "total": 10}])
    created = session.post(api, json={"total": 20})
    assert created.status_code == 201
    assert created.json() == {"total": 20, "id": 2}
    assert created.headers["Location"] == f"{api}/2"
    assert [o["id"] for o in session.get(api).json()] == [1, 2]
    assert session.put(f"{api}/2", json={"total": 25}).json() == {"total": 25, "id": 2}
    patched = session.patch(f"{api}/2", json={"note": "x"}).json()
    assert patched == {"total": 25, "id": 2, "note": "x"}
    assert session.delete(f"{api}/2").status_code == 204
    assert session.get(f"{api}/2").status_code == 404
    assert session.patch(f"{api}/2", json={}).status_code == 404
    assert txo_api_server.collection("orders") == [{"id": 1, "total": 10}]


def test_rest_rejects_invalid_json_and_duplicate_ids(txo_api_server, session):
    api = f"{txo_api_server.url}/api/orders"
    bad = session.post(api, data=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "Invalid JSON" in bad.json()["error"]["message"]
    assert session.post(api, json=[1, 2]).status_code == 400
    assert session.post(api, json={"id": "A-1"}).status_code == 201
    assert session.post(api, json={"id": "A-1"}).status_code == 409
    assert session.get(f"{api}/A-1").json() == {"id": "A-1"}


# -- faults ---------------------------------------------------------------------------------
def test_status_fault_n_times_then_normal(txo_api_server, session):
    url = f"{txo_api_server.url}/api/items"
    txo_api_server.add_fault("/api/items", status=429, times=2, headers={"Retry-After": "3"})
    first = session.get(url)
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert first.json()["error"]["code"] == "429"
    assert [session.get(url).status_code for _ in range(2)] == [429, 200]
    assert txo_api_server.hits("/api/items") == 3


def test_faults_for_one_route_fire_in_the_order_added(txo_api_server, session):
    url = f"{txo_api_server.url}/api/items"
    txo_api_server.add_fault("/api/items", status=500, times=1, body={"custom": True})
    txo_api_server.add_fault("/api/items", status=503, times=1, body="plain")
    responses = [session.get(url) for _ in range(3)]
    assert [r.status_code for r in responses] == [500, 503, 200]
    assert responses[0].json() == {"custom": True} and responses[1].text == "plain"


def test_fault_matches_method_and_regex_path(txo_api_server, session):
    txo_api_server.add_fault(re.compile(r"^/api/items/\d+$"), method="delete", status=500)
    base = f"{txo_api_server.url}/api/items"
    session.post(base, json={"id": 1})
    assert session.get(f"{base}/1").status_code == 200
    assert session.delete(f"{base}/1").status_code == 500
    assert session.delete(f"{base}/1").status_code == 500  # times=None: forever


def test_reset_fault_aborts_the_connection(txo_api_server, session):
    txo_api_server.add_fault("/api/items", kind="reset", times=1)
    with pytest.raises(requests.ConnectionError) as caught:
        session.get(f"{txo_api_server.url}/api/items")
    assert "reset" in str(caught.value).lower() or "aborted" in str(caught.value).lower()
    assert session.get(f"{txo_api_server.url}/api/items").status_code == 200
    assert txo_api_server.hits("/api/items") == 2


def _eventually(condition: Any, limit: float = 30.0) -> bool:
    """Wait for a condition (a busy server records a request late), never for a duration."""
    deadline = time.monotonic() + limit
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(condition())


def test_hold_fault_answers_only_when_the_test_releases_it(txo_api_server, session):
    held = txo_api_server.add_fault("/api/items", kind="hold", times=1)
    with pytest.raises(requests.ReadTimeout):
        session.get(f"{txo_api_server.url}/api/items", timeout=0.2)
    held.release()
    assert session.get(f"{txo_api_server.url}/api/items", timeout=30).status_code == 200


def test_drop_fault_never_answers(txo_api_server, session):
    txo_api_server.add_fault("/api/items", kind="drop", times=1)
    with pytest.raises(requests.ReadTimeout):
        session.get(f"{txo_api_server.url}/api/items", timeout=0.3)
    assert _eventually(lambda: txo_api_server.hits("/api/items") == 1)  # the request was read
    assert session.get(f"{txo_api_server.url}/api/items", timeout=5).status_code == 200


def test_delay_fault_serves_normally_after_the_delay(txo_api_server, session):
    txo_api_server.add_fault("/api/items", kind="delay", delay=60.0, times=1)  # >> 0.2 s
    with pytest.raises(requests.ReadTimeout):
        session.get(f"{txo_api_server.url}/api/items", timeout=0.2)
    txo_api_server.add_fault("/api/other", kind="delay", delay=0.05, times=1)
    assert session.get(f"{txo_api_server.url}/api/other", timeout=5).json() == []


# -- 202 Accepted ---------------------------------------------------------------------------
def test_async_operation_polls_then_returns_the_result(txo_api_server, session):
    txo_api_server.add_async_operation("/api/jobs", polls=2, retry_after=2, result={"n": 1})
    accepted = session.post(f"{txo_api_server.url}/api/jobs", json={})
    assert accepted.status_code == 202
    assert accepted.headers["Location"].startswith("/operations/")
    assert accepted.headers["Retry-After"] == "2"
    monitor = urljoin(f"{txo_api_server.url}/api/jobs", accepted.headers["Location"])
    statuses = [session.get(monitor).status_code for _ in range(2)]
    final = session.get(monitor)
    assert statuses == [202, 202] and final.status_code == 200 and final.json() == {"n": 1}


def test_async_operation_303_absolute_location_and_failure(txo_api_server, session):
    txo_api_server.add_async_operation(
        "/api/export", method="GET", polls=0, final_status=303, location="absolute"
    )
    txo_api_server.add_async_operation("/api/fail", polls=1, fail_status=500)
    accepted = session.get(f"{txo_api_server.url}/api/export")
    assert accepted.headers["Location"].startswith(f"{txo_api_server.url}/operations/")
    assert "Retry-After" not in accepted.headers
    done = session.get(accepted.headers["Location"], allow_redirects=False)
    assert done.status_code == 303
    assert session.get(accepted.headers["Location"]).json() == {"status": "done"}  # follows 303
    location = session.post(f"{txo_api_server.url}/api/fail").headers["Location"]
    statuses = [session.get(f"{txo_api_server.url}{location}").status_code for _ in range(2)]
    assert statuses == [202, 500]


def test_async_operation_that_never_finishes(txo_api_server, session):
    txo_api_server.add_async_operation("/api/stuck", polls=None)
    location = session.post(f"{txo_api_server.url}/api/stuck").headers["Location"]
    assert {session.get(f"{txo_api_server.url}{location}").status_code for _ in range(5)} == {202}


# -- failing pages, log, reset --------------------------------------------------------------
def test_fail_page_fails_exactly_that_page(server, session):
    server.fail_page("Customers", 3, status=500, times=1)
    url = f"{server.url}/odata/Customers"
    with pytest.raises(AssertionError, match="Injected failure of page 3"):
        follow(session, url)
    assert server.hits("/odata/Customers") == 3
    rows, _ = follow(session, url)  # times=1: the next walk succeeds
    assert len(rows) == 250


def test_request_log_records_method_path_query_headers_body(server, session):
    session.post(f"{server.url}/api/items?x=1", json={"a": 1}, headers={"X-Trace": "t1"})
    session.get(f"{server.url}/odata/Customers", params={"$filter": "Name eq 'O''Brien'"})
    post, get = server.requests
    assert (post.method, post.path, post.query) == ("POST", "/api/items", {"x": "1"})
    assert post.json() == {"a": 1}
    assert post.headers["x-trace"] == "t1" and post.headers.get("X-TRACE") == "t1"
    assert get.query == {"$filter": "Name eq 'O''Brien'"}
    assert post.started <= get.started
    assert server.hits() == 2
    assert server.hits("/api/items", method="post") == 1
    assert server.hits("/odata", prefix=True) == 1
    assert server.hits("/api/items", method="GET") == 0


def test_reset_forgets_faults_and_log_but_keeps_data_and_clients(server, session):
    server.add_client("c", "s")
    server.add_fault("/odata/Customers", status=500)
    server.fail_page("Customers", 1)
    assert session.get(f"{server.url}/odata/Customers").status_code == 500
    server.reset()
    assert server.requests == []
    assert len(session.get(f"{server.url}/odata/Customers").json()["value"]) == 50
    data = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    assert session.post(f"{server.url}/oauth2/token", data=data).status_code == 200


# -- connections and life cycle -------------------------------------------------------------
def test_a_session_reuses_one_keep_alive_connection(server):
    with requests.Session() as s:
        for _ in range(10):
            assert s.get(f"{server.url}/odata/Customers").status_code == 200
        assert server.connections_opened == 1
        assert server.open_connections == 1
        assert len({r.connection_id for r in server.requests}) == 1
    assert server.wait_for_open_connections(0, timeout=5)
    for _ in range(3):
        assert requests.get(f"{server.url}/health").status_code == 200
    assert server.connections_opened == 4


def test_stop_closes_idle_keep_alive_connections_and_frees_the_port(session):
    server = LocalApiServer().start()
    url = server.url
    assert session.get(f"{url}/health").status_code == 200
    server.stop()
    assert server.open_connections == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/health", timeout=2)
    server.stop()  # idempotent
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_invalid_configuration_is_rejected(txo_api_server):
    with pytest.raises(ValueError, match="next_link"):
        txo_api_server.add_entity_set("X", [], next_link="sideways")
    with pytest.raises(ValueError, match="kind"):
        txo_api_server.add_fault("/x", kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1-based"):
        txo_api_server.fail_page("X", 0)


# -- demo data and command line -------------------------------------------------------------
def test_demo_customers_are_deterministic_and_include_quotes():
    customers = demo_customers(250)
    assert customers == demo_customers(250)
    assert [c["ID"] for c in customers] == list(range(1, 251))
    assert any("'" in c["Name"] for c in customers)
    assert set(customers[0]) == {"ID", "Name", "City", "Country", "Revenue", "CreatedAt"}


def test_cli_prints_one_json_line_serves_the_demo_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    command = [sys.executable, "-m", "txo_runtime.testing.server", "--demo", "--port", "0"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            info = json.loads(process.stdout.readline())
            page = _demo_first_page(info)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            assert process.stderr.read() == ""
        finally:
            if process.poll() is None:
                process.kill()
    assert info["client_id"] == "demo-client"
    assert info["odata_url"] == f"{info['url']}/odata"
    assert info["soap_wsdl_url"] == f"{info['url']}/soap/CustomerService?wsdl"
    assert len(page["value"]) == 50 and page["@odata.nextLink"] == "Customers?$skiptoken=50"


def _demo_first_page(info: dict[str, str]) -> dict[str, Any]:
    with requests.Session() as s:
        assert s.get(f"{info['odata_url']}/Customers").status_code == 401
        data = {"grant_type": "client_credentials", "client_id": info["client_id"]}
        data["client_secret"] = info["client_secret"]
        token = s.post(f"{info['url']}/oauth2/token", data=data).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        return s.get(f"{info['odata_url']}/Customers", headers=headers).json()
